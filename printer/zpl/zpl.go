// Package zpl encodes a label bitmap as a ZPL II program for Zebra and
// compatible printers: ^GFA graphic field, compressed as :Z64: (zlib +
// base64 + CRC) or with ZPL's own ASCII run-length compression.
package zpl

import (
	"bytes"
	"compress/zlib"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"

	"cnx-agent/printer/raster"
)

// Compression of the graphic field.
type Compression string

const (
	Z64 Compression = "z64" // zlib + base64 with CRC (default; smallest)
	ACS Compression = "acs" // ZPL's ASCII run-length compression
	Hex Compression = "hex" // plain hexadecimal
)

// Options for one label. Zero values leave the printer's settings alone.
type Options struct {
	Copies      int         // ^PQ, default 1
	Darkness    int         // ~SD 1..30; 0 leaves it
	Speed       int         // ^PR in inches a second (2..14); 0 leaves it
	Compression Compression // default Z64
}

// Encode returns a complete ZPL program printing bm once per copy.
func Encode(bm *raster.Bitmap, o Options) []byte {
	if o.Copies < 1 {
		o.Copies = 1
	}
	var b bytes.Buffer
	if o.Darkness > 0 {
		fmt.Fprintf(&b, "~SD%02d\n", min(o.Darkness, 30))
	}
	b.WriteString("^XA\n")
	fmt.Fprintf(&b, "^PW%d\n^LL%d\n^LH0,0\n", bm.W, bm.H)
	if o.Speed > 0 {
		fmt.Fprintf(&b, "^PR%d\n", o.Speed)
	}
	total := bm.Stride * bm.H
	fmt.Fprintf(&b, "^FO0,0^GFA,%d,%d,%d,", total, total, bm.Stride)
	switch o.Compression {
	case ACS:
		b.WriteString(acs(bm))
	case Hex:
		b.WriteString(strings.ToUpper(hex.EncodeToString(bm.Bits)))
	default:
		b.WriteString(z64(bm.Bits))
	}
	b.WriteString("^FS\n")
	fmt.Fprintf(&b, "^PQ%d\n^XZ\n", o.Copies)
	return b.Bytes()
}

// z64 is ":Z64:" + base64(zlib(data)) + ":" + CRC-16/XMODEM of the base64
// text, four hex digits.
func z64(data []byte) string {
	var zb bytes.Buffer
	zw, _ := zlib.NewWriterLevel(&zb, zlib.BestCompression)
	_, _ = zw.Write(data)
	_ = zw.Close()
	enc := base64.StdEncoding.EncodeToString(zb.Bytes())
	return fmt.Sprintf(":Z64:%s:%04X", enc, CRC16([]byte(enc)))
}

// CRC16 is CRC-16/XMODEM (polynomial 0x1021, initial value 0), which ZPL
// uses for :Z64: and :B64: data.
func CRC16(b []byte) uint16 {
	var crc uint16
	for _, c := range b {
		crc ^= uint16(c) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// acs writes each row as hex with runs folded into ZPL repeat counts: G..Y
// are 1..19, g..z are 20..400 in twenties; "," ends a row of zeros, "!" a
// row of ones, ":" repeats the row above.
func acs(bm *raster.Bitmap) string {
	var b strings.Builder
	var prev string
	for y := range bm.H {
		row := strings.ToUpper(hex.EncodeToString(bm.Row(y)))
		if y > 0 && row == prev {
			b.WriteByte(':')
			continue
		}
		prev = row
		end := len(row)
		for end > 0 && row[end-1] == '0' {
			end--
		}
		trailing := len(row) - end
		for i := 0; i < end; {
			j := i
			for j < end && row[j] == row[i] {
				j++
			}
			b.WriteString(repeat(j - i))
			b.WriteByte(row[i])
			i = j
		}
		if trailing > 0 {
			b.WriteByte(',')
		}
	}
	return b.String()
}

// repeat encodes a run length (1 writes nothing).
func repeat(n int) string {
	if n == 1 {
		return ""
	}
	var s strings.Builder
	for n >= 400 {
		s.WriteByte('z')
		n -= 400
	}
	if n >= 20 {
		s.WriteByte(byte('g' + n/20 - 1))
		n %= 20
	}
	if n > 0 {
		s.WriteByte(byte('G' + n - 1))
	}
	return s.String()
}
