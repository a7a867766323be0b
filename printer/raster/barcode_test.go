package raster

import (
	"image"
	"math"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	"github.com/makiuchi-d/gozxing/oned"
)

// code128 returns the modules of a Code 128 symbol, true for a bar.
func code128(t *testing.T, text string) []bool {
	t.Helper()
	m, err := oned.NewCode128Writer().Encode(text, gozxing.BarcodeFormat_CODE_128, 0, 1,
		map[gozxing.EncodeHintType]any{gozxing.EncodeHintType_MARGIN: 0})
	if err != nil {
		t.Fatal(err)
	}
	mods := make([]bool, m.GetWidth())
	for x := range mods {
		mods[x] = m.Get(x, 0)
	}
	return mods
}

// page is a white gray page.
func page(w, h int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = 255
	}
	return img
}

// drawBars draws elements (bar widths in dots, alternating bar and space,
// fractional) from x0 on lines y0..y1 the way an anti-aliasing renderer
// does: each dot as gray as the share of it covered. turned draws them
// lying down (x and y swapped).
func drawBars(img *image.Gray, widths []float64, x0 float64, y0, y1 int, turned bool) {
	pos := x0
	for i, w := range widths {
		if i%2 == 0 {
			for d := int(math.Floor(pos)); float64(d) < pos+w; d++ {
				cover := math.Min(float64(d+1), pos+w) - math.Max(float64(d), pos)
				for y := y0; y < y1; y++ {
					px, py := d, y
					if turned {
						px, py = y, d
					}
					i := py*img.Stride + px
					img.Pix[i] = uint8(math.Max(0, float64(img.Pix[i])-255*cover))
				}
			}
		}
		pos += w
	}
}

// elements turns modules into run widths of x dots each.
func elements(mods []bool, x float64) []float64 {
	var out []float64
	for i, m := range mods {
		if i == 0 || m != mods[i-1] {
			out = append(out, 0)
		}
		out[len(out)-1] += x
	}
	return out
}

// runs returns the dark and light run lengths of a bitmap line from its
// first dark dot to its last.
func runs(b *Bitmap, line int, turned bool) []int {
	at := func(p int) bool {
		if turned {
			return b.At(line, p)
		}
		return b.At(p, line)
	}
	n := b.W
	if turned {
		n = b.H
	}
	var out []int
	first, last := -1, -1
	for p := range n {
		if at(p) {
			if first < 0 {
				first = p
			}
			last = p
		}
	}
	for p := first; p <= last && first >= 0; p++ {
		if p == first || at(p) != at(p-1) {
			out = append(out, 0)
		}
		out[len(out)-1]++
	}
	return out
}

func decodes(b *Bitmap) (string, error) {
	bmp, err := gozxing.NewBinaryBitmapFromImage(b.Image())
	if err != nil {
		return "", err
	}
	res, err := oned.NewCode128Reader().Decode(bmp, nil)
	if err != nil {
		return "", err
	}
	return res.GetText(), nil
}

func TestSnapBarcodes(t *testing.T) {
	t.Parallel()
	const text = "TEST00000001"
	mods := code128(t, text)
	tests := []struct {
		name    string
		x, x0   float64 // module and first bar's edge, in dots
		turned  bool
		blockAt int // a black block this many dots right of the symbol, in its quiet zone (0: none)
		wantD   int
	}{
		{"1.5 dots up to 2", 1.5, 200.3, false, 0, 2},
		{"1.3 dots up to 2", 1.3, 180.7, false, 0, 2},
		{"2.2 dots down to 2", 2.2, 150.5, false, 0, 2},
		{"whole dots stay", 2, 150, false, 0, 2},
		{"3.6 dots up to 4", 3.6, 150.25, false, 0, 4},
		{"6.5 dots up to 7: wide spaces stay inside the symbol", 6.5, 200.4, false, 0, 7},
		{"lying down", 1.5, 200.3, true, 0, 2},
		{"no room to grow: down to 1", 1.5, 200.3, false, 18, 1},
		{"no quiet zone to grow into: down to 1", 1.5, 12.6, false, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w, h := 1400, 120
			if tt.turned {
				w, h = h, w
			}
			img := page(w, h)
			els := elements(mods, tt.x)
			drawBars(img, els, tt.x0, 20, 100, tt.turned)
			end := tt.x0 + tt.x*float64(len(mods))
			if tt.blockAt > 0 {
				drawBars(img, []float64{6}, math.Ceil(end)+float64(tt.blockAt), 20, 100, tt.turned)
			}
			before := FromGray(img, Options{NoSnap: true})
			after := FromGray(img, Options{})

			var want []int
			for _, e := range els {
				want = append(want, int(math.Round(e/tt.x))*tt.wantD)
			}
			for _, line := range []int{21, 60, 98} {
				got := runs(after, line, tt.turned)
				if tt.blockAt > 0 {
					got = got[:len(got)-2] // the block and the gap before it
				}
				if !equalInts(got, want) {
					t.Fatalf("line %d: runs %v, want every module %d dots: %v", line, got, tt.wantD, want)
				}
			}
			if !tt.turned {
				c0 := (tt.x0 + end) / 2
				first := -1
				for x := range w {
					if after.At(x, 60) {
						first = x
						break
					}
				}
				if c := float64(first) + float64(len(mods)*tt.wantD)/2; math.Abs(c-c0) > 1 {
					t.Errorf("symbol center moved from %.1f to %.1f", c0, c)
				}
				if got, err := decodes(after); got != text {
					t.Errorf("snapped symbol decodes as %q, %v", got, err)
				}
			}
			if after.Equal(before) && tt.x != 2 {
				t.Error("nothing was snapped")
			}
		})
	}
}

