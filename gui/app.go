package gui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/png"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/widget"
	"github.com/zalando/go-keyring"

	"cnx-agent/agent/localapi"
	"cnx-agent/agent/store"
	"cnx-agent/assets"
)

// Icons for the tray states.
var (
	IconApp         = fyne.NewStaticResource("icon.png", assets.Icon)
	iconIdle        = fyne.NewStaticResource("idle.png", assets.Idle)
	iconWorking     = fyne.NewStaticResource("working.png", assets.Working)
	iconAttention   = fyne.NewStaticResource("attention.png", assets.Attention)
	iconUnreachable = fyne.NewStaticResource("unreachable.png", assets.Unreachable)
)

// IconFor is the tray icon of a state.
func IconFor(s TrayState) fyne.Resource {
	return [...]fyne.Resource{iconUnreachable, iconIdle, iconWorking, iconAttention}[s]
}

// UI is the tray and the dashboard.
type UI struct {
	app fyne.App
	api API
	log *slog.Logger
	// Now is the clock for "5 min ago" (tests fix it).
	Now func() time.Time
	// SavePassword stores the CNExpress password in the OS keyring.
	SavePassword func(user, password string) error

	mu     sync.Mutex
	drawMu sync.Mutex
	status *localapi.Status
	jobs   []localapi.JobView

	tray       desktop.App // nil without a system tray
	menu       *fyne.Menu
	statusItem *fyne.MenuItem
	pauseItem  *fyne.MenuItem

	win         fyne.Window
	stateFilter string
	search      string
	shown       []localapi.JobView
	list        *widget.List
	detail      *fyne.Container
	selected    int64
	printersBox *fyne.Container
	logText     *widget.Label
	settings    *widget.Label
	banner      *widget.Label
	scanBox     *widget.Check
	password    *widget.Entry
	username    string
}

// KeyringService is the OS keyring service the agent reads the password
// from (with the API username as the account).
const KeyringService = "cnx-agent"

// New makes the UI for an app and an agent API. With tray set it puts the
// icon and menu in the system tray (which needs a tray host: a
// StatusNotifier on a Linux session bus).
func New(a fyne.App, api API, log *slog.Logger, tray bool) *UI {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	u := &UI{app: a, api: api, log: log, Now: time.Now,
		SavePassword: func(user, pw string) error { return keyring.Set(KeyringService, user, pw) }}
	u.statusItem = fyne.NewMenuItem(StatusLine(nil), nil)
	u.statusItem.Disabled = true
	u.pauseItem = fyne.NewMenuItem(PauseLabel(nil), u.togglePause)
	u.menu = fyne.NewMenu("CNX Agent",
		u.statusItem,
		fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem(tr("menu.reprint_last"), u.reprintLast),
		u.pauseItem,
		fyne.NewMenuItem(tr("menu.dashboard"), func() { u.Dashboard().Show() }),
		fyne.NewMenuItemSeparator(),
		fyne.NewMenuItem(tr("menu.quit"), func() { a.Quit() }),
	)
	a.SetIcon(IconApp)
	if desk, ok := a.(desktop.App); ok && tray {
		desk.SetSystemTrayMenu(u.menu)
		desk.SetSystemTrayIcon(IconFor(Unreachable))
		u.tray = desk
	}
	return u
}

// Menu is the tray menu.
func (u *UI) Menu() *fyne.Menu { return u.menu }

func (u *UI) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 30*time.Second)
}

// Refresh fetches the status and jobs and updates what is shown.
func (u *UI) Refresh(ctx context.Context) {
	st, err := u.api.Status(ctx)
	if err != nil {
		st = nil
	}
	var jobs []localapi.JobView
	if st != nil {
		jobs, _ = u.api.Jobs(ctx, 200)
	}
	u.mu.Lock()
	u.status, u.jobs = st, jobs
	u.mu.Unlock()
	fyne.Do(u.redraw)
}

