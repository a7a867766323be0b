// Package localapi is the agent's HTTP API on the loopback interface: the
// tray, the CLI and other local programs use it to see and steer a running
// agent. Every call needs the bearer token the agent writes to a file only
// its user can read; the Host header must name the loopback (a guard
// against DNS rebinding); bodies are size-limited; there is no CORS.
package localapi

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"cnx-agent/agent"
	"cnx-agent/agent/logring"
	"cnx-agent/agent/store"
	"cnx-agent/api"
	"cnx-agent/printer"
	"cnx-agent/printer/render"
	"cnx-agent/printer/testlabel"
)

// MaxBody bounds request bodies (an order file is a few KB).
const MaxBody = 1 << 20

// TokenFile is the token's file name in the data dir.
const TokenFile = "api-token"

// Options are what the server needs.
type Options struct {
	Agent    *agent.Agent
	Store    *store.Store
	Client   *api.Client
	Token    string
	Logs     *logring.Ring    // may be nil
	Renderer *render.Renderer // for label previews; may be nil
	Version  string
	Logger   *slog.Logger
	// EventPoll is how often the event stream looks for new events,
	// default 300ms.
	EventPoll time.Duration
	// Settings describes the configuration for the settings view (no
	// secrets); nil shows none.
	Settings func() Settings
}

// Settings is GET /settings: the configuration a person may want to see.
type Settings struct {
	APIRoot     string   `json:"api_root"`
	Username    string   `json:"username"`
	PasswordSet bool     `json:"password_set"`
	Inbox       string   `json:"inbox"`
	DataDir     string   `json:"data_dir"`
	Listen      string   `json:"listen"`
	Language    string   `json:"language"`
	ConfigPath  string   `json:"config_path"`
	Printers    []string `json:"printers"`
	// Mode is "test" or "live" as the last request said, "" before any.
	Mode   string  `json:"mode"`
	Credit float64 `json:"credit"`
	// CreditError says why the credit could not be read.
	CreditError string `json:"credit_error,omitempty"`
}

// Server serves the API.
type Server struct {
	o   Options
	mux *http.ServeMux
}

// New returns a server.
func New(o Options) *Server {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.EventPoll == 0 {
		o.EventPoll = 300 * time.Millisecond
	}
	s := &Server{o: o, mux: http.NewServeMux()}
	h := s.mux.HandleFunc
	h("GET /api/v1/status", s.status)
	h("GET /api/v1/jobs", s.jobs)
	h("POST /api/v1/jobs", s.submit)
	h("GET /api/v1/jobs/{id}", s.job)
	h("POST /api/v1/jobs/{id}/retry", s.retry)
	h("POST /api/v1/jobs/{id}/resolve", s.resolve)
	h("POST /api/v1/jobs/{id}/reprint", s.reprint)
	h("GET /api/v1/jobs/{id}/packages/{n}/label.png", s.preview)
	h("GET /api/v1/jobs/{id}/packages/{n}/label.pdf", s.labelPDF)
	h("POST /api/v1/reprint-last", s.reprintLast)
	h("POST /api/v1/pause", s.pause(true))
	h("POST /api/v1/resume", s.pause(false))
	h("GET /api/v1/printers", s.printers)
	h("GET /api/v1/account", s.account)
	h("GET /api/v1/logs", s.logs)
	h("GET /api/v1/events", s.events)
	h("GET /api/v1/export", s.export)
	h("GET /api/v1/tracking/{no}", s.tracking)
	h("GET /api/v1/settings", s.settings)
	h("POST /api/v1/printers/{name}/default", s.setDefault)
	h("POST /api/v1/printers/{name}/test", s.testPrint)
	return s
}

// ServeHTTP checks the Host, the token and the body size, then routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !LoopbackHost(r.Host) {
		writeErr(w, http.StatusForbidden, fmt.Errorf("host %q is not a loopback name", r.Host))
		return
	}
	tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || subtle.ConstantTimeCompare([]byte(tok), []byte(s.o.Token)) != 1 {
		w.Header().Set("WWW-Authenticate", `Bearer realm="cnx-agent"`)
		writeErr(w, http.StatusUnauthorized, errors.New("missing or wrong token (see the api-token file in the data dir)"))
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, MaxBody)
	s.mux.ServeHTTP(w, r)
}

