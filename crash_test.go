package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"cnx-agent/agent/localapi"
	"cnx-agent/api/fakeserver"
	"cnx-agent/printer/folder"
	"cnx-agent/printer/render"
)

// The crash tests run the real cnx-agent binary against the fake server,
// kill it with SIGKILL, restart it, and check from the fake server's
// records and the folder printer that no order was lost, none was posted
// twice, and no label came out twice by itself.

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

func agentBinary(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "cnx-bin-*")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "cnx-agent")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// world is one packing station: a fake CNExpress, a config, an inbox.
type world struct {
	t      *testing.T
	bin    string
	fake   *fakeserver.Server
	dir    string
	config string
	orders []string // order_no of every file dropped
}

func newWorld(t *testing.T, orders int) *world {
	t.Helper()
	w := &world{t: t, bin: agentBinary(t), fake: fakeserver.New(fakeserver.Options{Polls: 1}), dir: t.TempDir()}
	srv := httptest.NewServer(w.fake)
	t.Cleanup(srv.Close)
	w.config = filepath.Join(w.dir, "config.toml")
	cfg := fmt.Sprintf(`[api]
root = %q
username = "test"
password = "test"
[agent]
data_dir = %q
inbox = %q
poll_min = "20ms"
poll_max = "100ms"
inbox_settle = "50ms"
listen = "127.0.0.1:0"
cache_dir = %q
`, srv.URL+"/api/v1", filepath.Join(w.dir, "data"), filepath.Join(w.dir, "inbox"), render.DefaultCacheDir())
	if err := os.WriteFile(w.config, []byte(cfg), 0o600); err != nil {
		t.Fatal(err)
	}
	inbox := filepath.Join(w.dir, "inbox")
	if err := os.MkdirAll(inbox, 0o755); err != nil {
		t.Fatal(err)
	}
	for i := range orders {
		o := fakeserver.SampleOrder()
		o.OrderNo = fmt.Sprintf("ORDER-%02d", i+1)
		if i%2 == 1 {
			o.Packages = o.Packages[1:]
		}
		b, _ := json.Marshal(o)
		if err := os.WriteFile(filepath.Join(inbox, o.OrderNo+".json"), b, 0o644); err != nil {
			t.Fatal(err)
		}
		w.orders = append(w.orders, o.OrderNo)
	}
	return w
}

// start runs `cnx-agent run` with extra environment.
func (w *world) start(env ...string) (*exec.Cmd, <-chan string) {
	w.t.Helper()
	cmd := exec.Command(w.bin, "run", "--config", w.config)
	cmd.Env = append(os.Environ(), env...)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		w.t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	lines := make(chan string, 1000)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
		close(lines)
	}()
	return cmd, lines
}

func kill(cmd *exec.Cmd) {
	_ = cmd.Process.Kill() // SIGKILL
	_ = cmd.Wait()
}

// finish runs the agent to idle with no crash point.
func (w *world) finish() {
	w.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, w.bin, "run", "--exit-when-idle", "--config", w.config).CombinedOutput()
	if err != nil {
		w.t.Fatalf("final run: %v\n%s", err, out)
	}
}

func (w *world) jobs() []localapi.JobView {
	w.t.Helper()
	out, err := exec.Command(w.bin, "jobs", "--json", "--config", w.config).Output()
	if err != nil {
		w.t.Fatalf("jobs --json: %v", err)
	}
	var jobs []localapi.JobView
	if err := json.Unmarshal(out, &jobs); err != nil {
		w.t.Fatalf("jobs --json: %v\n%s", err, out)
	}
	return jobs
}