// redraw updates the widgets from the last fetched state. It runs through
// fyne.Do; the lock keeps two refreshes apart where a driver runs Do on
// the caller's goroutine (Fyne's test driver does).
func (u *UI) redraw() {
	u.drawMu.Lock()
	defer u.drawMu.Unlock()
	u.mu.Lock()
	st, jobs := u.status, u.jobs
	u.mu.Unlock()
	u.statusItem.Label = StatusLine(st)
	u.pauseItem.Label = PauseLabel(st)
	u.menu.Refresh()
	if u.tray != nil {
		u.tray.SetSystemTrayIcon(IconFor(StateOf(st)))
	}
	if u.win == nil || u.list == nil {
		return // no dashboard yet, or it is being built
	}
	u.banner.SetText(StatusLine(st))
	u.shown = u.shown[:0]
	for _, j := range jobs {
		if (u.stateFilter == "" || u.stateFilter == "all" || j.State == u.stateFilter) && Matches(j, u.search) {
			u.shown = append(u.shown, j)
		}
	}
	u.list.Refresh()
}

// Dashboard returns the dashboard window, making it on first use.
func (u *UI) Dashboard() fyne.Window {
	if u.win != nil {
		return u.win
	}
	w := u.app.NewWindow("CNX Agent")
	w.SetIcon(IconApp)
	u.win = w
	u.banner = widget.NewLabel(StatusLine(nil))
	states := []string{"all", "queued", "submitting", "submitted", "succeeded", "failed", "labels_ready", "waiting_for_printer", "printed", "needs_attention"}
	filter := widget.NewSelect(states, func(s string) { u.stateFilter = s; u.redraw() })
	filter.SetSelected("all")
	search := widget.NewEntry()
	search.SetPlaceHolder(tr("search.placeholder"))
	search.OnChanged = func(s string) { u.search = s; u.redraw() }
	u.scanBox = widget.NewCheck(tr("scan.toggle"), nil)
	search.OnSubmitted = func(code string) { u.Scan(code); search.SetText("") }
	u.list = widget.NewList(
		func() int { return len(u.shown) },
		func() fyne.CanvasObject {
			l := widget.NewLabel("template row for a job line, long enough")
			l.TextStyle = fyne.TextStyle{Monospace: true}
			return l
		},
		func(i widget.ListItemID, o fyne.CanvasObject) { o.(*widget.Label).SetText(JobRow(u.shown[i])) },
	)
	u.list.OnSelected = func(i widget.ListItemID) {
		if i < len(u.shown) {
			u.Select(u.shown[i].ID)
		}
	}
	u.detail = container.NewVBox(widget.NewLabel(tr("detail.select")))
	split := container.NewHSplit(u.list, container.NewVScroll(u.detail))
	split.SetOffset(0.62)
	export := widget.NewButton(tr("button.export"), func() { u.Export(u.Now().AddDate(0, 0, -30)) })
	jobsTab := container.NewBorder(container.NewBorder(nil, nil, filter, container.NewHBox(u.scanBox, export), search), nil, nil, nil, split)
	u.printersBox = container.NewVBox()
	u.logText = widget.NewLabel("")
	u.logText.TextStyle = fyne.TextStyle{Monospace: true}
	u.settings = widget.NewLabel("")
	u.password = widget.NewPasswordEntry()
	u.password.SetPlaceHolder(tr("settings.password"))
	settingsTab := container.NewVBox(u.settings, container.NewBorder(nil, nil, nil,
		widget.NewButton(tr("settings.save_password"), u.savePassword), u.password))
	tabs := container.NewAppTabs(
		container.NewTabItem(tr("tab.jobs"), jobsTab),
		container.NewTabItem(tr("tab.printers"), container.NewVScroll(u.printersBox)),
		container.NewTabItem(tr("tab.settings"), settingsTab),
		container.NewTabItem(tr("tab.log"), container.NewScroll(u.logText)),
	)
	tabs.OnSelected = func(t *container.TabItem) {
		switch t.Text {
		case tr("tab.printers"):
			u.refreshPrinters()
		case tr("tab.log"):
			u.refreshLog()
		case tr("tab.settings"):
			u.refreshSettings()
		}
	}
	w.SetContent(container.NewBorder(u.banner, nil, nil, nil, tabs))
	w.Resize(fyne.NewSize(1100, 700))
	w.SetCloseIntercept(func() { w.Hide() }) // the tray lives on
	u.redraw()
	return w
}

