package gui

import (
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	"cnx-agent/agent/localapi"
	"cnx-agent/agent/store"
)

func TestStatusLineAndState(t *testing.T) {
	tests := []struct {
		st    *localapi.Status
		line  string
		state TrayState
	}{
		{nil, "Agent not running", Unreachable},
		{&localapi.Status{}, "All labels printed", Idle},
		{&localapi.Status{Queued: 3, Working: 4, Printing: 1, Attention: 2}, "3 queued · 1 printing · 2 need attention", Attention},
		{&localapi.Status{Working: 2}, "2 in progress", Working},
		{&localapi.Status{Working: 1, Printing: 1, Attention: 1, Paused: true}, "1 printing · 1 needs attention (printing paused)", Attention},
	}
	for _, tt := range tests {
		if got := StatusLine(tt.st); got != tt.line {
			t.Errorf("StatusLine(%+v) = %q, want %q", tt.st, got, tt.line)
		}
		if got := StateOf(tt.st); got != tt.state {
			t.Errorf("StateOf(%+v) = %v, want %v", tt.st, got, tt.state)
		}
		if IconFor(StateOf(tt.st)) == nil {
			t.Error("no icon")
		}
	}
}

// fakeAgent is a local API server with canned jobs in every state that
// records the actions it is asked for.
type fakeAgent struct {
	mu     sync.Mutex
	calls  []string
	status localapi.Status
	jobs   []localapi.JobView
	events []store.Event
}

var states = []string{"queued", "submitting", "submitted", "succeeded", "failed", "labels_ready", "waiting_for_printer", "printed", "needs_attention"}

func newFakeAgent() *fakeAgent {
	f := &fakeAgent{status: localapi.Status{Version: "test", Queued: 1, Working: 5, Printing: 2, Attention: 1}}
	base := time.Date(2026, 12, 3, 9, 0, 0, 0, time.UTC)
	for i, st := range states {
		j := localapi.JobView{ID: int64(i + 1), State: st, OrderNo: "ORD-" + string(rune('A'+i)), Source: "inbox.json", CreatedAt: base.Add(time.Duration(i) * time.Minute)}
		if i >= 2 {
			j.RequestNo = "CE202612030000000" + string(rune('0'+i))
		}
		if i >= 3 && st != "failed" {
			j.Packages = []localapi.PackageView{{TrackingNo: "TEST00000001", Prints: 1, Label: "/labels/1.pdf"}, {TrackingNo: "TEST00000002", Label: "/labels/2.pdf"}}
		}
		if st == "needs_attention" {
			j.Attention = "submit_unknown"
			j.Error = "the order was sent but no clear answer came back"
			j.Packages = nil
		}
		if st == "failed" {
			j.Error = "CNExpress failed request: 收件人身份证号码校验失败"
		}
		f.jobs = append(f.jobs, j)
	}
	return f
}

