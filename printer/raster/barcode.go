package raster

import (
	"image"
	"math"
)

// Barcode snapping. A PDF barcode scaled to fit the label rarely has a
// module that is a whole number of printer dots: at 203 dpi a 0.19 mm
// module is 1.5 dots, and thresholding then rounds each edge on its own,
// so bars of one module come out one or two dots wide and the scanner sees
// the wrong widths. snapBarcodes finds 1D barcodes in the rendered page,
// measures their bars to a fraction of a dot from the anti-aliased gray
// levels, works out the module width and each bar's and space's number of
// modules, and redraws the symbol with every module the same whole number
// of dots, centered where it was. Symbols whose widths are not whole
// multiples of one module (a Code 39 with a 2.3:1 ratio; 2.5:1 is, in
// half-narrow modules), that something is drawn across, or that would not
// fit are left as thresholded.

const (
	maxElement = 40 // dots: the widest bar or space of a symbol (4 modules of 10 dots)
	minBars    = 12 // bars in a row before it may be a barcode
	minLines   = 16 // lines a pattern must hold, near enough unchanged
)

// plane is a gray page seen along rows (bars standing up) or along columns
// (bars lying down, on a turned label), with the bitmap to redraw in.
type plane struct {
	pix           []byte // gray, line after line
	lines, length int
	b             *Bitmap
	turned        bool // lines are the page's columns
	th            uint8
}

func (p *plane) line(l int) []byte { return p.pix[l*p.length : (l+1)*p.length] }

func (p *plane) set(l, pos int, black bool) {
	if p.turned {
		p.b.Set(l, pos, black)
	} else {
		p.b.Set(pos, l, black)
	}
}

func (p *plane) dark(l, pos int) bool {
	if p.turned {
		return p.b.At(l, pos)
	}
	return p.b.At(pos, l)
}

// planes returns the page along rows and along columns.
func planes(img *image.Gray, b *Bitmap, th uint8) [2]*plane {
	w, h := b.W, b.H
	rows := img.Pix
	if img.Stride != w {
		rows = make([]byte, w*h)
	}
	cols := make([]byte, w*h)
	for y := range h {
		src := img.Pix[y*img.Stride : y*img.Stride+w]
		if img.Stride != w {
			copy(rows[y*w:], src)
		}
		for x, g := range src {
			cols[x*h+y] = g
		}
	}
	return [2]*plane{
		{pix: rows, lines: h, length: w, b: b, th: th},
		{pix: cols, lines: w, length: h, b: b, turned: true, th: th},
	}
}

// snapBarcodes redraws the 1D barcodes of img in b on whole dots.
func snapBarcodes(img *image.Gray, b *Bitmap, th uint8) {
	for _, p := range planes(img, b, th) {
		for _, r := range p.regions() {
			p.snap(r)
		}
	}
}

// seq is a run of bars in one line: bars are [edges[2i], edges[2i+1]).
type seq struct{ edges []int }

func (s seq) start() int { return s.edges[0] }
func (s seq) end() int   { return s.edges[len(s.edges)-1] }

// seqs finds the runs of at least minBars narrow bars with narrow gaps and
// a quiet zone either side. A gap wider than six of the thinnest bar so
// far ends a run: spaces inside a symbol are at most four modules, the
// quiet zone around it ten. A run that ends at anything else (a bar too
// wide, the edge of the line) is a piece of something, not a symbol.
func (p *plane) seqs(line []byte) []seq {
	var out []seq
	var cur []int
	thinnest := 0
	quiet := func() int { return max(8, 6*thinnest) }
	// flush keeps the run if it has bars enough and white for a quiet
	// zone before it and up to next (the next dark dot, or the line's end).
	flush := func(next int) {
		if len(cur) >= 2*minBars && next-cur[len(cur)-1] > quiet() && p.whiteBefore(line, cur[0], quiet()) {
			out = append(out, seq{edges: append([]int(nil), cur...)})
		}
		cur, thinnest = cur[:0], 0
	}
	for x := 0; x < len(line); {
		if line[x] >= p.th {
			x++
			continue
		}
		s := x
		for x < len(line) && line[x] < p.th {
			x++
		}
		if x-s > maxElement {
			flush(s)
			continue
		}
		if len(cur) > 0 && s-cur[len(cur)-1] > quiet() {
			flush(s)
		}
		cur = append(cur, s, x)
		if thinnest == 0 || x-s < thinnest {
			thinnest = x - s
		}
	}
	flush(len(line))
	return out
}

