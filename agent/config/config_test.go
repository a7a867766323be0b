package config

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "config.toml")
	os.WriteFile(path, []byte(`
[api]
root = "http://127.0.0.1:8089/api/v1"
username = "shop"
password = "s3cret"
[agent]
data_dir = "`+filepath.ToSlash(dir)+`/data"
poll_max = "10s"
[[printers]]
name = "labels"
uri = "file:///tmp/labels"
default = true
`), 0o600)
	t.Setenv("CNX_PASSWORD", "from-env")
	t.Setenv("CNX_USERNAME", "")
	c, err := Load(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if c.API.Password != "from-env" || c.API.Username != "shop" || c.Agent.PollMax.Seconds() != 10 {
		t.Errorf("config %+v", c)
	}
	if c.Agent.Inbox != filepath.Join(c.Agent.DataDir, "inbox") || c.Agent.Listen != "127.0.0.1:7631" {
		t.Errorf("defaults: inbox %q listen %q", c.Agent.Inbox, c.Agent.Listen)
	}
	var buf bytes.Buffer
	slog.New(slog.NewTextHandler(&buf, nil)).Info("cfg", "api", c.API)
	if strings.Contains(buf.String(), "from-env") {
		t.Errorf("password in the log: %s", buf.String())
	}
}

func TestLoadErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ name, body, want string }{
		{"unknown key", "[agent]\ninbx = \"x\"\n", "unknown keys agent.inbx"},
		{"two defaults", "[[printers]]\nname=\"a\"\nuri=\"file:///a\"\ndefault=true\n[[printers]]\nname=\"b\"\nuri=\"file:///b\"\ndefault=true\n", "more than one"},
		{"no uri", "[[printers]]\nname=\"a\"\n", `printer "a": uri is required`},
		{"bad toml", "[api\n", "config"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "-")+".toml")
			os.WriteFile(p, []byte(tt.body), 0o600)
			_, err := Load(p, nil)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
	if _, err := Load(filepath.Join(dir, "missing.toml"), nil); err == nil {
		t.Error("a missing explicit config file was accepted")
	}
}