func (f *fakeAgent) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	path := strings.TrimPrefix(r.URL.Path, "/api/v1/")
	if r.Method == http.MethodPost {
		body, _ := io.ReadAll(r.Body)
		f.calls = append(f.calls, "POST "+path+" "+strings.TrimSpace(string(body)))
	}
	w.Header().Set("Content-Type", "application/json")
	switch {
	case path == "status":
		json.NewEncoder(w).Encode(f.status)
	case path == "jobs": // newest first, as the agent answers
		rev := make([]localapi.JobView, len(f.jobs))
		for i, j := range f.jobs {
			rev[len(f.jobs)-1-i] = j
		}
		json.NewEncoder(w).Encode(rev)
	case path == "events":
		w.Header().Set("Content-Type", "text/event-stream")
		for _, e := range f.events {
			b, _ := json.Marshal(e)
			fmt.Fprintf(w, "id: %d\nevent: job\ndata: %s\n\n", e.ID, b)
		}
		f.events = nil
	case strings.HasSuffix(path, "label.png"):
		w.Header().Set("Content-Type", "image/png")
		img := image.NewGray(image.Rect(0, 0, 40, 60))
		for i := range img.Pix {
			img.Pix[i] = 255
		}
		for y := 10; y < 30; y++ {
			for x := 5; x < 35; x += 3 {
				img.SetGray(x, y, color.Gray{})
			}
		}
		png.Encode(w, img)
	case strings.HasPrefix(path, "jobs/") && r.Method == http.MethodGet:
		var id int64
		for _, j := range f.jobs {
			if "jobs/"+itoa(j.ID) == path {
				id = j.ID
				json.NewEncoder(w).Encode(localapi.JobDetail{JobView: j})
			}
		}
		if id == 0 {
			w.WriteHeader(404)
		}
	case path == "settings":
		json.NewEncoder(w).Encode(localapi.Settings{APIRoot: "http://127.0.0.1:8089/api/v1", Username: "shop", PasswordSet: true, Mode: "test", Credit: 100, Inbox: "/srv/inbox", Printers: []string{"zebra = socket://10.0.0.5"}})
	case strings.HasPrefix(path, "tracking/"):
		json.NewEncoder(w).Encode(localapi.TrackingView{Test: true})
	case path == "export":
		w.Header().Set("Content-Type", "text/csv")
		io.WriteString(w, "date,order_no,package_no,request_no,tracking_no,route,cost,state\n2026-12-03T09:07:00Z,ORD-H,,CE2026120300000007,TEST00000001,cnpost,20.00,printed\n")
	case path == "printers":
		json.NewEncoder(w).Encode([]localapi.PrinterView{{Name: "zebra", Default: true, State: "stopped", Reasons: []string{"media-empty"}},
			{Name: "office", State: "offline", Error: "the printer at cups.lan:631 shows a different TLS certificate", CertChanged: true}})
	case strings.HasSuffix(path, "/trust"):
		json.NewEncoder(w).Encode(localapi.TrustResult{Printer: "office", Fingerprint: "sha256:ab12"})
	case path == "logs":
		json.NewEncoder(w).Encode(map[string][]string{"lines": {"level=INFO msg=hello"}})
	case strings.HasPrefix(path, "jobs/") || path == "reprint-last" || path == "pause" || path == "resume":
		json.NewEncoder(w).Encode(map[string]any{"job_id": 1, "printed": 1})
	default:
		w.WriteHeader(404)
	}
}

func itoa(i int64) string { return strconv.FormatInt(i, 10) }

func (f *fakeAgent) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.calls...)
}

func TestMain(m *testing.M) {
	// Rows show local times; golden images need one zone. Set before any
	// test starts a goroutine that reads it.
	time.Local = time.UTC
	os.Exit(m.Run())
}

func setup(t *testing.T) (*UI, *fakeAgent) {
	t.Helper()
	a := test.NewTempApp(t)
	f := newFakeAgent()
	srv := httptest.NewServer(f)
	t.Cleanup(srv.Close)
	u := New(a, localapi.NewClient(srv.URL, "token"), nil, true)
	u.Now = func() time.Time { return time.Date(2026, 12, 3, 9, 30, 0, 0, time.UTC) }
	u.Refresh(t.Context())
	return u, f
}

func TestTrayMenu(t *testing.T) {
	u, f := setup(t)
	var labels []string
	for _, it := range u.Menu().Items {
		if !it.IsSeparator {
			labels = append(labels, it.Label)
		}
	}
	want := []string{"1 queued · 2 in progress · 2 printing · 1 needs attention", "Reprint last label", "Pause printing", "Open dashboard…", "Quit tray"}
	if strings.Join(labels, "|") != strings.Join(want, "|") {
		t.Errorf("menu %q, want %q", labels, want)
	}
	if !u.Menu().Items[0].Disabled {
		t.Error("the status line is clickable")
	}
	for _, it := range u.Menu().Items {
		if it.Label == "Reprint last label" || it.Label == "Pause printing" {
			it.Action()
		}
	}
	calls := f.Calls()
	if len(calls) != 2 || !strings.HasPrefix(calls[0], "POST reprint-last") || !strings.HasPrefix(calls[1], "POST pause") {
		t.Errorf("calls %q", calls)
	}
}

