package label

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"strings"

	pdfapi "github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/filter"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"

	"cnx-agent/printer/render"
)

const ptPerMM = 72 / 25.4

// geom is a page as displayed: its CropBox in user space and /Rotate.
type geom struct {
	crop types.Rectangle
	rot  int     // 0, 90, 180, 270 (clockwise, as displayed)
	w, h float64 // displayed size in points
}

// piece is one label: a box in the page's display space (points, origin
// bottom-left, y up).
type piece struct {
	page           int // 1-based
	x0, y0, x1, y1 float64
}

// ErrEncrypted means the PDF needs a password.
var ErrEncrypted = render.ErrEncrypted

// run finds the labels on the selected pages (all when nil) and writes
// them, or only the first when one is set, to w.
func (m *Maker) run(ctx context.Context, src []byte, pages []int, one bool, w io.Writer, progress func(done, total int)) (n int, err error) {
	page := 0 // for the error message of a panic
	defer func() {
		if r := recover(); r != nil {
			where := "the PDF"
			if page > 0 {
				where = fmt.Sprintf("page %d", page)
			}
			err = fmt.Errorf("%s is damaged or unsupported: %v", where, r)
		}
	}()
	pctx, err := readPDF(src)
	if err != nil {
		return 0, err
	}
	if pages == nil {
		pages = make([]int, pctx.PageCount)
		for i := range pages {
			pages[i] = i + 1
		}
	}
	var doc *render.Doc
	if m.r != nil {
		if doc, err = m.r.Open(src); err != nil {
			return 0, err
		}
		defer doc.Close()
	}
	var pieces []piece
	for i, p := range pages {
		page = p
		if err := ctx.Err(); err != nil {
			return 0, err
		}
		if p < 1 || p > pctx.PageCount {
			return 0, fmt.Errorf("page %d: the PDF has %d pages", p, pctx.PageCount)
		}
		g, err := pageGeom(pctx, p)
		if err != nil {
			return 0, fmt.Errorf("page %d: %w", p, err)
		}
		found, err := m.find(doc, p, g)
		if err != nil {
			return 0, fmt.Errorf("page %d: %w", p, err)
		}
		pieces = append(pieces, found...)
		if progress != nil {
			progress(i+1, len(pages))
		}
		if one && len(pieces) > 0 {
			pieces = pieces[:1]
			break
		}
	}
	page = 0
	if len(pieces) == 0 {
		return 0, ErrNoLabel
	}
	if err := m.build(pctx, pieces, w); err != nil {
		return 0, err
	}
	return len(pieces), nil
}

// readPDF parses src with pdfcpu and names the usual failures plainly.
func readPDF(src []byte) (*model.Context, error) {
	if !bytes.HasPrefix(bytes.TrimLeft(src[:min(len(src), 1024)], "\x00\t\r\n "), []byte("%PDF-")) {
		return nil, errors.New("not a PDF file (no %PDF- header)")
	}
	pctx, err := pdfapi.ReadContext(bytes.NewReader(src), conf())
	if err != nil {
		if strings.Contains(strings.ToLower(err.Error()), "password") || strings.Contains(strings.ToLower(err.Error()), "encrypt") {
			return nil, fmt.Errorf("%w: %v", ErrEncrypted, err)
		}
		return nil, fmt.Errorf("unreadable PDF: %w", err)
	}
	if pctx.Encrypt != nil && pctx.E == nil {
		return nil, ErrEncrypted
	}
	if err := decodeLazy(pctx); err != nil {
		return nil, fmt.Errorf("unreadable PDF: %w", err)
	}
	if err := pctx.EnsurePageCount(); err != nil {
		return nil, fmt.Errorf("unreadable PDF: %w", err)
	}
	if pctx.PageCount == 0 {
		return nil, errors.New("the PDF has no pages")
	}
	return pctx, nil
}

