package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"cnx-agent/i18n"
	"cnx-agent/printer"
	"cnx-agent/printer/ipp"
	"cnx-agent/printer/testlabel"
	"cnx-agent/printer/usb"
	"cnx-agent/printer/winspool"
)

// printerRow is one line of `printers --json`.
type printerRow struct {
	Name       string   `json:"name"`
	URI        string   `json:"uri"`
	Language   string   `json:"language"`
	Size       string   `json:"size"`
	Default    bool     `json:"default"`
	Routes     []string `json:"routes,omitempty"`
	State      string   `json:"state"`
	Reasons    []string `json:"reasons,omitempty"`
	Model      string   `json:"model,omitempty"`
	Error      string   `json:"error,omitempty"`
	ConfigLine string   `json:"config,omitempty"` // for discovered printers
}

func cmdPrinters(ctx context.Context, e *env, args []string) error {
	fs := e.flags("[test NAME | trust NAME] [--udev-rule]")
	udev := fs.Bool("udev-rule", false, i18n.T("flag.udev-rule"))
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if err := e.load(); err != nil {
		return err
	}
	switch {
	case fs.NArg() == 2 && fs.Arg(0) == "test":
		return printTest(ctx, e, fs.Arg(1))
	case fs.NArg() == 2 && fs.Arg(0) == "trust":
		return trustPrinter(ctx, e, fs.Arg(1))
	case fs.NArg() != 0:
		fs.Usage()
		return errUsage
	case *udev:
		return printUdev(ctx, e)
	}
	prs, err := e.printers(ctx)
	if err != nil {
		return err
	}
	var rows []printerRow
	for _, p := range prs {
		row := printerRow{Name: p.cfg.Name, URI: p.cfg.URI, Language: string(p.lang), Size: p.size.String(), Default: p.cfg.Default, Routes: p.cfg.Routes}
		st, err := p.Status(ctx)
		row.State, row.Reasons, row.Model = st.State, st.Reasons, st.Model
		if err != nil {
			row.Error = err.Error()
		}
		rows = append(rows, row)
	}
	found := discover(ctx, e)
	if e.asJSON {
		return e.printJSON(map[string]any{"configured": rows, "discovered": found})
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tURI\tLANG\tSIZE\tSTATE\tREASONS\tMODEL")
	for _, r := range rows {
		name := r.Name
		if r.Default {
			name += " *"
		}
		state := r.State
		if r.Error != "" {
			state += " (" + r.Error + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", name, r.URI, r.Language, r.Size, state, strings.Join(r.Reasons, ","), r.Model)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(found) > 0 {
		fmt.Fprintln(e.stdout, "\n"+i18n.T("cli.discovered"))
		for _, f := range found {
			fmt.Fprintf(e.stdout, "\n# %s %s\n%s", f.Model, f.State, f.ConfigLine)
			if f.Error != "" {
				fmt.Fprintf(e.stdout, "# %s\n", strings.ReplaceAll(f.Error, "\n", "\n# "))
			}
		}
	}
	return nil
}

// discover lists local CUPS queues, USB printer-class devices and Windows
// spooler printers.
func discover(ctx context.Context, e *env) []printerRow {
	var out []printerRow
	line := func(name, uri, lang string) string { // a TOML table to paste
		s := fmt.Sprintf("[[printers]]\nname = %q\nuri = %q\n", name, uri)
		if lang != "" && lang != "pdf" {
			s += fmt.Sprintf("language = %q\ndpi = 203\n", lang)
		}
		return s
	}
	cctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	queues, _ := ipp.CUPSPrinters(cctx, "http://localhost:631")
	cancel()
	for _, q := range queues {
		out = append(out, printerRow{Name: q.Name, URI: "cups://" + q.Name, State: q.State, Model: q.Model, ConfigLine: line(q.Name, "cups://"+q.Name, "")})
	}
	if bus, err := e.dev().usb(); err == nil {
		devs, _ := usb.Discover(ctx, bus)
		for _, d := range devs {
			name := strings.ToLower(strings.ReplaceAll(strings.TrimSpace(d.ID.Manufacturer+"-"+d.ID.Model), " ", "-"))
			if name == "-" || name == "" {
				name = fmt.Sprintf("usb-%04x-%04x", d.Device.VID, d.Device.PID)
			}
			row := printerRow{Name: name, URI: d.URI, Language: string(d.Language), State: "found",
				Model: strings.TrimSpace(d.ID.Manufacturer + " " + d.ID.Model), ConfigLine: line(name, d.URI, string(d.Language))}
			if d.Err != nil {
				row.Error = (&usb.PermissionError{Printer: name, Device: d.Device, Err: d.Err}).Error()
			}
			out = append(out, row)
		}
	}
	names, _ := winspool.Printers()
	for _, n := range names {
		out = append(out, printerRow{Name: n, URI: "spool://" + n, State: "found", ConfigLine: line(n, "spool://"+n, "zpl")})
	}
	return out
}

func printUdev(ctx context.Context, e *env) error {
	seen := map[string]bool{}
	emit := func(vid, pid uint16) {
		r := usb.UdevRule(vid, pid)
		if !seen[r] {
			seen[r] = true
			fmt.Fprintln(e.stdout, r)
		}
	}
	fmt.Fprintf(e.stdout, "# save as %s, then: sudo udevadm control --reload-rules && sudo udevadm trigger\n", usb.UdevRulePath)
	prs, err := e.printers(ctx)
	if err == nil {
		for _, p := range prs {
			if strings.HasPrefix(p.cfg.URI, "usb://") {
				var vid, pid uint16
				if _, err := fmt.Sscanf(strings.TrimPrefix(p.cfg.URI, "usb://"), "%x:%x", &vid, &pid); err == nil {
					emit(vid, pid)
				}
			}
		}
	}
	if bus, err := e.dev().usb(); err == nil {
		devs, _ := usb.Discover(ctx, bus)
		for _, d := range devs {
			emit(d.Device.VID, d.Device.PID)
		}
	}
	if len(seen) == 0 {
		fmt.Fprintln(e.stdout, "# no USB printer found or configured; for a printer with vendor 0a5f and product 0164:")
		fmt.Fprintln(e.stdout, usb.UdevRule(0x0a5f, 0x0164))
	}
	return nil
}

// configuredNamed returns the configured printer called name.
func configuredNamed(ctx context.Context, e *env, name string) (configuredPrinter, error) {
	prs, err := e.printers(ctx)
	if err != nil {
		return configuredPrinter{}, err
	}
	for _, p := range prs {
		if p.cfg.Name == name {
			return p, nil
		}
	}
	return configuredPrinter{}, usageErrorf("%s", i18n.T("cli.no_printer", "Name", strconv.Quote(name)))
}

// printTest prints the test label through the printer's full path.
func printTest(ctx context.Context, e *env, name string) error {
	p, err := configuredNamed(ctx, e, name)
	if err != nil {
		return err
	}
	pdf, err := testlabel.PDF(name, p.size.W, p.size.H, time.Now())
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "cnx-test-label-*")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "test-label.pdf")
	if err := os.WriteFile(file, pdf, 0o644); err != nil {
		return err
	}
	pctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	if err := p.Print(pctx, file, "cnx-agent test label"); err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, i18n.T("cli.test_printed", "Name", name, "URI", p.cfg.URI))
	return nil
}