// Select shows a job's detail: its state, error, actions and, for each
// package, the label preview with a reprint button.
func (u *UI) Select(id int64) {
	u.selected = id
	ctx, cancel := u.ctx()
	defer cancel()
	d, err := u.api.Job(ctx, id)
	if err != nil {
		u.detail.Objects = []fyne.CanvasObject{widget.NewLabel(strconv.FormatInt(id, 10) + ": " + err.Error())}
		u.detail.Refresh()
		return
	}
	objs := []fyne.CanvasObject{
		widget.NewLabelWithStyle(tr("detail.title", "ID", d.ID, "Order", d.OrderNo, "Request", d.RequestNo), fyne.TextAlignLeading, fyne.TextStyle{Bold: true}),
		widget.NewLabel(tr("detail.state", "State", StateName(d.State), "Source", d.Source, "Age", Age(d.CreatedAt, u.Now()))),
	}
	if d.Error != "" {
		e := widget.NewLabel(d.Error)
		e.Wrapping = fyne.TextWrapWord
		objs = append(objs, e)
	}
	var buttons []fyne.CanvasObject
	for _, a := range Actions(d.JobView) {
		label := tr("button." + a)
		switch a {
		case ActReprintAll:
			buttons = append(buttons, widget.NewButton(label, func() { u.do(func(ctx context.Context) error { _, err := u.api.Reprint(ctx, id, ""); return err }) }))
		case ActRetry:
			buttons = append(buttons, widget.NewButton(label, func() { u.do(func(ctx context.Context) error { _, err := u.api.Retry(ctx, id); return err }) }))
		case ActResubmit:
			buttons = append(buttons, widget.NewButton(label, func() {
				u.do(func(ctx context.Context) error {
					_, err := u.api.Resolve(ctx, id, localapi.ResolveRequest{Resubmit: true})
					return err
				})
			}))
		case ActAttach:
			entry := widget.NewEntry()
			entry.SetPlaceHolder(label + " (CE…)")
			buttons = append(buttons, entry, widget.NewButton(tr("button.attach"), func() {
				u.do(func(ctx context.Context) error {
					_, err := u.api.Resolve(ctx, id, localapi.ResolveRequest{RequestNo: strings.TrimSpace(entry.Text)})
					return err
				})
			}))
		}
	}
	if len(buttons) > 0 {
		objs = append(objs, container.NewHBox(buttons...))
	}
	for i, p := range d.Packages {
		n := i + 1
		tracking := p.TrackingNo
		row := []fyne.CanvasObject{widget.NewLabel(tr("detail.package", "N", n, "Tracking", tracking, "Prints", p.Prints))}
		if p.Label != "" {
			if b, err := u.api.LabelPNG(ctx, id, n, 40); err == nil {
				if img, err := png.Decode(bytes.NewReader(b)); err == nil {
					ci := canvas.NewImageFromImage(img)
					ci.FillMode = canvas.ImageFillContain
					ci.SetMinSize(fyne.NewSize(160, 240))
					row = append(row, ci)
				}
			}
			progress := widget.NewLabel("")
			progress.Wrapping = fyne.TextWrapWord
			row = append(row, container.NewHBox(
				widget.NewButton(tr("button.reprint_package"), func() {
					u.do(func(ctx context.Context) error { _, err := u.api.Reprint(ctx, id, tracking); return err })
				}),
				widget.NewButton(tr("button.track"), func() { progress.SetText(u.trackingText(tracking)) }),
			), progress)
		}
		objs = append(objs, container.NewVBox(row...))
	}
	u.detail.Objects = objs
	u.detail.Refresh()
}

// trackingText is a parcel's courier progress, one step a line.
func (u *UI) trackingText(no string) string {
	ctx, cancel := u.ctx()
	defer cancel()
	v, err := u.api.Tracking(ctx, no)
	switch {
	case err != nil:
		return err.Error()
	case v.Test || v.Tracking == nil:
		return tr("detail.tracking_test")
	}
	var lines []string
	for _, p := range v.Tracking.Progress {
		lines = append(lines, p.Time.Local().Format("01-02 15:04")+"  "+p.Detail)
	}
	return strings.Join(lines, "\n")
}