// check asserts the invariants and returns the jobs.
func (w *world) check() []localapi.JobView {
	w.t.Helper()
	t := w.t
	jobs := w.jobs()
	byOrder := map[string]int{}
	for _, j := range jobs {
		byOrder[j.OrderNo]++
		if j.State != "printed" && j.State != "needs_attention" {
			t.Errorf("job %d (%s) ended %s: %s", j.ID, j.OrderNo, j.State, j.Error)
		}
	}
	for _, o := range w.orders {
		if byOrder[o] != 1 {
			t.Errorf("order %s has %d jobs, want 1", o, byOrder[o])
		}
	}
	posts := map[string]int{}
	for _, p := range w.fake.Posts() {
		posts[p.OrderNo]++
	}
	for o, n := range posts {
		if n > 1 {
			t.Errorf("order %s was posted %d times", o, n)
		}
	}
	printer := folder.New("labels", filepath.Join(w.dir, "data", "printed"))
	for _, j := range jobs {
		for _, p := range j.Packages {
			n := printer.Count(j.RequestNo + "-" + p.TrackingNo)
			if n > 1 {
				t.Errorf("label %s-%s came out %d times", j.RequestNo, p.TrackingNo, n)
			}
			if j.State == "printed" && (n != 1 || p.Prints != 1) {
				t.Errorf("printed job %d: label %s came out %d times, %d recorded", j.ID, p.TrackingNo, n, p.Prints)
			}
		}
	}
	left, _ := filepath.Glob(filepath.Join(w.dir, "inbox", "*.json"))
	if len(left) > 0 {
		t.Errorf("files left in the inbox: %v", left)
	}
	return jobs
}

func TestCrashAtEveryKillPoint(t *testing.T) {
	points := []struct {
		name      string
		attention string // the attention the caught job must show, "" for none
		posted    bool   // the caught order reached CNExpress
	}{
		{"queued", "", true},                    // job stored, file not yet moved
		{"submitting", "submit_unknown", false}, // committed, POST not sent
		{"posted", "submit_unknown", true},      // POST answered, answer not stored
		{"downloaded", "", true},                // waybill on disk, not recorded
		{"labelled", "", true},                  // label recorded
		{"print-started", "print_unknown", true},
		{"print-returned", "print_unknown", true}, // printed, not recorded
	}
	for _, pt := range points {
		t.Run(pt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, 2)
			cmd, lines := w.start("CNX_CRASHPOINT=" + pt.name)
			waitLine(t, lines, "CRASHPOINT "+pt.name, cmd)
			kill(cmd)
			w.finish()
			jobs := w.check()
			attn := map[string]int{}
			for _, j := range jobs {
				attn[j.Attention]++
			}
			if pt.attention == "" && len(jobs) > 0 && attn[""] != len(jobs) {
				t.Errorf("jobs need attention after a crash at %s: %v", pt.name, attn)
			}
			if pt.attention != "" && attn[pt.attention] == 0 {
				t.Errorf("no job shows %s after a crash at %s: %v", pt.attention, pt.name, attn)
			}
			if n := len(w.fake.Posts()); pt.posted && n == 0 {
				t.Errorf("nothing was posted")
			}
		})
	}
}

func waitLine(t *testing.T, lines <-chan string, want string, cmd *exec.Cmd) {
	t.Helper()
	timeout := time.After(60 * time.Second)
	var seen bytes.Buffer
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				kill(cmd)
				t.Fatalf("agent exited before %q:\n%s", want, seen.String())
			}
			seen.WriteString(l + "\n")
			if strings.TrimSpace(l) == want {
				return
			}
		case <-timeout:
			kill(cmd)
			t.Fatalf("no %q in 60s:\n%s", want, seen.String())
		}
	}
}

func TestCrashAtRandomTimes(t *testing.T) {
	t.Parallel()
	const rounds = 12
	w := newWorld(t, 6)
	rnd := rand.New(rand.NewPCG(7, 11))
	seen := map[string]bool{}
	for i := 0; i < rounds; i++ {
		cmd, lines := w.start()
		go func() {
			for range lines {
			}
		}()
		time.Sleep(time.Duration(20+rnd.IntN(250)) * time.Millisecond)
		kill(cmd)
		var states []string
		for _, j := range w.jobs() {
			states = append(states, j.State)
		}
		seen[strings.Join(states, ",")] = true
	}
	w.finish()
	w.check()
	t.Logf("%d random SIGKILLs; %d distinct job-state snapshots at kill time", rounds, len(seen))
}
