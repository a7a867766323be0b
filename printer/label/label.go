// Package label turns waybill PDFs of any page size into label pages of the
// printer's label size (100×150 mm by default): each label is found on its
// page (auto-crop, n-up sheets split, blank pages dropped), scaled with its
// aspect ratio kept to the largest size inside the margin, rotated 90° when
// that prints larger, centered, and placed on the printer's dot grid. The
// page content is embedded as a form XObject, so vector stays vector.
package label

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"

	pdfapi "github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"

	"cnx-agent/internal/atomicfile"
	"cnx-agent/printer/render"
)

// Size is a label size in millimetres, portrait.
type Size struct{ W, H float64 }

// Label sizes printers take.
var (
	Size100x150 = Size{100, 150}
	Size4x6     = Size{101.6, 152.4}
	Size100x100 = Size{100, 100}
	Size76x130  = Size{76, 130}
)

func (s Size) String() string {
	return fmt.Sprintf("%gx%g", math.Round(s.W*10)/10, math.Round(s.H*10)/10)
}

// ParseSize reads "100x150" (mm) or "4x6" (inches).
func ParseSize(s string) (Size, error) {
	var w, h float64
	if _, err := fmt.Sscanf(s, "%gx%g", &w, &h); err != nil || w <= 0 || h <= 0 {
		return Size{}, fmt.Errorf("label size %q: want WxH in mm, such as 100x150 (or 4x6 for inches)", s)
	}
	if w <= 10 && h <= 10 { // inches
		w, h = w*25.4, h*25.4
	}
	if w > h {
		w, h = h, w
	}
	return Size{w, h}, nil
}

// Options shape the layout. Zero values take the defaults shown.
type Options struct {
	Size       Size    // label size, default 100×150 mm
	Margin     float64 // mm kept blank inside the label edge, default 2
	Pad        float64 // mm kept around the content found on the page, default 1.5
	MaxUpscale float64 // never enlarge more than this, default 1.5
	DPI        float64 // printer dot grid the placement snaps to, default 203
	// DetectDPI is the resolution of the render used to find labels,
	// default 50 (0.5 mm a pixel).
	DetectDPI float64
}

func (o Options) withDefaults() Options {
	if o.Size == (Size{}) {
		o.Size = Size100x150
	}
	if o.Margin == 0 {
		o.Margin = 2
	}
	if o.Pad == 0 {
		o.Pad = 1.5
	}
	if o.MaxUpscale == 0 {
		o.MaxUpscale = 1.5
	}
	if o.DPI == 0 {
		o.DPI = 203
	}
	if o.DetectDPI == 0 {
		o.DetectDPI = 50
	}
	return o
}

// Maker lays out waybills as labels. Safe for concurrent use.
type Maker struct {
	opts Options
	r    *render.Renderer // nil: no auto-crop, whole pages are labels
}

// NewMaker returns a maker. With a nil renderer it does not look for the
// label on the page: each non-empty page's CropBox is one label.
func NewMaker(opts Options, r *render.Renderer) *Maker {
	return &Maker{opts: opts.withDefaults(), r: r}
}

// Options returns the maker's options with defaults filled in.
func (m *Maker) Options() Options { return m.opts }

// pdfcpu reads, and at first use writes, a config directory
// (~/.config/pdfcpu) from whichever goroutine calls it first, unguarded:
// two first calls at once race. The agent never wants that directory, so
// it is switched off once, before anything in the process can use pdfcpu
// (tests that call pdfcpu themselves included).
func init() { pdfapi.DisableConfigDir() }

// baseConfig is pdfcpu's default configuration (without its config
// directory).
var baseConfig = sync.OnceValue(func() *model.Configuration {
	c := model.NewDefaultConfiguration()
	c.ValidationMode = model.ValidationRelaxed
	return c
})

// conf returns a fresh configuration: pdfcpu writes into it per command.
func conf() *model.Configuration {
	c := *baseConfig()
	return &c
}

// ErrNoLabel means a PDF has no page with anything on it.
var ErrNoLabel = errors.New("no label found: every page is blank")

// Convert lays out every label of src into w, one page each, and returns
// how many. progress, if set, is called after each page is examined.
func (m *Maker) Convert(ctx context.Context, src []byte, w io.Writer, progress func(done, total int)) (int, error) {
	return m.run(ctx, src, nil, false, w, progress)
}

// MakeFile writes the label on page (1-based) of the waybill at in to out,
// atomically: the agent's one label per package.
func (m *Maker) MakeFile(ctx context.Context, in string, page int, out string) error {
	src, err := os.ReadFile(in)
	if err != nil {
		return fmt.Errorf("label from %s: %w", in, err)
	}
	var buf bytes.Buffer
	if _, err := m.run(ctx, src, []int{page}, true, &buf, nil); err != nil {
		return fmt.Errorf("label from %s: %w", in, err)
	}
	return atomicfile.Write(out, buf.Bytes(), 0o644)
}

// AnySize makes labels of whatever size each printer takes, sharing one
// renderer: the agent's label maker.
type AnySize struct {
	opts Options
	r    *render.Renderer
}

// NewAnySize returns a maker whose size is given per call.
func NewAnySize(opts Options, r *render.Renderer) *AnySize { return &AnySize{opts: opts, r: r} }

// MakeFile writes page of the waybill at in as one label of w×h mm to out.
func (a *AnySize) MakeFile(ctx context.Context, in string, page int, out string, w, h float64) error {
	o := a.opts
	o.Size = Size{W: w, H: h}
	return NewMaker(o, a.r).MakeFile(ctx, in, page, out)
}

// SplitPages writes each page of the PDF at in as its own PDF in dir
// (NAME-p001.pdf…) and returns their paths: a merged waybill file is split
// once instead of being read again for every package.
func (a *AnySize) SplitPages(ctx context.Context, in, dir string) (paths []string, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("split %s: unreadable PDF: %v", in, r)
		}
	}()
	src, err := os.ReadFile(in)
	if err != nil {
		return nil, err
	}
	pctx, err := readPDF(src)
	if err != nil {
		return nil, fmt.Errorf("split %s: %w", in, err)
	}
	base := strings.TrimSuffix(filepath.Base(in), filepath.Ext(in))
	for i := 1; i <= pctx.PageCount; i++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		r, err := pdfapi.ExtractPage(pctx, i)
		if err != nil {
			return nil, fmt.Errorf("split %s: page %d: %w", in, i, err)
		}
		b, err := io.ReadAll(r)
		if err != nil {
			return nil, err
		}
		path := filepath.Join(dir, fmt.Sprintf("%s-p%03d.pdf", base, i))
		if err := atomicfile.Write(path, b, 0o644); err != nil {
			return nil, err
		}
		paths = append(paths, path)
	}
	return paths, nil
}
