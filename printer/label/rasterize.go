package label

import (
	"context"
	"errors"
	"fmt"

	"cnx-agent/printer/raster"
)

// Dots is the label size in printer dots at the maker's DPI: whole dots,
// rounded down so the image never overruns the print head.
func (m *Maker) Dots() (w, h int) {
	dots := func(mm float64) int { return int(mm/25.4*m.opts.DPI + 1e-6) } // 4 in × 203 is 812, not 811.99…
	return dots(m.opts.Size.W), dots(m.opts.Size.H)
}

// Rasters renders each page of a label PDF (as Convert writes it) straight
// onto the printer's dot grid, thresholds it, and hands the bitmaps to fn
// one at a time, so a long file never holds more than one label's dots.
func (m *Maker) Rasters(ctx context.Context, labels []byte, opts raster.Options, fn func(page int, bm *raster.Bitmap) error) error {
	if m.r == nil {
		return errors.New("rasterizing labels needs the PDF renderer")
	}
	doc, err := m.r.Open(labels)
	if err != nil {
		return err
	}
	defer doc.Close()
	w, h := m.Dots()
	for i := range doc.Pages() {
		if err := ctx.Err(); err != nil {
			return err
		}
		img, err := doc.Gray(i, w, h)
		if err != nil {
			return err
		}
		if img.Rect.Dx() != w || img.Rect.Dy() != h {
			return fmt.Errorf("label %d rendered at %v, want %d×%d dots", i+1, img.Rect.Size(), w, h)
		}
		if err := fn(i+1, raster.FromGray(img, opts)); err != nil {
			return err
		}
	}
	return nil
}
