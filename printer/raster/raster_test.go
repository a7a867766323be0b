package raster

import (
	"image"
	"testing"
)

func TestThreshold(t *testing.T) {
	t.Parallel()
	img := image.NewGray(image.Rect(0, 0, 10, 1))
	copy(img.Pix, []uint8{0, 40, 127, 128, 200, 255, 90, 160, 10, 250})
	tests := []struct {
		th   uint8
		want string
	}{
		{0, "###...#.#."}, // default 128
		{161, "####..###."},
	}
	for _, tt := range tests {
		bm := FromGray(img, Options{Threshold: tt.th})
		got := ""
		for x := range 10 {
			if bm.At(x, 0) {
				got += "#"
			} else {
				got += "."
			}
		}
		if got != tt.want {
			t.Errorf("threshold %d: got %s, want %s", tt.th, got, tt.want)
		}
	}
}

func TestDitherOnlyPhotos(t *testing.T) {
	t.Parallel()
	// Left half: a flat mid-gray "photo"; right half: black bars on white.
	img := image.NewGray(image.Rect(0, 0, 64, 32))
	for y := range 32 {
		for x := range 64 {
			g := uint8(140)
			if x >= 32 {
				g = 255
				if (x/2)%2 == 0 {
					g = 0
				}
			}
			img.Pix[y*img.Stride+x] = g
		}
	}
	plain := FromGray(img, Options{})
	dith := FromGray(img, Options{Dither: true})
	photoBlack := 0
	for y := range 32 {
		for x := range 32 {
			if dith.At(x, y) {
				photoBlack++
			}
			if plain.At(x, y) {
				t.Fatal("threshold printed a light gray")
			}
		}
		for x := 32; x < 64; x++ {
			if dith.At(x, y) != plain.At(x, y) {
				t.Fatalf("line art changed by dithering at %d,%d", x, y)
			}
		}
	}
	if photoBlack < 32*32/4 || photoBlack > 32*32*3/4 {
		t.Errorf("dithered mid-gray has %d of %d dots black", photoBlack, 32*32)
	}
}

func TestPatternAndImage(t *testing.T) {
	t.Parallel()
	b := Pattern(61, 40)
	if b.Stride != 8 || !b.At(0, 0) || b.At(30, 15) {
		t.Fatalf("pattern %v", b)
	}
	back := FromGray(b.Image(), Options{})
	if !back.Equal(b) {
		t.Error("Image → FromGray changed the dots")
	}
}