// decodeLazy decodes every object kept in an object stream. pdfcpu leaves
// them undecoded until something asks for one, and its writer copies an
// undecoded object as it stands without following its references, so the
// objects only it points to (a Type0 font's descendant, a font file) were
// left out of the label PDF: broken fonts from any PDF 1.5+ waybill that
// uses object streams.
func decodeLazy(pctx *model.Context) error {
	for nr, e := range pctx.Table {
		if _, ok := e.Object.(types.LazyObjectStreamObject); !ok || e.Free {
			continue
		}
		gen := 0
		if e.Generation != nil {
			gen = *e.Generation
		}
		if _, err := pctx.Dereference(*types.NewIndirectRef(nr, gen)); err != nil {
			return fmt.Errorf("object %d: %w", nr, err)
		}
	}
	return nil
}

func pageGeom(pctx *model.Context, p int) (geom, error) {
	_, _, inh, err := pctx.PageDict(p, false)
	if err != nil {
		return geom{}, err
	}
	if inh == nil || inh.MediaBox == nil {
		return geom{}, errors.New("page has no MediaBox")
	}
	crop := *inh.MediaBox
	if cb := inh.CropBox; cb != nil {
		crop = types.Rectangle{
			LL: types.Point{X: math.Max(cb.LL.X, crop.LL.X), Y: math.Max(cb.LL.Y, crop.LL.Y)},
			UR: types.Point{X: math.Min(cb.UR.X, crop.UR.X), Y: math.Min(cb.UR.Y, crop.UR.Y)},
		}
	}
	if crop.Width() <= 0 || crop.Height() <= 0 {
		return geom{}, errors.New("page has an empty CropBox")
	}
	g := geom{crop: crop, rot: ((inh.Rotate % 360) + 360) % 360 / 90 * 90}
	g.w, g.h = crop.Width(), crop.Height()
	if g.rot == 90 || g.rot == 270 {
		g.w, g.h = g.h, g.w
	}
	return g, nil
}

// isSheet tells a sheet that may hold several labels or a label in a corner
// (A4, A5, Letter) from a page that is one label of about the label's size.
func (m *Maker) isSheet(g geom) bool {
	w, h := g.w/ptPerMM, g.h/ptPerMM
	lw, lh := m.opts.Size.W*1.25, m.opts.Size.H*1.4
	fits := (w <= lw && h <= lh) || (h <= lw && w <= lh)
	return !fits
}

// find returns the labels on page p: with a renderer, the content found by
// auto-crop (none for a blank page); without, the whole page.
func (m *Maker) find(doc *render.Doc, p int, g geom) ([]piece, error) {
	if doc == nil {
		return []piece{{page: p, x0: 0, y0: 0, x1: g.w, y1: g.h}}, nil
	}
	pw := max(1, int(g.w*m.opts.DetectDPI/72+0.5))
	ph := max(1, int(g.h*m.opts.DetectDPI/72+0.5))
	img, err := doc.Gray(p-1, pw, ph)
	if err != nil {
		return nil, err
	}
	sx, sy := g.w/float64(pw), g.h/float64(ph) // points per pixel
	pxPerMM := float64(pw) / (g.w / ptPerMM)
	pad := m.opts.Pad * ptPerMM
	var out []piece
	for _, b := range findLabels(img, pxPerMM, m.isSheet(g)) {
		out = append(out, piece{
			page: p,
			x0:   math.Max(0, float64(b.x0)*sx-pad),
			x1:   math.Min(g.w, float64(b.x1)*sx+pad),
			y0:   math.Max(0, g.h-float64(b.y1)*sy-pad), // pixels run down, points up
			y1:   math.Min(g.h, g.h-float64(b.y0)*sy+pad),
		})
	}
	return out, nil
}

// matrix is a PDF transformation [a b c d e f]: x' = ax+cy+e, y' = bx+dy+f.
type matrix [6]float64

// then returns the transformation m followed by n.
func (m matrix) then(n matrix) matrix {
	return matrix{
		m[0]*n[0] + m[1]*n[2], m[0]*n[1] + m[1]*n[3],
		m[2]*n[0] + m[3]*n[2], m[2]*n[1] + m[3]*n[3],
		m[4]*n[0] + m[5]*n[2] + n[4], m[4]*n[1] + m[5]*n[3] + n[5],
	}
}