// Export saves the packages since a day as CSV in the user's home folder.
func (u *UI) Export(since time.Time) string {
	ctx, cancel := u.ctx()
	defer cancel()
	b, err := u.api.ExportCSV(ctx, since)
	msg := ""
	if err == nil {
		home, herr := os.UserHomeDir()
		if herr != nil {
			home = os.TempDir()
		}
		path := filepath.Join(home, "cnx-agent-export-"+u.Now().Format("20060102-150405")+".csv")
		if err = os.WriteFile(path, b, 0o644); err == nil {
			msg = tr("export.saved", "N", max(0, bytes.Count(b, []byte("\n"))-1), "Path", path)
		}
	}
	if err != nil {
		msg = tr("action.failed", "Err", err.Error())
	}
	if u.banner != nil {
		u.banner.SetText(msg)
	}
	return msg
}

// Scan handles a code typed or scanned into the search box (a keyboard-wedge
// scanner types it and Enter): it shows the job, and with "scan to
// reprint" on, a known tracking number's label is printed again at once.
func (u *UI) Scan(code string) {
	code = strings.TrimSpace(code)
	if code == "" {
		return
	}
	u.mu.Lock()
	jobs := u.jobs
	u.mu.Unlock()
	for _, j := range jobs { // newest first: test numbers repeat across requests
		for _, p := range j.Packages {
			if p.TrackingNo != code && j.RequestNo+"-"+p.TrackingNo != code {
				continue
			}
			u.Select(j.ID)
			if u.scanBox != nil && u.scanBox.Checked {
				id, tracking := j.ID, p.TrackingNo
				u.do(func(ctx context.Context) error { _, err := u.api.Reprint(ctx, id, tracking); return err })
				failed := u.banner != nil && strings.HasPrefix(u.banner.Text, tr("action.failed", "Err", ""))
				if u.banner != nil && !failed {
					u.banner.SetText(tr("scan.reprinted", "Tracking", tracking, "Job", id))
				}
				chime(!failed)
			}
			return
		}
	}
	for _, j := range jobs {
		if Matches(j, code) {
			u.Select(j.ID)
			return
		}
	}
	if u.banner != nil {
		u.banner.SetText(tr("scan.not_found", "Code", code))
	}
	chime(false)
}

// do runs an action against the agent and shows what came of it.
func (u *UI) do(f func(ctx context.Context) error) {
	ctx, cancel := u.ctx()
	defer cancel()
	err := f(ctx)
	msg := tr("action.done")
	if err != nil {
		msg = tr("action.failed", "Err", err.Error())
		u.log.Warn("action failed", "err", err)
	}
	if u.banner != nil {
		u.banner.SetText(msg)
	}
	u.Refresh(ctx)
	if u.selected != 0 && u.win != nil {
		u.Select(u.selected)
	}
}

func (u *UI) reprintLast() {
	u.do(func(ctx context.Context) error { _, err := u.api.ReprintLast(ctx); return err })
}

func (u *UI) togglePause() {
	u.mu.Lock()
	paused := u.status != nil && u.status.Paused
	u.mu.Unlock()
	u.do(func(ctx context.Context) error { return u.api.SetPaused(ctx, !paused) })
}

func (u *UI) refreshPrinters() {
	ctx, cancel := u.ctx()
	defer cancel()
	prs, err := u.api.Printers(ctx)
	var objs []fyne.CanvasObject
	if err != nil {
		objs = append(objs, widget.NewLabel(err.Error()))
	}
	for _, p := range prs {
		line := fmt.Sprintf("%s — %s", p.Name, p.State)
		if p.Default {
			line += " " + tr("printer.default")
		}
		if len(p.Reasons) > 0 {
			line += " — " + strings.Join(p.Reasons, ", ")
		}
		if p.Model != "" {
			line += " — " + p.Model
		}
		if p.Error != "" {
			line += " — " + p.Error
		}
		name := p.Name
		def := widget.NewButton(tr("printer.set_default"), func() {
			u.do(func(ctx context.Context) error { return u.api.SetDefaultPrinter(ctx, name) })
			u.refreshPrinters()
		})
		if p.Default {
			def.Disable()
		}
		test := widget.NewButton(tr("printer.test"), func() {
			u.do(func(ctx context.Context) error { return u.api.TestPrint(ctx, name) })
		})
		buttons := container.NewHBox(def, test)
		if p.CertChanged {
			buttons.Add(widget.NewButton(tr("printer.trust"), func() { u.trustPrinter(name) }))
		}
		objs = append(objs, container.NewBorder(nil, nil, nil, buttons, widget.NewLabel(line)))
	}
	u.printersBox.Objects = objs
	u.printersBox.Refresh()
}