// trustPrinter trusts the certificate an ipps printer shows now, in place
// of the one pinned when it was first used (a replaced printer, a renewed
// certificate). It prints the fingerprint to compare with the printer's
// own status page.
func trustPrinter(ctx context.Context, e *env, name string) error {
	p, err := configuredNamed(ctx, e, name)
	if err != nil {
		return err
	}
	ip, ok := p.Printer.(*ipp.Printer)
	if u, _ := printer.ParseURI(p.cfg.URI); !ok || u.Scheme != "ipps" {
		return usageErrorf("%s", i18n.T("cli.not_ipps", "Name", strconv.Quote(name), "URI", p.cfg.URI))
	}
	qctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	trust := ip.Trust
	if c := e.apiClient(ctx); c != nil { // the running agent owns the printers (and its data dir)
		trust = func(ctx context.Context) (string, error) { return c.TrustPrinter(ctx, name) }
	}
	fp, err := trust(qctx)
	switch {
	case err != nil:
		return err
	case fp == "":
		fmt.Fprintln(e.stdout, i18n.T("cli.trusted_ca", "Name", name, "Addr", ip.Addr()))
	default:
		fmt.Fprintln(e.stdout, i18n.T("cli.trusted", "Name", name, "Addr", ip.Addr(), "Fingerprint", fp))
	}
	return nil
}
