// Package tspl encodes a label bitmap as a TSPL program (TSC, Xprinter and
// many other label printers): SIZE, GAP, DENSITY, CLS, BITMAP, PRINT.
package tspl

import (
	"bytes"
	"fmt"

	"cnx-agent/printer/raster"
)

// Options for one label. Zero values leave the printer's settings alone.
type Options struct {
	WidthMM, HeightMM float64 // label size; default: from the bitmap at DPI
	DPI               float64 // default 203
	GapMM             float64 // gap between labels, default 2
	Density           int     // DENSITY 0..15; 0 leaves it
	Speed             int     // SPEED in inches a second; 0 leaves it
	Copies            int     // default 1
}

// Encode returns a TSPL program. In TSPL's BITMAP a 0 bit prints a dot, so
// the bitmap is sent inverted.
func Encode(bm *raster.Bitmap, o Options) []byte {
	if o.DPI == 0 {
		o.DPI = 203
	}
	if o.WidthMM == 0 {
		o.WidthMM = float64(bm.W) * 25.4 / o.DPI
	}
	if o.HeightMM == 0 {
		o.HeightMM = float64(bm.H) * 25.4 / o.DPI
	}
	if o.GapMM == 0 {
		o.GapMM = 2
	}
	if o.Copies < 1 {
		o.Copies = 1
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "SIZE %.1f mm,%.1f mm\r\n", o.WidthMM, o.HeightMM)
	fmt.Fprintf(&b, "GAP %.1f mm,0 mm\r\n", o.GapMM)
	if o.Density > 0 {
		fmt.Fprintf(&b, "DENSITY %d\r\n", min(o.Density, 15))
	}
	if o.Speed > 0 {
		fmt.Fprintf(&b, "SPEED %d\r\n", o.Speed)
	}
	b.WriteString("DIRECTION 1\r\nCLS\r\n")
	fmt.Fprintf(&b, "BITMAP 0,0,%d,%d,0,", bm.Stride, bm.H)
	for _, c := range bm.Bits {
		b.WriteByte(^c)
	}
	b.WriteString("\r\n")
	fmt.Fprintf(&b, "PRINT 1,%d\r\n", o.Copies)
	return b.Bytes()
}