func translate(x, y float64) matrix { return matrix{1, 0, 0, 1, x, y} }
func scale(s float64) matrix        { return matrix{s, 0, 0, s, 0, 0} }

// toDisplay maps user space to display space (origin bottom-left of the
// page as shown, after /Rotate).
func (g geom) toDisplay() matrix {
	c := g.crop
	switch g.rot {
	case 90:
		return matrix{0, -1, 1, 0, -c.LL.Y, c.UR.X}
	case 180:
		return matrix{-1, 0, 0, -1, c.UR.X, c.UR.Y}
	case 270:
		return matrix{0, 1, -1, 0, c.UR.Y, -c.LL.X}
	}
	return translate(-c.LL.X, -c.LL.Y)
}

// Placement is how a piece lands on the label.
type placement struct {
	m       matrix // user space → label space
	clip    [4]float64
	rotated bool
	scale   float64
}

// place fits a piece into the label: largest size inside the margin, aspect
// kept, turned 90° when that is larger (clockwise, or back against the
// page's own /Rotate 90), never enlarged beyond
// MaxUpscale, centered, with its corner on a printer dot.
func (m *Maker) place(pc piece, g geom) placement {
	lw, lh := m.opts.Size.W*ptPerMM, m.opts.Size.H*ptPerMM
	aw, ah := lw-2*m.opts.Margin*ptPerMM, lh-2*m.opts.Margin*ptPerMM
	w, h := pc.x1-pc.x0, pc.y1-pc.y0
	s0 := math.Min(aw/w, ah/h)
	s90 := math.Min(aw/h, ah/w)
	rotated := s90 > s0*1.02
	s := s0
	fw, fh := w, h
	if rotated {
		s, fw, fh = s90, h, w
	}
	s = math.Min(s, m.opts.MaxUpscale)
	if s > 1 && s < 1.03 {
		s = 1 // a label drawn for this size stays on its own dot grid
	}
	dot := 72 / m.opts.DPI
	ox := math.Round((lw-s*fw)/2/dot) * dot
	oy := math.Round((lh-s*fh)/2/dot) * dot
	mt := g.toDisplay().then(translate(-pc.x0, -pc.y0))
	switch {
	case rotated && g.rot == 90:
		// The page itself is turned clockwise: turning back undoes it.
		mt = mt.then(matrix{0, 1, -1, 0, h, 0}) // counter-clockwise: (x, y) → (h−y, x)
	case rotated:
		mt = mt.then(matrix{0, -1, 1, 0, 0, w}) // clockwise: (x, y) → (y, w−x)
	}
	mt = mt.then(scale(s)).then(translate(ox, oy))
	return placement{m: mt, clip: [4]float64{ox, oy, s * fw, s * fh}, rotated: rotated, scale: s}
}

// catalogKeysToDrop point at the old pages; the label PDF has new ones.
var catalogKeysToDrop = []string{"Outlines", "Dests", "OpenAction", "PageLabels", "StructTreeRoot", "AcroForm", "Names", "Threads", "PageMode"}

