package label

import (
	"cmp"
	"image"
	"slices"
)

// Auto-crop works on a low-resolution render of a page: the "ink" (any
// pixel darker than inkLevel) is cut along blank gutters (XY-cut) into
// blocks; blocks become labels.

const (
	inkLevel   = 240  // gray below this is drawn content (light tints count)
	gutterMM   = 5.0  // a blank band this wide separates blocks on a sheet
	noiseMM    = 20.0 // a block smaller than this in both directions is noise…
	lineMM     = 3.0  // …and so is one thinner than this (rules, cut lines)
	labelMinMM = 40.0 // n-up labels are at least this big both ways
)

// pbox is a half-open pixel rectangle.
type pbox struct{ x0, y0, x1, y1 int }

func (b pbox) w() int      { return b.x1 - b.x0 }
func (b pbox) h() int      { return b.y1 - b.y0 }
func (b pbox) empty() bool { return b.x1 <= b.x0 || b.y1 <= b.y0 }
func (b pbox) area() int   { return b.w() * b.h() }
func (b pbox) union(o pbox) pbox {
	if b.empty() {
		return o
	}
	return pbox{min(b.x0, o.x0), min(b.y0, o.y0), max(b.x1, o.x1), max(b.y1, o.y1)}
}

// inkMap answers "is there ink in this rectangle" in O(1) with a summed
// area table.
type inkMap struct {
	w, h int
	sum  []int32 // (w+1)×(h+1)
}

func newInkMap(img *image.Gray) *inkMap {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	m := &inkMap{w: w, h: h, sum: make([]int32, (w+1)*(h+1))}
	for y := 0; y < h; y++ {
		row := img.Pix[y*img.Stride : y*img.Stride+w]
		var run int32
		for x, g := range row {
			if g < inkLevel {
				run++
			}
			m.sum[(y+1)*(w+1)+x+1] = m.sum[y*(w+1)+x+1] + run
		}
	}
	return m
}

func (m *inkMap) count(b pbox) int32 {
	W := m.w + 1
	return m.sum[b.y1*W+b.x1] - m.sum[b.y0*W+b.x1] - m.sum[b.y1*W+b.x0] + m.sum[b.y0*W+b.x0]
}

// tighten shrinks b to the ink inside it.
func (m *inkMap) tighten(b pbox) pbox {
	if m.count(b) == 0 {
		return pbox{}
	}
	for m.count(pbox{b.x0, b.y0, b.x0 + 1, b.y1}) == 0 {
		b.x0++
	}
	for m.count(pbox{b.x1 - 1, b.y0, b.x1, b.y1}) == 0 {
		b.x1--
	}
	for m.count(pbox{b.x0, b.y0, b.x1, b.y0 + 1}) == 0 {
		b.y0++
	}
	for m.count(pbox{b.x0, b.y1 - 1, b.x1, b.y1}) == 0 {
		b.y1--
	}
	return b
}

// widestGutter finds the widest run of blank columns (vertical) or rows
// inside a tight box; it returns the run's start and end.
func (m *inkMap) widestGutter(b pbox, vertical bool) (from, to int) {
	n, best := b.w(), 0
	if !vertical {
		n = b.h()
	}
	run := 0
	for i := 0; i < n; i++ {
		var c int32
		if vertical {
			c = m.count(pbox{b.x0 + i, b.y0, b.x0 + i + 1, b.y1})
		} else {
			c = m.count(pbox{b.x0, b.y0 + i, b.x1, b.y0 + i + 1})
		}
		if c == 0 {
			run++
			if run > best {
				best, from, to = run, i-run+1, i+1
			}
		} else {
			run = 0
		}
	}
	return from, to
}

// blocks cuts a box along gutters of at least gutter pixels, recursively.
func (m *inkMap) blocks(b pbox, gutter int) []pbox {
	b = m.tighten(b)
	if b.empty() {
		return nil
	}
	vf, vt := m.widestGutter(b, true)
	hf, ht := m.widestGutter(b, false)
	switch {
	case vt-vf >= gutter && vt-vf >= ht-hf:
		return append(m.blocks(pbox{b.x0, b.y0, b.x0 + vf, b.y1}, gutter), m.blocks(pbox{b.x0 + vt, b.y0, b.x1, b.y1}, gutter)...)
	case ht-hf >= gutter:
		return append(m.blocks(pbox{b.x0, b.y0, b.x1, b.y0 + hf}, gutter), m.blocks(pbox{b.x0, b.y0 + ht, b.x1, b.y1}, gutter)...)
	}
	return []pbox{b}
}

// findLabels returns the label areas of a rendered page, in reading order.
// A label-sized page is one label: its ink, whatever gaps it has inside.
// A sheet is cut into blocks; noise (rules, page numbers) is dropped; two
// or more big blocks of similar size are separate labels (2-up, 4-up);
// otherwise everything left is one label. A blank page has none.
func findLabels(img *image.Gray, pxPerMM float64, sheet bool) []pbox {
	m := newInkMap(img)
	all := m.tighten(pbox{0, 0, m.w, m.h})
	if all.empty() {
		return nil
	}
	if !sheet {
		return []pbox{all}
	}
	mm := func(px int) float64 { return float64(px) / pxPerMM }
	var kept []pbox
	for _, b := range m.blocks(all, int(gutterMM*pxPerMM+0.5)) {
		small := mm(b.w()) < noiseMM && mm(b.h()) < noiseMM
		thin := mm(min(b.w(), b.h())) < lineMM
		if !small && !thin {
			kept = append(kept, b)
		}
	}
	if len(kept) == 0 {
		return []pbox{all}
	}
	var big []pbox
	largest := 0
	for _, b := range kept {
		if mm(b.w()) >= labelMinMM && mm(b.h()) >= labelMinMM {
			big = append(big, b)
			largest = max(largest, b.area())
		}
	}
	var labels []pbox
	for _, b := range big {
		if b.area()*2 >= largest {
			labels = append(labels, b)
		}
	}
	if len(labels) >= 2 {
		return attach(labels, kept, int(2*gutterMM*pxPerMM), pxPerMM)
	}
	var one pbox
	for _, b := range kept {
		one = one.union(b)
	}
	return []pbox{one}
}

// attach adds each remaining block (a footer cut off by a wide gap) to the
// nearest label within reach, and sorts the labels in reading order.
func attach(labels, blocks []pbox, reach int, pxPerMM float64) []pbox {
	for _, b := range blocks {
		if slices.Contains(labels, b) {
			continue
		}
		best, bestGap := -1, reach+1
		for i, l := range labels {
			if g := gap(l, b); g < bestGap {
				best, bestGap = i, g
			}
		}
		if best >= 0 {
			labels[best] = labels[best].union(b)
		}
	}
	band := int(10 * pxPerMM)
	slices.SortFunc(labels, func(a, b pbox) int {
		if c := cmp.Compare(a.y0/band, b.y0/band); c != 0 {
			return c
		}
		return cmp.Compare(a.x0, b.x0)
	})
	return labels
}

// gap is the distance between two boxes along the axis that separates them.
func gap(a, b pbox) int {
	dx := max(b.x0-a.x1, a.x0-b.x1, 0)
	dy := max(b.y0-a.y1, a.y0-b.y1, 0)
	return max(dx, dy)
}