// TestSnapLeavesOthers: what is not a clean 1D barcode stays as
// thresholded.
func TestSnapLeavesOthers(t *testing.T) {
	t.Parallel()
	mods := code128(t, "TEST00000001")
	tests := []struct {
		name string
		draw func(img *image.Gray)
	}{
		{"two widths 2.3:1 (a Code 39 ratio)", func(img *image.Gray) {
			var els []float64
			for i := range 60 {
				els = append(els, []float64{1.5, 3.45}[i*7%3%2])
			}
			drawBars(img, els, 40.3, 20, 100, false)
		}},
		{"cut by a stripe drawn across", func(img *image.Gray) {
			drawBars(img, elements(mods, 1.5), 40.3, 20, 100, false)
			for y := 20; y < 60; y++ { // a slanted stamp over the top half
				for x := 100 + 2*y; x < 140+2*y; x++ {
					img.Pix[y*img.Stride+x] = 0
				}
			}
		}},
		{"bars running into a block (no quiet zone)", func(img *image.Gray) {
			drawBars(img, elements(mods, 1.5), 100.3, 20, 100, false)
			drawBars(img, []float64{60}, 100.3+1.5*float64(len(mods))+3, 20, 100, false)
		}},
		{"short bars (a 2D code's row)", func(img *image.Gray) {
			drawBars(img, elements(mods, 1.5), 40.3, 20, 30, false)
		}},
		{"text", func(img *image.Gray) {
			for i, r := range strings.Repeat("IlI1 ", 12) {
				if r != ' ' {
					drawBars(img, []float64{1.6}, 40.3+float64(i)*4.1, 20+i%3, 40+i%5, false)
				}
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			img := page(640, 120)
			tt.draw(img)
			if !FromGray(img, Options{}).Equal(FromGray(img, Options{NoSnap: true})) {
				t.Error("redrawn, want left as thresholded")
			}
		})
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// FuzzSnap: snapping never panics, whatever the page holds; the seeds are
// anti-aliased barcodes near the page's edges.
func FuzzSnap(f *testing.F) {
	f.Add(uint16(200), uint16(40), 1.5, 3.3, []byte("TEST00000001"))
	f.Add(uint16(90), uint16(20), 2.2, 0.0, []byte("1"))
	f.Add(uint16(300), uint16(30), 0.7, 1.0, []byte("ABCDEFGHIJKLMNOP"))
	f.Fuzz(func(t *testing.T, w, h uint16, x, x0 float64, text []byte) {
		if w == 0 || h == 0 || w > 600 || h > 200 || !(x > 0.3 && x < 12) || !(x0 >= 0 && x0 < 600) || len(text) == 0 || len(text) > 40 {
			t.Skip()
		}
		m, err := oned.NewCode128Writer().Encode(string(text), gozxing.BarcodeFormat_CODE_128, 0, 1,
			map[gozxing.EncodeHintType]any{gozxing.EncodeHintType_MARGIN: 0})
		if err != nil {
			t.Skip()
		}
		mods := make([]bool, m.GetWidth())
		for i := range mods {
			mods[i] = m.Get(i, 0)
		}
		img := page(int(w), int(h))
		els := elements(mods, x)
		// Clip the symbol to the page, as a crop would.
		var clipped []float64
		pos := x0
		for _, e := range els {
			if pos+e >= float64(w) {
				break
			}
			clipped = append(clipped, e)
			pos += e
		}
		drawBars(img, clipped, x0, int(h)/4, int(h)-int(h)/4, false)
		for _, turned := range []bool{false, true} {
			if turned {
				img = transpose(img)
			}
			FromGray(img, Options{})
		}
	})
}

func transpose(src *image.Gray) *image.Gray {
	b := src.Bounds()
	dst := image.NewGray(image.Rect(0, 0, b.Dy(), b.Dx()))
	for y := range b.Dy() {
		for x := range b.Dx() {
			dst.Pix[x*dst.Stride+y] = src.Pix[y*src.Stride+x]
		}
	}
	return dst
}

// FuzzSnapPixels: snapping never panics on any gray page, here pages made
// of stripes whose widths and grays come from the input.
func FuzzSnapPixels(f *testing.F) {
	f.Add(uint8(64), []byte{0, 3, 255, 2, 0, 1, 255, 4, 128, 2, 0, 2, 255, 1})
	f.Fuzz(func(t *testing.T, h uint8, stripes []byte) {
		if h < 2 || len(stripes) < 2 {
			t.Skip()
		}
		var row []byte
		for i := 0; i+1 < len(stripes) && len(row) < 800; i += 2 {
			for range int(stripes[i+1]%30) + 1 {
				row = append(row, stripes[i])
			}
		}
		img := image.NewGray(image.Rect(0, 0, len(row), int(h)))
		for y := range int(h) {
			copy(img.Pix[y*img.Stride:], row)
		}
		FromGray(img, Options{})
		FromGray(transpose(img), Options{})
	})
}
