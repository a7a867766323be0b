// Package agent is the job pipeline: intake → submit → poll → download →
// label → print, over a crash-safe store. Every state change is committed
// before the side effect it allows.
package agent

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"path/filepath"
	"regexp"
	"sync"
	"sync/atomic"
	"time"

	"cnx-agent/agent/store"
	"cnx-agent/api"
)

// Printer prints one label file. title names the print job
// (request_no-tracking_no). An error that may have printed anyway should
// implement MayHavePrinted() bool.
type Printer interface {
	Name() string
	Print(ctx context.Context, file, title string) error
}

// LabelMaker turns page (1-based) of a waybill PDF into a label file of
// the given size in mm, and splits a merged waybill file into one file a
// page.
type LabelMaker interface {
	MakeFile(ctx context.Context, waybill string, page int, out string, widthMM, heightMM float64) error
	SplitPages(ctx context.Context, file, dir string) ([]string, error)
}

// sizedPrinter is a printer whose labels are not 100×150 mm.
type sizedPrinter interface {
	LabelSize() (widthMM, heightMM float64)
}

// labelSize is the label size of a printer, 100×150 mm unless it says.
func labelSize(p Printer) (w, h float64) {
	if s, ok := p.(sizedPrinter); ok {
		if w, h := s.LabelSize(); w > 0 && h > 0 {
			return w, h
		}
	}
	return 100, 150
}

// notReady is an error from a printer that cannot print now (offline,
// paused, out of media): nothing was printed, the job waits.
type notReady interface {
	NotReady() string
}

// Options configure an Agent.
type Options struct {
	DataDir string
	Inbox   string // watched folder; "" to watch none
	// InboxSettle is how long a file must keep its size and time before it
	// is read (default 1s); a file that is not whole JSON gets five times
	// that before it is rejected, for slow writers.
	InboxSettle  time.Duration
	PollMin      time.Duration
	PollMax      time.Duration
	PollDeadline time.Duration
	Workers      int
	// Printers by name; labels go to the printer whose Routes name the
	// job's route, else to Default.
	Printers []Printer
	Default  string
	Routes   map[string]string // route code → printer name
	Labels   LabelMaker
	// DrainTimeout is how long Run waits for work in flight after its
	// context ends before cancelling it.
	DrainTimeout time.Duration
	// ExitWhenIdle makes Run return once no job is active and the inbox is
	// empty.
	ExitWhenIdle bool
	Logger       *slog.Logger
	// Webhooks are told about every job state change.
	Webhooks []Webhook
	// Checkpoint, if set, is called at named points of the pipeline right
	// after the commit they follow; the crash tests kill the process there.
	Checkpoint func(name string)
}

// Agent runs the pipeline.
type Agent struct {
	store  *store.Store
	client *api.Client
	opts   Options
	log    *slog.Logger
	wake   chan struct{}
	inbox  *intake

	mu      sync.Mutex
	started bool
	paused  atomic.Bool
	// defPrinter is the default printer's name (a string); people can
	// change it while the agent runs.
	defPrinter atomic.Value
}

// SetPaused pauses or resumes printing (jobs still move up to labels_ready).
func (a *Agent) SetPaused(p bool) {
	a.paused.Store(p)
	if !p {
		a.Wake()
	}
}

// Paused reports whether printing is paused.
func (a *Agent) Paused() bool { return a.paused.Load() }

// DefaultPrinter is the name of the printer for routes no printer names.
func (a *Agent) DefaultPrinter() string { return a.printerFor("").Name() }

// SetDefaultPrinter makes a configured printer the default. The choice is
// stored, so it outlasts a restart, until the config file's own default
// changes (an edited config is newer than the choice).
func (a *Agent) SetDefaultPrinter(ctx context.Context, name string) error {
	if _, err := a.printerNamed(name); err != nil {
		return fmt.Errorf("%w: %w", err, store.ErrNotFound)
	}
	v, err := json.Marshal(defaultChoice{Printer: name, ConfigDefault: a.opts.Default})
	if err != nil {
		return err
	}
	if err := a.store.SetSetting(ctx, store.SettingDefaultPrinter, string(v)); err != nil {
		return err
	}
	a.defPrinter.Store(name)
	a.log.Info("default printer set", "printer", name)
	return nil
}

