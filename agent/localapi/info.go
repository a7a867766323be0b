package localapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"cnx-agent/agent"
	"cnx-agent/agent/store"
	"cnx-agent/api"
	"cnx-agent/printer"
	"cnx-agent/printer/testlabel"
)

// PrinterView is one printer in GET /printers.
type PrinterView struct {
	Name    string   `json:"name"`
	Default bool     `json:"default"`
	State   string   `json:"state"`
	Reasons []string `json:"reasons,omitempty"`
	Model   string   `json:"model,omitempty"`
	Error   string   `json:"error,omitempty"`
	// CertChanged: an ipps printer shows another certificate than the one
	// trusted; POST printers/{name}/trust takes the new one.
	CertChanged bool `json:"cert_changed,omitempty"`
}

func (s *Server) printers(w http.ResponseWriter, r *http.Request) {
	var out []PrinterView
	def := s.o.Agent.DefaultPrinter()
	for _, p := range s.o.Agent.Printers() {
		st, err := printer.QueryStatus(r.Context(), p)
		v := PrinterView{Name: p.Name(), Default: p.Name() == def, State: st.State, Reasons: st.Reasons, Model: st.Model}
		if err != nil {
			v.Error = err.Error()
			v.CertChanged = errors.Is(err, printer.ErrUntrustedCertificate)
		}
		out = append(out, v)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) account(w http.ResponseWriter, r *http.Request) {
	if s.o.Client == nil {
		writeErr(w, http.StatusServiceUnavailable, errors.New("no CNExpress client"))
		return
	}
	a, err := s.o.Client.Account(r.Context())
	if err != nil {
		writeErr(w, http.StatusBadGateway, err)
		return
	}
	writeJSON(w, http.StatusOK, a)
}

func (s *Server) logs(w http.ResponseWriter, r *http.Request) {
	n, _ := strconv.Atoi(r.URL.Query().Get("lines"))
	var lines []string
	if s.o.Logs != nil {
		lines = s.o.Logs.Lines(n)
	}
	writeJSON(w, http.StatusOK, map[string][]string{"lines": lines})
}

// events streams store events as Server-Sent Events ("event: job"), from
// Last-Event-ID when the client reconnects, with a comment every 15 s to
// keep the connection open.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	fl, ok := w.(http.Flusher)
	if !ok {
		writeErr(w, http.StatusInternalServerError, errors.New("streaming unsupported"))
		return
	}
	last, _ := strconv.ParseInt(r.Header.Get("Last-Event-ID"), 10, 64)
	if last == 0 {
		if evs, err := s.o.Store.Events(r.Context(), 0, 1); err == nil && len(evs) > 0 {
			last = evs[len(evs)-1].ID // new clients get what happens from now on
		}
	}
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	fmt.Fprint(w, ": cnx-agent events\n\n")
	fl.Flush()
	poll := time.NewTicker(s.o.EventPoll)
	defer poll.Stop()
	keep := time.NewTicker(15 * time.Second)
	defer keep.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-keep.C:
			fmt.Fprint(w, ": keep-alive\n\n")
			fl.Flush()
		case <-poll.C:
			evs, err := s.o.Store.EventsAfter(r.Context(), last, 100)
			if err != nil {
				return
			}
			for _, e := range evs {
				b, _ := json.Marshal(e)
				fmt.Fprintf(w, "id: %d\nevent: job\ndata: %s\n\n", e.ID, b)
				last = e.ID
			}
			if len(evs) > 0 {
				fl.Flush()
			}
		}
	}
}

// export is one CSV row per package of the jobs made since ?since=DATE.
func (s *Server) export(w http.ResponseWriter, r *http.Request) {
	since, err := time.ParseInLocation("2006-01-02", r.URL.Query().Get("since"), time.Local)
	if err != nil {
		writeErr(w, http.StatusBadRequest, errors.New("want ?since=YYYY-MM-DD"))
		return
	}
	rows, err := agent.ExportRows(r.Context(), s.o.Store, since)
	if err != nil {
		writeErr(w, http.StatusInternalServerError, err)
		return
	}
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	_ = agent.WriteCSV(w, rows)
}

// TrackingView is GET /tracking/{no}.
type TrackingView struct {
	Test     bool          `json:"test"` // a test-mode number: no tracking
	Tracking *api.Tracking `json:"tracking,omitempty"`
}

func (s *Server) tracking(w http.ResponseWriter, r *http.Request) {
	no := r.PathValue("no")
	if strings.HasPrefix(no, "TEST") {
		writeJSON(w, http.StatusOK, TrackingView{Test: true})
		return
	}
	if s.o.Client == nil {
		writeErr(w, http.StatusServiceUnavailable, errors.New("no CNExpress client"))
		return
	}
	t, err := s.o.Client.Tracking(r.Context(), no)
	if err != nil {
		st := http.StatusBadGateway
		if errors.Is(err, api.ErrNotFound) {
			st = http.StatusNotFound
		}
		writeErr(w, st, err)
		return
	}
	writeJSON(w, http.StatusOK, TrackingView{Tracking: t})
}

func (s *Server) settings(w http.ResponseWriter, r *http.Request) {
	var st Settings
	if s.o.Settings != nil {
		st = s.o.Settings()
	}
	if jobs, err := s.o.Store.Jobs(r.Context(), store.Filter{Limit: 20}); err == nil {
		for _, j := range jobs {
			if j.RequestNo != "" {
				st.Mode = map[bool]string{true: "test", false: "live"}[j.TestMode]
				break
			}
		}
	}
	if s.o.Client != nil {
		ctx, cancel := context.WithTimeout(r.Context(), 10*time.Second)
		a, err := s.o.Client.Account(ctx)
		cancel()
		if err != nil {
			st.CreditError = err.Error()
		} else {
			st.Credit = a.Credit
		}
	}
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) setDefault(w http.ResponseWriter, r *http.Request) {
	if err := s.o.Agent.SetDefaultPrinter(r.Context(), r.PathValue("name")); err != nil {
		writeErr(w, statusFor(err), err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"default": r.PathValue("name")})
}

// trust trusts an ipps printer's new certificate.
func (s *Server) trust(w http.ResponseWriter, r *http.Request) {
	fp, err := s.o.Agent.TrustPrinter(r.Context(), r.PathValue("name"))
	if err != nil {
		writeErr(w, statusFor(err), err)
		return
	}
	writeJSON(w, http.StatusOK, TrustResult{Printer: r.PathValue("name"), Fingerprint: fp})
}

// TrustResult is the answer to a trust: the fingerprint now pinned, empty
// when a CA vouches for the certificate.
type TrustResult struct {
	Printer     string `json:"printer"`
	Fingerprint string `json:"fingerprint,omitempty"`
}

// testPrint prints the test label (rulers, date, Code 128) on a printer.
func (s *Server) testPrint(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	pdf, err := testlabel.PDF(name, 100, 150, time.Now())
	if err != nil {
		writeErr(w, http.StatusInternalServerError, err)
		return
	}
	dir, err := os.MkdirTemp("", "cnx-test-label-*")
	if err != nil {
		writeErr(w, http.StatusInternalServerError, err)
		return
	}
	defer os.RemoveAll(dir)
	file := filepath.Join(dir, "test-label.pdf")
	if err := os.WriteFile(file, pdf, 0o644); err != nil {
		writeErr(w, http.StatusInternalServerError, err)
		return
	}
	if err := s.o.Agent.TestPrint(r.Context(), name, file); err != nil {
		writeErr(w, statusFor(err), err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"printed": name})
}
