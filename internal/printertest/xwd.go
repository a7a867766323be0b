package printertest

import (
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
)

// DecodeXWD reads an X window dump (`xwd -root`) of a 24/32-bit TrueColor
// screen, as Xvfb gives.
func DecodeXWD(b []byte) (*image.RGBA, error) {
	if len(b) < 100 {
		return nil, errors.New("xwd: short header")
	}
	h := make([]uint32, 25)
	for i := range h {
		h[i] = binary.BigEndian.Uint32(b[i*4:])
	}
	headerSize, width, height := h[0], h[4], h[5]
	byteOrder, bpp, bpl := h[7], h[11], h[12]
	redMask, greenMask, blueMask := h[14], h[15], h[16]
	ncolors := h[19]
	if bpp != 32 && bpp != 24 {
		return nil, fmt.Errorf("xwd: %d bits per pixel not supported", bpp)
	}
	off := int(headerSize) + int(ncolors)*12
	if len(b) < off+int(bpl*height) {
		return nil, errors.New("xwd: short pixel data")
	}
	shift := func(mask uint32) uint {
		s := uint(0)
		for mask != 0 && mask&1 == 0 {
			mask >>= 1
			s++
		}
		return s
	}
	rs, gs, bs := shift(redMask), shift(greenMask), shift(blueMask)
	img := image.NewRGBA(image.Rect(0, 0, int(width), int(height)))
	step := int(bpp / 8)
	for y := 0; y < int(height); y++ {
		row := b[off+y*int(bpl):]
		for x := 0; x < int(width); x++ {
			p := row[x*step : x*step+step]
			var v uint32
			if byteOrder == 0 { // LSBFirst
				for i := step - 1; i >= 0; i-- {
					v = v<<8 | uint32(p[i])
				}
			} else {
				for i := 0; i < step; i++ {
					v = v<<8 | uint32(p[i])
				}
			}
			img.SetRGBA(x, y, color.RGBA{uint8((v & redMask) >> rs), uint8((v & greenMask) >> gs), uint8((v & blueMask) >> bs), 255})
		}
	}
	return img, nil
}
