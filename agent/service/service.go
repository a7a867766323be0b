// Package service runs the agent as an OS service with kardianos/service:
// systemd on Linux (System V where there is no systemd), a Windows service,
// launchd on macOS. It starts at boot and restarts on failure; Start only
// starts goroutines, Stop drains work in flight within a deadline.
package service

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"text/template"
	"time"

	ks "github.com/kardianos/service"
)

// Name is the service's name.
const Name = "cnx-agent"

// Spec describes the service to install.
type Spec struct {
	Name       string // default Name
	Executable string // absolute path of cnx-agent
	ConfigPath string // passed as --config when set
	User       string // run as this user (systemd, launchd); "" = root/system
}

// Arguments are the command line the service manager runs.
func (s Spec) Arguments() []string {
	args := []string{"run", "--service"}
	if s.ConfigPath != "" {
		args = append(args, "--config", s.ConfigPath)
	}
	return args
}

func (s Spec) name() string {
	if s.Name == "" {
		return Name
	}
	return s.Name
}

// systemdUnit is the unit file, rendered here (so that tests can read it)
// and handed to kardianos whole.
var systemdUnit = template.Must(template.New("unit").Parse(`[Unit]
Description=CNExpress label agent ({{.Name}})
Documentation=https://cnexpress.co.uk
After=network-online.target cups.service
Wants=network-online.target

[Service]
Type=simple
ExecStart={{.Exec}}
{{if .User}}User={{.User}}
{{end}}Restart=on-failure
RestartSec=5
TimeoutStopSec=30
KillMode=mixed

[Install]
WantedBy=multi-user.target
`))

// SystemdUnit renders the systemd unit file.
func SystemdUnit(s Spec) string {
	quoted := []string{quoteArg(s.Executable)}
	for _, a := range s.Arguments() {
		quoted = append(quoted, quoteArg(a))
	}
	var b bytes.Buffer
	_ = systemdUnit.Execute(&b, map[string]string{"Name": s.name(), "Exec": strings.Join(quoted, " "), "User": s.User})
	return b.String()
}

func quoteArg(a string) string {
	if a == "" || strings.ContainsAny(a, " \t\"'\\$;") {
		return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `$$`).Replace(a) + `"`
	}
	return a
}

// Config is the kardianos configuration: restart on failure and start at
// boot on every system.
func Config(s Spec) *ks.Config {
	return &ks.Config{
		Name:        s.name(),
		DisplayName: "CNExpress label agent",
		Description: "Posts CNExpress orders and prints their shipping labels.",
		Executable:  s.Executable,
		Arguments:   s.Arguments(),
		UserName:    s.User,
		Option: ks.KeyValue{
			"SystemdScript":          SystemdUnit(s),
			"Restart":                "on-failure",
			"OnFailure":              "restart", // Windows
			"OnFailureDelayDuration": "5s",
			"StartType":              "automatic", // Windows
			"DelayedAutoStart":       true,
			"KeepAlive":              true, // launchd
			"RunAtLoad":              true,
		},
	}
}

// Program adapts the agent's run function to a service: Start returns at
// once, Stop cancels and waits for the drain.
type Program struct {
	Run   func(ctx context.Context) error
	Drain time.Duration // how long Stop waits, default 30s

	mu     sync.Mutex
	cancel context.CancelFunc
	done   chan error
}

// Start starts the agent in the background.
func (p *Program) Start(ks.Service) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done != nil {
		return nil
	}
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel, p.done = cancel, make(chan error, 1)
	go func() { p.done <- p.Run(ctx) }()
	return nil
}

// Stop stops the agent and waits for it to drain; calling it twice is fine.
func (p *Program) Stop(ks.Service) error {
	p.mu.Lock()
	cancel, done := p.cancel, p.done
	p.cancel = nil // a second Stop finds nothing to stop
	p.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	drain := p.Drain
	if drain == 0 {
		drain = 30 * time.Second
	}
	select {
	case err := <-done:
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
		return nil
	case <-time.After(drain):
		return fmt.Errorf("the agent did not stop within %s", drain)
	}
}

// New returns the kardianos service for a spec and program.
func New(s Spec, p *Program) (ks.Service, error) {
	return ks.New(p, Config(s))
}

// Status asks the service manager and says it in plain words. System V
// init scripts answer "not running" and "not installed" alike with a failing
// exit code, so there the script's presence decides.
func Status(s ks.Service, name string) string {
	st, err := s.Status()
	if err != nil && Platform() == "unix-systemv" {
		if _, serr := os.Stat(filepath.Join("/etc/init.d", name)); serr != nil {
			return "not installed"
		}
		return "installed, stopped"
	}
	return Describe(st, err)
}

// Describe turns a service status into plain words.
func Describe(st ks.Status, err error) string {
	switch {
	case errors.Is(err, ks.ErrNotInstalled):
		return "not installed"
	case err != nil:
		return "unknown (" + err.Error() + ")"
	case st == ks.StatusRunning:
		return "installed and running"
	case st == ks.StatusStopped:
		return "installed, stopped"
	}
	return "installed, state unknown"
}

// CleanSysV removes the /etc/rc?.d links a System V install made, which
// kardianos's uninstall leaves behind. root is "/" outside tests.
func CleanSysV(root, name string) error {
	var errs []error
	for _, lvl := range []string{"0", "1", "2", "3", "4", "5", "6", "S"} {
		links, _ := filepath.Glob(filepath.Join(root, "etc", "rc"+lvl+".d", "[SK][0-9][0-9]"+name))
		for _, l := range links {
			if err := os.Remove(l); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// Platform is the service system kardianos picked ("linux-systemd",
// "unix-systemv", "windows-service", "darwin-launchd"…).
func Platform() string { return ks.ChosenSystem().String() }
