package zpl

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"cnx-agent/internal/golden"
	"cnx-agent/printer/raster"
)

var gfa = regexp.MustCompile(`\^PW(\d+)\n\^LL(\d+)\n[\s\S]*\^GFA,(\d+),(\d+),(\d+),([^\^]*)\^FS`)

// decode is a ZPL ^GFA reader: the test's independent way back to dots.
func decode(t *testing.T, prog []byte) *raster.Bitmap {
	t.Helper()
	m := gfa.FindSubmatch(prog)
	if m == nil {
		t.Fatalf("no ^PW/^LL/^GFA in %q", prog)
	}
	w, _ := strconv.Atoi(string(m[1]))
	h, _ := strconv.Atoi(string(m[2]))
	total, _ := strconv.Atoi(string(m[3]))
	bpr, _ := strconv.Atoi(string(m[5]))
	data := string(m[6])
	var raw []byte
	switch {
	case strings.HasPrefix(data, ":Z64:"):
		parts := strings.Split(data, ":")
		enc, crc := parts[2], parts[3]
		if want := fmt.Sprintf("%04X", CRC16([]byte(enc))); crc != want {
			t.Fatalf("CRC %s, want %s", crc, want)
		}
		z, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := zlib.NewReader(bytes.NewReader(z))
		if err != nil {
			t.Fatal(err)
		}
		raw, _ = io.ReadAll(zr)
	default:
		raw = unACS(t, data, bpr)
	}
	if len(raw) != total || bpr*h != total || (w+7)/8 != bpr {
		t.Fatalf("sizes: %d bytes, total %d, %d per row, %d×%d", len(raw), total, bpr, w, h)
	}
	return &raster.Bitmap{W: w, H: h, Stride: bpr, Bits: raw}
}

// unACS expands ZPL ASCII compression (plain hex is its special case).
func unACS(t *testing.T, s string, bpr int) []byte {
	var out []byte
	var row []byte
	var prev []byte
	count := 0
	flush := func(fill byte) {
		for len(row) < 2*bpr {
			row = append(row, fill)
		}
		b, err := hex.DecodeString(string(row))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b...)
		prev, row = b, nil
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'G' && c <= 'Y':
			count += int(c-'G') + 1
		case c >= 'g' && c <= 'z':
			count += (int(c-'g') + 1) * 20
		case c == ',':
			flush('0')
		case c == '!':
			flush('F')
		case c == ':':
			out = append(out, prev...)
		default:
			n := max(count, 1)
			for range n {
				row = append(row, c)
			}
			count = 0
			if len(row) >= 2*bpr {
				flush('0')
			}
		}
	}
	return out
}

func TestEncode(t *testing.T) {
	bm := raster.Pattern(61, 40)
	for _, tt := range []struct {
		name string
		opts Options
	}{
		{"pattern-z64.zpl", Options{}},
		{"pattern-acs.zpl", Options{Compression: ACS, Copies: 2, Darkness: 20, Speed: 4}},
		{"pattern-hex.zpl", Options{Compression: Hex}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := Encode(bm, tt.opts)
			golden.Check(t, tt.name, got)
			if back := decode(t, got); !back.Equal(bm) {
				t.Error("round trip changed the dots")
			}
			if !bytes.HasPrefix(bytes.TrimPrefix(got, []byte("~SD20\n")), []byte("^XA")) || !bytes.HasSuffix(got, []byte("^XZ\n")) {
				t.Error("not one ^XA…^XZ format")
			}
		})
	}
	if got := Encode(bm, Options{Compression: ACS, Copies: 2, Darkness: 20, Speed: 4}); !bytes.Contains(got, []byte("^PQ2")) || !bytes.Contains(got, []byte("^PR4")) {
		t.Error("copies or speed missing")
	}
}

func TestRepeatCounts(t *testing.T) {
	for n, want := range map[int]string{1: "", 2: "H", 19: "Y", 20: "g", 21: "gG", 39: "gY", 40: "h", 400: "z", 419: "zY", 421: "zgG"} {
		if got := repeat(n); got != want {
			t.Errorf("repeat(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestCRC16(t *testing.T) {
	// CRC-16/XMODEM check value.
	if got := CRC16([]byte("123456789")); got != 0x31C3 {
		t.Errorf("got %04X, want 31C3", got)
	}
}
