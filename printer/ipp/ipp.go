// Package ipp prints to IPP printers and CUPS queues with goipp for the
// encoding: Print-Job (PDF, or a raw printer language to a CUPS raw queue),
// Get-Job-Attributes until the job ends, Get-Printer-Attributes for state,
// and CUPS-Get-Printers for discovery.
package ipp

import (
	"bytes"
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/user"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/OpenPrinting/goipp"

	"cnx-agent/printer"
)

// Printer is one IPP printer or CUPS queue.
type Printer struct {
	name     string
	endpoint string // http(s)://host:port/path
	uri      string // the printer-uri sent in requests (ipp://…)
	format   string // document-format
	widthMM  float64
	heightMM float64
	hc       *http.Client
	user     string
	reqID    atomic.Uint32
	// Poll is how often Get-Job-Attributes is asked, default 500ms.
	Poll time.Duration
	// Raw, if set, turns the label PDF into the queue's raw language
	// (sent as application/vnd.cups-raw).
	Raw *printer.Raw
	// pins and roots, for an ipps printer: see TrustOnFirstUse.
	pins  *Pins
	roots *x509.CertPool
}

// New returns a printer at an IPP endpoint (http://host:631/printers/q or
// http://host:631/ipp/print), for labels of the given size in mm.
func New(name, endpoint string, widthMM, heightMM float64) *Printer {
	u := "labels"
	if cur, err := user.Current(); err == nil {
		u = cur.Username
	}
	uri := endpoint
	switch {
	case strings.HasPrefix(uri, "http://"):
		uri = "ipp://" + strings.TrimPrefix(uri, "http://")
	case strings.HasPrefix(uri, "https://"):
		uri = "ipps://" + strings.TrimPrefix(uri, "https://")
	}
	return &Printer{name: name, endpoint: endpoint, uri: uri, format: "application/pdf", widthMM: widthMM, heightMM: heightMM,
		hc: &http.Client{Timeout: 60 * time.Second}, user: u, Poll: 500 * time.Millisecond}
}

// Name is the configured name.
func (p *Printer) Name() string { return p.name }

func (p *Printer) request(op goipp.Op) *goipp.Message {
	m := goipp.NewRequest(goipp.DefaultVersion, op, p.reqID.Add(1))
	m.Operation.Add(goipp.MakeAttribute("attributes-charset", goipp.TagCharset, goipp.String("utf-8")))
	m.Operation.Add(goipp.MakeAttribute("attributes-natural-language", goipp.TagLanguage, goipp.String("en")))
	m.Operation.Add(goipp.MakeAttribute("printer-uri", goipp.TagURI, goipp.String(p.uri)))
	m.Operation.Add(goipp.MakeAttribute("requesting-user-name", goipp.TagName, goipp.String(p.user)))
	return m
}

// StatusError is an IPP status other than successful-ok.
type StatusError struct {
	Op     goipp.Op
	Status goipp.Status
	Msg    string
}

func (e *StatusError) Error() string {
	s := fmt.Sprintf("%s: %s", e.Op, e.Status)
	if e.Msg != "" {
		s += ": " + e.Msg
	}
	return s
}

// do sends one IPP request (with an optional document) and decodes the
// answer; server-error-busy is retried with backoff.
func (p *Printer) do(ctx context.Context, m *goipp.Message, doc []byte) (*goipp.Message, error) {
	head, err := m.EncodeBytes()
	if err != nil {
		return nil, err
	}
	delay := 200 * time.Millisecond
	for attempt := 0; ; attempt++ {
		body := io.MultiReader(bytes.NewReader(head), bytes.NewReader(doc))
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.endpoint, body)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", goipp.ContentType)
		req.ContentLength = int64(len(head) + len(doc))
		resp, err := p.hc.Do(req)
		if err != nil {
			return nil, err
		}
		var ans goipp.Message
		derr := ans.Decode(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, fmt.Errorf("%s: HTTP %s", goipp.Op(m.Code), resp.Status)
		}
		if derr != nil {
			return nil, fmt.Errorf("%s: decode answer: %w", goipp.Op(m.Code), derr)
		}
		st := goipp.Status(ans.Code)
		if st == goipp.StatusErrorBusy && attempt < 20 {
			t := time.NewTimer(delay)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, ctx.Err()
			case <-t.C:
			}
			delay = min(delay*2, 3*time.Second)
			continue
		}
		if st >= 0x0100 { // not a successful-ok* status
			return &ans, &StatusError{Op: goipp.Op(m.Code), Status: st, Msg: attrString(ans.Operation, "status-message")}
		}
		return &ans, nil
	}
}

func attrString(as goipp.Attributes, name string) string {
	for _, a := range as {
		if a.Name == name && len(a.Values) > 0 {
			return a.Values[0].V.String()
		}
	}
	return ""
}

