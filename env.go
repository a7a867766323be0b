package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"sync"

	"cnx-agent/agent"
	"cnx-agent/agent/config"
	"cnx-agent/agent/store"
	"cnx-agent/api"
	"cnx-agent/printer/folder"
	"cnx-agent/printer/label"
	"cnx-agent/printer/render"
)

// env is what every command shares: output, flags, config.
type env struct {
	name   string
	stdout io.Writer
	stderr io.Writer

	configPath string
	dataDir    string
	asJSON     bool
	verbose    bool
	cfg        *config.Config
	log        *slog.Logger
}

// flags returns a flag set with the common flags.
func (e *env) flags(usage string) *flag.FlagSet {
	fs := flag.NewFlagSet("cnx-agent "+e.name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.StringVar(&e.configPath, "config", "", "config file (default: "+config.DefaultPath()+")")
	fs.StringVar(&e.dataDir, "data-dir", "", "data directory (overrides the config and CNX_DATA_DIR)")
	fs.BoolVar(&e.asJSON, "json", false, "print data as JSON")
	fs.BoolVar(&e.verbose, "v", false, "verbose logging")
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "usage: cnx-agent %s %s\n\nflags:\n", e.name, usage)
		fs.PrintDefaults()
	}
	return fs
}

// parse parses flags, also after positional arguments ("reprint 5
// --json"); a bad flag is a usage error. fs.Args() holds the positional
// arguments afterwards.
func (e *env) parse(fs *flag.FlagSet, args []string) error {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return errUsage
		}
		if fs.NArg() == 0 {
			break
		}
		pos = append(pos, fs.Arg(0))
		args = fs.Args()[1:]
	}
	if err := fs.Parse(append([]string{"--"}, pos...)); err != nil {
		return errUsage
	}
	return nil
}

// load reads the config and sets up logging.
func (e *env) load() error {
	cfg, err := config.Load(e.configPath, func(c *config.Config) {
		if e.dataDir != "" {
			c.Agent.DataDir = e.dataDir
		}
	})
	if err != nil {
		return err
	}
	e.cfg = cfg
	level := slog.LevelInfo
	if e.verbose {
		level = slog.LevelDebug
	}
	e.log = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))
	return nil
}

func (e *env) client() (*api.Client, error) {
	return api.New(api.Options{
		Root: e.cfg.API.Root, Username: e.cfg.API.Username, Password: e.cfg.API.Password,
		Timeout: e.cfg.API.Timeout.Duration, Logger: e.log,
	})
}

func (e *env) store(ctx context.Context) (*store.Store, error) {
	return store.Open(ctx, e.cfg.DBPath())
}

// printers builds the configured printers. This build drives folder
// printers (file://); other schemes are named in the error.
func (e *env) printers() ([]agent.Printer, string, map[string]string, error) {
	var out []agent.Printer
	def := ""
	routes := map[string]string{}
	for _, pc := range e.cfg.Printers {
		u, err := url.Parse(pc.URI)
		if err != nil {
			return nil, "", nil, fmt.Errorf("printer %q: bad uri %q: %w", pc.Name, pc.URI, err)
		}
		switch u.Scheme {
		case "file":
			p, err := folder.FromURI(pc.Name, pc.URI)
			if err != nil {
				return nil, "", nil, err
			}
			out = append(out, p)
		default:
			return nil, "", nil, fmt.Errorf("printer %q: uri scheme %q is not supported; allowed: file:///path/to/dir", pc.Name, u.Scheme)
		}
		if pc.Default || def == "" {
			def = pc.Name
		}
		for _, r := range pc.Routes {
			routes[r] = pc.Name
		}
	}
	return out, def, routes, nil
}

// agentFor builds an agent (not running) from the config.
func (e *env) agentFor(st *store.Store, client *api.Client, opts agent.Options) (*agent.Agent, error) {
	prs, def, routes, err := e.printers()
	if err != nil {
		return nil, err
	}
	opts.DataDir = e.cfg.Agent.DataDir
	opts.PollMin, opts.PollMax, opts.PollDeadline = e.cfg.Agent.PollMin.Duration, e.cfg.Agent.PollMax.Duration, e.cfg.Agent.PollDeadline.Duration
	opts.Workers, opts.InboxSettle = e.cfg.Agent.Workers, e.cfg.Agent.InboxSettle.Duration
	opts.Printers, opts.Default, opts.Routes = prs, def, routes
	opts.Labels = &lazyLabels{cacheDir: e.cfg.Agent.CacheDir, opts: label.Options{Size: label.Size100x150}}
	opts.Logger = e.log
	return agent.New(st, client, opts)
}

// lazyLabels starts the PDF renderer the first time a label is made, so
// commands that never make one start fast. Its renderer lives as long as
// the process.
type lazyLabels struct {
	cacheDir string
	opts     label.Options
	once     sync.Once
	mk       *label.Maker
	err      error
}

func (l *lazyLabels) MakeFile(ctx context.Context, waybill string, page int, out string) error {
	l.once.Do(func() {
		r, err := render.New(ctx, l.cacheDir)
		l.mk, l.err = label.NewMaker(l.opts, r), err
	})
	if l.err != nil {
		return l.err
	}
	return l.mk.MakeFile(ctx, waybill, page, out)
}

func (e *env) printJSON(v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}
