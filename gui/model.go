// Package gui is the tray and dashboard (Fyne). It is a client of the
// agent's local API: it never owns the queue, follows the agent's event
// stream, and reconnects when the agent restarts.
package gui

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"cnx-agent/agent/localapi"
	"cnx-agent/agent/store"
)

// API is what the GUI needs from the agent; *localapi.Client has it.
type API interface {
	Status(ctx context.Context) (*localapi.Status, error)
	Jobs(ctx context.Context, limit int, states ...string) ([]localapi.JobView, error)
	Job(ctx context.Context, id int64) (*localapi.JobDetail, error)
	Retry(ctx context.Context, id int64) (*localapi.JobView, error)
	Resolve(ctx context.Context, id int64, req localapi.ResolveRequest) (*localapi.JobView, error)
	Reprint(ctx context.Context, id int64, tracking string) (*localapi.ReprintResult, error)
	ReprintLast(ctx context.Context) (*localapi.ReprintResult, error)
	SetPaused(ctx context.Context, paused bool) error
	Printers(ctx context.Context) ([]localapi.PrinterView, error)
	Logs(ctx context.Context, n int) ([]string, error)
	LabelPNG(ctx context.Context, id int64, n, dpi int) ([]byte, error)
	Events(ctx context.Context, lastID int64, fn func(store.Event)) error
	Submit(ctx context.Context, order json.RawMessage) (*localapi.JobView, error)
	ExportCSV(ctx context.Context, since time.Time) ([]byte, error)
	Settings(ctx context.Context) (*localapi.Settings, error)
	SetDefaultPrinter(ctx context.Context, name string) error
	TestPrint(ctx context.Context, name string) error
	TrustPrinter(ctx context.Context, name string) (string, error)
	Tracking(ctx context.Context, no string) (*localapi.TrackingView, error)
}

var _ API = (*localapi.Client)(nil)

// TrayState is what the tray icon shows.
type TrayState int

// Tray states.
const (
	Unreachable TrayState = iota // no agent answers
	Idle                         // nothing to do
	Working                      // jobs on their way
	Attention                    // a job needs a person
)

func (s TrayState) String() string {
	return [...]string{"unreachable", "idle", "working", "needs attention"}[s]
}

// StateOf is the tray state for a status (nil: unreachable).
func StateOf(st *localapi.Status) TrayState {
	switch {
	case st == nil:
		return Unreachable
	case st.Attention > 0:
		return Attention
	case st.Working > 0:
		return Working
	}
	return Idle
}

// StatusLine is the first line of the tray menu, e.g.
// "3 queued · 1 printing · 2 need attention".
func StatusLine(st *localapi.Status) string {
	if st == nil {
		return tr("agent.not_running")
	}
	var parts []string
	if st.Queued > 0 {
		parts = append(parts, tr("status.queued", "N", st.Queued))
	}
	if other := st.Working - st.Queued - st.Printing; other > 0 {
		parts = append(parts, tr("status.in_progress", "N", other))
	}
	if st.Printing > 0 {
		parts = append(parts, tr("status.printing", "N", st.Printing))
	}
	if st.Attention == 1 {
		parts = append(parts, tr("status.attention_one"))
	} else if st.Attention > 1 {
		parts = append(parts, tr("status.attention_many", "N", st.Attention))
	}
	if len(parts) == 0 {
		parts = append(parts, tr("status.all_printed"))
	}
	line := strings.Join(parts, " · ")
	if st.Paused {
		line += " " + tr("status.paused")
	}
	return line
}

// PauseLabel is the pause item's text.
func PauseLabel(st *localapi.Status) string {
	if st != nil && st.Paused {
		return tr("menu.resume")
	}
	return tr("menu.pause")
}

// JobRow is a job as one line of the jobs list.
func JobRow(j localapi.JobView) string {
	var tracking []string
	for _, p := range j.Packages {
		if p.TrackingNo != "" {
			tracking = append(tracking, p.TrackingNo)
		}
	}
	order := j.OrderNo
	if order == "" {
		order = "—"
	}
	req := j.RequestNo
	if req == "" {
		req = "—"
	}
	return fmt.Sprintf("%s  %-10s  %-18s  %-16s  %s  %s",
		j.CreatedAt.Local().Format("01-02 15:04"), order, req, StateName(j.State), tr("row.packages", "N", len(j.Packages)), strings.Join(tracking, ", "))
}

// StateName is a job state in the user's language.
func StateName(state string) string {
	if s := tr("state." + state); s != "state."+state {
		return s
	}
	return state
}

// Matches reports whether a job matches the search text: order, request,
// package or tracking number, case-insensitively.
func Matches(j localapi.JobView, q string) bool {
	q = strings.ToLower(strings.TrimSpace(q))
	if q == "" {
		return true
	}
	fields := []string{j.OrderNo, j.RequestNo, j.Source, fmt.Sprint(j.ID)}
	for _, p := range j.Packages {
		fields = append(fields, p.TrackingNo, p.PackageNo)
	}
	for _, f := range fields {
		if strings.Contains(strings.ToLower(f), q) {
			return true
		}
	}
	return false
}

// Job actions the detail offers (their labels are "button.<action>").
const (
	ActReprintAll = "reprint_all"
	ActRetry      = "retry"
	ActResubmit   = "resubmit"
	ActAttach     = "attach_request"
)

// Actions lists the actions a job's detail offers.
func Actions(j localapi.JobView) []string {
	var out []string
	printedAny := false
	for _, p := range j.Packages {
		printedAny = printedAny || p.Label != ""
	}
	if printedAny {
		out = append(out, ActReprintAll)
	}
	switch {
	case j.State == "failed":
		out = append(out, ActRetry)
	case j.State == "needs_attention" && (j.Attention == string(store.AttnSubmitUnknown) || j.Attention == string(store.AttnRequestLost)):
		out = append(out, ActResubmit, ActAttach)
	case j.State == "needs_attention":
		out = append(out, ActRetry)
	}
	return out
}

// Age says how long ago a time was, for the detail view.
func Age(t time.Time, now time.Time) string {
	d := now.Sub(t)
	switch {
	case d < time.Minute:
		return tr("age.now")
	case d < time.Hour:
		return tr("age.minutes", "N", int(d.Minutes()))
	case d < 48*time.Hour:
		return tr("age.hours", "N", int(d.Hours()))
	}
	return t.Local().Format("2006-01-02")
}
