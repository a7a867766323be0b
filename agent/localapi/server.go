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
	h("POST /api/v1/printers/{name}/trust", s.trust)
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
	var notReady interface{ NotReady() string } // a printer offline, paused, out of media
	switch {
	case errors.As(err, &mbe):
		return http.StatusRequestEntityTooLarge
	case errors.As(err, &notReady):
		return http.StatusServiceUnavailable
	case errors.Is(err, store.ErrNotFound):
		return http.StatusNotFound
	case errors.Is(err, agent.ErrNotAllowed), errors.Is(err, printer.ErrUnsupported):
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
