package label_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	pdfapi "github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"cnx-agent/api"
	"cnx-agent/api/fakeserver"
	"cnx-agent/printer/label"
)

// orderOf makes an order of n packages (tracking TEST00000001…).
func orderOf(n int) api.Order {
	o := fakeserver.SampleOrder()
	p := o.Packages[0]
	o.Packages = nil
	for range n {
		o.Packages = append(o.Packages, p)
	}
	return o
}

func waybills(t testing.TB, f fakeserver.Format, n int) []byte {
	t.Helper()
	b, err := fakeserver.WaybillPDF(f, orderOf(n))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestNUpSheets(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		n, perSheet int
	}{{4, 2}, {8, 4}} {
		nup, err := pdfapi.PDFNUpConfig(tt.perSheet, "form:A4, border:off, margin:6", nil)
		if err != nil {
			t.Fatal(err)
		}
		var sheets bytes.Buffer
		if err := pdfapi.NUp(bytes.NewReader(waybills(t, fakeserver.Format100x180, tt.n)), &sheets, nil, nil, nup, nil); err != nil {
			t.Fatal(err)
		}
		pdf, n := convert(t, sheets.Bytes(), label.Options{})
		if n != tt.n {
			t.Fatalf("%d-up: %d labels from %d sheets, want %d", tt.perSheet, n, tt.n/tt.perSheet, tt.n)
		}
		checkLabels(t, pdf, n)
		for i, bm := range rasters(t, pdf, 203) {
			got, err := decode(t, bm.Image())
			if want := trackingNo(i); got != want {
				t.Errorf("%d-up label %d: barcode %q, %v; want %q", tt.perSheet, i+1, got, err, want)
			}
		}
	}
}

func trackingNo(i int) string { return "TEST0000000" + string(rune('1'+i)) }

func TestBlankPagesDropped(t *testing.T) {
	t.Parallel()
	var withBlank bytes.Buffer
	err := pdfapi.InsertPages(bytes.NewReader(waybills(t, fakeserver.Format4x6, 2)), &withBlank, []string{"2"}, true, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := pdfapi.PageCount(bytes.NewReader(withBlank.Bytes()), nil); n != 3 {
		t.Fatalf("test input has %d pages, want 3", n)
	}
	pdf, n := convert(t, withBlank.Bytes(), label.Options{})
	if n != 2 {
		t.Fatalf("%d labels, want 2 (blank page dropped)", n)
	}
	checkLabels(t, pdf, n)
}

func TestPageRotateAndCropBox(t *testing.T) {
	t.Parallel()
	src := waybills(t, fakeserver.Format100x180, 1)
	// /Rotate 90: shown sideways; the label comes out upright again.
	var rotated bytes.Buffer
	if err := pdfapi.Rotate(bytes.NewReader(src), &rotated, 90, nil, nil); err != nil {
		t.Fatal(err)
	}
	pdf, _ := convert(t, rotated.Bytes(), label.Options{})
	bm := rasters(t, pdf, 203)[0]
	if barsVertical(bm) {
		t.Error("a page with /Rotate 90 came out sideways")
	}
	if got, err := decode(t, bm.Image()); got != "TEST00000001" {
		t.Errorf("barcode %q, %v", got, err)
	}
	// A4 with the label in its corner and a CropBox around just the label.
	a4 := waybills(t, fakeserver.FormatA4, 1)
	box, err := model.ParseBox("[0 380 320 842]", types.POINTS)
	if err != nil {
		t.Fatal(err)
	}
	var cropped bytes.Buffer
	if err := pdfapi.Crop(bytes.NewReader(a4), &cropped, nil, box, nil); err != nil {
		t.Fatal(err)
	}
	pdf, n := convert(t, cropped.Bytes(), label.Options{})
	checkLabels(t, pdf, n)
}

func TestUpscaleLimit(t *testing.T) {
	t.Parallel()
	// A 4×6 label on a 50×75 mm page would need 2× to fill 100×150.
	small := waybills(t, fakeserver.Format4x6, 1)
	var out bytes.Buffer
	mk := label.NewMaker(label.Options{Size: label.Size{W: 100, H: 150}, MaxUpscale: 1.5}, renderer(t))
	// Make the label half size by laying it out at 50×75 first.
	half := label.NewMaker(label.Options{Size: label.Size{W: 50, H: 75}, Margin: 0.5}, renderer(t))
	if _, err := half.Convert(context.Background(), small, &out, nil); err != nil {
		t.Fatal(err)
	}
	var big bytes.Buffer
	if _, err := mk.Convert(context.Background(), out.Bytes(), &big, nil); err != nil {
		t.Fatal(err)
	}
	ink := pageInk(t, big.Bytes(), 0)
	if w := ink.x1 - ink.x0; w > 50*1.5+1 {
		t.Errorf("enlarged to %.0f mm wide; the limit is 1.5× of ~50 mm", w)
	}
}

func TestLabelSizes(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"100x150", "4x6", "100x100", "76x130"} {
		sz, err := label.ParseSize(s)
		if err != nil {
			t.Fatal(err)
		}
		pdf, n := convert(t, waybills(t, fakeserver.Format100x180, 1), label.Options{Size: sz})
		dims, _ := pdfapi.PageDims(bytes.NewReader(pdf), nil)
		const mm = 72 / 25.4
		if n != 1 || abs(dims[0].Width-sz.W*mm) > 0.01 || abs(dims[0].Height-sz.H*mm) > 0.01 {
			t.Errorf("%s: %d pages of %.2f×%.2f pt", s, n, dims[0].Width, dims[0].Height)
		}
	}
	if _, err := label.ParseSize("wide"); err == nil {
		t.Error("ParseSize(wide) succeeded")
	}
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

func TestBadPDFs(t *testing.T) {
	t.Parallel()
	good := waybills(t, fakeserver.Format4x6, 2)
	var enc bytes.Buffer
	if err := pdfapi.Encrypt(bytes.NewReader(good), &enc, model.NewAESConfiguration("secret", "owner", 256)); err != nil {
		t.Fatal(err)
	}
	zeroPages := []byte("%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n" +
		"xref\n0 3\n0000000000 65535 f \n0000000009 00000 n \n0000000056 00000 n \ntrailer<</Size 3/Root 1 0 R>>\nstartxref\n103\n%%EOF\n")
	tests := []struct {
		name string
		data []byte
		want string
	}{
		{"not a PDF", []byte("hello"), "not a PDF"},
		{"empty", nil, "not a PDF"},
		{"truncated", good[:len(good)/3], ""},
		{"garbage after header", append([]byte("%PDF-1.7\n"), bytes.Repeat([]byte{0xff, 0x00, '(', '<'}, 500)...), ""},
		{"encrypted", enc.Bytes(), "encrypted"},
		{"zero pages", zeroPages, "no pages"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			_, err := label.NewMaker(label.Options{}, renderer(t)).Convert(context.Background(), tt.data, &out, nil)
			if err == nil {
				t.Fatal("no error")
			}
			t.Log(err)
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %q, want it to say %q", err, tt.want)
			}
			if tt.name == "encrypted" && !errors.Is(err, label.ErrEncrypted) {
				t.Errorf("got %v, want ErrEncrypted", err)
			}
		})
	}
}

