package service

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	ks "github.com/kardianos/service"
)

func TestSystemdUnit(t *testing.T) {
	t.Parallel()
	unit := SystemdUnit(Spec{Executable: "/usr/local/bin/cnx-agent", ConfigPath: "/etc/cnx agent/config.toml", User: "labels"})
	for _, want := range []string{
		"[Unit]\nDescription=CNExpress label agent (cnx-agent)\n",
		`ExecStart=/usr/local/bin/cnx-agent run --service --config "/etc/cnx agent/config.toml"` + "\n",
		"User=labels\n",
		"Restart=on-failure\n",
		"WantedBy=multi-user.target\n",
		"After=network-online.target cups.service\n",
	} {
		if !strings.Contains(unit, want) {
			t.Errorf("unit lacks %q:\n%s", want, unit)
		}
	}
	if strings.Contains(unit, "{{") {
		t.Error("unit still has template markers (kardianos would expand them)")
	}
}

func TestWindowsAndLaunchdConfig(t *testing.T) {
	t.Parallel()
	c := Config(Spec{Executable: `C:\Program Files\cnx-agent\cnx-agent.exe`})
	if c.Name != "cnx-agent" || strings.Join(c.Arguments, " ") != "run --service" {
		t.Errorf("config %+v", c)
	}
	for k, want := range map[string]any{"OnFailure": "restart", "StartType": "automatic", "KeepAlive": true, "RunAtLoad": true, "Restart": "on-failure"} {
		if c.Option[k] != want {
			t.Errorf("option %s = %v, want %v", k, c.Option[k], want)
		}
	}
}

func TestProgramStartReturnsAtOnceAndStopDrains(t *testing.T) {
	t.Parallel()
	stopped := make(chan struct{})
	p := &Program{Run: func(ctx context.Context) error {
		<-ctx.Done()
		time.Sleep(100 * time.Millisecond) // drain
		close(stopped)
		return ctx.Err()
	}}
	start := time.Now()
	if err := p.Start(nil); err != nil || time.Since(start) > 50*time.Millisecond {
		t.Fatalf("Start took %v, %v", time.Since(start), err)
	}
	if err := p.Stop(nil); err != nil {
		t.Fatal(err)
	}
	select {
	case <-stopped:
	default:
		t.Fatal("Stop returned before the drain finished")
	}
	if err := p.Stop(nil); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	slow := &Program{Run: func(ctx context.Context) error { time.Sleep(time.Second); return nil }, Drain: 50 * time.Millisecond}
	_ = slow.Start(nil)
	if err := slow.Stop(nil); err == nil {
		t.Error("Stop past the deadline did not say so")
	}
}

func TestDescribe(t *testing.T) {
	t.Parallel()
	tests := []struct {
		st   ks.Status
		err  error
		want string
	}{
		{ks.StatusRunning, nil, "installed and running"},
		{ks.StatusStopped, nil, "installed, stopped"},
		{ks.StatusUnknown, ks.ErrNotInstalled, "not installed"},
		{ks.StatusUnknown, errors.New("boom"), "unknown (boom)"},
	}
	for _, tt := range tests {
		if got := Describe(tt.st, tt.err); got != tt.want {
			t.Errorf("Describe(%v, %v) = %q, want %q", tt.st, tt.err, got, tt.want)
		}
	}
}

func TestCleanSysV(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for _, l := range []string{"rc2.d/S50cnx-agent", "rc0.d/K02cnx-agent", "rc3.d/S50other", "rc5.d/S50cnx-agent-x"} {
		p := filepath.Join(root, "etc", l)
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.Symlink("/etc/init.d/x", p)
	}
	if err := CleanSysV(root, "cnx-agent"); err != nil {
		t.Fatal(err)
	}
	left, _ := filepath.Glob(filepath.Join(root, "etc", "rc*.d", "*"))
	if len(left) != 2 {
		t.Errorf("left %v, want only the other services' links", left)
	}
}

// TestSysVInstall installs a real System V service on a machine without
// systemd (as root), checks its status, and uninstalls it without leaving
// anything behind.
func TestSysVInstall(t *testing.T) {
	if Platform() != "unix-systemv" || os.Geteuid() != 0 {
		t.Skipf("needs root on a System V machine (this is %s)", Platform())
	}
	exe, err := exec.LookPath("true")
	if err != nil {
		t.Skip(err)
	}
	name := "cnx-agent-test"
	spec := Spec{Name: name, Executable: exe}
	s, err := New(spec, &Program{})
	if err != nil {
		t.Fatal(err)
	}
	_ = s.Uninstall()
	_ = CleanSysV("/", name)
	if got := Status(s, name); got != "not installed" {
		t.Fatalf("before install: %q", got)
	}
	if err := s.Install(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = s.Uninstall(); _ = CleanSysV("/", name) }()
	script, err := os.ReadFile("/etc/init.d/" + name)
	if err != nil || !strings.Contains(string(script), exe+` "run" "--service"`) {
		t.Fatalf("init script: %v\n%s", err, script)
	}
	if got := Status(s, name); got != "installed, stopped" {
		t.Errorf("after install: %q", got)
	}
	if links, _ := filepath.Glob("/etc/rc?.d/[SK][0-9][0-9]" + name); len(links) == 0 {
		t.Error("no rc links made")
	}
	if err := s.Uninstall(); err != nil {
		t.Fatal(err)
	}
	if err := CleanSysV("/", name); err != nil {
		t.Fatal(err)
	}
	if links, _ := filepath.Glob("/etc/rc?.d/[SK][0-9][0-9]" + name); len(links) != 0 {
		t.Errorf("links left after uninstall: %v", links)
	}
	if got := Status(s, name); got != "not installed" {
		t.Errorf("after uninstall: %q", got)
	}
}
