package escpos

import (
	"bytes"
	"testing"

	"cnx-agent/internal/golden"
	"cnx-agent/printer/raster"
)

// decode reads GS v 0 bands back into one bitmap (the first copy).
func decode(t *testing.T, prog []byte, width int) *raster.Bitmap {
	t.Helper()
	if !bytes.HasPrefix(prog, []byte{0x1B, '@'}) {
		t.Fatal("no ESC @")
	}
	p := prog[2:]
	var bits []byte
	stride, h := 0, 0
	for len(p) >= 8 && bytes.HasPrefix(p, []byte{0x1D, 'v', '0'}) {
		xb := int(p[4]) | int(p[5])<<8
		yd := int(p[6]) | int(p[7])<<8
		stride = xb
		bits = append(bits, p[8:8+xb*yd]...)
		h += yd
		p = p[8+xb*yd:]
		if bytes.HasPrefix(p, []byte{0x1D, 'V'}) {
			break
		}
	}
	return &raster.Bitmap{W: width, H: h, Stride: stride, Bits: bits}
}

func TestEncode(t *testing.T) {
	bm := raster.Pattern(61, 300) // taller than one band
	got := Encode(bm, Options{Cut: true})
	golden.Check(t, "pattern.escpos", got)
	if back := decode(t, got, 61); !back.Equal(bm) {
		t.Error("round trip changed the dots")
	}
	if bytes.Count(got, []byte{0x1D, 'v', '0'}) != 2 || !bytes.HasSuffix(got, []byte{0x1D, 'V', 66, 0}) {
		t.Error("want two bands and a cut")
	}
}
