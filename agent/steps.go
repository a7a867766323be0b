package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"cnx-agent/agent/store"
	"cnx-agent/api"
)

// submit validates and posts a queued job. Submitting is committed before
// the POST, so a crash during it is never followed by a second POST.
func (a *Agent) submit(ctx context.Context, j *store.Job) {
	var o api.Order
	if err := json.Unmarshal(j.Order, &o); err != nil {
		a.fail(ctx, j, store.Queued, fmt.Sprintf("the stored order is not valid JSON: %v", err))
		return
	}
	cat, err := a.client.Catalog(ctx)
	if err != nil {
		a.later(ctx, j, "cannot load products, cities and routes from CNExpress", err)
		return
	}
	if err := api.Validate(&o, cat); err != nil {
		a.fail(ctx, j, store.Queued, "the order is not valid:\n"+err.Error())
		return
	}
	if _, err := a.transition(ctx, j.ID, store.Queued, func(j *store.Job) string {
		j.State, j.Error = store.Submitting, ""
		return "posting the order to CNExpress"
	}); err != nil {
		return
	}
	a.opts.Checkpoint("submitting")
	req, err := a.client.CreateRequest(ctx, &o)
	a.opts.Checkpoint("posted")
	if err != nil {
		a.submitFailed(ctx, j, err)
		return
	}
	if err := checkName("request number", req.RequestNo); err != nil {
		a.attention(ctx, j, store.Submitting, store.AttnSubmitUnknown, err.Error())
		return
	}
	_, _ = a.transition(ctx, j.ID, store.Submitting, func(j *store.Job) string {
		j.State, j.RequestNo, j.TestMode = store.Submitted, req.RequestNo, req.TestMode
		j.SubmittedAt, j.NextAt, j.Attempts, j.Error = time.Now(), time.Now().Add(a.opts.PollMin), 0, ""
		mergePackages(j, req.Packages)
		return "CNExpress accepted the order as " + req.RequestNo
	})
}

// submitFailed decides what a failed POST means. Only an error proving the
// request never left makes the job queued again.
func (a *Agent) submitFailed(ctx context.Context, j *store.Job, err error) {
	var apiErr *api.Error
	tooMany := errors.As(err, &apiErr) && apiErr.Status == http.StatusTooManyRequests
	switch {
	case api.NotSent(err) || tooMany: // never reached, or turned away unread
		delay := a.backoff(j.Attempts + 1)
		a.log.Warn("order not sent", "job", j.ID, "err", err, "retry_in", delay)
		_, _ = a.transition(ctx, j.ID, store.Submitting, func(j *store.Job) string {
			j.State = store.Queued
			j.Attempts++
			j.NextAt = time.Now().Add(delay)
			j.Error = fmt.Sprintf("the order was not sent (%v); trying again (try %d)", err, j.Attempts)
			return j.Error
		})
	case errors.As(err, &apiErr) && apiErr.Status == http.StatusBadRequest:
		a.fail(ctx, j, store.Submitting, "CNExpress refused the order: "+describe(apiErr))
	case errors.As(err, &apiErr) && apiErr.Status < 500:
		a.attention(ctx, j, store.Submitting, store.AttnSubmitRefused,
			"CNExpress refused the order ("+describe(apiErr)+"); fix the account settings, then resubmit")
	default:
		a.attention(ctx, j, store.Submitting, store.AttnSubmitUnknown,
			fmt.Sprintf("the order was sent but no clear answer came back (%v), so CNExpress may or may not have it: resubmit, or attach its request number", err))
	}
}

func describe(e *api.Error) string {
	if len(e.Fields) > 0 {
		s := e.Fields.Error()
		if e.Detail != "" {
			s = e.Detail + "\n" + s
		}
		return s
	}
	if e.Detail != "" {
		return e.Detail
	}
	return e.Error()
}

func (a *Agent) fail(ctx context.Context, j *store.Job, from store.State, msg string) {
	_, _ = a.transition(ctx, j.ID, from, func(j *store.Job) string {
		j.State, j.Error = store.Failed, msg
		return msg
	})
}

// mergePackages copies what the server says about packages into the job.
func mergePackages(j *store.Job, pkgs []api.Package) {
	for i, p := range pkgs {
		if i >= len(j.Packages) {
			j.Packages = append(j.Packages, store.Package{Index: i})
		}
		sp := &j.Packages[i]
		sp.PackageNo = api.Str(p.PackageNo)
		sp.Cost = p.Cost
		if t := api.Str(p.TrackingNo); t != "" {
			sp.TrackingNo = t
		}
	}
}