// defaultChoice is the stored default printer, with the config's default
// at the time it was chosen.
type defaultChoice struct {
	Printer       string `json:"printer"`
	ConfigDefault string `json:"config_default"`
}

// loadDefaultPrinter applies a stored choice of default printer that still
// names a configured printer and was made under the same config default.
func (a *Agent) loadDefaultPrinter(ctx context.Context) error {
	v, ok, err := a.store.Setting(ctx, store.SettingDefaultPrinter)
	if err != nil || !ok {
		return err
	}
	var c defaultChoice
	if err := json.Unmarshal([]byte(v), &c); err != nil {
		a.log.Warn("stored default printer unreadable; using the config's", "err", err)
		return nil
	}
	switch _, err := a.printerNamed(c.Printer); {
	case err != nil:
		a.log.Warn("stored default printer is no longer configured; using the config's", "printer", c.Printer)
	case c.ConfigDefault != a.opts.Default:
		a.log.Info("config default changed since a default printer was chosen; using the config's",
			"chosen", c.Printer, "config", a.opts.Default)
	default:
		a.defPrinter.Store(c.Printer)
	}
	return nil
}

// TrustPrinter trusts the TLS certificate an ipps printer shows now, in
// place of the one pinned for it, and returns its fingerprint ("" when a
// CA vouches for it). Jobs waiting for the printer go on.
func (a *Agent) TrustPrinter(ctx context.Context, name string) (string, error) {
	p, err := a.printerNamed(name)
	if err != nil {
		return "", fmt.Errorf("%w: %w", err, store.ErrNotFound)
	}
	t, ok := p.(interface {
		Trust(ctx context.Context) (string, error)
	})
	if !ok {
		return "", fmt.Errorf("printer %q has no certificate to trust: %w", name, ErrNotAllowed)
	}
	fp, err := t.Trust(ctx)
	if err != nil {
		return "", err
	}
	a.log.Info("printer certificate trusted", "printer", name, "fingerprint", fp)
	a.Wake()
	return fp, nil
}

// TestPrint prints a label file on a printer by name (a test label), not
// recorded in any job.
func (a *Agent) TestPrint(ctx context.Context, name, file string) error {
	p, err := a.printerNamed(name)
	if err != nil {
		return fmt.Errorf("%w: %w", err, store.ErrNotFound)
	}
	return p.Print(ctx, file, "cnx-agent test label")
}

// Printers returns the configured printers.
func (a *Agent) Printers() []Printer { return a.opts.Printers }

// New returns an agent over an open store and a client.
func New(ctx context.Context, st *store.Store, client *api.Client, opts Options) (*Agent, error) {
	if opts.PollMin == 0 {
		opts.PollMin = time.Second
	}
	if opts.PollMax == 0 {
		opts.PollMax = 30 * time.Second
	}
	if opts.PollDeadline == 0 {
		opts.PollDeadline = 30 * time.Minute
	}
	if opts.Workers == 0 {
		opts.Workers = 8
	}
	if opts.InboxSettle == 0 {
		opts.InboxSettle = time.Second
	}
	if opts.DrainTimeout == 0 {
		opts.DrainTimeout = 20 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.Checkpoint == nil {
		opts.Checkpoint = func(string) {}
	}
	if opts.Labels == nil {
		return nil, errors.New("agent: no label maker")
	}
	if len(opts.Printers) == 0 {
		return nil, errors.New("agent: no printer configured")
	}
	a := &Agent{store: st, client: client, opts: opts, log: opts.Logger, wake: make(chan struct{}, 1)}
	a.defPrinter.Store(opts.Default)
	if _, err := a.printerNamed(opts.Default); err != nil && opts.Default != "" {
		return nil, err
	}
	for route, name := range opts.Routes {
		if _, err := a.printerNamed(name); err != nil {
			return nil, fmt.Errorf("route %s: %w", route, err)
		}
	}
	if err := a.loadDefaultPrinter(ctx); err != nil {
		return nil, err
	}
	if opts.Inbox != "" {
		a.inbox = newIntake(a, opts.Inbox, opts.InboxSettle)
	}
	return a, nil
}

// Store returns the agent's store.
func (a *Agent) Store() *store.Store { return a.store }

// Wake makes the scheduler look for due work now.
func (a *Agent) Wake() {
	select {
	case a.wake <- struct{}{}:
	default:
	}
}

// Run recovers from a previous crash, then runs intake and the pipeline
// until ctx ends (then drains work in flight) or, with ExitWhenIdle, until
// nothing is left to do.
func (a *Agent) Run(ctx context.Context) error {
	a.mu.Lock()
	if a.started {
		a.mu.Unlock()
		return errors.New("agent: Run called twice")
	}
	a.started = true
	a.mu.Unlock()

	changed, err := a.store.Recover(ctx)
	if err != nil {
		return err
	}
	for _, id := range changed {
		a.log.Warn("job needs attention after restart", "job", id)
	}
	a.sweepResults(ctx)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	if a.inbox != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := a.inbox.Serve(runCtx); err != nil && !errors.Is(err, context.Canceled) {
				a.log.Error("inbox stopped", "err", err)
			}
		}()
	}
	for _, wh := range a.opts.Webhooks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			a.serveWebhook(runCtx, wh)
		}()
	}
	err = a.serveJobs(runCtx)
	cancel()
	wg.Wait()
	return err
}

