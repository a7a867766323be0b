// Package label turns a waybill PDF page into one label page of the
// printer's label size (100×150 mm by default) with pdfcpu: aspect ratio
// kept, centered, vector content left vector.
package label

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"sync"

	pdfapi "github.com/pdfcpu/pdfcpu/pkg/api"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// Size is a label size in millimetres, portrait.
type Size struct{ W, H float64 }

// Label sizes.
var (
	Size100x150 = Size{100, 150}
	Size4x6     = Size{101.6, 152.4}
)

// Maker lays out waybills as labels. Safe for concurrent use.
type Maker struct {
	Size Size
}

// NewMaker returns a maker for labels of the given size.
func NewMaker(size Size) *Maker { return &Maker{Size: size} }

// baseConfig is pdfcpu's default configuration without its config
// directory: pdfcpu would otherwise write ~/.config/pdfcpu at first use,
// racing with itself.
var baseConfig = sync.OnceValue(func() *model.Configuration {
	pdfapi.DisableConfigDir()
	c := model.NewDefaultConfiguration()
	c.ValidationMode = model.ValidationRelaxed
	return c
})

// conf returns a fresh configuration: pdfcpu writes into it per command.
func conf() *model.Configuration {
	c := *baseConfig()
	return &c
}

// MakeFile writes page (1-based) of the waybill at in as one label PDF at
// out, atomically.
func (m *Maker) MakeFile(ctx context.Context, in string, page int, out string) error {
	src, err := os.ReadFile(in)
	if err != nil {
		return fmt.Errorf("label from %s: %w", in, err)
	}
	var buf bytes.Buffer
	if err := m.Make(ctx, bytes.NewReader(src), page, &buf); err != nil {
		return fmt.Errorf("label from %s: %w", in, err)
	}
	return writeAtomic(out, buf.Bytes())
}

// Make writes page (1-based) of src as one label page to w. Bad input
// (pdfcpu may panic on it) becomes an error naming the page.
func (m *Maker) Make(ctx context.Context, src io.ReadSeeker, page int, w io.Writer) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("page %d: unreadable PDF: %v", page, r)
		}
	}()
	if err := ctx.Err(); err != nil {
		return err
	}
	n, err := pdfapi.PageCount(src, conf())
	if err != nil {
		return fmt.Errorf("read PDF: %w", err)
	}
	if page < 1 || page > n {
		return fmt.Errorf("page %d: the PDF has %d pages", page, n)
	}
	if _, err := src.Seek(0, io.SeekStart); err != nil {
		return err
	}
	var one bytes.Buffer
	if err := pdfapi.Collect(src, &one, []string{strconv.Itoa(page)}, conf()); err != nil {
		return fmt.Errorf("page %d: %w", page, err)
	}
	rs, err := pdfcpu.ParseResizeConfig(fmt.Sprintf("dim:%g %g, enforce:true", m.Size.W, m.Size.H), types.MILLIMETRES)
	if err != nil {
		return err
	}
	if err := pdfapi.Resize(bytes.NewReader(one.Bytes()), w, nil, rs, conf()); err != nil {
		return fmt.Errorf("page %d: fit to %gx%g mm: %w", page, m.Size.W, m.Size.H, err)
	}
	return nil
}

func writeAtomic(path string, b []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".label-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
