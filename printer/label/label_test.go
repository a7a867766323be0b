package label_test

import (
	"bytes"
	"context"
	"image"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/oned"
	pdfapi "github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"cnx-agent/api/fakeserver"
	"cnx-agent/internal/testrender"
	"cnx-agent/printer/label"
	"cnx-agent/printer/raster"
	"cnx-agent/printer/render"
)

const fixtures = "../../../shared/fixtures/labels"

func renderer(t testing.TB) *render.Renderer { return testrender.Renderer(t) }

func convert(t testing.TB, src []byte, opts label.Options) ([]byte, int) {
	t.Helper()
	var out bytes.Buffer
	n, err := label.NewMaker(opts, renderer(t)).Convert(context.Background(), src, &out, nil)
	if err != nil {
		t.Fatal(err)
	}
	return out.Bytes(), n
}

// inkMM is the box of drawn content on a label page, in mm from the
// label's top-left corner, from a 100 dpi render.
type inkMM struct{ x0, y0, x1, y1 float64 }

func pageInk(t testing.TB, pdf []byte, page int) inkMM {
	t.Helper()
	doc, err := renderer(t).Open(pdf)
	if err != nil {
		t.Fatal(err)
	}
	defer doc.Close()
	img, err := doc.GrayDPI(page, 100)
	if err != nil {
		t.Fatal(err)
	}
	b := img.Bounds()
	box := inkMM{math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)}
	for y := range b.Dy() {
		for x := range b.Dx() {
			if img.Pix[y*img.Stride+x] < 200 {
				box.x0, box.y0 = math.Min(box.x0, float64(x)), math.Min(box.y0, float64(y))
				box.x1, box.y1 = math.Max(box.x1, float64(x+1)), math.Max(box.y1, float64(y+1))
			}
		}
	}
	px := 25.4 / 100
	return inkMM{box.x0 * px, box.y0 * px, box.x1 * px, box.y1 * px}
}

// checkLabels asserts every page is exactly 100×150 mm and its content lies
// within the margin and fills it in one direction (or is enlarged to the
// limit).
func checkLabels(t *testing.T, pdf []byte, n int) {
	t.Helper()
	dims, err := pdfapi.PageDims(bytes.NewReader(pdf), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(dims) != n {
		t.Fatalf("%d pages, want %d", len(dims), n)
	}
	for i, d := range dims {
		if math.Abs(d.Width-283.46) > 0.01 || math.Abs(d.Height-425.20) > 0.01 {
			t.Errorf("page %d is %.2f×%.2f pt, want 283.46×425.20", i+1, d.Width, d.Height)
		}
		ink := pageInk(t, pdf, i)
		const margin, slack = 2.0, 0.6
		if ink.x0 < margin-slack || ink.y0 < margin-slack || ink.x1 > 100-margin+slack || ink.y1 > 150-margin+slack {
			t.Errorf("page %d: content %+v mm crosses the %g mm margin", i+1, ink, margin)
		}
		fillW := (ink.x1 - ink.x0) / (100 - 2*margin)
		fillH := (ink.y1 - ink.y0) / (150 - 2*margin)
		// The crop keeps 1.5 mm around the content, so a full fit leaves
		// up to about 2 × 1.5 mm of the available size blank.
		if math.Max(fillW, fillH) < 0.95 {
			t.Errorf("page %d: content fills %.0f%%×%.0f%% of the label, want ≥ 95%% one way", i+1, fillW*100, fillH*100)
		}
	}
}

func TestFixtures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		file   string
		labels int
	}{
		{"a4-label-top-left-forstok-5pages.pdf", 5},
		{"a6-portrait-forstok-5pages.pdf", 5},
		{"colissimo-asendia-104x150-ccitt-barcodes.pdf", 1},
		{"dhl-99x200-portrait-2pages.pdf", 2},
		{"fedex-letter-portrait-label-top-half.pdf", 1},
		{"gls-italy-a5-portrait.pdf", 1},
		{"mx-4x6-portrait-labelary.pdf", 1},
		{"postnord-105x190-labelary.pdf", 1},
		{"postnord-mypack-a4-label-top.pdf", 1},
		{"za-4x6-bitmap-only-jspdf.pdf", 1},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			src, err := os.ReadFile(filepath.Join(fixtures, tt.file))
			if err != nil {
				t.Skipf("fixture: %v", err)
			}
			pdf, n := convert(t, src, label.Options{})
			if n != tt.labels {
				t.Errorf("%d labels, want %d", n, tt.labels)
			}
			checkLabels(t, pdf, n)
		})
	}
}