// poll asks CNExpress how a submitted request is doing.
func (a *Agent) poll(ctx context.Context, j *store.Job) {
	if !j.SubmittedAt.IsZero() && time.Since(j.SubmittedAt) > a.opts.PollDeadline {
		a.attention(ctx, j, store.Submitted, store.AttnPollTimeout,
			fmt.Sprintf("CNExpress has not finished request %s after %s; retry to keep waiting", j.RequestNo, a.opts.PollDeadline))
		return
	}
	req, err := a.client.Request(ctx, j.RequestNo)
	if errors.Is(err, api.ErrNotFound) {
		a.attention(ctx, j, store.Submitted, store.AttnRequestLost,
			fmt.Sprintf("CNExpress does not know request %s: attach the right request number, or resubmit", j.RequestNo))
		return
	}
	if err != nil {
		a.later(ctx, j, "polling "+j.RequestNo, err)
		return
	}
	switch req.Status {
	case api.StatusSucceeded:
		for _, p := range req.Packages {
			if err := checkName("tracking number", api.Str(p.TrackingNo)); err != nil {
				a.attention(ctx, j, store.Submitted, store.AttnDownload, err.Error())
				return
			}
		}
		_, _ = a.transition(ctx, j.ID, store.Submitted, func(j *store.Job) string {
			j.State, j.TestMode, j.Attempts, j.NextAt, j.Error = store.Succeeded, req.TestMode, 0, time.Time{}, ""
			if j.OrderNo == "" {
				j.OrderNo = api.Str(req.OrderNo)
			}
			if j.RouteCode == "" {
				j.RouteCode = req.RouteCode
			}
			mergePackages(j, req.Packages)
			return fmt.Sprintf("request %s succeeded with %d packages", req.RequestNo, len(req.Packages))
		})
	case api.StatusFailed:
		a.fail(ctx, j, store.Submitted, "CNExpress failed request "+req.RequestNo+": "+api.Str(req.ErrorMsg))
	default:
		delay := a.backoff(j.Attempts + 1)
		_, _ = a.transition(ctx, j.ID, store.Submitted, func(j *store.Job) string {
			j.Attempts++
			j.NextAt = time.Now().Add(delay)
			j.Error = ""
			return ""
		})
	}
}

// fetchLabels downloads each package's waybill (falling back to the merged
// file) and lays it out as a label, committing each file as it is made.
func (a *Agent) fetchLabels(ctx context.Context, j *store.Job) {
	var merged []string // the merged file's pages, once fetched
	for _, p := range j.Packages {
		if p.Label != "" {
			continue
		}
		waybill := p.Waybill
		if waybill == "" {
			dest := a.waybillPath(j.RequestNo, p.TrackingNo)
			if _, err := a.client.DownloadWaybill(ctx, j.RequestNo, p.TrackingNo, dest); err != nil {
				a.log.Warn("per-package waybill failed; trying the merged file", "job", j.ID, "tracking_no", p.TrackingNo, "err", err)
				if merged == nil {
					pages, merr := a.mergedPages(ctx, j.RequestNo)
					if merr == nil && len(pages) != len(j.Packages) {
						merr = fmt.Errorf("the merged file has %d pages for %d packages", len(pages), len(j.Packages))
					}
					if merr != nil {
						a.downloadLater(ctx, j, fmt.Errorf("waybill of %s: %w; merged file: %w", p.TrackingNo, err, merr))
						return
					}
					merged = pages
				}
				dest = merged[p.Index]
			}
			waybill = dest
		}
		a.opts.Checkpoint("downloaded")
		label := a.labelPath(j.RequestNo, p.TrackingNo)
		w, h := labelSize(a.printerFor(j.RouteCode))
		if err := a.opts.Labels.MakeFile(ctx, waybill, 1, label, w, h); err != nil {
			a.downloadLater(ctx, j, fmt.Errorf("label of %s: %w", p.TrackingNo, err))
			return
		}
		id := p.ID
		if _, err := a.transition(ctx, j.ID, store.Succeeded, func(j *store.Job) string {
			for i := range j.Packages {
				if j.Packages[i].ID == id {
					j.Packages[i].Waybill, j.Packages[i].Label = waybill, label
				}
			}
			return ""
		}); err != nil {
			return
		}
		a.opts.Checkpoint("labelled")
	}
	_, _ = a.transition(ctx, j.ID, store.Succeeded, func(j *store.Job) string {
		j.State, j.Attempts, j.NextAt, j.Error = store.LabelsReady, 0, time.Time{}, ""
		return fmt.Sprintf("%d labels ready", len(j.Packages))
	})
}

// maxDownloadTries bounds waybill download and layout retries.
const maxDownloadTries = 8

