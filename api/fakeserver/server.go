// Package fakeserver is a faithful in-process CNExpress API v1 server for
// tests, the demo and integrators: Basic auth, test and live accounts, DRF
// error shapes, the Created → Waiting → Succeeded/Failed life cycle, real
// waybill PDFs, and fault injection.
package fakeserver

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"cnx-agent/api"
)

// Account is a login of the fake.
type Account struct {
	Username string
	Password string
	TestMode bool    // test accounts are not charged and get TEST… numbers
	Credit   float64 // GBP, live accounts only
}

// Options configure the fake. Zero values take the defaults shown.
type Options struct {
	// Accounts default to test/test (test mode) and live/live (credit 100).
	Accounts []Account
	// Polls is the number of GET requests/<no> after which a request is
	// done (default 2: the first answers Waiting, the second Succeeded).
	Polls int
	// Delay is the least time between POST and done.
	Delay time.Duration
	// FailWhen decides whether a request ends Failed and with what
	// error_msg; default: a receiver_id_number of all zeros fails the ID
	// check.
	FailWhen func(o *api.Order) (errorMsg string, fail bool)
	// WaybillFormat forces one page format for every route; "" picks the
	// route's own (cnpost 100x180, yto a4, ems 150x100, sf 4x6).
	WaybillFormat Format
	// Now is the clock, default time.Now.
	Now    func() time.Time
	Logger *slog.Logger
}

// PostRecord is one POST requests the fake received.
type PostRecord struct {
	Time      time.Time `json:"time"`
	Username  string    `json:"username"`
	OrderNo   string    `json:"order_no"`
	RequestNo string    `json:"request_no"` // "" when refused
	Status    int       `json:"status"`
}

// Server is the fake CNExpress API; mount it at the root: it serves
// /api/v1/…. Safe for concurrent use.
type Server struct {
	opts   Options
	mux    *http.ServeMux
	routes []routeDef
	cat    *api.Catalog
	faults *faults

	mu       sync.Mutex
	accounts map[string]*Account
	requests map[string]*request
	order    []string // request numbers in creation order
	seq      int
	liveSeq  int
	posts    []PostRecord
	calls    map[string]int // "METHOD path-pattern" → count
}

type request struct {
	no       string
	account  *Account
	order    api.Order
	created  time.Time
	polls    int
	status   string
	errMsg   string
	costs    []float64
	tracking []string
	pdfs     map[string][]byte // cached renders by format+key
}

// New returns a fake server.
func New(opts Options) *Server {
	if len(opts.Accounts) == 0 {
		opts.Accounts = []Account{
			{Username: "test", Password: "test", TestMode: true},
			{Username: "live", Password: "live", Credit: 100},
		}
	}
	if opts.Polls == 0 {
		opts.Polls = 2
	}
	if opts.FailWhen == nil {
		opts.FailWhen = defaultFailWhen
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		opts:     opts,
		routes:   defaultRoutes(),
		faults:   newFaults(),
		accounts: make(map[string]*Account),
		requests: make(map[string]*request),
		calls:    make(map[string]int),
	}
	for i := range opts.Accounts {
		a := opts.Accounts[i]
		s.accounts[a.Username] = &a
	}
	routes := make([]api.Route, len(s.routes))
	for i, r := range s.routes {
		routes[i] = r.Route
	}
	s.cat = api.NewCatalog(defaultProducts(), defaultCities(), routes)

	m := http.NewServeMux()
	m.HandleFunc("GET /api/v1/{$}", s.root)
	m.HandleFunc("GET /api/v1/account", s.auth(s.account))
	m.HandleFunc("GET /api/v1/products", s.auth(s.products))
	m.HandleFunc("GET /api/v1/products/{barcode}", s.auth(s.product))
	m.HandleFunc("GET /api/v1/cities", s.auth(s.cities))
	m.HandleFunc("GET /api/v1/routes", s.auth(s.routesList))
	m.HandleFunc("GET /api/v1/routes/{code}", s.auth(s.route))
	m.HandleFunc("POST /api/v1/requests", s.auth(s.createRequest))
	m.HandleFunc("GET /api/v1/requests/{no}", s.auth(s.getRequest))
	m.HandleFunc("GET /api/v1/packages/{key}", s.auth(s.getPackage))
	m.HandleFunc("GET /api/v1/waybills/{key}", s.auth(s.waybill))
	m.HandleFunc("GET /api/v1/waybills/request/{no}", s.auth(s.requestWaybills))
	m.HandleFunc("GET /api/v1/tracking/{no}", s.auth(s.tracking))
	m.HandleFunc("GET /_fake/posts", s.postsHandler)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusNotFound, map[string]string{"detail": "未找到。"})
	})
	s.mux = m
	return s
}