// decode reads Code 128 barcodes from a 1-bit label, trying the image as
// is and turned (gozxing's TryHarder turns it).
func decode(t testing.TB, img image.Image) (string, error) {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		return "", err
	}
	hints := map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true}
	res, err := oned.NewCode128Reader().Decode(bmp, hints)
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}

func rasters(t testing.TB, pdf []byte, dpi float64) []*raster.Bitmap {
	t.Helper()
	var out []*raster.Bitmap
	mk := label.NewMaker(label.Options{DPI: dpi}, renderer(t))
	if err := mk.Rasters(context.Background(), pdf, raster.Options{}, func(_ int, bm *raster.Bitmap) error {
		out = append(out, bm)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestFakeWaybillsScan(t *testing.T) {
	t.Parallel()
	for _, f := range fakeserver.Formats {
		t.Run(string(f), func(t *testing.T) {
			src, err := fakeserver.WaybillPDF(f, fakeserver.SampleOrder())
			if err != nil {
				t.Fatal(err)
			}
			pdf, n := convert(t, src, label.Options{})
			checkLabels(t, pdf, n)
			if images, fonts := objects(t, pdf); images > 0 || fonts == 0 {
				t.Errorf("label PDF has %d images and %d embedded fonts: it must stay vector", images, fonts)
			}
			if n != 2 {
				t.Fatalf("%d labels, want 2", n)
			}
			for _, r := range []struct {
				dpi  float64
				w, h int
			}{{203, 799, 1198}, {300, 1181, 1771}} {
				for i, bm := range rasters(t, pdf, r.dpi) {
					if bm.W != r.w || bm.H != r.h {
						t.Errorf("raster %v at %.0f dpi, want %d×%d dots", bm, r.dpi, r.w, r.h)
					}
					got, err := decode(t, bm.Image())
					want := []string{"TEST00000001", "TEST00000002"}[i]
					if err != nil || got != want {
						t.Errorf("label %d at %.0f dpi: barcode %q, %v; want %q", i+1, r.dpi, got, err, want)
					}
				}
			}
		})
	}
}

func TestOrientation(t *testing.T) {
	t.Parallel()
	// A landscape waybill is turned to fill the portrait label; the
	// barcode, horizontal on the waybill, then runs down the label.
	src, _ := fakeserver.WaybillPDF(fakeserver.Format150x100, fakeserver.SampleOrder())
	pdf, _ := convert(t, src, label.Options{})
	ink := pageInk(t, pdf, 0)
	if h := ink.y1 - ink.y0; h < 140 {
		t.Errorf("landscape label spans %.0f mm of 150: not turned to fill the page", h)
	}
	bm := rasters(t, pdf, 203)[0]
	if !barsVertical(bm) {
		t.Error("barcode of the turned label does not run down the page")
	}
	// A portrait waybill is not turned.
	src, _ = fakeserver.WaybillPDF(fakeserver.Format100x180, fakeserver.SampleOrder())
	pdf, _ = convert(t, src, label.Options{})
	if barsVertical(rasters(t, pdf, 203)[0]) {
		t.Error("portrait label was turned")
	}
}

// barsVertical tells whether the label's widest run of alternating dots is
// along a column (a barcode turned 90°) rather than a row.
func barsVertical(bm *raster.Bitmap) bool {
	transitions := func(n int, at func(i int) bool) int {
		c := 0
		for i := 1; i < n; i++ {
			if at(i) != at(i-1) {
				c++
			}
		}
		return c
	}
	best := func(lines, n int, at func(l, i int) bool) int {
		m := 0
		for l := 0; l < lines; l += 4 {
			m = max(m, transitions(n, func(i int) bool { return at(l, i) }))
		}
		return m
	}
	rows := best(bm.H, bm.W, func(y, x int) bool { return bm.At(x, y) })
	cols := best(bm.W, bm.H, func(x, y int) bool { return bm.At(x, y) })
	return cols > rows
}

// objects counts image XObjects and embedded font files in a PDF.
func objects(t testing.TB, pdf []byte) (images, fonts int) {
	t.Helper()
	ctx, err := pdfapi.ReadContext(bytes.NewReader(pdf), nil)
	if err != nil {
		t.Fatal(err)
	}
	for nr := range ctx.Table {
		obj, err := ctx.Dereference(*types.NewIndirectRef(nr, 0))
		if err != nil || obj == nil {
			continue
		}
		var d types.Dict
		switch o := obj.(type) {
		case types.StreamDict:
			d = o.Dict
		case types.Dict:
			d = o
		default:
			continue
		}
		if st := d.Subtype(); st != nil && *st == "Image" {
			images++
		}
		if d["FontFile2"] != nil || d["FontFile"] != nil || d["FontFile3"] != nil {
			fonts++
		}
	}
	return images, fonts
}