// LoopbackHost accepts localhost, 127.0.0.0/8 and ::1, with or without a
// port.
func LoopbackHost(hostport string) bool {
	host := hostport
	if h, _, err := net.SplitHostPort(hostport); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Listen listens on a loopback address only.
func Listen(addr string) (net.Listener, error) {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("local API address %q: %w", addr, err)
	}
	if !LoopbackHost(host) {
		return nil, fmt.Errorf("local API address %q: only loopback addresses (127.0.0.1, ::1, localhost) are allowed", addr)
	}
	return net.Listen("tcp", addr)
}

// Serve serves on ln until ctx ends.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second, BaseContext: func(net.Listener) context.Context { return ctx }}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// EnsureToken reads the token file in dir, making one (0600) if missing.
func EnsureToken(dir string) (string, error) {
	path := filepath.Join(dir, TokenFile)
	if b, err := os.ReadFile(path); err == nil && len(strings.TrimSpace(string(b))) >= 32 {
		return strings.TrimSpace(string(b)), nil
	}
	buf := make([]byte, 32)
	if _, err := rand.Read(buf); err != nil {
		return "", err
	}
	tok := hex.EncodeToString(buf)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(tok+"\n"), 0o600); err != nil {
		return "", err
	}
	return tok, os.Rename(tmp, path)
}

// ReadToken reads the token a running agent wrote.
func ReadToken(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, TokenFile))
	if err != nil {
		return "", err
	}
	return strings.TrimSpace(string(b)), nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

// ErrorBody is the shape of every error answer.
type ErrorBody struct {
	Error  string           `json:"error"`
	Fields []api.FieldError `json:"fields,omitempty"`
}

func writeErr(w http.ResponseWriter, status int, err error) {
	body := ErrorBody{Error: err.Error()}
	var fe api.FieldErrors
	if errors.As(err, &fe) {
		body.Fields = fe
	}
	writeJSON(w, status, body)
}

// statusFor maps errors to HTTP statuses.
func statusFor(err error) int {
	var mbe *http.MaxBytesError
	switch {
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, agent.ErrNotAllowed):
		return http.StatusConflict
	}
	var fe api.FieldErrors
	if errors.As(err, &fe) {
		return http.StatusUnprocessableEntity
	}
	return http.StatusInternalServerError
}

func pathID(r *http.Request) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("job %q: %w", r.PathValue("id"), store.ErrNotFound)
	}
	return id, nil
}

