// Package escpos encodes a label bitmap as ESC/POS raster graphics (GS v 0)
// for receipt-style label printers.
package escpos

import (
	"bytes"

	"cnx-agent/printer/raster"
)

// Options for one label.
type Options struct {
	Copies int  // default 1
	Cut    bool // GS V 66 0: feed and cut after each copy
}

// bandRows is the height of one GS v 0 block; many printers cap a raster
// image's height, so a label is sent in bands.
const bandRows = 256

// Encode returns ESC @, the bitmap in GS v 0 bands (1 bits print), per copy.
func Encode(bm *raster.Bitmap, o Options) []byte {
	if o.Copies < 1 {
		o.Copies = 1
	}
	var b bytes.Buffer
	b.Write([]byte{0x1B, '@'})
	for range o.Copies {
		for y0 := 0; y0 < bm.H; y0 += bandRows {
			h := min(bandRows, bm.H-y0)
			b.Write([]byte{0x1D, 'v', '0', 0,
				byte(bm.Stride), byte(bm.Stride >> 8), byte(h), byte(h >> 8)})
			b.Write(bm.Bits[y0*bm.Stride : (y0+h)*bm.Stride])
		}
		if o.Cut {
			b.Write([]byte{0x1D, 'V', 66, 0})
		}
	}
	return b.Bytes()
}