// activeStates are the states the pipeline works on; the printing ones last.
var activeStates = []store.State{store.Queued, store.Submitted, store.Succeeded, store.LabelsReady, store.WaitingForPrinter}

// serveJobs is the scheduler: it hands due jobs to at most Workers steps at
// a time, one step per job at a time.
func (a *Agent) serveJobs(ctx context.Context) error {
	stepCtx, cancelSteps := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelSteps()
	inflight := map[int64]bool{}
	done := make(chan int64)
	// The ticker notices jobs that other processes (the CLI) add; the timer
	// wakes the loop when the next backoff ends.
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	due := time.NewTimer(time.Hour)
	defer due.Stop()
	for {
		if ctx.Err() == nil && len(inflight) < a.opts.Workers {
			states := activeStates
			if a.paused.Load() { // printing paused: leave those jobs be
				states = activeStates[:3]
			}
			jobs, err := a.store.Jobs(ctx, store.Filter{States: states, DueBefore: time.Now()})
			if err != nil && ctx.Err() == nil {
				a.log.Error("list due jobs", "err", err)
			}
			for _, j := range jobs {
				if inflight[j.ID] || len(inflight) >= a.opts.Workers {
					continue
				}
				inflight[j.ID] = true
				go func(j *store.Job) {
					a.step(stepCtx, j)
					done <- j.ID
				}(j)
			}
			if a.opts.ExitWhenIdle && len(inflight) == 0 && a.idle(ctx) {
				return nil
			}
			if next, err := a.store.NextDue(ctx, states); err == nil && !next.IsZero() {
				due.Reset(max(time.Until(next), time.Millisecond))
			}
		}
		if ctx.Err() != nil {
			return a.drain(inflight, done, cancelSteps)
		}
		select {
		case <-ctx.Done():
		case id := <-done:
			delete(inflight, id)
		case <-a.wake:
		case <-tick.C:
		case <-due.C:
		}
	}
}

func (a *Agent) drain(inflight map[int64]bool, done chan int64, cancelSteps context.CancelFunc) error {
	if len(inflight) > 0 {
		a.log.Info("stopping: waiting for work in flight", "jobs", len(inflight), "timeout", a.opts.DrainTimeout)
	}
	timer := time.NewTimer(a.opts.DrainTimeout)
	defer timer.Stop()
	for len(inflight) > 0 {
		select {
		case id := <-done:
			delete(inflight, id)
		case <-timer.C:
			cancelSteps()
		}
	}
	return nil
}

func (a *Agent) idle(ctx context.Context) bool {
	n, err := a.store.CountActive(ctx)
	if err != nil || n > 0 {
		return false
	}
	return a.inbox == nil || a.inbox.Idle()
}

