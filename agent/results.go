package agent

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"cnx-agent/agent/store"
	"cnx-agent/api"
	"cnx-agent/internal/atomicfile"
)

// Result is what the shop gets back for an order: the result file beside
// the moved inbox file, and the webhook's payload.
type Result struct {
	JobID     int64            `json:"job_id,omitempty"`
	Source    string           `json:"source"`
	OrderNo   string           `json:"order_no"`
	RequestNo string           `json:"request_no"`
	State     string           `json:"state"`
	Error     string           `json:"error,omitempty"`
	Fields    []api.FieldError `json:"fields,omitempty"`
	TestMode  bool             `json:"test_mode"`
	Packages  []ResultPackage  `json:"packages"`
	UpdatedAt time.Time        `json:"updated_at"`
}

// ResultPackage is one package of a Result.
type ResultPackage struct {
	PackageNo  string     `json:"package_no"`
	TrackingNo string     `json:"tracking_no"`
	Cost       float64    `json:"cost"`
	Label      string     `json:"label"`
	PrintedAt  *time.Time `json:"printed_at"`
}

// ResultOf shapes a job as a Result.
func ResultOf(ctx context.Context, st *store.Store, j *store.Job) (Result, error) {
	r := Result{JobID: j.ID, Source: j.Source, OrderNo: j.OrderNo, RequestNo: j.RequestNo, State: j.State.String(),
		Error: j.Error, TestMode: j.TestMode, UpdatedAt: j.UpdatedAt, Packages: []ResultPackage{}}
	r.Fields = fieldsOf(j.Error)
	printed, err := st.FirstPrinted(ctx, j.ID)
	if err != nil {
		return r, err
	}
	for _, p := range j.Packages {
		rp := ResultPackage{PackageNo: p.PackageNo, TrackingNo: p.TrackingNo, Cost: p.Cost, Label: p.Label}
		if t, ok := printed[p.ID]; ok {
			rp.PrintedAt = &t
		}
		r.Packages = append(r.Packages, rp)
	}
	return r, nil
}

// fieldsOf recovers "path: message" lines of a stored error.
func fieldsOf(msg string) []api.FieldError {
	var out []api.FieldError
	for _, line := range strings.Split(msg, "\n") {
		path, m, ok := strings.Cut(line, ": ")
		if ok && (strings.HasPrefix(path, "packages") || path == "route_code" || path == "order_no") && !strings.Contains(path, " ") {
			out = append(out, api.FieldError{Path: path, Messages: []string{m}})
		}
	}
	return out
}

// resultPath is NAME.result.json beside a moved inbox file NAME.json.
func resultPath(moved string) string {
	return strings.TrimSuffix(moved, filepath.Ext(moved)) + ".result.json"
}

// WriteResultFile writes v as JSON to path atomically (temp file and
// rename), so a script polling the folder never reads half a file.
func WriteResultFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(path, append(b, '\n'), 0o644)
}

// ended reports the states an order's result file is written for.
func ended(s store.State) bool {
	return s == store.Printed || s == store.Failed || s == store.NeedsAttention
}

// writeResult writes the result file of an inbox job that has ended.
func (a *Agent) writeResult(ctx context.Context, j *store.Job) {
	if j.SourceMoved == "" || !ended(j.State) {
		return
	}
	r, err := ResultOf(ctx, a.store, j)
	if err == nil {
		err = WriteResultFile(resultPath(j.SourceMoved), r)
	}
	if err != nil {
		a.log.Error("result file", "job", j.ID, "err", err)
	}
}

// Webhook is a URL told about every job state change.
type Webhook struct {
	URL    string
	Secret string // HMAC-SHA256 key of the X-CNX-Signature header
}

// WebhookPayload is the body of a webhook delivery.
type WebhookPayload struct {
	Event store.Event `json:"event"`
	Job   Result      `json:"job"`
}

// SignatureHeader carries "sha256=" + hex HMAC-SHA256 of the body.
const SignatureHeader = "X-CNX-Signature"

// Sign returns the signature header value of a body.
func Sign(secret string, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

// serveWebhook delivers state changes to one webhook in order, retrying
// each with backoff until the receiver answers 2xx.
func (a *Agent) serveWebhook(ctx context.Context, wh Webhook) {
	hc := &http.Client{Timeout: 30 * time.Second}
	idle := time.NewTicker(500 * time.Millisecond)
	defer idle.Stop()
	for ctx.Err() == nil {
		if !a.deliverDue(ctx, hc, wh) {
			select {
			case <-ctx.Done():
			case <-idle.C:
			}
		}
	}
}

// deliverDue sends the next pending events; it reports whether it sent any.
func (a *Agent) deliverDue(ctx context.Context, hc *http.Client, wh Webhook) bool {
	cur, err := a.store.WebhookCursor(ctx, wh.URL)
	if err != nil || time.Now().Before(cur.NextAt) {
		return false
	}
	events, err := a.store.StateEventsAfter(ctx, cur.LastEvent, 20)
	if err != nil || len(events) == 0 {
		return false
	}
	for _, e := range events {
		if err := a.deliver(ctx, hc, wh, e); err != nil {
			attempts := cur.Attempts + 1
			delay := a.backoff(attempts)
			a.log.Warn("webhook delivery failed; will retry", "url", wh.URL, "event", e.ID, "attempt", attempts, "in", delay, "err", err)
			_ = a.store.WebhookFailed(context.WithoutCancel(ctx), wh.URL, attempts, time.Now().Add(delay), err.Error())
			return false
		}
		if err := a.store.AdvanceWebhook(context.WithoutCancel(ctx), wh.URL, e.ID); err != nil {
			return false
		}
		cur.Attempts = 0
	}
	return true
}

func (a *Agent) deliver(ctx context.Context, hc *http.Client, wh Webhook, e store.Event) error {
	j, err := a.store.Job(ctx, e.JobID)
	if err != nil {
		return err
	}
	r, err := ResultOf(ctx, a.store, j)
	if err != nil {
		return err
	}
	r.State = e.To.String() // the state this event moved to, not the latest
	body, err := json.Marshal(WebhookPayload{Event: e, Job: r})
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, wh.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-CNX-Event", fmt.Sprint(e.ID))
	if wh.Secret != "" {
		req.Header.Set(SignatureHeader, Sign(wh.Secret, body))
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return errors.New("receiver answered " + resp.Status)
	}
	return nil
}

// sweepResults writes result files that a crash kept from being written
// (the state change was committed, the file not yet): every ended inbox job
// of the last week gets one if it has none.
func (a *Agent) sweepResults(ctx context.Context) {
	jobs, err := a.store.Jobs(ctx, store.Filter{States: []store.State{store.Printed, store.Failed, store.NeedsAttention}, Limit: 1000})
	if err != nil {
		a.log.Error("result files", "err", err)
		return
	}
	for _, j := range jobs {
		if j.SourceMoved == "" || time.Since(j.UpdatedAt) > 7*24*time.Hour {
			continue
		}
		if _, err := os.Stat(resultPath(j.SourceMoved)); errors.Is(err, os.ErrNotExist) {
			a.writeResult(ctx, j)
		}
	}
}
