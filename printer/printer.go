// Package printer names printers as CUPS does (a URI), reports their
// state, and turns label PDFs into what each kind of printer takes: PDF for
// IPP/CUPS, or a rasterized printer language (ZPL, TSPL, EPL2, ESC/POS) for
// raw USB, TCP 9100 and spooler printers. The transports live in
// sub-packages.
package printer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Language is what a printer understands.
type Language string

// Printer languages.
const (
	PDF    Language = "pdf"
	ZPL    Language = "zpl"
	TSPL   Language = "tspl"
	EPL    Language = "epl"
	ESCPOS Language = "escpos"
)

// Languages lists the languages a config may name.
var Languages = []Language{PDF, ZPL, TSPL, EPL, ESCPOS}

// ParseLanguage reads a config's language ("" is pdf).
func ParseLanguage(s string) (Language, error) {
	if s == "" {
		return PDF, nil
	}
	for _, l := range Languages {
		if strings.EqualFold(s, string(l)) {
			return l, nil
		}
	}
	return "", fmt.Errorf("unknown language %q (allowed: pdf, zpl, tspl, epl, escpos)", s)
}

// URI is a parsed printer address.
type URI struct {
	Scheme string // ipp, ipps, cups, usb, socket, file, spool
	Raw    string
	// ipp/ipps: the HTTP endpoint; cups: the local CUPS queue's.
	Endpoint string
	// cups: the queue name; spool: the Windows printer name.
	Queue string
	// socket: host:port.
	Addr string
	// usb: vendor and product IDs, or make and model, and serial.
	VID, PID    uint16
	Make, Model string
	Serial      string
	// file: the folder.
	Dir string
}

// AllowedURIs is the help text for a bad URI.
const AllowedURIs = "ipp://HOST[:PORT]/PATH, ipps://…, cups://QUEUE, usb://VID:PID[?serial=S] or usb://MAKE/MODEL[?serial=S], socket://HOST[:9100], file:///DIR, spool://PRINTER NAME (Windows)"

// ParseURI reads a printer URI.
func ParseURI(raw string) (URI, error) {
	bad := func(why string) (URI, error) {
		return URI{}, fmt.Errorf("uri %q: %s; allowed: %s", raw, why, AllowedURIs)
	}
	// spool:// and usb:// names are not URL hosts (spaces; hex "ports").
	scheme, rest, _ := strings.Cut(raw, "://")
	switch strings.ToLower(scheme) {
	case "spool":
		name, err := url.PathUnescape(rest)
		if err != nil || name == "" {
			return bad("no printer name")
		}
		return URI{Scheme: "spool", Raw: raw, Queue: name}, nil
	case "usb":
		return parseUSB(raw, rest, bad)
	}
	u, err := url.Parse(raw)
	if err != nil {
		return bad(err.Error())
	}
	out := URI{Scheme: strings.ToLower(u.Scheme), Raw: raw}
	switch out.Scheme {
	case "ipp", "ipps":
		if u.Host == "" {
			return bad("no host")
		}
		scheme, port := "http", "631"
		if out.Scheme == "ipps" {
			scheme = "https"
		}
		host := u.Host
		if u.Port() == "" {
			host = net.JoinHostPort(u.Hostname(), port)
		}
		path := u.Path
		if path == "" {
			path = "/ipp/print"
		}
		out.Endpoint = scheme + "://" + host + path
	case "cups":
		q := u.Host + u.Path
		q = strings.Trim(q, "/")
		if q == "" || strings.Contains(q, "/") {
			return bad("want cups://QUEUE")
		}
		out.Queue = q
		out.Endpoint = "http://localhost:631/printers/" + url.PathEscape(q)
	case "socket":
		if u.Hostname() == "" {
			return bad("no host")
		}
		port := u.Port()
		if port == "" {
			port = "9100"
		}
		out.Addr = net.JoinHostPort(u.Hostname(), port)
	case "file":
		p := u.Path
		if p == "" {
			p = u.Opaque
		}
		if p == "" {
			return bad("no folder")
		}
		out.Dir = p
	default:
		return bad("unknown scheme " + strconv.Quote(u.Scheme))
	}
	return out, nil
}