func defaultFailWhen(o *api.Order) (string, bool) {
	for i, p := range o.Packages {
		if strings.Trim(p.ReceiverIDNumber, "0") == "" {
			return fmt.Sprintf("包裹%d: 收件人身份证号码校验失败 (receiver ID number failed the customs check)", i+1), true
		}
	}
	return "", false
}

// ServeHTTP serves the API, with any injected faults.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.faults.apply(w, r, s.mux) {
		return
	}
	s.mux.ServeHTTP(w, r)
}

// Posts returns every POST requests received, in order.
func (s *Server) Posts() []PostRecord {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]PostRecord(nil), s.posts...)
}

// Calls returns how many times a route was called, by "METHOD /pattern".
func (s *Server) Calls(pattern string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[pattern]
}

// Credit returns a live account's credit.
func (s *Server) Credit(username string) float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if a := s.accounts[username]; a != nil {
		return a.Credit
	}
	return 0
}

// Catalog is the products, cities and routes the fake accepts.
func (s *Server) Catalog() *api.Catalog { return s.cat }

func (s *Server) auth(h func(http.ResponseWriter, *http.Request, *Account)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.calls[r.Pattern]++
		s.mu.Unlock()
		user, pass, ok := r.BasicAuth()
		if !ok {
			w.Header().Set("WWW-Authenticate", `Basic realm="api"`)
			writeJSON(w, http.StatusUnauthorized, map[string]string{"detail": "身份认证信息未提供。"})
			return
		}
		s.mu.Lock()
		acc := s.accounts[user]
		s.mu.Unlock()
		if acc == nil || acc.Password != pass {
			w.Header().Set("WWW-Authenticate", `Basic realm="api"`)
			writeJSON(w, http.StatusUnauthorized, map[string]string{"detail": "用户名或密码无效。"})
			return
		}
		h(w, r, acc)
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Language", "zh-cn")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}

func notFound(w http.ResponseWriter) {
	writeJSON(w, http.StatusNotFound, map[string]string{"detail": "未找到。"})
}

func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host + "/api/v1/"
}

func (s *Server) root(w http.ResponseWriter, r *http.Request) {
	b := baseURL(r)
	writeJSON(w, http.StatusOK, map[string]string{
		"account": b + "account", "products": b + "products", "cities": b + "cities",
		"routes": b + "routes", "requests": b + "requests",
	})
}

func (s *Server) account(w http.ResponseWriter, r *http.Request, a *Account) {
	s.mu.Lock()
	credit := a.Credit
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, api.Account{Username: a.Username, Credit: credit, Currency: "GBP"})
}

func (s *Server) productView(r *http.Request, p api.Product) api.Product {
	p.URL = baseURL(r) + "products/" + p.Barcode
	return p
}

func (s *Server) products(w http.ResponseWriter, r *http.Request, _ *Account) {
	out := make([]api.Product, len(s.cat.Products))
	for i, p := range s.cat.Products {
		out[i] = s.productView(r, p)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) product(w http.ResponseWriter, r *http.Request, _ *Account) {
	p, ok := s.cat.ProductByBarcode(r.PathValue("barcode"))
	if !ok {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, s.productView(r, p))
}

func (s *Server) cities(w http.ResponseWriter, r *http.Request, _ *Account) {
	writeJSON(w, http.StatusOK, s.cat.Cities.Roots)
}

func (s *Server) routeView(r *http.Request, rt api.Route) api.Route {
	rt.URL = baseURL(r) + "routes/" + rt.Code
	return rt
}

func (s *Server) routesList(w http.ResponseWriter, r *http.Request, _ *Account) {
	out := make([]api.Route, len(s.routes))
	for i, rt := range s.routes {
		out[i] = s.routeView(r, rt.Route)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) route(w http.ResponseWriter, r *http.Request, _ *Account) {
	rt, ok := s.cat.Route(r.PathValue("code"))
	if !ok {
		notFound(w)
		return
	}
	writeJSON(w, http.StatusOK, s.routeView(r, rt))
}

func (s *Server) postsHandler(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, s.Posts())
}

// readOrder decodes a POST body; a syntax error is a DRF parse error.
func readOrder(r *http.Request) (*api.Order, map[string]any) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 10<<20))
	if err != nil {
		return nil, map[string]any{"detail": "请求体读取失败。"}
	}
	var o api.Order
	if err := json.Unmarshal(body, &o); err != nil {
		return nil, map[string]any{"detail": "JSON parse error - " + err.Error()}
	}
	return &o, nil
}