func attrStrings(as goipp.Attributes, name string) []string {
	for _, a := range as {
		if a.Name == name {
			out := make([]string, len(a.Values))
			for i, v := range a.Values {
				out[i] = v.V.String()
			}
			return out
		}
	}
	return nil
}

func attrInt(as goipp.Attributes, name string) int {
	n, _ := strconv.Atoi(attrString(as, name))
	return n
}

// Info is what Get-Printer-Attributes tells.
type Info struct {
	printer.Status
	MediaSupported []string
	MediaReady     []string
	Formats        []string
	MakeAndModel   string
}

var stateNames = map[int]string{3: "idle", 4: "processing", 5: "stopped"}

// Info asks the printer for its state, reasons, media and formats.
func (p *Printer) Info(ctx context.Context) (*Info, error) {
	m := p.request(goipp.OpGetPrinterAttributes)
	m.Operation.Add(goipp.MakeAttr("requested-attributes", goipp.TagKeyword,
		goipp.String("printer-state"), goipp.String("printer-state-reasons"), goipp.String("media-supported"),
		goipp.String("media-ready"), goipp.String("document-format-supported"), goipp.String("printer-make-and-model")))
	ans, err := p.do(ctx, m, nil)
	if err != nil {
		return nil, fmt.Errorf("printer %s: %w", p.name, err)
	}
	st := stateNames[attrInt(ans.Printer, "printer-state")]
	if st == "" {
		st = "unknown"
	}
	reasons := attrStrings(ans.Printer, "printer-state-reasons")
	if len(reasons) == 1 && reasons[0] == "none" {
		reasons = nil
	}
	return &Info{
		Status:         printer.Status{State: st, Reasons: reasons, Model: attrString(ans.Printer, "printer-make-and-model")},
		MediaSupported: attrStrings(ans.Printer, "media-supported"),
		MediaReady:     attrStrings(ans.Printer, "media-ready"),
		Formats:        attrStrings(ans.Printer, "document-format-supported"),
		MakeAndModel:   attrString(ans.Printer, "printer-make-and-model"),
	}, nil
}

// Status reports the printer's state.
func (p *Printer) Status(ctx context.Context) (printer.Status, error) {
	info, err := p.Info(ctx)
	if err != nil {
		return printer.Status{State: "offline", Reasons: []string{"offline"}}, err
	}
	return info.Status, nil
}

// pwgMedia matches self-describing media names: class_name_WxHunit.
var pwgMedia = regexp.MustCompile(`^[a-z0-9-]+_[^_]*_([0-9.]+)x([0-9.]+)(mm|in)$`)

// PickMedia chooses the media name for a label of w×h mm from what the
// printer lists: the closest size within 3 mm (either way round), else a
// custom size when the printer takes custom sizes, else "" (printer
// default).
func PickMedia(supported []string, w, h float64) string {
	best, bestDiff := "", 3.0
	custom := false
	for _, name := range supported {
		if strings.HasPrefix(name, "custom_min_") || strings.HasPrefix(name, "custom_max_") {
			custom = true
			continue
		}
		m := pwgMedia.FindStringSubmatch(name)
		if m == nil {
			continue
		}
		mw, _ := strconv.ParseFloat(m[1], 64)
		mh, _ := strconv.ParseFloat(m[2], 64)
		if m[3] == "in" {
			mw, mh = mw*25.4, mh*25.4
		}
		d := max(abs(mw-w), abs(mh-h))
		if d2 := max(abs(mh-w), abs(mw-h)); d2 < d {
			d = d2
		}
		if d < bestDiff || (d == bestDiff && best == "") {
			best, bestDiff = name, d
		}
	}
	if best == "" && custom {
		return fmt.Sprintf("custom_%gx%gmm_%gx%gmm", w, h, w, h)
	}
	return best
}

func abs(f float64) float64 {
	if f < 0 {
		return -f
	}
	return f
}

// Job states (RFC 8011).
const (
	jobPending    = 3
	jobHeld       = 4
	jobProcessing = 5
	jobStopped    = 6
	jobCanceled   = 7
	jobAborted    = 8
	jobCompleted  = 9
)