func parseUSB(raw, rest string, bad func(string) (URI, error)) (URI, error) {
	out := URI{Scheme: "usb", Raw: raw}
	rest, query, _ := strings.Cut(rest, "?")
	if q, err := url.ParseQuery(query); err == nil {
		out.Serial = q.Get("serial")
	}
	host, path, _ := strings.Cut(rest, "/")
	path = strings.Trim(path, "/")
	if vid, pid, ok := strings.Cut(host, ":"); ok && path == "" {
		v, err1 := strconv.ParseUint(vid, 16, 16)
		p, err2 := strconv.ParseUint(pid, 16, 16)
		if err1 != nil || err2 != nil {
			return bad("want usb://VID:PID with hexadecimal IDs, such as usb://0a5f:0164")
		}
		out.VID, out.PID = uint16(v), uint16(p)
		return out, nil
	}
	if host == "" || path == "" {
		return bad("want usb://VID:PID or usb://MAKE/MODEL")
	}
	out.Make, _ = url.PathUnescape(host)
	out.Model, _ = url.PathUnescape(path)
	return out, nil
}

// NotReadyError means the printer cannot print now (offline, paused, out
// of media, cover open): nothing was sent, try again later.
type NotReadyError struct {
	Printer string
	Reason  string // e.g. "media-empty", "offline", "paused"
}

func (e *NotReadyError) Error() string {
	return fmt.Sprintf("printer %s is not ready: %s", e.Printer, e.Reason)
}

// NotReady returns the reason, for callers that wait for the printer.
func (e *NotReadyError) NotReady() string { return e.Reason }

// PrintError is a failed print that says whether the label may have come
// out anyway (bytes reached the printer, or a job was accepted).
type PrintError struct {
	Printer string
	Maybe   bool // the label may have printed
	Err     error
}

func (e *PrintError) Error() string {
	s := fmt.Sprintf("printer %s: %v", e.Printer, e.Err)
	if e.Maybe {
		s += " (the label may have printed)"
	}
	return s
}

func (e *PrintError) Unwrap() error { return e.Err }

// MayHavePrinted tells the agent not to print again by itself.
func (e *PrintError) MayHavePrinted() bool { return e.Maybe }

// Failed wraps err as a print that certainly did not print.
func Failed(name string, err error) error { return &PrintError{Printer: name, Err: err} }

// Uncertain wraps err as a print that may have printed.
func Uncertain(name string, err error) error {
	return &PrintError{Printer: name, Maybe: true, Err: err}
}

// ErrUnsupported is returned for a transport this build does not include.
var ErrUnsupported = errors.New("not supported on this system")

// ErrUntrustedCertificate is a printer showing another TLS certificate
// than the one trusted for it: nothing is sent until someone trusts it.
var ErrUntrustedCertificate = errors.New("the printer's TLS certificate is not the one trusted")

// Status is a printer's live state.
type Status struct {
	State   string   `json:"state"`   // idle, processing, stopped, offline, unknown
	Reasons []string `json:"reasons"` // IPP printer-state-reasons or the like
	Model   string   `json:"model,omitempty"`
}

// Ready reports whether the printer can take a job.
func (s Status) Ready() bool {
	if s.State == "stopped" || s.State == "offline" {
		return false
	}
	return BlockingReason(s.Reasons) == ""
}

// blocking are printer-state-reasons that stop printing.
var blocking = []string{"media-empty", "media-needed", "media-jam", "offline", "paused", "cover-open", "door-open",
	"marker-supply-empty", "toner-empty", "shutdown", "stopped", "head-open", "ribbon-empty", "connecting-to-device"}

// BlockingReason returns the first reason that stops printing, or "".
// "-report" and "-warning" suffixed reasons do not stop printing.
func BlockingReason(reasons []string) string {
	for _, r := range reasons {
		if strings.HasSuffix(r, "-report") || strings.HasSuffix(r, "-warning") {
			continue
		}
		base := strings.TrimSuffix(r, "-error")
		for _, b := range blocking {
			if base == b {
				return base
			}
		}
	}
	return ""
}

// QueryStatus asks a printer for its state when its driver can tell
// (within 5 s); a printer that cannot (a folder) counts as idle.
func QueryStatus(ctx context.Context, p any) (Status, error) {
	sp, ok := p.(interface {
		Status(context.Context) (Status, error)
	})
	if !ok {
		return Status{State: "idle"}, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	return sp.Status(ctx)
}
