package printer

import (
	"bytes"
	"context"
	"fmt"
	"os"

	"cnx-agent/printer/epl"
	"cnx-agent/printer/escpos"
	"cnx-agent/printer/label"
	"cnx-agent/printer/raster"
	"cnx-agent/printer/tspl"
	"cnx-agent/printer/zpl"
)

// Sender delivers a printer-language job to a raw printer.
type Sender interface {
	Send(ctx context.Context, data []byte, title string) error
}

// StatusSender is a Sender that can also tell the printer's state.
type StatusSender interface {
	Sender
	Status(ctx context.Context) (Status, error)
}

// Raw prints label PDFs on a printer that takes a printer language: each
// label is rendered onto the printer's dot grid, thresholded and encoded.
type Raw struct {
	name  string
	lang  Language
	mk    *label.Maker
	send  Sender
	ropts raster.Options
}

// NewRaw returns a raw printer. mk must have a renderer and the printer's
// label size and DPI.
func NewRaw(name string, lang Language, mk *label.Maker, send Sender, ropts raster.Options) *Raw {
	return &Raw{name: name, lang: lang, mk: mk, send: send, ropts: ropts}
}

// Name is the configured name.
func (p *Raw) Name() string { return p.name }

// Language is what the printer is sent.
func (p *Raw) Language() Language { return p.lang }

// LabelSize is the printer's label size in mm.
func (p *Raw) LabelSize() (w, h float64) { s := p.mk.Options().Size; return s.W, s.H }

// Print renders, encodes and sends the label PDF at file.
func (p *Raw) Print(ctx context.Context, file, title string) error {
	data, err := p.Encode(ctx, file)
	if err != nil {
		return Failed(p.name, err)
	}
	return p.send.Send(ctx, data, title)
}

// Encode turns a label PDF into the printer's language.
func (p *Raw) Encode(ctx context.Context, file string) ([]byte, error) {
	pdf, err := os.ReadFile(file)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	o := p.mk.Options()
	err = p.mk.Rasters(ctx, pdf, p.ropts, func(_ int, bm *raster.Bitmap) error {
		b, err := Encode(p.lang, bm, o.Size.W, o.Size.H, o.DPI)
		out.Write(b)
		return err
	})
	return out.Bytes(), err
}

// Status asks the transport, when it can tell.
func (p *Raw) Status(ctx context.Context) (Status, error) {
	if s, ok := p.send.(StatusSender); ok {
		return s.Status(ctx)
	}
	return Status{State: "unknown"}, nil
}

// Encode writes one bitmap in a printer language.
func Encode(lang Language, bm *raster.Bitmap, widthMM, heightMM, dpi float64) ([]byte, error) {
	switch lang {
	case ZPL:
		return zpl.Encode(bm, zpl.Options{}), nil
	case TSPL:
		return tspl.Encode(bm, tspl.Options{WidthMM: widthMM, HeightMM: heightMM, DPI: dpi}), nil
	case EPL:
		return epl.Encode(bm, epl.Options{}), nil
	case ESCPOS:
		return escpos.Encode(bm, escpos.Options{}), nil
	}
	return nil, fmt.Errorf("language %q is not a raw printer language", lang)
}
