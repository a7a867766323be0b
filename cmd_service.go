package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	ks "github.com/kardianos/service"

	"cnx-agent/agent/config"
	"cnx-agent/agent/service"
	"cnx-agent/i18n"
)

func serviceSpec(e *env) (service.Spec, error) {
	exe, err := os.Executable()
	if err != nil {
		return service.Spec{}, err
	}
	if exe, err = filepath.EvalSymlinks(exe); err != nil {
		return service.Spec{}, err
	}
	cfg := e.configPath
	if cfg == "" {
		if _, err := os.Stat(config.DefaultPath()); err == nil {
			cfg = config.DefaultPath()
		}
	}
	if cfg != "" {
		if cfg, err = filepath.Abs(cfg); err != nil {
			return service.Spec{}, err
		}
	}
	return service.Spec{Name: os.Getenv("CNX_SERVICE_NAME"), Executable: exe, ConfigPath: cfg}, nil
}

func cmdService(ctx context.Context, e *env, args []string) error {
	fs := e.flags("install|uninstall|start|stop|restart|status")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		fs.Usage()
		return errUsage
	}
	spec, err := serviceSpec(e)
	if err != nil {
		return err
	}
	s, err := service.New(spec, &service.Program{})
	if err != nil {
		return err
	}
	name := ks.Config{Name: spec.Name}.Name
	if name == "" {
		name = service.Name
	}
	switch fs.Arg(0) {
	case "install":
		if err := s.Install(); err != nil {
			return fmt.Errorf("install service: %w", err)
		}
		fmt.Fprintln(e.stdout, i18n.T("cli.service_installed", "Name", name, "Platform", service.Platform(), "Command", spec.Executable+" "+strings.Join(spec.Arguments(), " ")))
		fmt.Fprintln(e.stdout, i18n.T("cli.service_boot"))
	case "uninstall":
		_ = s.Stop()
		err := s.Uninstall()
		if service.Platform() == "unix-systemv" {
			err = errors.Join(err, service.CleanSysV("/", name))
		}
		if err != nil {
			return fmt.Errorf("uninstall service: %w", err)
		}
		fmt.Fprintln(e.stdout, i18n.T("cli.service_uninstalled", "Name", name))
	case "start":
		return s.Start()
	case "stop":
		return s.Stop()
	case "restart":
		return s.Restart()
	case "status":
		fmt.Fprintf(e.stdout, "%s: %s (%s)\n", name, service.Status(s, name), service.Platform())
	default:
		fs.Usage()
		return errUsage
	}
	return nil
}

// runService runs the agent under the service manager: logs also go to the
// OS log (kardianos's logger).
func runService(e *env) error {
	spec, err := serviceSpec(e)
	if err != nil {
		return err
	}
	p := &service.Program{Run: func(ctx context.Context) error { return runAgent(ctx, e, false) }}
	s, err := service.New(spec, p)
	if err != nil {
		return err
	}
	var osLog io.Writer
	if l, err := s.Logger(nil); err == nil {
		osLog = lineWriter(func(line string) { _ = l.Info(line) })
	}
	e.serviceLogging(osLog)
	return s.Run()
}

// lineWriter calls f for each line written.
type lineWriter func(string)

func (f lineWriter) Write(p []byte) (int, error) {
	for _, l := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		f(l)
	}
	return len(p), nil
}

func cmdLogs(ctx context.Context, e *env, args []string) error {
	fs := e.flags("[-f] [-n LINES]")
	follow := fs.Bool("f", false, i18n.T("flag.f"))
	n := fs.Int("n", 100, i18n.T("flag.n"))
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if err := e.load(); err != nil {
		return err
	}
	path := filepath.Join(e.cfg.Agent.DataDir, "logs", "cnx-agent.log")
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%s: %w", i18n.T("cli.no_log", "Path", path), err)
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > *n {
			lines = lines[1:]
		}
	}
	for _, l := range lines {
		fmt.Fprintln(e.stdout, l)
	}
	if !*follow {
		return nil
	}
	rd := bufio.NewReader(f)
	for {
		line, err := rd.ReadString('\n')
		if line != "" {
			fmt.Fprint(e.stdout, line)
		}
		if err == io.EOF {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(300 * time.Millisecond):
			}
			continue
		}
		if err != nil {
			return err
		}
	}
}
