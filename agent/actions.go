package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"cnx-agent/agent/store"
	"cnx-agent/api"
)

// Actions a person takes on jobs. They only change the store, so they work
// the same from the CLI beside a running agent (which picks the change up)
// as inside it.

// ErrNotAllowed means an action does not fit the job's state.
var ErrNotAllowed = errors.New("not allowed in this state")

// ParseOrder decodes an order file and checks it: without a catalog only
// what needs no server data. The error names each bad field.
func ParseOrder(data []byte, cat *api.Catalog) (*api.Order, error) {
	var o api.Order
	dec := json.NewDecoder(strings.NewReader(string(data)))
	if err := dec.Decode(&o); err != nil {
		return nil, fmt.Errorf("not a CNExpress order (JSON in the POST requests format): %w", err)
	}
	if err := api.Validate(&o, cat); err != nil {
		return nil, err
	}
	return &o, nil
}

// Enqueue stores a checked order as a queued job.
func Enqueue(ctx context.Context, st *store.Store, o *api.Order, source, hash string) (int64, error) {
	b, err := json.Marshal(o)
	if err != nil {
		return 0, err
	}
	return st.CreateJob(ctx, store.NewJob{
		State: store.Queued, Source: source, SourceHash: hash, OrderNo: o.OrderNo, RouteCode: o.RouteCode,
		Order: b, Message: fmt.Sprintf("order %s queued from %s (%d packages)", o.OrderNo, source, len(o.Packages)),
	})
}

// AttachRequest makes a job for a request created elsewhere: no POST,
// straight to polling.
func AttachRequest(ctx context.Context, st *store.Store, requestNo, source string) (int64, error) {
	if err := checkName("request number", requestNo); err != nil {
		return 0, err
	}
	return st.CreateJob(ctx, store.NewJob{
		State: store.Submitted, Source: source, RequestNo: requestNo,
		Message: "printing the labels of existing request " + requestNo,
	})
}

// Retry puts a failed or stuck job back to work where that is safe. A job
// whose POST may have reached CNExpress needs Resubmit or Attach instead.
func Retry(ctx context.Context, st *store.Store, id int64) (*store.Job, error) {
	var forgetPrints bool
	j, err := st.Update(ctx, id, func(j *store.Job) (string, error) {
		switch {
		case j.State == store.Failed && j.Order != nil && j.RequestNo == "":
			j.State = store.Queued
		case j.State == store.Failed && j.RequestNo != "":
			j.State, j.RequestNo, j.Packages = store.Queued, "", nil
		case j.State != store.NeedsAttention:
			return "", fmt.Errorf("job %d is %s: %w (retry takes failed or needs_attention jobs)", j.ID, j.State, ErrNotAllowed)
		case j.Attention == store.AttnPollTimeout:
			j.State, j.SubmittedAt = store.Submitted, time.Now()
		case j.Attention == store.AttnDownload:
			j.State = store.Succeeded
		case j.Attention == store.AttnPrint, j.Attention == store.AttnPrintUnknown:
			j.State, forgetPrints = store.LabelsReady, true
		case j.Attention == store.AttnSubmitRefused:
			j.State = store.Queued
		default:
			return "", fmt.Errorf("job %d needs attention (%s): %w; use resolve --resubmit or --request-no", j.ID, j.Attention, ErrNotAllowed)
		}
		if j.State == store.Queued && j.Order == nil {
			return "", fmt.Errorf("job %d has no order to post (it was attached to a request): %w", j.ID, ErrNotAllowed)
		}
		j.Attention, j.Error, j.Attempts, j.NextAt = "", "", 0, time.Time{}
		return "retry requested", nil
	})
	if err != nil {
		return nil, err
	}
	if forgetPrints {
		if err := st.ForgetAutoPrints(ctx, id, "a person asked to print again"); err != nil {
			return nil, err
		}
	}
	return j, nil
}

// Resubmit posts a job's order again, as a new request; for jobs whose
// POST may or may not have reached CNExpress, once a person has checked.
func Resubmit(ctx context.Context, st *store.Store, id int64) (*store.Job, error) {
	return st.Update(ctx, id, func(j *store.Job) (string, error) {
		if j.State != store.NeedsAttention && j.State != store.Failed {
			return "", fmt.Errorf("job %d is %s: %w (resubmit takes failed or needs_attention jobs)", j.ID, j.State, ErrNotAllowed)
		}
		if j.Order == nil {
			return "", fmt.Errorf("job %d has no order to post (it was attached to a request): %w", j.ID, ErrNotAllowed)
		}
		j.State, j.Attention, j.Error, j.RequestNo, j.Attempts, j.NextAt = store.Queued, "", "", "", 0, time.Time{}
		j.Packages = nil
		return "a person asked to post the order again", nil
	})
}

// Attach gives a job the request number CNExpress already has for it.
func Attach(ctx context.Context, st *store.Store, id int64, requestNo string) (*store.Job, error) {
	if err := checkName("request number", requestNo); err != nil {
		return nil, err
	}
	return st.Update(ctx, id, func(j *store.Job) (string, error) {
		if j.State != store.NeedsAttention && j.State != store.Failed {
			return "", fmt.Errorf("job %d is %s: %w (attach takes failed or needs_attention jobs)", j.ID, j.State, ErrNotAllowed)
		}
		j.State, j.Attention, j.Error, j.RequestNo = store.Submitted, "", "", requestNo
		j.SubmittedAt, j.Attempts, j.NextAt = time.Now(), 0, time.Time{}
		return "a person attached request " + requestNo, nil
	})
}

// Reprint prints labels of a job again now: one package (by tracking
// number) or all when tracking is "". Reprints are recorded as such.
func (a *Agent) Reprint(ctx context.Context, id int64, tracking string) (int, error) {
	j, err := a.store.Job(ctx, id)
	if err != nil {
		return 0, err
	}
	pr := a.printerFor(j.RouteCode)
	n := 0
	for _, p := range j.Packages {
		if tracking != "" && p.TrackingNo != tracking {
			continue
		}
		if p.Label == "" {
			return n, fmt.Errorf("package %s of job %d has no label yet (job is %s)", p.TrackingNo, j.ID, j.State)
		}
		if err := a.printOne(ctx, pr, j, p, true); err != nil {
			return n, err
		}
		n++
	}
	if n == 0 {
		return 0, fmt.Errorf("job %d has no package %q: %w", id, tracking, store.ErrNotFound)
	}
	return n, nil
}
