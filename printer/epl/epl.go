// Package epl encodes a label bitmap as an EPL2 program (older Zebra
// desktop printers): N, q, Q, GW, P.
package epl

import (
	"bytes"
	"fmt"

	"cnx-agent/printer/raster"
)

// Options for one label.
type Options struct {
	GapDots int // Q gap between labels in dots, default 24 (3 mm at 203 dpi)
	Density int // D 0..15; 0 leaves it
	Speed   int // S 1..6; 0 leaves it
	Copies  int // default 1
}

// Encode returns an EPL2 program. In EPL2's GW a 0 bit prints a dot, so the
// bitmap is sent inverted.
func Encode(bm *raster.Bitmap, o Options) []byte {
	if o.GapDots == 0 {
		o.GapDots = 24
	}
	if o.Copies < 1 {
		o.Copies = 1
	}
	var b bytes.Buffer
	b.WriteString("\nN\n")
	fmt.Fprintf(&b, "q%d\n", bm.W)
	fmt.Fprintf(&b, "Q%d,%d\n", bm.H, o.GapDots)
	if o.Density > 0 {
		fmt.Fprintf(&b, "D%d\n", min(o.Density, 15))
	}
	if o.Speed > 0 {
		fmt.Fprintf(&b, "S%d\n", o.Speed)
	}
	fmt.Fprintf(&b, "GW0,0,%d,%d,", bm.Stride, bm.H)
	for _, c := range bm.Bits {
		b.WriteByte(^c)
	}
	b.WriteString("\n")
	fmt.Fprintf(&b, "P%d\n", o.Copies)
	return b.Bytes()
}