func (a *Agent) downloadLater(ctx context.Context, j *store.Job, err error) {
	if j.Attempts+1 >= maxDownloadTries {
		a.attention(ctx, j, store.Succeeded, store.AttnDownload,
			fmt.Sprintf("the waybills could not be downloaded or laid out after %d tries: %v; retry when CNExpress is reachable", maxDownloadTries, err))
		return
	}
	a.later(ctx, j, "waybill", err)
}

// printLabels prints every label not yet printed automatically. The start
// of each print is committed first: a crash during a print leaves it
// unknown, and it is never repeated without a person saying so.
func (a *Agent) printLabels(ctx context.Context, j *store.Job) {
	pr := a.printerFor(j.RouteCode)
	for _, p := range j.Packages {
		if p.AutoPrint {
			continue
		}
		err := a.printOne(ctx, pr, j, p, false)
		if err == nil {
			continue
		}
		var nr notReady
		var unsure interface{ MayHavePrinted() bool }
		switch {
		case errors.As(err, &nr):
			a.waitForPrinter(ctx, j, pr.Name(), nr.NotReady())
		case errors.As(err, &unsure) && unsure.MayHavePrinted():
			a.attention(ctx, j, j.State, store.AttnPrint,
				fmt.Sprintf("printer %s failed while printing %s and the label may have printed: %v; check the printer, then print again if it is missing", pr.Name(), p.TrackingNo, err))
		default:
			a.later(ctx, j, "printer "+pr.Name(), err)
		}
		return
	}
	_, _ = a.transition(ctx, j.ID, j.State, func(j *store.Job) string {
		for _, p := range j.Packages {
			if p.Prints == 0 {
				return "" // a print of another run is not finished
			}
		}
		j.State, j.Attempts, j.NextAt, j.Error = store.Printed, 0, time.Time{}, ""
		return fmt.Sprintf("%d labels printed on %s", len(j.Packages), pr.Name())
	})
}

// waitForPrinter parks a job until its printer is back, trying again with
// backoff; nothing was printed.
func (a *Agent) waitForPrinter(ctx context.Context, j *store.Job, printer, reason string) {
	delay := a.backoff(j.Attempts + 1)
	_, _ = a.transition(ctx, j.ID, j.State, func(j *store.Job) string {
		first := j.State != store.WaitingForPrinter
		j.State = store.WaitingForPrinter
		j.Attempts++
		j.NextAt = time.Now().Add(delay)
		j.Error = fmt.Sprintf("waiting for printer %s: %s (try %d; next in %s)", printer, reason, j.Attempts, delay.Round(time.Second))
		if first {
			return fmt.Sprintf("printer %s is not ready: %s", printer, reason)
		}
		return ""
	})
}

// printOne prints one package's label with its ledger entry.
func (a *Agent) printOne(ctx context.Context, pr Printer, j *store.Job, p store.Package, reprint bool) error {
	if p.Label == "" {
		return fmt.Errorf("package %d of job %d has no label yet", p.Index+1, j.ID)
	}
	id, err := a.store.BeginPrint(ctx, p.ID, pr.Name(), reprint)
	if err != nil {
		return err
	}
	a.opts.Checkpoint("print-started")
	err = pr.Print(ctx, p.Label, j.RequestNo+"-"+p.TrackingNo)
	a.opts.Checkpoint("print-returned")
	outcome, msg := store.PrintDone, ""
	if err != nil {
		outcome, msg = store.PrintFailed, err.Error() // not ready or refused: nothing printed
		var unsure interface{ MayHavePrinted() bool }
		if errors.As(err, &unsure) && unsure.MayHavePrinted() {
			outcome = store.PrintUnknown
		}
	}
	if ferr := a.store.FinishPrint(context.WithoutCancel(ctx), id, outcome, msg); ferr != nil {
		return errors.Join(err, ferr)
	}
	if err == nil {
		a.log.Info("label printed", "job", j.ID, "request_no", j.RequestNo, "tracking_no", p.TrackingNo, "printer", pr.Name(), "reprint", reprint)
	}
	return err
}

func (a *Agent) printerFor(route string) Printer {
	if name, ok := a.opts.Routes[route]; ok {
		if p, err := a.printerNamed(name); err == nil {
			return p
		}
	}
	if p, err := a.printerNamed(a.defPrinter.Load().(string)); err == nil {
		return p
	}
	return a.opts.Printers[0]
}

func (a *Agent) printerNamed(name string) (Printer, error) {
	for _, p := range a.opts.Printers {
		if p.Name() == name {
			return p, nil
		}
	}
	return nil, fmt.Errorf("no printer named %q", name)
}