// trustPrinter trusts the certificate an ipps printer shows now and says
// which, to compare with the printer's own status page.
func (u *UI) trustPrinter(name string) {
	var fp string
	u.do(func(ctx context.Context) (err error) {
		fp, err = u.api.TrustPrinter(ctx, name)
		return err
	})
	if fp != "" && u.banner != nil {
		u.banner.SetText(tr("printer.trusted", "Name", name, "Fingerprint", fp))
	}
	u.refreshPrinters()
}

func (u *UI) refreshLog() {
	ctx, cancel := u.ctx()
	defer cancel()
	lines, err := u.api.Logs(ctx, 200)
	if err != nil {
		u.logText.SetText(err.Error())
		return
	}
	u.logText.SetText(strings.Join(lines, "\n"))
}

func (u *UI) refreshSettings() {
	u.mu.Lock()
	st := u.status
	u.mu.Unlock()
	if st == nil {
		u.settings.SetText(tr("settings.not_running"))
		return
	}
	ctx, cancel := u.ctx()
	defer cancel()
	v, err := u.api.Settings(ctx)
	if err != nil {
		u.settings.SetText(err.Error())
		return
	}
	u.username = v.Username
	pw := tr("settings.password_unset")
	if v.PasswordSet {
		pw = tr("settings.password_set")
	}
	credit := fmt.Sprintf("%.2f GBP", v.Credit)
	if v.CreditError != "" {
		credit = v.CreditError
	}
	mode := v.Mode
	if mode == "" {
		mode = "—"
	}
	u.settings.SetText(tr("settings.view", "Root", v.APIRoot, "User", v.Username, "PasswordState", pw, "Mode", mode, "Credit", credit,
		"Inbox", v.Inbox, "DataDir", v.DataDir, "Listen", v.Listen, "Config", v.ConfigPath, "Printers", strings.Join(v.Printers, "; "),
		"Version", st.Version, "Paused", st.Paused))
}

// savePassword stores the password typed in the settings tab in the OS
// keyring, where the agent reads it when the config has none.
func (u *UI) savePassword() {
	pw := u.password.Text
	if pw == "" || u.username == "" {
		return
	}
	if err := u.SavePassword(u.username, pw); err != nil {
		u.banner.SetText(tr("action.failed", "Err", err.Error()))
		return
	}
	u.password.SetText("")
	u.banner.SetText(tr("settings.password_saved", "User", u.username))
}

// Watch follows the agent's event stream, refreshing on every event and
// notifying when a job needs attention or a printer is not ready; when the
// agent is unreachable it says so and tries again every few seconds.
func (u *UI) Watch(ctx context.Context) {
	// A burst of events (a big order moving along) refreshes at most four
	// times a second.
	kick := make(chan struct{}, 1)
	var wg sync.WaitGroup
	defer wg.Wait() // no refresh outlives Watch
	wg.Go(func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-kick:
				u.Refresh(ctx)
				select {
				case <-ctx.Done():
				case <-time.After(250 * time.Millisecond):
				}
			}
		}
	})
	var last int64
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for ctx.Err() == nil {
		u.Refresh(ctx)
		err := u.api.Events(ctx, last, func(e store.Event) {
			last = e.ID
			switch {
			case e.To == store.NeedsAttention && e.From != e.To:
				u.app.SendNotification(fyne.NewNotification(tr("notify.attention"), fmt.Sprintf("%d: %s", e.JobID, e.Message)))
			case e.To == store.WaitingForPrinter && e.From != e.To:
				u.app.SendNotification(fyne.NewNotification(tr("notify.printer"), e.Message))
			}
			select {
			case kick <- struct{}{}:
			default: // a refresh is already due
			}
		})
		if ctx.Err() != nil {
			return
		}
		if err != nil && !errors.Is(err, context.Canceled) {
			u.log.Debug("event stream", "err", err)
		}
		u.Refresh(ctx)
		select {
		case <-ctx.Done():
		case <-tick.C:
		}
	}
}
