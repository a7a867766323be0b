package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strconv"
	"sync"

	"cnx-agent/agent"
	"cnx-agent/agent/config"
	"cnx-agent/agent/store"
	"cnx-agent/api"
	"cnx-agent/i18n"
	"cnx-agent/printer"
	"cnx-agent/printer/folder"
	"cnx-agent/printer/ipp"
	"cnx-agent/printer/label"
	"cnx-agent/printer/raster"
	"cnx-agent/printer/render"
	"cnx-agent/printer/socket"
	"cnx-agent/printer/usb"
	"cnx-agent/printer/winspool"
)

// devices holds what printers share in one process: the PDF renderer and
// the USB bus, each started on first use.
type devices struct {
	cacheDir string
	pins     *ipp.Pins // ipps certificates trusted on first use

	rOnce sync.Once
	r     *render.Renderer
	rErr  error

	uOnce sync.Once
	bus   *usb.LibUSB
	uErr  error
}

func (d *devices) renderer(ctx context.Context) (*render.Renderer, error) {
	d.rOnce.Do(func() { d.r, d.rErr = render.New(ctx, d.cacheDir) })
	return d.r, d.rErr
}

func (d *devices) usb() (*usb.LibUSB, error) {
	d.uOnce.Do(func() { d.bus, d.uErr = usb.NewLibUSB() })
	return d.bus, d.uErr
}

// configuredPrinter is a printer built from the config, with what the CLI
// shows about it.
type configuredPrinter struct {
	agent.Printer
	cfg  config.Printer
	lang printer.Language
	size label.Size
}

// LabelSize tells the agent which label size to lay out.
func (p configuredPrinter) LabelSize() (w, h float64) { return p.size.W, p.size.H }

// Trust trusts an ipps printer's new certificate (see ipp.Printer.Trust).
func (p configuredPrinter) Trust(ctx context.Context) (string, error) {
	if t, ok := p.Printer.(interface {
		Trust(context.Context) (string, error)
	}); ok {
		return t.Trust(ctx)
	}
	return "", fmt.Errorf("printer %q has no certificate to trust: %w", p.cfg.Name, printer.ErrUnsupported)
}

// Status asks the printer, where the driver can tell.
func (p configuredPrinter) Status(ctx context.Context) (printer.Status, error) {
	return printer.QueryStatus(ctx, p.Printer)
}

// buildPrinter makes one printer's driver from its config entry.
func buildPrinter(ctx context.Context, pc config.Printer, dev *devices) (configuredPrinter, error) {
	out := configuredPrinter{cfg: pc}
	fail := func(err error) (configuredPrinter, error) {
		return out, fmt.Errorf("printer %q: %w", pc.Name, err)
	}
	u, err := printer.ParseURI(pc.URI)
	if err != nil {
		return fail(err)
	}
	if out.lang, err = printer.ParseLanguage(pc.Language); err != nil {
		return fail(err)
	}
	out.size = label.Size100x150
	if pc.Size != "" {
		if out.size, err = label.ParseSize(pc.Size); err != nil {
			return fail(err)
		}
	}
	dpi := float64(pc.DPI)
	if dpi == 0 {
		dpi = 203
	}
	raw := func(send printer.Sender) (*printer.Raw, error) {
		r, err := dev.renderer(ctx)
		if err != nil {
			return nil, err
		}
		mk := label.NewMaker(label.Options{Size: out.size, DPI: dpi}, r)
		return printer.NewRaw(pc.Name, out.lang, mk, send, raster.Options{Threshold: uint8(pc.Threshold), Dither: pc.Dither, NoSnap: pc.NoBarcodeSnap}), nil
	}
	needRaw := func() error {
		if out.lang == printer.PDF {
			return errors.New(i18n.T("config.needs_raw", "URI", pc.URI))
		}
		return nil
	}
	switch u.Scheme {
	case "file":
		f := folder.New(pc.Name, filepath.FromSlash(u.Dir))
		if out.lang == printer.PDF {
			out.Printer = f
			return out, nil
		}
		f.Ext = "." + string(out.lang)
		out.Printer, err = raw(f)
	case "ipp", "ipps", "cups":
		p := ipp.New(pc.Name, u.Endpoint, out.size.W, out.size.H)
		if u.Scheme == "ipps" {
			p.TrustOnFirstUse(dev.pins, nil)
		}
		if out.lang != printer.PDF {
			if p.Raw, err = raw(nil); err != nil {
				return fail(err)
			}
		}
		out.Printer = p
		return out, nil
	case "socket":
		if err := needRaw(); err != nil {
			return fail(err)
		}
		out.Printer, err = raw(socket.New(pc.Name, u.Addr, out.lang))
	case "usb":
		if err := needRaw(); err != nil {
			return fail(err)
		}
		bus, berr := dev.usb()
		if berr != nil {
			return fail(berr)
		}
		out.Printer, err = raw(&usb.Sender{Name: pc.Name, URI: u, Lang: out.lang, Bus: bus})
	case "spool":
		if err := needRaw(); err != nil {
			return fail(err)
		}
		out.Printer, err = raw(winspool.New(pc.Name, u.Queue))
	default:
		return fail(errors.New(i18n.T("config.bad_scheme", "Scheme", strconv.Quote(u.Scheme), "Allowed", printer.AllowedURIs)))
	}
	if err != nil {
		return fail(err)
	}
	return out, nil
}

// printers builds every configured printer.
func (e *env) printers(ctx context.Context) ([]configuredPrinter, error) {
	var out []configuredPrinter
	for _, pc := range e.cfg.Printers {
		p, err := buildPrinter(ctx, pc, e.dev())
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

func (e *env) dev() *devices {
	if e.devs == nil {
		e.devs = &devices{cacheDir: e.cfg.Agent.CacheDir, pins: ipp.NewPins(filepath.Join(e.cfg.Agent.DataDir, "ipps-pins.json"))}
	}
	return e.devs
}

// agentFor builds an agent (not running) from the config.
func (e *env) agentFor(ctx context.Context, st *store.Store, client *api.Client, opts agent.Options) (*agent.Agent, error) {
	prs, err := e.printers(ctx)
	if err != nil {
		return nil, err
	}
	routes := map[string]string{}
	for _, p := range prs {
		opts.Printers = append(opts.Printers, p)
		if p.cfg.Default || opts.Default == "" {
			opts.Default = p.cfg.Name
		}
		for _, r := range p.cfg.Routes {
			routes[r] = p.cfg.Name
		}
	}
	opts.Routes = routes
	for _, w := range e.cfg.Webhooks {
		opts.Webhooks = append(opts.Webhooks, agent.Webhook{URL: w.URL, Secret: w.Secret})
	}
	r, err := e.dev().renderer(ctx)
	if err != nil {
		return nil, err
	}
	opts.Labels = label.NewAnySize(label.Options{}, r)
	opts.DataDir = e.cfg.Agent.DataDir
	opts.PollMin, opts.PollMax, opts.PollDeadline = e.cfg.Agent.PollMin.Duration, e.cfg.Agent.PollMax.Duration, e.cfg.Agent.PollDeadline.Duration
	opts.Workers, opts.InboxSettle = e.cfg.Agent.Workers, e.cfg.Agent.InboxSettle.Duration
	opts.Logger = e.log
	return agent.New(ctx, st, client, opts)
}
