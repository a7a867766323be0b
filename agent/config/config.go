// Package config reads cnx-agent's TOML configuration, with defaults from
// the OS's config and data directories and CNX_* environment overrides.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/adrg/xdg"
)

// Config is the whole configuration file.
type Config struct {
	API      API       `toml:"api" json:"api"`
	Agent    Agent     `toml:"agent" json:"agent"`
	Printers []Printer `toml:"printers" json:"printers"`
	Webhooks []Webhook `toml:"webhooks" json:"webhooks,omitempty"`

	// Path is the file it was read from ("" for defaults only).
	Path string `toml:"-" json:"path"`
}

// API is the [api] table.
type API struct {
	Root     string   `toml:"root" json:"root"`
	Username string   `toml:"username" json:"username"`
	Password string   `toml:"password" json:"-"` // never printed
	Timeout  Duration `toml:"timeout" json:"timeout"`
}

// Agent is the [agent] table.
type Agent struct {
	DataDir string `toml:"data_dir" json:"data_dir"`
	// Inbox is the watched folder; done/ and rejected/ are made beside its
	// files, inside it.
	Inbox  string `toml:"inbox" json:"inbox"`
	Listen string `toml:"listen" json:"listen"`
	// APIGroup may read the local API's token (Unix): the tray's users.
	APIGroup string `toml:"api_group" json:"api_group,omitempty"`
	// Language of messages and the GUI: "en" or "zh"; "" follows the OS.
	Language string `toml:"language" json:"language,omitempty"`
	// CacheDir holds the compiled PDF renderer (default <data_dir>/cache).
	CacheDir string `toml:"cache_dir" json:"cache_dir"`
	// PollDeadline is how long a submitted request may take before the job
	// needs attention.
	PollDeadline Duration `toml:"poll_deadline" json:"poll_deadline"`
	PollMin      Duration `toml:"poll_min" json:"poll_min"`
	PollMax      Duration `toml:"poll_max" json:"poll_max"`
	// InboxSettle is how long an inbox file must stay unchanged before it
	// is read.
	InboxSettle Duration `toml:"inbox_settle" json:"inbox_settle"`
	// Workers bounds the jobs worked on at once (polling many in parallel).
	Workers int `toml:"workers" json:"workers"`
}

// Printer is one [[printers]] entry.
type Printer struct {
	Name     string   `toml:"name" json:"name"`
	URI      string   `toml:"uri" json:"uri"`
	Language string   `toml:"language" json:"language,omitempty"` // pdf (default), zpl, tspl, epl, escpos
	DPI      int      `toml:"dpi" json:"dpi,omitempty"`           // default 203
	Size     string   `toml:"size" json:"size,omitempty"`         // label size, default 100x150 (mm; 4x6 for inches)
	Default  bool     `toml:"default" json:"default"`
	Routes   []string `toml:"routes" json:"routes,omitempty"`
	// Threshold is the gray level below which a dot prints (raw printers,
	// default 128); Dither dithers photo-like areas only; NoBarcodeSnap
	// leaves 1D barcodes as thresholded instead of redrawing them with
	// modules of whole dots.
	Threshold     int  `toml:"threshold" json:"threshold,omitempty"`
	Dither        bool `toml:"dither" json:"dither,omitempty"`
	NoBarcodeSnap bool `toml:"no_barcode_snap" json:"no_barcode_snap,omitempty"`
}

// Webhook is one [[webhooks]] entry: every job state change is POSTed to
// URL, signed with Secret.
type Webhook struct {
	URL    string `toml:"url" json:"url"`
	Secret string `toml:"secret" json:"-"`
}

// Duration is a time.Duration written as "30m" in TOML.
type Duration struct{ time.Duration }

// UnmarshalText parses "1.5s".
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	d.Duration = v
	return err
}

// MarshalText writes "1.5s".
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// DefaultPath is the config file in the OS config dir.
func DefaultPath() string { return filepath.Join(xdg.ConfigHome, "cnx-agent", "config.toml") }

// DefaultDataDir is the data dir in the OS data dir.
func DefaultDataDir() string { return filepath.Join(xdg.DataHome, "cnx-agent") }

