// Package raster holds 1-bit label bitmaps: thresholded from a render
// (line art and barcodes stay sharp), 1D barcodes redrawn with modules of
// whole dots, and optional ordered dithering limited to photo-like areas.
package raster

import (
	"fmt"
	"image"
)

// Bitmap is a 1-bit image, rows packed MSB first, 1 = black (a printed
// dot). Rows are padded to whole bytes.
type Bitmap struct {
	W, H   int
	Stride int // bytes per row: (W+7)/8
	Bits   []byte
}

// New returns a white bitmap.
func New(w, h int) *Bitmap {
	stride := (w + 7) / 8
	return &Bitmap{W: w, H: h, Stride: stride, Bits: make([]byte, stride*h)}
}

// At reports whether the dot at x, y is black.
func (b *Bitmap) At(x, y int) bool {
	return b.Bits[y*b.Stride+x/8]&(0x80>>(x%8)) != 0
}

// Set makes the dot at x, y black or white.
func (b *Bitmap) Set(x, y int, black bool) {
	i, mask := y*b.Stride+x/8, byte(0x80>>(x%8))
	if black {
		b.Bits[i] |= mask
	} else {
		b.Bits[i] &^= mask
	}
}

// Row returns row y's bytes.
func (b *Bitmap) Row(y int) []byte { return b.Bits[y*b.Stride : (y+1)*b.Stride] }

// Equal reports whether two bitmaps have the same size and dots.
func (b *Bitmap) Equal(o *Bitmap) bool {
	if b.W != o.W || b.H != o.H {
		return false
	}
	for y := range b.H {
		for x := range b.W {
			if b.At(x, y) != o.At(x, y) {
				return false
			}
		}
	}
	return true
}

// Black counts black dots.
func (b *Bitmap) Black() int {
	n := 0
	for y := range b.H {
		for x := range b.W {
			if b.At(x, y) {
				n++
			}
		}
	}
	return n
}

// Image returns the bitmap as a gray image (for PNG previews and barcode
// decoding).
func (b *Bitmap) Image() *image.Gray {
	img := image.NewGray(image.Rect(0, 0, b.W, b.H))
	for y := range b.H {
		for x := range b.W {
			c := uint8(255)
			if b.At(x, y) {
				c = 0
			}
			img.Pix[y*img.Stride+x] = c
		}
	}
	return img
}

// Options control thresholding.
type Options struct {
	// Threshold: gray levels below it print (default 128). Anti-aliased
	// edges then round to the nearest dot, so bar widths stay true.
	Threshold uint8
	// Dither areas that look like photographs (mostly mid-grays) with an
	// ordered 4×4 pattern; text, lines and barcodes are never dithered.
	Dither bool
	// NoSnap leaves 1D barcodes as thresholded instead of redrawing them
	// with every module a whole number of dots.
	NoSnap bool
}

// bayer4 is the 4×4 ordered-dither matrix, scaled to 0..255.
var bayer4 = [4][4]uint8{{8, 136, 40, 168}, {200, 72, 232, 104}, {56, 184, 24, 152}, {248, 120, 216, 88}}

const tile = 8 // photo detection works on 8×8 tiles

// FromGray turns a rendered page into dots.
func FromGray(img *image.Gray, opts Options) *Bitmap {
	if opts.Threshold == 0 {
		opts.Threshold = 128
	}
	r := img.Bounds()
	b := New(r.Dx(), r.Dy())
	for y := range b.H {
		row := img.Pix[(y)*img.Stride:]
		out := b.Row(y)
		for x := range b.W {
			if row[x] < opts.Threshold {
				out[x/8] |= 0x80 >> (x % 8)
			}
		}
	}
	if opts.Dither {
		ditherPhotos(img, b)
	}
	if !opts.NoSnap {
		snapBarcodes(img, b, opts.Threshold)
	}
	return b
}

// ditherPhotos re-does, with ordered dithering, the tiles where most
// pixels are mid-gray: photographs and shaded logos, not line art.
func ditherPhotos(img *image.Gray, b *Bitmap) {
	for ty := 0; ty < b.H; ty += tile {
		for tx := 0; tx < b.W; tx += tile {
			mid, n := 0, 0
			for y := ty; y < min(ty+tile, b.H); y++ {
				for x := tx; x < min(tx+tile, b.W); x++ {
					g := img.Pix[y*img.Stride+x]
					if g > 48 && g < 208 {
						mid++
					}
					n++
				}
			}
			if mid*2 < n {
				continue
			}
			for y := ty; y < min(ty+tile, b.H); y++ {
				for x := tx; x < min(tx+tile, b.W); x++ {
					b.Set(x, y, img.Pix[y*img.Stride+x] < bayer4[y%4][x%4])
				}
			}
		}
	}
}

// String describes the bitmap.
func (b *Bitmap) String() string { return fmt.Sprintf("%d×%d dots", b.W, b.H) }
