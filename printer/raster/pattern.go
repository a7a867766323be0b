package raster

// Pattern returns a deterministic bitmap with the features encoders must
// keep: bars one to four dots wide, a border, a diagonal, a solid block and
// blank rows (which ZPL compression folds). Encoder golden files use it.
func Pattern(w, h int) *Bitmap {
	b := New(w, h)
	for y := range h {
		for x := range w {
			var black bool
			switch {
			case x == 0 || y == 0 || x == w-1 || y == h-1:
				black = true
			case y >= h/3 && y < h/2: // blank band
			case y < h/3:
				black = (x/((x%4)+1))%2 == 0 // bars of varying width
			default:
				black = x == y || (x > w*3/4 && y > h*3/4)
			}
			b.Set(x, y, black)
		}
	}
	return b
}
