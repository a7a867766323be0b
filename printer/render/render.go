// Package render draws PDF pages into grayscale images with PDFium,
// compiled to WebAssembly and run by wazero: pure Go, no cgo. One PDFium
// instance is started once and reused; wazero's compilation cache lives on
// disk so that later starts take a fraction of a second.
package render

import (
	"context"
	"errors"
	"fmt"
	"image"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/klippa-app/go-pdfium"
	"github.com/klippa-app/go-pdfium/enums"
	pdferrors "github.com/klippa-app/go-pdfium/errors"
	"github.com/klippa-app/go-pdfium/references"
	"github.com/klippa-app/go-pdfium/requests"
	"github.com/klippa-app/go-pdfium/webassembly"
	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
	"github.com/tetratelabs/wazero/experimental"
)

// ErrEncrypted means the PDF needs a password.
var ErrEncrypted = errors.New("the PDF is encrypted (password protected)")

// DefaultCacheDir is wazero's cache in the OS cache dir, for tools and tests
// that have no data dir.
func DefaultCacheDir() string {
	dir, err := os.UserCacheDir()
	if err != nil {
		dir = os.TempDir()
	}
	return filepath.Join(dir, "cnx-agent", "wazero")
}

// Renderer owns one PDFium instance. Safe for concurrent use; calls are
// serialised, as PDFium is single-threaded.
type Renderer struct {
	mu    sync.Mutex
	pool  pdfium.Pool
	inst  pdfium.Pdfium
	cache wazero.CompilationCache
}

// New starts PDFium. cacheDir keeps wazero's compiled module between runs
// ("" compiles in memory every time, about 8 s).
func New(ctx context.Context, cacheDir string) (*Renderer, error) {
	rc := wazero.NewRuntimeConfig().WithCoreFeatures(api.CoreFeaturesV2 | experimental.CoreFeaturesExceptionHandling)
	r := &Renderer{}
	if cacheDir != "" {
		if err := os.MkdirAll(cacheDir, 0o755); err != nil {
			return nil, fmt.Errorf("start PDF renderer: %w", err)
		}
		cache, err := wazero.NewCompilationCacheWithDir(cacheDir)
		if err != nil {
			return nil, fmt.Errorf("start PDF renderer: %w", err)
		}
		r.cache = cache
		rc = rc.WithCompilationCache(cache)
	}
	pool, err := webassembly.Init(webassembly.Config{Context: context.WithoutCancel(ctx), MinIdle: 1, MaxIdle: 1, MaxTotal: 1, RuntimeConfig: rc})
	if err != nil {
		return nil, fmt.Errorf("start PDF renderer: %w", err)
	}
	inst, err := pool.GetInstance(time.Minute)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("start PDF renderer: %w", err)
	}
	r.pool, r.inst = pool, inst
	return r, nil
}

// Close stops PDFium.
func (r *Renderer) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.pool == nil {
		return nil
	}
	_ = r.inst.Close()
	err := r.pool.Close()
	if r.cache != nil {
		_ = r.cache.Close(context.Background())
	}
	r.pool = nil
	return err
}

// Doc is an open PDF.
type Doc struct {
	r   *Renderer
	ref references.FPDF_DOCUMENT
	n   int
}

// Open parses a PDF. The renderer keeps its own copy of data.
func (r *Renderer) Open(data []byte) (doc *Doc, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	defer recoverInto(&err)
	if r.pool == nil {
		return nil, errors.New("PDF renderer is closed")
	}
	res, err := r.inst.OpenDocument(&requests.OpenDocument{File: &data})
	if err != nil {
		if errors.Is(err, pdferrors.ErrPassword) {
			return nil, ErrEncrypted
		}
		return nil, fmt.Errorf("open PDF: %w", err)
	}
	cnt, err := r.inst.FPDF_GetPageCount(&requests.FPDF_GetPageCount{Document: res.Document})
	if err != nil {
		_, _ = r.inst.FPDF_CloseDocument(&requests.FPDF_CloseDocument{Document: res.Document})
		return nil, fmt.Errorf("open PDF: %w", err)
	}
	return &Doc{r: r, ref: res.Document, n: cnt.PageCount}, nil
}

// Close releases the document.
func (d *Doc) Close() {
	d.r.mu.Lock()
	defer d.r.mu.Unlock()
	if d.r.pool != nil {
		_, _ = d.r.inst.FPDF_CloseDocument(&requests.FPDF_CloseDocument{Document: d.ref})
	}
}

// Pages is the number of pages.
func (d *Doc) Pages() int { return d.n }

func (d *Doc) page(i int) requests.Page {
	return requests.Page{ByIndex: &requests.PageByIndex{Document: d.ref, Index: i}}
}

// Size returns page i's size in points as displayed: CropBox, with /Rotate
// applied.
func (d *Doc) Size(i int) (w, h float64, err error) {
	d.r.mu.Lock()
	defer d.r.mu.Unlock()
	defer recoverInto(&err)
	res, err := d.r.inst.GetPageSize(&requests.GetPageSize{Page: d.page(i)})
	if err != nil {
		return 0, 0, fmt.Errorf("page %d: %w", i+1, err)
	}
	return res.Width, res.Height, nil
}

// Gray renders page i (0-based) as displayed into exactly w×h pixels,
// with its annotations' appearances (what the label layout flattens into
// the label).
func (d *Doc) Gray(i, w, h int) (img *image.Gray, err error) {
	d.r.mu.Lock()
	defer d.r.mu.Unlock()
	defer recoverInto(&err)
	res, err := d.r.inst.RenderPageInPixels(&requests.RenderPageInPixels{
		Page: d.page(i), Width: w, Height: h, ImageFormat: requests.RenderImageFormatGrayscale,
		RenderFlags: enums.FPDF_RENDER_FLAG_ANNOT,
	})
	if err != nil {
		return nil, fmt.Errorf("render page %d: %w", i+1, err)
	}
	defer res.Cleanup()
	src, ok := res.Result.RenderedImage.(*image.Gray)
	if !ok {
		return nil, fmt.Errorf("render page %d: got %T, want a gray image", i+1, res.Result.RenderedImage)
	}
	// The pixels live in WebAssembly memory until Cleanup: copy them out.
	out := image.NewGray(src.Rect)
	copy(out.Pix, src.Pix)
	if src.Stride != out.Stride {
		for y := range src.Rect.Dy() {
			copy(out.Pix[y*out.Stride:(y+1)*out.Stride], src.Pix[y*src.Stride:])
		}
	}
	return out, nil
}

// GrayDPI renders page i at dpi.
func (d *Doc) GrayDPI(i int, dpi float64) (*image.Gray, error) {
	w, h, err := d.Size(i)
	if err != nil {
		return nil, err
	}
	return d.Gray(i, max(1, int(w*dpi/72+0.5)), max(1, int(h*dpi/72+0.5)))
}

func recoverInto(err *error) {
	if r := recover(); r != nil {
		*err = fmt.Errorf("PDF renderer failed: %v", r)
	}
}