// step does one unit of work on a job according to its state.
func (a *Agent) step(ctx context.Context, j *store.Job) {
	defer func() {
		if r := recover(); r != nil {
			a.log.Error("pipeline step panicked", "job", j.ID, "state", j.State, "panic", r)
		}
	}()
	if a.paused.Load() && (j.State == store.LabelsReady || j.State == store.WaitingForPrinter) {
		return // paused after the job was handed out
	}
	switch j.State {
	case store.Queued:
		a.submit(ctx, j)
	case store.Submitted:
		a.poll(ctx, j)
	case store.Succeeded:
		a.fetchLabels(ctx, j)
	case store.LabelsReady, store.WaitingForPrinter:
		a.printLabels(ctx, j)
	}
}

// errStale means the job changed under us (a person acted on it): skip.
var errStale = errors.New("job changed meanwhile")

// transition moves a job from one state to another (with changes) in one
// commit, refusing if it is no longer in from.
func (a *Agent) transition(ctx context.Context, id int64, from store.State, change func(j *store.Job) string) (*store.Job, error) {
	j, err := a.store.Update(ctx, id, func(j *store.Job) (string, error) {
		if j.State != from {
			return "", errStale
		}
		return change(j), nil
	})
	if err != nil && !errors.Is(err, errStale) {
		a.log.Error("store update failed", "job", id, "err", err)
	}
	if err == nil && j.State != from {
		a.log.Info("job "+j.State.String(), "job", id, "request_no", j.RequestNo, "order_no", j.OrderNo, "error", j.Error)
		a.writeResult(ctx, j)
		a.Wake()
	}
	return j, err
}

// later leaves a job in its state and schedules the next try with backoff.
func (a *Agent) later(ctx context.Context, j *store.Job, why string, err error) {
	delay := a.backoff(j.Attempts + 1)
	a.log.Warn("will try again", "job", j.ID, "state", j.State, "in", delay.Round(time.Millisecond), "why", why, "err", err)
	_, _ = a.transition(ctx, j.ID, j.State, func(j *store.Job) string {
		j.Attempts++
		j.NextAt = time.Now().Add(delay)
		j.Error = fmt.Sprintf("%s: %v (try %d; next in %s)", why, err, j.Attempts, delay.Round(time.Second))
		return ""
	})
}

// attention hands a job to a person.
func (a *Agent) attention(ctx context.Context, j *store.Job, from store.State, kind store.Attention, msg string) {
	_, _ = a.transition(ctx, j.ID, from, func(j *store.Job) string {
		j.State, j.Attention, j.Error = store.NeedsAttention, kind, msg
		return msg
	})
}

// backoff is PollMin·2^(n-1), capped at PollMax, with ±20% jitter.
func (a *Agent) backoff(n int) time.Duration {
	d := a.opts.PollMin
	for i := 1; i < n && d < a.opts.PollMax; i++ {
		d *= 2
	}
	d = min(d, a.opts.PollMax)
	return d - d/5 + rand.N(d/5*2+1)
}

// safeName accepts server-supplied numbers as file names only when they
// are plain.
var safeName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

func checkName(what, s string) error {
	if !safeName.MatchString(s) || s == "." || s == ".." {
		return fmt.Errorf("CNExpress sent an unusable %s %q (want letters, digits, '-', '_' or '.')", what, s)
	}
	return nil
}

func (a *Agent) waybillPath(requestNo, trackingNo string) string {
	return filepath.Join(a.opts.DataDir, "waybills", requestNo, trackingNo+".pdf")
}

func (a *Agent) mergedPath(requestNo string) string {
	return filepath.Join(a.opts.DataDir, "waybills", requestNo, "request.pdf")
}

// mergedPages are the pages of the merged file, split once.
func (a *Agent) mergedPages(ctx context.Context, requestNo string) ([]string, error) {
	merged := a.mergedPath(requestNo)
	if _, err := a.client.DownloadRequestWaybills(ctx, requestNo, merged); err != nil {
		return nil, err
	}
	return a.opts.Labels.SplitPages(ctx, merged, filepath.Dir(merged))
}

func (a *Agent) labelPath(requestNo, trackingNo string) string {
	return filepath.Join(a.opts.DataDir, "labels", requestNo, trackingNo+".pdf")
}