// Load reads path (DefaultPath when ""; a missing default file is fine),
// applies environment overrides, then set (command-line overrides; may be
// nil), and fills in defaults.
func Load(path string, set func(*Config)) (*Config, error) {
	c := &Config{}
	explicit := path != ""
	if !explicit {
		path = DefaultPath()
	}
	b, err := os.ReadFile(path)
	switch {
	case err == nil:
		md, derr := toml.Decode(string(b), c)
		if derr != nil {
			return nil, fmt.Errorf("config %s: %w", path, derr)
		}
		if und := md.Undecoded(); len(und) > 0 {
			keys := make([]string, len(und))
			for i, k := range und {
				keys[i] = k.String()
			}
			return nil, fmt.Errorf("config %s: unknown keys %s", path, strings.Join(keys, ", "))
		}
		c.Path = path
	case errors.Is(err, fs.ErrNotExist) && !explicit:
	default:
		return nil, fmt.Errorf("config: %w", err)
	}
	c.applyEnv(os.Getenv)
	if set != nil {
		set(c)
	}
	c.defaults()
	return c, c.Validate()
}

func (c *Config) applyEnv(getenv func(string) string) {
	for env, dst := range map[string]*string{
		"CNX_API_ROOT":  &c.API.Root,
		"CNX_USERNAME":  &c.API.Username,
		"CNX_PASSWORD":  &c.API.Password,
		"CNX_DATA_DIR":  &c.Agent.DataDir,
		"CNX_INBOX":     &c.Agent.Inbox,
		"CNX_CACHE_DIR": &c.Agent.CacheDir,
		"CNX_LISTEN":    &c.Agent.Listen,
	} {
		if v := getenv(env); v != "" {
			*dst = v
		}
	}
}

func (c *Config) defaults() {
	if c.API.Root == "" {
		c.API.Root = "https://cnexpress.co.uk/api/v1"
	}
	if c.API.Timeout.Duration == 0 {
		c.API.Timeout.Duration = 60 * time.Second
	}
	if c.Agent.DataDir == "" {
		c.Agent.DataDir = DefaultDataDir()
	}
	if c.Agent.Inbox == "" {
		c.Agent.Inbox = filepath.Join(c.Agent.DataDir, "inbox")
	}
	if c.Agent.CacheDir == "" {
		c.Agent.CacheDir = filepath.Join(c.Agent.DataDir, "cache")
	}
	if c.Agent.Listen == "" {
		c.Agent.Listen = "127.0.0.1:7631"
	}
	if c.Agent.PollDeadline.Duration == 0 {
		c.Agent.PollDeadline.Duration = 30 * time.Minute
	}
	if c.Agent.PollMin.Duration == 0 {
		c.Agent.PollMin.Duration = time.Second
	}
	if c.Agent.PollMax.Duration == 0 {
		c.Agent.PollMax.Duration = 30 * time.Second
	}
	if c.Agent.InboxSettle.Duration == 0 {
		c.Agent.InboxSettle.Duration = time.Second
	}
	if c.Agent.Workers == 0 {
		c.Agent.Workers = 8
	}
	if len(c.Printers) == 0 {
		c.Printers = []Printer{{Name: "labels", URI: "file://" + filepath.ToSlash(filepath.Join(c.Agent.DataDir, "printed")), Default: true}}
	}
}

// Validate checks what can be checked without I/O.
func (c *Config) Validate() error {
	var errs []error
	names := map[string]bool{}
	defaults := 0
	for i, p := range c.Printers {
		if p.Name == "" {
			errs = append(errs, fmt.Errorf("printers[%d]: name is required", i))
		}
		if names[p.Name] {
			errs = append(errs, fmt.Errorf("printers[%d]: the name %q is used twice", i, p.Name))
		}
		names[p.Name] = true
		if p.URI == "" {
			errs = append(errs, fmt.Errorf("printer %q: uri is required (e.g. file:///var/labels)", p.Name))
		}
		if p.Default {
			defaults++
		}
	}
	if defaults > 1 {
		errs = append(errs, errors.New("printers: more than one is marked default = true"))
	}
	if c.Agent.Workers < 1 {
		errs = append(errs, fmt.Errorf("agent.workers must be at least 1, got %d", c.Agent.Workers))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("config %s: %w", c.where(), err)
	}
	return nil
}

func (c *Config) where() string {
	if c.Path == "" {
		return "(defaults)"
	}
	return c.Path
}

// DBPath is the SQLite file in the data dir.
func (c *Config) DBPath() string { return filepath.Join(c.Agent.DataDir, "cnx-agent.db") }

// LogValue keeps the password out of logs.
func (a API) LogValue() slog.Value {
	pw := ""
	if a.Password != "" {
		pw = "(set)"
	}
	return slog.GroupValue(slog.String("root", a.Root), slog.String("username", a.Username), slog.String("password", pw))
}