// whiteBefore reports whether the n dots before x are white and inside
// the line.
func (p *plane) whiteBefore(line []byte, x, n int) bool {
	if x-n < 0 {
		return false
	}
	for i := x - n; i < x; i++ {
		if line[i] < p.th {
			return false
		}
	}
	return true
}

// region is a barcode candidate: lines first..last hold one pattern.
type region struct {
	first, last int
	lastSeq     seq // the pattern in the last line
	start, end  int // the widest extent over the lines
	bars        int
}

// regions follows each run of bars down the lines while its edges move by
// at most a dot from line to line.
func (p *plane) regions() []region {
	var open, done []region
	for l := range p.lines {
		ss := p.seqs(p.line(l))
		used := make([]bool, len(ss))
		next := open[:0:0]
		for _, r := range open {
			matched := false
			for i, s := range ss {
				if !used[i] && sameBars(r.lastSeq, s) {
					used[i], matched = true, true
					r.last, r.lastSeq = l, s
					r.start, r.end = min(r.start, s.start()), max(r.end, s.end())
					next = append(next, r)
					break
				}
			}
			if !matched && r.last-r.first+1 >= minLines {
				done = append(done, r)
			}
		}
		for i, s := range ss {
			if !used[i] {
				next = append(next, region{first: l, last: l, lastSeq: s, start: s.start(), end: s.end(), bars: len(s.edges) / 2})
			}
		}
		open = next
	}
	for _, r := range open {
		if r.last-r.first+1 >= minLines {
			done = append(done, r)
		}
	}
	return done
}

func sameBars(a, b seq) bool {
	if len(a.edges) != len(b.edges) {
		return false
	}
	for i := range a.edges {
		if d := a.edges[i] - b.edges[i]; d < -1 || d > 1 {
			return false
		}
	}
	return true
}

// measure averages the region's inner lines and returns each bar's left
// and right edge to a fraction of a dot: the darkness between two dots
// that lie in the spaces either side is the bar's width (anti-aliasing
// gives each dot its covered share), and its first moment the bar's
// center.
func (p *plane) measure(r region) (left, right []float64, ok bool) {
	a, z := max(r.start-2, 0), min(r.end+2, p.length)
	prof := make([]float64, z-a)
	n := 0
	for l := r.first + 1; l < r.last; l++ {
		line := p.line(l)
		for x := a; x < z; x++ {
			prof[x-a] += 1 - float64(line[x])/255
		}
		n++
	}
	for i := range prof {
		prof[i] /= float64(n)
	}
	var bars [][2]int // dark runs of the mean profile
	for x := 0; x < len(prof); {
		if prof[x] < 0.5 {
			x++
			continue
		}
		s := x
		for x < len(prof) && prof[x] >= 0.5 {
			x++
		}
		bars = append(bars, [2]int{s, x})
	}
	if len(bars) != r.bars {
		return nil, nil, false
	}
	bound := make([]int, len(bars)+1)
	bound[0] = max(bars[0][0]-1, 0)
	for k := 1; k < len(bars); k++ {
		bound[k] = (bars[k-1][1] + bars[k][0]) / 2
	}
	bound[len(bars)] = min(bars[len(bars)-1][1]+1, len(prof))
	for k := range bars {
		var w, m float64
		for x := bound[k]; x < bound[k+1]; x++ {
			w += prof[x]
			m += (float64(x) + 0.5) * prof[x]
		}
		if w == 0 {
			return nil, nil, false
		}
		c := m / w
		left = append(left, float64(a)+c-w/2)
		right = append(right, float64(a)+c+w/2)
	}
	return left, right, true
}

// modules finds the module width that makes every bar and space a whole
// number of modules, and those numbers; ok is false when none fits. The
// widest module that fits cleanly wins: half of it fits as well.
func modules(widths []float64, total float64) (counts []int, ok bool) {
	best, bestErr := 0, math.Inf(1)
	for n := len(widths); n <= 5*len(widths); n++ {
		x := total / float64(n)
		var sum, worst float64
		mods := 0
		for _, w := range widths {
			k := math.Max(1, math.Round(w/x))
			d := math.Abs(w/x - k)
			sum, worst, mods = sum+d, math.Max(worst, d), mods+int(k)
		}
		if mods != n {
			continue // the rounded widths must add up to the symbol
		}
		e := sum / float64(len(widths))
		if worst < 0.4 && e < bestErr {
			best, bestErr = n, e
		}
		if worst < 0.3 && e < 0.08 {
			break
		}
	}
	if best == 0 || bestErr > 0.15 {
		return nil, false
	}
	x := total / float64(best)
	counts = make([]int, len(widths))
	sum := 0
	for i, w := range widths {
		counts[i] = int(math.Max(1, math.Round(w/x)))
		sum += counts[i]
	}
	return counts, sum == best
}