// Print sends the label PDF at file (or its raw rendering to a raw queue)
// as one job named title, and waits until the printer says the job is
// completed. A printer that is not ready gets nothing (NotReadyError).
func (p *Printer) Print(ctx context.Context, file, title string) error {
	info, err := p.Info(ctx)
	var changed *CertChangedError
	switch {
	case errors.As(err, &changed):
		return &printer.NotReadyError{Printer: p.name, Reason: changed.Error()}
	case err != nil:
		return &printer.NotReadyError{Printer: p.name, Reason: "offline (" + err.Error() + ")"}
	}
	if r := printer.BlockingReason(info.Reasons); r != "" || info.State == "stopped" {
		if r == "" {
			r = "stopped"
		}
		return &printer.NotReadyError{Printer: p.name, Reason: r}
	}
	var doc []byte
	format := p.format
	if p.Raw != nil {
		doc, err = p.Raw.Encode(ctx, file)
		format = "application/vnd.cups-raw"
	} else {
		doc, err = os.ReadFile(file)
	}
	if err != nil {
		return printer.Failed(p.name, err)
	}
	m := p.request(goipp.OpPrintJob)
	m.Operation.Add(goipp.MakeAttribute("job-name", goipp.TagName, goipp.String(title)))
	m.Operation.Add(goipp.MakeAttribute("document-format", goipp.TagMimeType, goipp.String(format)))
	m.Job.Add(goipp.MakeAttribute("copies", goipp.TagInteger, goipp.Integer(1)))
	if p.Raw == nil {
		if media := PickMedia(info.MediaSupported, p.widthMM, p.heightMM); media != "" {
			m.Job.Add(goipp.MakeAttribute("media", goipp.TagKeyword, goipp.String(media)))
		}
	}
	ans, err := p.do(ctx, m, doc)
	if err != nil {
		var se *StatusError
		if errors.As(err, &se) {
			return printer.Failed(p.name, err) // refused: nothing printed
		}
		return printer.Uncertain(p.name, err) // the document may have been taken
	}
	id := attrInt(ans.Job, "job-id")
	if id == 0 {
		return printer.Uncertain(p.name, errors.New("Print-Job answer has no job-id"))
	}
	return p.wait(ctx, id, title)
}

// wait polls the job until it ends.
func (p *Printer) wait(ctx context.Context, id int, title string) error {
	for {
		m := p.request(goipp.OpGetJobAttributes)
		m.Operation.Add(goipp.MakeAttribute("job-id", goipp.TagInteger, goipp.Integer(id)))
		m.Operation.Add(goipp.MakeAttr("requested-attributes", goipp.TagKeyword, goipp.String("job-state"), goipp.String("job-state-reasons")))
		ans, err := p.do(ctx, m, nil)
		if err != nil {
			return printer.Uncertain(p.name, fmt.Errorf("job %d (%s): %w", id, title, err))
		}
		switch st := attrInt(ans.Job, "job-state"); st {
		case jobCompleted:
			return nil
		case jobCanceled:
			return printer.Failed(p.name, fmt.Errorf("job %d (%s) was canceled", id, title))
		case jobAborted:
			return printer.Uncertain(p.name, fmt.Errorf("job %d (%s) was aborted: %s", id, title, strings.Join(attrStrings(ans.Job, "job-state-reasons"), ", ")))
		}
		t := time.NewTimer(p.Poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return printer.Uncertain(p.name, fmt.Errorf("job %d (%s) not finished: %w", id, title, ctx.Err()))
		case <-t.C:
		}
	}
}

// Queue is a printer CUPS knows.
type Queue struct {
	Name  string `json:"name"`
	URI   string `json:"uri"`
	Model string `json:"model"`
	State string `json:"state"`
}

// CUPSPrinters asks a CUPS server (http://localhost:631) for its queues.
func CUPSPrinters(ctx context.Context, server string) ([]Queue, error) {
	p := New("cups", strings.TrimRight(server, "/")+"/", 0, 0)
	m := goipp.NewRequest(goipp.DefaultVersion, goipp.OpCupsGetPrinters, 1)
	m.Operation.Add(goipp.MakeAttribute("attributes-charset", goipp.TagCharset, goipp.String("utf-8")))
	m.Operation.Add(goipp.MakeAttribute("attributes-natural-language", goipp.TagLanguage, goipp.String("en")))
	m.Operation.Add(goipp.MakeAttr("requested-attributes", goipp.TagKeyword,
		goipp.String("printer-name"), goipp.String("printer-uri-supported"), goipp.String("printer-make-and-model"), goipp.String("printer-state")))
	ans, err := p.do(ctx, m, nil)
	if err != nil {
		var se *StatusError
		if errors.As(err, &se) && se.Status == goipp.StatusErrorNotFound {
			return nil, nil // no printers
		}
		return nil, fmt.Errorf("CUPS-Get-Printers: %w", err)
	}
	var out []Queue
	for _, g := range ans.Groups {
		if g.Tag != goipp.TagPrinterGroup {
			continue
		}
		q := Queue{Name: attrString(g.Attrs, "printer-name"), Model: attrString(g.Attrs, "printer-make-and-model"),
			State: stateNames[attrInt(g.Attrs, "printer-state")]}
		if uris := attrStrings(g.Attrs, "printer-uri-supported"); len(uris) > 0 {
			q.URI = uris[0]
		}
		out = append(out, q)
	}
	return out, nil
}