// Status is GET /status.
type Status struct {
	Version   string         `json:"version"`
	Paused    bool           `json:"paused"`
	Counts    map[string]int `json:"counts"`
	Working   int            `json:"working"`   // jobs the pipeline is on
	Attention int            `json:"attention"` // jobs that need a person
	Printing  int            `json:"printing"`  // labels_ready + waiting_for_printer
	Queued    int            `json:"queued"`
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	counts, err := s.o.Store.Counts(r.Context())
	if err != nil {
		writeErr(w, http.StatusInternalServerError, err)
		return
	}
	st := Status{Version: s.o.Version, Paused: s.o.Agent.Paused(), Counts: map[string]int{}}
	for state, n := range counts {
		st.Counts[state.String()] = n
		if state.Active() {
			st.Working += n
		}
	}
	st.Attention = counts[store.NeedsAttention]
	st.Printing = counts[store.LabelsReady] + counts[store.WaitingForPrinter]
	st.Queued = counts[store.Queued]
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) jobs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := store.Filter{Limit: 50}
	if v := q.Get("limit"); v != "" {
		f.Limit, _ = strconv.Atoi(v)
	}
	f.Offset, _ = strconv.Atoi(q.Get("offset"))
	f.Limit = min(max(f.Limit, 1), 1000)
	for _, name := range q["state"] {
		st, err := store.ParseState(name)
		if err != nil {
			writeErr(w, http.StatusBadRequest, err)
			return
		}
		f.States = append(f.States, st)
	}
	jobs, err := s.o.Store.Jobs(r.Context(), f)
	if err != nil {
		writeErr(w, http.StatusInternalServerError, err)
		return
	}
	out := make([]JobView, len(jobs))
	for i, j := range jobs {
		out[i] = View(j)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) job(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		writeErr(w, http.StatusNotFound, err)
		return
	}
	j, err := s.o.Store.Job(r.Context(), id)
	if err != nil {
		writeErr(w, statusFor(err), err)
		return
	}
	d := JobDetail{JobView: View(j)}
	for _, p := range j.Packages {
		recs, err := s.o.Store.Prints(r.Context(), p.ID)
		if err != nil {
			writeErr(w, http.StatusInternalServerError, err)
			return
		}
		d.Prints = append(d.Prints, PackagePrints{TrackingNo: p.TrackingNo, Prints: recs})
	}
	if d.Events, err = s.o.Store.Events(r.Context(), id, 200); err != nil {
		writeErr(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) submit(w http.ResponseWriter, r *http.Request) {
	var raw json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&raw); err != nil {
		st := statusFor(err)
		if st == http.StatusInternalServerError {
			st = http.StatusBadRequest
		}
		writeErr(w, st, fmt.Errorf("not a CNExpress order: %w", err))
		return
	}
	var cat *api.Catalog
	if s.o.Client != nil {
		cat, _ = s.o.Client.Catalog(r.Context())
	}
	o, err := agent.ParseOrder(raw, cat)
	if err != nil {
		writeErr(w, http.StatusUnprocessableEntity, err)
		return
	}
	id, err := agent.Enqueue(r.Context(), s.o.Store, o, "api", "")
	if err != nil {
		writeErr(w, http.StatusInternalServerError, err)
		return
	}
	s.o.Agent.Wake()
	j, err := s.o.Store.Job(r.Context(), id)
	if err != nil {
		writeErr(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, http.StatusCreated, View(j))
}

func (s *Server) retry(w http.ResponseWriter, r *http.Request) {
	s.act(w, r, func(ctx context.Context, id int64) (*store.Job, error) { return agent.Retry(ctx, s.o.Store, id) })
}

// ResolveRequest is the body of POST jobs/{id}/resolve.
type ResolveRequest struct {
	Resubmit  bool   `json:"resubmit"`
	RequestNo string `json:"request_no"`
}

func (s *Server) resolve(w http.ResponseWriter, r *http.Request) {
	var req ResolveRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Resubmit == (req.RequestNo != "") {
		writeErr(w, http.StatusBadRequest, errors.New(`want {"resubmit": true} or {"request_no": "CE…"}`))
		return
	}
	s.act(w, r, func(ctx context.Context, id int64) (*store.Job, error) {
		if req.Resubmit {
			return agent.Resubmit(ctx, s.o.Store, id)
		}
		return agent.Attach(ctx, s.o.Store, id, req.RequestNo)
	})
}

func (s *Server) act(w http.ResponseWriter, r *http.Request, f func(context.Context, int64) (*store.Job, error)) {
	id, err := pathID(r)
	if err != nil {
		writeErr(w, http.StatusNotFound, err)
		return
	}
	j, err := f(r.Context(), id)
	if err != nil {
		writeErr(w, statusFor(err), err)
		return
	}
	s.o.Agent.Wake()
	writeJSON(w, http.StatusOK, View(j))
}

// ReprintRequest is the body of POST jobs/{id}/reprint ("" = every label).
type ReprintRequest struct {
	TrackingNo string `json:"tracking_no"`
}

// ReprintResult answers a reprint.
type ReprintResult struct {
	JobID   int64 `json:"job_id"`
	Printed int   `json:"printed"`
}

func (s *Server) reprint(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		writeErr(w, http.StatusNotFound, err)
		return
	}
	var req ReprintRequest
	if r.ContentLength != 0 {
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			writeErr(w, http.StatusBadRequest, err)
			return
		}
	}
	s.doReprint(w, r, id, req.TrackingNo)
}

func (s *Server) reprintLast(w http.ResponseWriter, r *http.Request) {
	id, tracking, err := s.o.Store.LastPrint(r.Context())
	if err != nil {
		writeErr(w, statusFor(err), err)
		return
	}
	s.doReprint(w, r, id, tracking)
}