func TestTrayUnreachable(t *testing.T) {
	a := test.NewTempApp(t)
	u := New(a, localapi.NewClient("http://127.0.0.1:1", "token"), nil, true)
	u.Refresh(t.Context())
	if got := u.Menu().Items[0].Label; got != "Agent not running" {
		t.Errorf("status line %q", got)
	}
}

func TestDashboard(t *testing.T) {
	u, f := setup(t)
	w := u.Dashboard()
	w.Resize(fyne.NewSize(1100, 700))
	if n := u.list.Length(); n != len(states) {
		t.Fatalf("jobs list has %d rows, want %d (one per state)", n, len(states))
	}
	// Filter by state, then by a scanned order number.
	u.stateFilter = "failed"
	u.redraw()
	if len(u.shown) != 1 || u.shown[0].State != "failed" {
		t.Errorf("filter failed: %+v", u.shown)
	}
	u.stateFilter, u.search = "all", "ORD-C"
	u.redraw()
	if len(u.shown) != 1 || u.shown[0].OrderNo != "ORD-C" {
		t.Errorf("search ORD-C: %+v", u.shown)
	}
	u.search = ""
	u.redraw()

	// A job whose POST may have landed: resubmit from the detail.
	u.Select(9)
	if b := findButton(u.detail, "Resubmit"); b == nil {
		t.Fatal("no Resubmit button for a submit_unknown job")
	} else {
		test.Tap(b)
	}
	if b := findButton(u.detail, "Attach"); b == nil {
		t.Error("no Attach button")
	}
	// A printed job: a preview and a reprint per package.
	u.Select(8)
	if b := findButton(u.detail, "Reprint package"); b == nil {
		t.Fatal("no Reprint package button")
	} else {
		test.Tap(b)
	}
	calls := strings.Join(f.Calls(), "\n")
	for _, want := range []string{`POST jobs/9/resolve {"resubmit":true,"request_no":""}`, `POST jobs/8/reprint {"tracking_no":"TEST00000001"}`} {
		if !strings.Contains(calls, want) {
			t.Errorf("calls lack %q:\n%s", want, calls)
		}
	}
	test.AssertImageMatches(t, "dashboard_en.png", w.Canvas().Capture())
}

func TestScanToReprint(t *testing.T) {
	u, f := setup(t)
	u.Dashboard()
	u.Scan("TEST00000002") // scan off: shows the newest job with it
	if u.selected != 8 || len(f.Calls()) != 0 {
		t.Fatalf("scan without reprint: selected %d, calls %q", u.selected, f.Calls())
	}
	u.scanBox.SetChecked(true)
	u.Scan("TEST00000002")
	calls := f.Calls()
	if len(calls) != 1 || calls[0] != `POST jobs/8/reprint {"tracking_no":"TEST00000002"}` {
		t.Fatalf("scan to reprint: calls %q", calls)
	}
	if got := u.banner.Text; got != "Reprinted TEST00000002 (job 8)" {
		t.Errorf("banner %q", got)
	}
	u.Scan("ORD-C")
	if u.selected != 3 {
		t.Errorf("order number scan selected %d", u.selected)
	}
	u.Scan("NOPE123")
	if got := u.banner.Text; got != "Not found: NOPE123" {
		t.Errorf("banner %q", got)
	}
	if len(f.Calls()) != 1 {
		t.Errorf("extra calls %q", f.Calls())
	}
}

// TestDashboardChinese renders the dashboard with the Chinese catalogue.
func TestDashboardChinese(t *testing.T) {
	for _, v := range []string{"LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"} {
		t.Setenv(v, "zh_CN.UTF-8")
	}
	if err := LoadTranslations(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		for _, v := range []string{"LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"} {
			os.Setenv(v, "en_GB.UTF-8")
		}
		_ = LoadTranslations()
	}()
	u, _ := setup(t)
	if got := u.Menu().Items[2].Label; got != "重打上一张面单" {
		t.Errorf("menu item %q, want the Chinese text", got)
	}
	w := u.Dashboard()
	w.Resize(fyne.NewSize(1100, 700))
	u.Select(8)
	test.AssertImageMatches(t, "dashboard_zh.png", w.Canvas().Capture())
}

