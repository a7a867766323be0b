package label_test

import (
	"image"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/oned"

	"cnx-agent/printer/label"
)

// scanAll finds the distinct 1D barcodes on a label image: each reader over
// horizontal bands of the image and of the image turned 90°.
func scanAll(img *image.Gray) map[string]bool {
	found := map[string]bool{}
	// EAN-8, UPC and Codabar readers are left out: on shipping labels
	// they read fragments of longer symbols.
	readers := []gozxing.Reader{oned.NewCode128Reader(), oned.NewCode39Reader(), oned.NewITFReader(), oned.NewCode93Reader()}
	for _, im := range []*image.Gray{img, turn(img)} {
		b := im.Bounds()
		band := b.Dy() / 12
		for y := 0; y+band <= b.Dy(); y += band / 2 {
			sub := im.SubImage(image.Rect(0, y, b.Dx(), y+band))
			bmp, err := gozxing.NewBinaryBitmapFromImage(sub)
			if err != nil {
				continue
			}
			for _, r := range readers {
				if res, err := r.Decode(bmp, nil); err == nil {
					found[res.GetText()] = true
				}
			}
		}
	}
	return found
}

func turn(src *image.Gray) *image.Gray {
	b := src.Bounds()
	dst := image.NewGray(image.Rect(0, 0, b.Dy(), b.Dx()))
	for y := range b.Dy() {
		for x := range b.Dx() {
			dst.Pix[x*dst.Stride+(b.Dy()-1-y)] = src.Pix[y*src.Stride+x]
		}
	}
	return dst
}

// TestFixtureBarcodes decodes the 1D barcodes of every fixture label from
// its 1-bit raster at 203 and 300 dpi and reports the share against the
// barcodes a person sees on the labels.
func TestFixtureBarcodes(t *testing.T) {
	t.Parallel()
	visible := map[string]int{ // readable 1D barcodes on all pages, counted by eye
		"a4-label-top-left-forstok-5pages.pdf":         10,
		"a6-portrait-forstok-5pages.pdf":               10,
		"colissimo-asendia-104x150-ccitt-barcodes.pdf": 2,
		// Four are drawn; the source stamps "DO NOT PRINT – SAMPLE ONLY"
		// across two of them, so no scanner reads those.
		"dhl-99x200-portrait-2pages.pdf":           2,
		"fedex-letter-portrait-label-top-half.pdf": 1,
		"gls-italy-a5-portrait.pdf":                1,
		"mx-4x6-portrait-labelary.pdf":             1,
		"postnord-105x190-labelary.pdf":            2,
		"postnord-mypack-a4-label-top.pdf":         0, // the source draws its barcode as a solid block
		"za-4x6-bitmap-only-jspdf.pdf":             1,
	}
	names := make([]string, 0, len(visible))
	for n := range visible {
		names = append(names, n)
	}
	sort.Strings(names)
	labels := map[string][]byte{}
	for _, name := range names {
		src, err := os.ReadFile(filepath.Join(fixtures, name))
		if err != nil {
			t.Skipf("fixture: %v", err)
		}
		labels[name], _ = convert(t, src, label.Options{})
	}
	for _, dpi := range []float64{203, 300} {
		total, decoded := 0, 0
		for _, name := range names {
			n := 0
			for _, bm := range rasters(t, labels[name], dpi) {
				found := scanAll(bm.Image())
				n += len(found)
				if testing.Verbose() {
					t.Logf("  %v", found)
				}
			}
			t.Logf("%3.0f dpi %-46s decoded %2d of %2d", dpi, name, n, visible[name])
			total += visible[name]
			decoded += min(n, visible[name])
		}
		t.Logf("fixtures at %.0f dpi: %d of %d visible 1D barcodes decoded (%.0f%%)", dpi, decoded, total, 100*float64(decoded)/float64(total))
		if decoded*2 < total {
			t.Errorf("%.0f dpi: only %d of %d barcodes decode", dpi, decoded, total)
		}
	}
}