// snap redraws one region on whole dots, if it measures as a barcode and
// the redrawn symbol fits in white space.
func (p *plane) snap(r region) {
	if p.continues(r, r.first-1) || p.continues(r, r.last+1) {
		return // cut by something drawn across it: redrawing part would split it
	}
	left, right, ok := p.measure(r)
	if !ok {
		return
	}
	var widths []float64
	for k := range left {
		if k > 0 {
			widths = append(widths, left[k]-right[k-1])
		}
		widths = append(widths, right[k]-left[k])
	}
	total := right[len(right)-1] - left[0]
	counts, ok := modules(widths, total)
	if !ok {
		return
	}
	n := 0
	for _, c := range counts {
		n += c
	}
	x := total / float64(n)
	center := (left[0] + right[len(right)-1]) / 2
	// A module of whole dots: the one above, as thicker bars print and
	// scan better from a thermal head, unless the module is just over a
	// whole number of dots; the other one if the first would not fit.
	lo, hi := int(math.Floor(x)), int(math.Ceil(x))
	order := []int{hi, lo}
	if x-float64(lo) < 0.25 && lo >= 2 {
		order = []int{lo, hi}
	}
	for _, d := range order {
		if d < 1 {
			continue
		}
		s := int(math.Round(center - float64(n*d)/2))
		if p.fits(r, s, s+n*d, d) {
			p.redraw(r, s, d, counts)
			return
		}
	}
}

// continues reports whether line l carries on the region's bars (a quarter
// of their dots or more are dark there): the symbol goes on past the
// region, behind a mark that broke its pattern.
func (p *plane) continues(r region, l int) bool {
	if l < 0 || l >= p.lines {
		return false
	}
	line, e := p.line(l), r.lastSeq.edges
	barDots, darkDots := 0, 0
	for i := 0; i < len(e); i += 2 {
		for x := e[i]; x < e[i+1]; x++ {
			barDots++
			if line[x] < p.th {
				darkDots++
			}
		}
	}
	return 4*darkDots >= barDots
}

// fits reports whether a symbol redrawn over [s, e) with modules of d
// dots keeps white space around it: the dots it takes beyond the old
// symbol are white, and so is a quiet zone either side as wide as the old
// one had, up to the 10 modules the standards ask for.
func (p *plane) fits(r region, s, e, d int) bool {
	quiet := 10 * d
	oldL := p.white(r, r.start-1, -1, quiet)
	oldR := p.white(r, r.end, 1, quiet)
	newL := min(oldL, quiet)
	newR := min(oldR, quiet)
	if s-newL < 0 || e+newR > p.length {
		return false
	}
	if s < r.start && p.white(r, r.start-1, -1, r.start-s+newL) < r.start-s+newL {
		return false
	}
	if s >= r.start && oldL+(s-r.start) < newL {
		return false
	}
	if e > r.end && p.white(r, r.end, 1, e-r.end+newR) < e-r.end+newR {
		return false
	}
	return e > r.end || oldR+(r.end-e) >= newR
}

// white counts the dots from pos, going dir, that are white in every line
// of the region, up to limit.
func (p *plane) white(r region, pos, dir, limit int) int {
	n := 0
	for ; n < limit && pos >= 0 && pos < p.length; pos, n = pos+dir, n+1 {
		for l := r.first; l <= r.last; l++ {
			if p.dark(l, pos) {
				return n
			}
		}
	}
	return n
}

// redraw draws the symbol from dot s with modules of d dots, over the old
// one.
func (p *plane) redraw(r region, s, d int, counts []int) {
	lo, hi := min(s, r.start), max(s+d*sum(counts), r.end)
	for l := r.first; l <= r.last; l++ {
		for pos := lo; pos < hi; pos++ {
			p.set(l, pos, false)
		}
		pos := s
		for i, c := range counts {
			if i%2 == 0 { // bars are the even elements
				for q := pos; q < pos+c*d; q++ {
					p.set(l, q, true)
				}
			}
			pos += c * d
		}
	}
}

func sum(xs []int) int {
	t := 0
	for _, x := range xs {
		t += x
	}
	return t
}