// TestObjectStreamInput: a waybill written with object streams (PDF 1.5+,
// what most PDF libraries write today) makes the same label as the same
// waybill without them. pdfcpu keeps such objects undecoded until asked,
// and once wrote them out without the objects they point to: the label PDF
// lost its fonts' descendants and was invalid.
func TestObjectStreamInput(t *testing.T) {
	t.Parallel()
	strict := model.NewDefaultConfiguration()
	strict.ValidationMode = model.ValidationStrict
	packedOf := func(t *testing.T, plain []byte) []byte {
		t.Helper()
		var packed bytes.Buffer
		if err := pdfapi.Optimize(bytes.NewReader(plain), &packed, nil); err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(packed.Bytes(), []byte("/ObjStm")) {
			t.Fatal("the rewritten PDF has no object stream: the test tests nothing")
		}
		return packed.Bytes()
	}
	sources := map[string]func(t *testing.T) []byte{
		"fake waybills (Type0 CJK font)": func(t *testing.T) []byte { return waybills(t, fakeserver.Format100x180, 2) },
	}
	// Real labels: CID TrueType fonts, CCITT images, a turned page.
	for _, name := range []string{"a6-portrait-forstok-5pages.pdf", "colissimo-asendia-104x150-ccitt-barcodes.pdf", "fedex-letter-portrait-label-top-half.pdf"} {
		sources[name] = func(t *testing.T) []byte {
			b, err := os.ReadFile(filepath.Join(fixtures, name))
			if err != nil {
				t.Skipf("fixture: %v", err)
			}
			return b
		}
	}
	for name, src := range sources {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			plain := src(t)
			want := rasters(t, mustConvert(t, plain), 203)
			got := mustConvert(t, packedOf(t, plain))
			// Strictly valid for our own waybills; relaxed for real labels,
			// some of which use a standard font without widths, which
			// strict mode refuses in a PDF 1.5 file such as the output.
			conf := model.NewDefaultConfiguration()
			if strings.HasPrefix(name, "fake") {
				conf = strict
			}
			if err := pdfapi.Validate(bytes.NewReader(got), conf); err != nil {
				t.Fatalf("label PDF from the object-stream copy is invalid: %v", err)
			}
			for i, bm := range rasters(t, got, 203) {
				if !bm.Equal(want[i]) {
					t.Errorf("label %d differs from the one made from the plain PDF (%d against %d black dots)", i+1, bm.Black(), want[i].Black())
				}
			}
		})
	}

	packed := packedOf(t, waybills(t, fakeserver.Format100x180, 2))
	// A merged request file is split page by page first.
	dir := t.TempDir()
	in := filepath.Join(dir, "merged.pdf")
	if err := os.WriteFile(in, packed, 0o644); err != nil {
		t.Fatal(err)
	}
	pages, err := label.NewAnySize(label.Options{}, renderer(t)).SplitPages(context.Background(), in, dir)
	if err != nil || len(pages) != 2 {
		t.Fatalf("split: %v %v", pages, err)
	}
	for _, p := range pages {
		b, _ := os.ReadFile(p)
		if err := pdfapi.Validate(bytes.NewReader(b), strict); err != nil {
			t.Errorf("split page %s is invalid: %v", filepath.Base(p), err)
		}
	}
}

