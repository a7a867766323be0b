package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// DefaultRoot is the production API root.
const DefaultRoot = "https://cnexpress.co.uk/api/v1"

// Options configure a Client. Zero values take the defaults shown.
type Options struct {
	Root       string       // API root, default DefaultRoot
	Username   string       // HTTP Basic user
	Password   string       // HTTP Basic password
	HTTPClient *http.Client // default: a client with Timeout
	Timeout    time.Duration
	// GET retries on network errors, 429 and 5xx (never for POST).
	MaxRetries int           // default 4
	BaseDelay  time.Duration // first backoff, default 250ms
	MaxDelay   time.Duration // backoff cap, default 5s
	// CatalogTTL is how long products, cities and routes are cached.
	CatalogTTL time.Duration // default 10m
	// MaxWaybillBytes bounds a waybill download, default 50 MiB.
	MaxWaybillBytes int64
	Logger          *slog.Logger
}

// Client talks to the CNExpress API. It is safe for concurrent use.
type Client struct {
	root *url.URL
	user string
	pass string
	hc   *http.Client
	opts Options
	log  *slog.Logger

	mu      sync.Mutex
	catalog *Catalog
	catAt   time.Time
}

// New returns a client for opts.Root.
func New(opts Options) (*Client, error) {
	if opts.Root == "" {
		opts.Root = DefaultRoot
	}
	root, err := url.Parse(strings.TrimRight(opts.Root, "/") + "/")
	if err != nil || (root.Scheme != "http" && root.Scheme != "https") || root.Host == "" {
		return nil, fmt.Errorf("api root %q: want an http(s) URL such as %s", opts.Root, DefaultRoot)
	}
	if opts.Timeout == 0 {
		opts.Timeout = 60 * time.Second
	}
	if opts.HTTPClient == nil {
		opts.HTTPClient = &http.Client{Timeout: opts.Timeout}
	}
	if opts.MaxRetries == 0 {
		opts.MaxRetries = 4
	}
	if opts.BaseDelay == 0 {
		opts.BaseDelay = 250 * time.Millisecond
	}
	if opts.MaxDelay == 0 {
		opts.MaxDelay = 5 * time.Second
	}
	if opts.CatalogTTL == 0 {
		opts.CatalogTTL = 10 * time.Minute
	}
	if opts.MaxWaybillBytes == 0 {
		opts.MaxWaybillBytes = 50 << 20
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Client{root: root, user: opts.Username, pass: opts.Password, hc: opts.HTTPClient, opts: opts, log: opts.Logger}, nil
}

// Root returns the API root the client talks to.
func (c *Client) Root() string { return strings.TrimRight(c.root.String(), "/") }

func (c *Client) url(segments ...string) string {
	esc := make([]string, len(segments))
	for i, s := range segments {
		esc[i] = url.PathEscape(s)
	}
	return c.root.String() + strings.Join(esc, "/")
}

// do sends one request; GETs are retried with backoff and jitter.
func (c *Client) do(ctx context.Context, method string, body []byte, segments ...string) (*http.Response, error) {
	u := c.url(segments...)
	path := strings.Join(segments, "/")
	attempts := 1
	if method == http.MethodGet {
		attempts += c.opts.MaxRetries
	}
	var lastErr error
	for i := 0; i < attempts; i++ {
		if i > 0 {
			d := c.backoff(i)
			c.log.DebugContext(ctx, "retrying", "method", method, "path", path, "attempt", i+1, "delay", d, "err", lastErr)
			t := time.NewTimer(d)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil, fmt.Errorf("%s %s: %w (last error: %v)", method, path, ctx.Err(), lastErr)
			case <-t.C:
			}
		}
		var rd io.Reader
		if body != nil {
			rd = bytes.NewReader(body)
		}
		req, err := http.NewRequestWithContext(ctx, method, u, rd)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", method, path, err)
		}
		req.SetBasicAuth(c.user, c.pass)
		req.Header.Set("Accept", "application/json")
		if body != nil {
			req.Header.Set("Content-Type", "application/json; charset=utf-8")
		}
		resp, err := c.hc.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return nil, fmt.Errorf("%s %s: %w", method, path, err)
			}
			lastErr = fmt.Errorf("%s %s: %w", method, path, err)
			continue
		}
		if resp.StatusCode >= 200 && resp.StatusCode < 300 {
			return resp, nil
		}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		apiErr := newError(method, "/"+path, resp.StatusCode, b)
		if !apiErr.Temporary() {
			return nil, apiErr
		}
		lastErr = apiErr
	}
	return nil, lastErr
}