// build writes one label page per piece. Each source page becomes a form
// XObject once, drawn by every label cut from it.
func (m *Maker) build(pctx *model.Context, pieces []piece, w io.Writer) error {
	lw, lh := m.opts.Size.W*ptPerMM, m.opts.Size.H*ptPerMM
	pagesDict := types.Dict{"Type": types.Name("Pages")}
	pagesRef, err := pctx.IndRefForNewObject(pagesDict)
	if err != nil {
		return err
	}
	forms := map[int]*types.IndirectRef{}
	geoms := map[int]geom{}
	var kids types.Array
	for _, pc := range pieces {
		form, ok := forms[pc.page]
		if !ok {
			g, err := pageGeom(pctx, pc.page)
			if err != nil {
				return fmt.Errorf("page %d: %w", pc.page, err)
			}
			if form, err = pageForm(pctx, pc.page, g); err != nil {
				return fmt.Errorf("page %d: %w", pc.page, err)
			}
			forms[pc.page], geoms[pc.page] = form, g
		}
		pl := m.place(pc, geoms[pc.page])
		t := pl.m
		content := fmt.Sprintf("q %.4f %.4f %.4f %.4f re W n %.6f %.6f %.6f %.6f %.4f %.4f cm /L0 Do Q",
			pl.clip[0], pl.clip[1], pl.clip[2], pl.clip[3], t[0], t[1], t[2], t[3], t[4], t[5])
		sd, err := pctx.NewStreamDictForBuf([]byte(content))
		if err != nil {
			return err
		}
		if err := sd.Encode(); err != nil {
			return err
		}
		cref, err := pctx.IndRefForNewObject(*sd)
		if err != nil {
			return err
		}
		page := types.Dict{
			"Type":      types.Name("Page"),
			"Parent":    *pagesRef,
			"MediaBox":  types.NewNumberArray(0, 0, lw, lh),
			"Resources": types.Dict{"XObject": types.Dict{"L0": *form}},
			"Contents":  *cref,
		}
		pref, err := pctx.IndRefForNewObject(page)
		if err != nil {
			return err
		}
		kids = append(kids, *pref)
	}
	pagesDict["Kids"] = kids
	pagesDict["Count"] = types.Integer(len(kids))
	root, err := pctx.Catalog()
	if err != nil {
		return err
	}
	root["Pages"] = *pagesRef
	for _, k := range catalogKeysToDrop {
		delete(root, k)
	}
	pctx.PageCount = len(kids)
	pctx.EnsureVersionForWriting()
	if err := pdfapi.WriteContext(pctx, w); err != nil {
		return fmt.Errorf("write label PDF: %w", err)
	}
	return nil
}

// withXObjects returns a copy of res with more XObjects.
func withXObjects(pctx *model.Context, res, more types.Dict) (types.Dict, error) {
	out := res.Clone().(types.Dict)
	xo, err := pctx.DereferenceDict(res["XObject"])
	if err != nil {
		return nil, err
	}
	merged := types.Dict{}
	for k, v := range xo {
		merged[k] = v
	}
	for k, v := range more {
		merged[k] = v
	}
	out["XObject"] = merged
	return out, nil
}

// pageForm makes a form XObject of page p's content and resources.
func pageForm(pctx *model.Context, p int, g geom) (*types.IndirectRef, error) {
	d, _, inh, err := pctx.PageDict(p, false)
	if err != nil {
		return nil, err
	}
	content, err := pctx.PageContent(d, p)
	if err != nil && !errors.Is(err, model.ErrNoContent) {
		return nil, fmt.Errorf("read content: %w", err)
	}
	res := inh.Resources
	if res == nil {
		res = types.Dict{}
	}
	annots, xobjs, err := annotAppearances(pctx, d)
	if err != nil {
		return nil, fmt.Errorf("annotations: %w", err)
	}
	if annots != "" {
		// The page's own drawing is wrapped so a graphics state it leaves
		// behind does not move the appearances; the resources are copied,
		// as other pages may share them.
		content = append(append([]byte("q\n"), content...), "\nQ\n"+annots...)
		if res, err = withXObjects(pctx, res, xobjs); err != nil {
			return nil, fmt.Errorf("annotations: %w", err)
		}
	}
	sd := types.StreamDict{
		Dict: types.Dict{
			"Type":      types.Name("XObject"),
			"Subtype":   types.Name("Form"),
			"BBox":      g.crop.Array(),
			"Resources": res,
		},
		Content:        content,
		FilterPipeline: []types.PDFFilter{{Name: filter.Flate}},
	}
	sd.InsertName("Filter", filter.Flate)
	if err := sd.Encode(); err != nil {
		return nil, err
	}
	return pctx.IndRefForNewObject(sd)
}