func (s *Server) doReprint(w http.ResponseWriter, r *http.Request, id int64, tracking string) {
	n, err := s.o.Agent.Reprint(r.Context(), id, tracking)
	if err != nil {
		st := statusFor(err)
		var nr interface{ NotReady() string }
		if errors.As(err, &nr) {
			st = http.StatusServiceUnavailable
		}
		writeErr(w, st, err)
		return
	}
	writeJSON(w, http.StatusOK, ReprintResult{JobID: id, Printed: n})
}

func (s *Server) pause(p bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.o.Agent.SetPaused(p)
		writeJSON(w, http.StatusOK, map[string]bool{"paused": p})
	}
}

// PrinterView is one printer in GET /printers.
type PrinterView struct {
	Name    string   `json:"name"`
	Default bool     `json:"default"`
	State   string   `json:"state"`
	Reasons []string `json:"reasons,omitempty"`
	Model   string   `json:"model,omitempty"`
	Error   string   `json:"error,omitempty"`
}

func (s *Server) printers(w http.ResponseWriter, r *http.Request) {
	var out []PrinterView
	def := s.o.Agent.DefaultPrinter()
	for _, p := range s.o.Agent.Printers() {
		v := PrinterView{Name: p.Name(), Default: p.Name() == def, State: "idle"}
		if sp, ok := p.(interface {
			Status(context.Context) (printer.Status, error)
		}); ok {
			ctx, cancel := context.WithTimeout(r.Context(), 5*time.Second)
			st, err := sp.Status(ctx)
			cancel()
			v.State, v.Reasons, v.Model = st.State, st.Reasons, st.Model
			if err != nil {
				v.Error = err.Error()
			}
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

// labelPath finds package n (1-based) of a job and its label file.
func (s *Server) labelPath(r *http.Request) (string, error) {
	id, err := pathID(r)
	if err != nil {
		return "", err
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil {
		return "", fmt.Errorf("package %q: %w", r.PathValue("n"), store.ErrNotFound)
	}
	j, err := s.o.Store.Job(r.Context(), id)
	if err != nil {
		return "", err
	}
	if n < 1 || n > len(j.Packages) || j.Packages[n-1].Label == "" {
		return "", fmt.Errorf("job %d has no label for package %d: %w", id, n, store.ErrNotFound)
	}
	return j.Packages[n-1].Label, nil
}

func (s *Server) labelPDF(w http.ResponseWriter, r *http.Request) {
	path, err := s.labelPath(r)
	if err != nil {
		writeErr(w, statusFor(err), err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	http.ServeFile(w, r, path)
}

// preview renders a label at ?dpi= (default 96) as PNG.
func (s *Server) preview(w http.ResponseWriter, r *http.Request) {
	path, err := s.labelPath(r)
	if err != nil {
		writeErr(w, statusFor(err), err)
		return
	}
	if s.o.Renderer == nil {
		writeErr(w, http.StatusServiceUnavailable, errors.New("no PDF renderer"))
		return
	}
	dpi, _ := strconv.ParseFloat(r.URL.Query().Get("dpi"), 64)
	if dpi <= 0 || dpi > 300 {
		dpi = 96
	}
	b, err := os.ReadFile(path)
	if err != nil {
		writeErr(w, http.StatusInternalServerError, err)
		return
	}
	doc, err := s.o.Renderer.Open(b)
	if err != nil {
		writeErr(w, http.StatusInternalServerError, err)
		return
	}
	defer doc.Close()
	img, err := doc.GrayDPI(0, dpi)
	if err != nil {
		writeErr(w, http.StatusInternalServerError, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	_ = png.Encode(w, img)
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
	if err := s.o.Agent.SetDefaultPrinter(r.PathValue("name")); err != nil {
		writeErr(w, statusFor(err), err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"default": r.PathValue("name")})
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
		st := statusFor(err)
		var nr interface{ NotReady() string }
		if errors.As(err, &nr) {
			st = http.StatusServiceUnavailable
		}
		writeErr(w, st, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"printed": name})
}