func (c *Client) backoff(attempt int) time.Duration {
	d := c.opts.BaseDelay << (attempt - 1)
	if d > c.opts.MaxDelay || d <= 0 {
		d = c.opts.MaxDelay
	}
	// Equal jitter: half fixed, half random.
	return d/2 + rand.N(d/2+1)
}

func (c *Client) getJSON(ctx context.Context, v any, segments ...string) error {
	resp, err := c.do(ctx, http.MethodGet, nil, segments...)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		return fmt.Errorf("GET %s: decode: %w", strings.Join(segments, "/"), err)
	}
	return nil
}

// Account returns the account's name and credit.
func (c *Client) Account(ctx context.Context) (*Account, error) {
	var a Account
	return &a, c.getJSON(ctx, &a, "account")
}

// Products lists the products that may be shipped.
func (c *Client) Products(ctx context.Context) ([]Product, error) {
	var p []Product
	return p, c.getJSON(ctx, &p, "products")
}

// Product returns one product by EAN-13 barcode (ErrNotFound if unknown).
func (c *Client) Product(ctx context.Context, barcode string) (*Product, error) {
	var p Product
	return &p, c.getJSON(ctx, &p, "products", barcode)
}

// Cities returns the tree of receiver cities.
func (c *Client) Cities(ctx context.Context) ([]City, error) {
	var t []City
	return t, c.getJSON(ctx, &t, "cities")
}

// Routes lists the routes (lines) orders may use.
func (c *Client) Routes(ctx context.Context) ([]Route, error) {
	var r []Route
	return r, c.getJSON(ctx, &r, "routes")
}

// Route returns one route by code (ErrNotFound if unknown).
func (c *Client) Route(ctx context.Context, code string) (*Route, error) {
	var r Route
	return &r, c.getJSON(ctx, &r, "routes", code)
}

// CreateRequest posts an order. It is never retried: a POST costs money and
// has no idempotency key, so a caller that gets an error for which NotSent
// is false must assume the request may exist.
func (c *Client) CreateRequest(ctx context.Context, o *Order) (*Request, error) {
	body, err := json.Marshal(o)
	if err != nil {
		return nil, fmt.Errorf("encode order: %w", err)
	}
	resp, err := c.do(ctx, http.MethodPost, body, "requests")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var r Request
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		return nil, fmt.Errorf("POST requests: decode answer: %w", err)
	}
	if r.RequestNo == "" {
		return nil, errors.New("POST requests: answer has no request_no")
	}
	return &r, nil
}

// Request returns a request's status and packages.
func (c *Client) Request(ctx context.Context, requestNo string) (*Request, error) {
	var r Request
	return &r, c.getJSON(ctx, &r, "requests", requestNo)
}

// Package returns one package of a succeeded request.
func (c *Client) Package(ctx context.Context, requestNo, trackingNo string) (*Package, error) {
	var p Package
	return &p, c.getJSON(ctx, &p, "packages", requestNo+"-"+trackingNo)
}

// Tracking returns a parcel's progress.
func (c *Client) Tracking(ctx context.Context, trackingNo string) (*Tracking, error) {
	var t Tracking
	return &t, c.getJSON(ctx, &t, "tracking", trackingNo)
}
