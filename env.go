package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/zalando/go-keyring"

	"cnx-agent/agent/config"
	"cnx-agent/agent/localapi"
	"cnx-agent/agent/logring"
	"cnx-agent/agent/store"
	"cnx-agent/api"
	"cnx-agent/gui"
	"cnx-agent/i18n"
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
	devs       *devices
	ring       *logring.Ring
}

// flags returns a flag set with the common flags.
func (e *env) flags(usage string) *flag.FlagSet {
	fs := flag.NewFlagSet("cnx-agent "+e.name, flag.ContinueOnError)
	fs.SetOutput(e.stderr)
	fs.StringVar(&e.configPath, "config", "", i18n.T("flag.config", "Default", config.DefaultPath()))
	fs.StringVar(&e.dataDir, "data-dir", "", i18n.T("flag.data-dir"))
	fs.BoolVar(&e.asJSON, "json", false, i18n.T("flag.json"))
	fs.BoolVar(&e.verbose, "v", false, i18n.T("flag.v"))
	fs.Usage = func() {
		fmt.Fprintf(e.stderr, "%s\n\n%s\n", i18n.T("help.command_usage", "Command", e.name, "Args", usage), i18n.T("help.flags"))
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
	if cfg.API.Password == "" && cfg.API.Username != "" {
		// Saved from the dashboard's settings tab, for this OS user.
		if pw, err := keyring.Get(gui.KeyringService, cfg.API.Username); err == nil {
			cfg.API.Password = pw
		}
	}
	e.cfg = cfg
	if cfg.Agent.Language != "" {
		i18n.Default.SetLanguage(cfg.Agent.Language)
	}
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

func (e *env) printJSON(v any) error {
	enc := json.NewEncoder(e.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// printJobsJSON prints jobs in the API's shape, an array ([] for none).
func (e *env) printJobsJSON(jobs []*store.Job) error {
	out := make([]localapi.JobView, len(jobs))
	for i, j := range jobs {
		out[i] = localapi.View(j)
	}
	return e.printJSON(out)
}