func findButton(c *fyne.Container, label string) *widget.Button {
	for _, o := range c.Objects {
		switch v := o.(type) {
		case *widget.Button:
			if v.Text == label {
				return v
			}
		case *fyne.Container:
			if b := findButton(v, label); b != nil {
				return b
			}
		}
	}
	return nil
}

func TestExportAndTracking(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	u, _ := setup(t)
	u.Dashboard()
	msg := u.Export(time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	if !strings.HasPrefix(msg, "Exported 1 packages to ") {
		t.Fatalf("export: %q", msg)
	}
	b, err := os.ReadFile(strings.TrimPrefix(msg, "Exported 1 packages to "))
	if err != nil || !strings.Contains(string(b), "TEST00000001") {
		t.Errorf("export file: %v %s", err, b)
	}
	if got := u.trackingText("TEST00000001"); got != "Test parcels have no tracking." {
		t.Errorf("tracking: %q", got)
	}
}

func TestPrintersAndSettingsTabs(t *testing.T) {
	u, f := setup(t)
	u.Dashboard()
	u.refreshPrinters()
	row := u.printersBox.Objects[0].(*fyne.Container)
	if b := findButton(row, "Test print"); b == nil {
		t.Fatal("no Test print button")
	} else {
		test.Tap(b)
	}
	if b := findButton(row, "Set default"); b == nil || !b.Disabled() {
		t.Error("Set default should be there and disabled for the default printer")
	}
	if calls := f.Calls(); len(calls) != 1 || !strings.HasPrefix(calls[0], "POST printers/zebra/test") {
		t.Errorf("calls %q", calls)
	}
	if findButton(row, "Trust new certificate") != nil {
		t.Error("a printer whose certificate is fine offers to trust one")
	}
	// An ipps printer showing a new certificate: trust it from here.
	office := u.printersBox.Objects[1].(*fyne.Container)
	b := findButton(office, "Trust new certificate")
	if b == nil {
		t.Fatal("no Trust button for a printer with a changed certificate")
	}
	test.Tap(b)
	if calls := f.Calls(); len(calls) != 2 || !strings.HasPrefix(calls[1], "POST printers/office/trust") {
		t.Errorf("calls %q", calls)
	}
	if !strings.Contains(u.banner.Text, "sha256:ab12") {
		t.Errorf("banner %q, want the fingerprint", u.banner.Text)
	}
	u.refreshSettings()
	if txt := u.settings.Text; !strings.Contains(txt, "User: shop (password set)") || !strings.Contains(txt, "Mode: test   Credit: 100.00 GBP") {
		t.Errorf("settings:\n%s", txt)
	}
	var saved [2]string
	u.SavePassword = func(user, pw string) error { saved = [2]string{user, pw}; return nil }
	u.password.SetText("s3cret")
	u.savePassword()
	if saved != [2]string{"shop", "s3cret"} || u.password.Text != "" || !strings.Contains(u.banner.Text, "OS keyring") {
		t.Errorf("save password: %v %q %q", saved, u.password.Text, u.banner.Text)
	}
}

func TestWatchNotifies(t *testing.T) {
	u, f := setup(t)
	f.mu.Lock()
	f.events = []store.Event{{ID: 7, JobID: 9, From: store.Submitting, To: store.NeedsAttention, Message: "the order was sent but no clear answer came back"}}
	f.mu.Unlock()
	test.AssertNotificationSent(t, fyne.NewNotification("Job needs attention", "9: the order was sent but no clear answer came back"), func() {
		ctx, cancel := context.WithTimeout(t.Context(), 500*time.Millisecond)
		defer cancel()
		u.Watch(ctx)
	})
}