func mustConvert(t *testing.T, src []byte) []byte {
	t.Helper()
	pdf, _ := convert(t, src, label.Options{})
	return pdf
}

// TestAnnotationsPrinted: what a label generator put in annotations (a
// filled-in form field, a stamp) is printed when its Print flag says so,
// turned by its appearance's own /Matrix; hidden and screen-only ones are
// not.
func TestAnnotationsPrinted(t *testing.T) {
	t.Parallel()
	base := waybills(t, fakeserver.Format100x180, 1)
	// A 40×10 pt black box drawn by the appearance, placed in the blank
	// space above the waybill's footer.
	withAnnot := func(t *testing.T, flags int, turned bool) []byte {
		t.Helper()
		pctx, err := pdfapi.ReadContext(bytes.NewReader(base), model.NewDefaultConfiguration())
		if err != nil {
			t.Fatal(err)
		}
		ap, err := pctx.NewStreamDictForBuf([]byte("0 g 0 0 40 10 re f"))
		if err != nil {
			t.Fatal(err)
		}
		ap.Dict["Type"], ap.Dict["Subtype"] = types.Name("XObject"), types.Name("Form")
		ap.Dict["BBox"] = types.NewNumberArray(0, 0, 40, 10)
		rect := types.NewNumberArray(60, 100, 180, 130) // 120×30 pt: the box stretched
		if turned {
			ap.Dict["Matrix"] = types.NewNumberArray(0, 1, -1, 0, 0, 0)
			rect = types.NewNumberArray(60, 100, 90, 220) // 30×120 pt
		}
		if err := ap.Encode(); err != nil {
			t.Fatal(err)
		}
		apRef, err := pctx.IndRefForNewObject(*ap)
		if err != nil {
			t.Fatal(err)
		}
		annot, err := pctx.IndRefForNewObject(types.Dict{
			"Type": types.Name("Annot"), "Subtype": types.Name("Square"), "Rect": rect,
			"F": types.Integer(flags), "AP": types.Dict{"N": *apRef},
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := pctx.EnsurePageCount(); err != nil {
			t.Fatal(err)
		}
		page, _, _, err := pctx.PageDict(1, false)
		if err != nil {
			t.Fatal(err)
		}
		page["Annots"] = types.Array{*annot}
		var out bytes.Buffer
		if err := pdfapi.WriteContext(pctx, &out); err != nil {
			t.Fatal(err)
		}
		return out.Bytes()
	}
	plain := rasters(t, mustConvert(t, base), 203)[0].Black()
	tests := []struct {
		name    string
		flags   int
		turned  bool
		printed bool
	}{
		{"print flag", 4, false, true},
		{"print flag, turned appearance", 4, true, true},
		{"hidden", 4 | 2, false, false},
		{"screen only", 0, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			label := mustConvert(t, withAnnot(t, tt.flags, tt.turned))
			extra := rasters(t, label, 203)[0].Black() - plain
			// 120×30 pt (42×10.6 mm) at the label's scale (the 100×180 mm
			// page fits in 146 mm: ×0.81) and 8 dots a mm is 274×69 dots.
			if tt.printed && (extra < 17000 || extra > 21000) {
				t.Errorf("the annotation added %d black dots, want about 18,900", extra)
			}
			if !tt.printed && extra != 0 {
				t.Errorf("a %s annotation added %d black dots", tt.name, extra)
			}
		})
	}
}
