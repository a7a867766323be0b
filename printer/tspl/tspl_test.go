package tspl

import (
	"bytes"
	"fmt"
	"testing"

	"cnx-agent/internal/golden"
	"cnx-agent/printer/raster"
)

// decode reads the BITMAP command back (0 bits print).
func decode(t *testing.T, prog []byte) *raster.Bitmap {
	t.Helper()
	i := bytes.Index(prog, []byte("BITMAP "))
	if i < 0 {
		t.Fatal("no BITMAP")
	}
	var x, y, wb, h, mode int
	if _, err := fmt.Sscanf(string(prog[i:]), "BITMAP %d,%d,%d,%d,%d,", &x, &y, &wb, &h, &mode); err != nil {
		t.Fatal(err)
	}
	start := i + bytes.IndexByte(prog[i:], ',')
	for range 4 {
		start += bytes.IndexByte(prog[start+1:], ',') + 1
	}
	data := prog[start+1 : start+1+wb*h]
	if string(prog[start+1+wb*h:start+3+wb*h]) != "\r\n" {
		t.Fatal("BITMAP data not followed by CRLF")
	}
	bm := &raster.Bitmap{W: wb * 8, H: h, Stride: wb, Bits: make([]byte, len(data))}
	for k, c := range data {
		bm.Bits[k] = ^c
	}
	return bm
}

func TestEncode(t *testing.T) {
	bm := raster.Pattern(64, 40) // whole bytes: TSPL's BITMAP has no width in dots
	got := Encode(bm, Options{WidthMM: 100, HeightMM: 150, Density: 8, Speed: 4, Copies: 3})
	golden.Check(t, "pattern.tspl", got)
	if back := decode(t, got); !back.Equal(bm) {
		t.Error("round trip changed the dots")
	}
	for _, want := range []string{"SIZE 100.0 mm,150.0 mm\r\n", "GAP 2.0 mm,0 mm\r\n", "DENSITY 8\r\n", "CLS\r\n", "PRINT 1,3\r\n"} {
		if !bytes.Contains(got, []byte(want)) {
			t.Errorf("missing %q", want)
		}
	}
}
