package localapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"cnx-agent/agent/store"
)

// ErrUnreachable means no agent answers at the address.
var ErrUnreachable = errors.New("the agent's local API is not reachable")

// Client talks to a running agent: the CLI and the tray use it.
type Client struct {
	base  string
	token string
	hc    *http.Client
}

// NewClient returns a client for base ("http://127.0.0.1:7631").
func NewClient(base, token string) *Client {
	return &Client{base: strings.TrimRight(base, "/"), token: token, hc: &http.Client{Timeout: 2 * time.Minute}}
}

// APIError is an error answer.
type APIError struct {
	Status int
	Body   ErrorBody
}

func (e *APIError) Error() string { return e.Body.Error }

// Is matches store.ErrNotFound for 404.
func (e *APIError) Is(target error) bool {
	return target == store.ErrNotFound && e.Status == http.StatusNotFound
}

func (c *Client) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+"/api/v1/"+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		e := &APIError{Status: resp.StatusCode}
		_ = json.NewDecoder(resp.Body).Decode(&e.Body)
		if e.Body.Error == "" {
			e.Body.Error = resp.Status
		}
		return e
	}
	if out == nil {
		return nil
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

// Status is GET /status.
func (c *Client) Status(ctx context.Context) (*Status, error) {
	var s Status
	return &s, c.do(ctx, http.MethodGet, "status", nil, &s)
}

// Jobs lists jobs, newest first; states filters when given.
func (c *Client) Jobs(ctx context.Context, limit int, states ...string) ([]JobView, error) {
	q := url.Values{}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	for _, s := range states {
		q.Add("state", s)
	}
	var out []JobView
	return out, c.do(ctx, http.MethodGet, "jobs?"+q.Encode(), nil, &out)
}

// Job returns one job with its print history and events.
func (c *Client) Job(ctx context.Context, id int64) (*JobDetail, error) {
	var d JobDetail
	return &d, c.do(ctx, http.MethodGet, fmt.Sprintf("jobs/%d", id), nil, &d)
}

// Submit queues an order (the inbox's JSON).
func (c *Client) Submit(ctx context.Context, order json.RawMessage) (*JobView, error) {
	var v JobView
	return &v, c.do(ctx, http.MethodPost, "jobs", order, &v)
}

// Retry retries a job.
func (c *Client) Retry(ctx context.Context, id int64) (*JobView, error) {
	var v JobView
	return &v, c.do(ctx, http.MethodPost, fmt.Sprintf("jobs/%d/retry", id), nil, &v)
}

// Resolve resubmits a job or attaches a request number.
func (c *Client) Resolve(ctx context.Context, id int64, req ResolveRequest) (*JobView, error) {
	var v JobView
	return &v, c.do(ctx, http.MethodPost, fmt.Sprintf("jobs/%d/resolve", id), req, &v)
}

// Reprint prints a job's labels again (one package when tracking is set).
func (c *Client) Reprint(ctx context.Context, id int64, tracking string) (*ReprintResult, error) {
	var r ReprintResult
	return &r, c.do(ctx, http.MethodPost, fmt.Sprintf("jobs/%d/reprint", id), ReprintRequest{TrackingNo: tracking}, &r)
}

// ReprintLast prints the last printed label again.
func (c *Client) ReprintLast(ctx context.Context) (*ReprintResult, error) {
	var r ReprintResult
	return &r, c.do(ctx, http.MethodPost, "reprint-last", nil, &r)
}

// SetPaused pauses or resumes printing.
func (c *Client) SetPaused(ctx context.Context, paused bool) error {
	path := "resume"
	if paused {
		path = "pause"
	}
	return c.do(ctx, http.MethodPost, path, nil, nil)
}

// Printers lists the printers with live state.
func (c *Client) Printers(ctx context.Context) ([]PrinterView, error) {
	var out []PrinterView
	return out, c.do(ctx, http.MethodGet, "printers", nil, &out)
}

// Logs returns the last n log lines.
func (c *Client) Logs(ctx context.Context, n int) ([]string, error) {
	var out map[string][]string
	err := c.do(ctx, http.MethodGet, fmt.Sprintf("logs?lines=%d", n), nil, &out)
	return out["lines"], err
}

// LabelPNG returns a package's label (n is 1-based) rendered at dpi.
func (c *Client) LabelPNG(ctx context.Context, id int64, n int, dpi int) ([]byte, error) {
	return c.raw(ctx, fmt.Sprintf("jobs/%d/packages/%d/label.png?dpi=%d", id, n, dpi))
}

// raw GETs a path that answers bytes rather than JSON.
func (c *Client) raw(ctx context.Context, path string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/api/v1/"+path, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, &APIError{Status: resp.StatusCode, Body: ErrorBody{Error: resp.Status}}
	}
	return io.ReadAll(resp.Body)
}

// Events streams job events until ctx ends or the connection drops.
func (c *Client) Events(ctx context.Context, lastID int64, fn func(store.Event)) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+"/api/v1/events", nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	if lastID > 0 {
		req.Header.Set("Last-Event-ID", strconv.FormatInt(lastID, 10))
	}
	hc := &http.Client{} // no timeout: a stream
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnreachable, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return &APIError{Status: resp.StatusCode, Body: ErrorBody{Error: resp.Status}}
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		data, ok := strings.CutPrefix(sc.Text(), "data: ")
		if !ok {
			continue
		}
		var ev store.Event
		if json.Unmarshal([]byte(data), &ev) == nil {
			fn(ev)
		}
	}
	if err := sc.Err(); err != nil && ctx.Err() == nil {
		return err
	}
	return ctx.Err()
}

// ExportCSV returns the CSV export of the packages since a day.
func (c *Client) ExportCSV(ctx context.Context, since time.Time) ([]byte, error) {
	return c.raw(ctx, "export?since="+since.Format("2006-01-02"))
}

// Tracking returns a parcel's progress (Test is set for test numbers).
func (c *Client) Tracking(ctx context.Context, no string) (*TrackingView, error) {
	var v TrackingView
	return &v, c.do(ctx, http.MethodGet, "tracking/"+url.PathEscape(no), nil, &v)
}

// Settings returns the configuration view.
func (c *Client) Settings(ctx context.Context) (*Settings, error) {
	var s Settings
	return &s, c.do(ctx, http.MethodGet, "settings", nil, &s)
}

// SetDefaultPrinter makes a printer the default; the agent keeps the choice
// across restarts.
func (c *Client) SetDefaultPrinter(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodPost, "printers/"+url.PathEscape(name)+"/default", nil, nil)
}

// TrustPrinter trusts the certificate an ipps printer shows now and returns
// its fingerprint ("" when a CA vouches for it).
func (c *Client) TrustPrinter(ctx context.Context, name string) (string, error) {
	var res TrustResult
	err := c.do(ctx, http.MethodPost, "printers/"+url.PathEscape(name)+"/trust", nil, &res)
	return res.Fingerprint, err
}

// TestPrint prints the test label on a printer.
func (c *Client) TestPrint(ctx context.Context, name string) error {
	return c.do(ctx, http.MethodPost, "printers/"+url.PathEscape(name)+"/test", nil, nil)
}
