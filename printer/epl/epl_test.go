package epl

import (
	"bytes"
	"fmt"
	"testing"

	"cnx-agent/internal/golden"
	"cnx-agent/printer/raster"
)

// decode reads the GW command back (0 bits print).
func decode(t *testing.T, prog []byte) *raster.Bitmap {
	t.Helper()
	var q int
	if i := bytes.Index(prog, []byte("\nq")); i >= 0 {
		fmt.Sscanf(string(prog[i+1:]), "q%d", &q)
	}
	i := bytes.Index(prog, []byte("GW"))
	if i < 0 {
		t.Fatal("no GW")
	}
	var x, y, wb, h int
	if _, err := fmt.Sscanf(string(prog[i:]), "GW%d,%d,%d,%d,", &x, &y, &wb, &h); err != nil {
		t.Fatal(err)
	}
	start := i
	for range 4 {
		start += bytes.IndexByte(prog[start:], ',') + 1
	}
	data := prog[start : start+wb*h]
	bm := &raster.Bitmap{W: q, H: h, Stride: wb, Bits: make([]byte, len(data))}
	for k, c := range data {
		bm.Bits[k] = ^c
	}
	// Bits beyond the width are padding; clear them as raster.New would.
	for y := range h {
		for x := q; x < wb*8; x++ {
			bm.Bits[y*wb+x/8] &^= 0x80 >> (x % 8)
		}
	}
	return bm
}

func TestEncode(t *testing.T) {
	bm := raster.Pattern(61, 40)
	got := Encode(bm, Options{Copies: 2, Density: 10, Speed: 3})
	golden.Check(t, "pattern.epl", got)
	if back := decode(t, got); !back.Equal(bm) {
		t.Error("round trip changed the dots")
	}
	for _, want := range []string{"\nN\n", "q61\n", "Q40,24\n", "D10\n", "S3\n", "P2\n"} {
		if !bytes.Contains(got, []byte(want)) {
			t.Errorf("missing %q", want)
		}
	}
}
