package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"gopkg.in/natefinch/lumberjack.v2"

	"cnx-agent/agent"
	"cnx-agent/agent/localapi"
	"cnx-agent/agent/logring"
	"cnx-agent/agent/store"
	"cnx-agent/api"
)

// addressFile holds the address the running agent's local API listens on.
const addressFile = "api-address"

// startLocalAPI writes the token, listens on the configured loopback
// address, records the address for clients and serves until ctx ends. The
// returned channel closes when the server has stopped.
func (e *env) startLocalAPI(ctx context.Context, a *agent.Agent, st *store.Store, client *api.Client) (<-chan struct{}, error) {
	dir := e.cfg.Agent.DataDir
	tok, err := localapi.EnsureToken(dir)
	if err != nil {
		return nil, fmt.Errorf("local API token: %w", err)
	}
	if g := e.cfg.Agent.APIGroup; g != "" {
		if err := localapi.ShareWithGroup(dir, g); err != nil {
			return nil, err
		}
	}
	ln, err := localapi.Listen(e.cfg.Agent.Listen)
	if err != nil {
		return nil, fmt.Errorf("local API (is another cnx-agent running?): %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, addressFile), []byte(ln.Addr().String()+"\n"), 0o644); err != nil {
		ln.Close()
		return nil, err
	}
	r, _ := e.dev().renderer(ctx)
	srv := localapi.New(localapi.Options{Agent: a, Store: st, Client: client, Token: tok, Logs: e.ring, Renderer: r, Version: version, Logger: e.log,
		Settings: e.settingsView})
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer os.Remove(filepath.Join(dir, addressFile))
		if err := srv.Serve(ctx, ln); err != nil {
			e.log.Error("local API stopped", "err", err)
		}
	}()
	e.log.Info("local API listening", "addr", ln.Addr().String())
	return done, nil
}

// serviceLogging sends logs to stderr, the ring the local API shows and a
// rotating file in the data dir (logs/cnx-agent.log, 10 MB × 5).
func (e *env) serviceLogging(extra io.Writer) {
	e.ring = logring.New(500)
	w := []io.Writer{e.stderr, e.ring}
	if extra != nil {
		w = append(w, extra)
	}
	if e.cfg != nil {
		w = append(w, &lumberjack.Logger{Filename: filepath.Join(e.cfg.Agent.DataDir, "logs", "cnx-agent.log"), MaxSize: 10, MaxBackups: 5})
	}
	level := slog.LevelInfo
	if e.verbose {
		level = slog.LevelDebug
	}
	e.log = slog.New(slog.NewTextHandler(io.MultiWriter(w...), &slog.HandlerOptions{Level: level}))
}

// apiClient returns a client of the running agent's local API, or nil when
// none runs.
func (e *env) apiClient(ctx context.Context) *localapi.Client {
	dir := e.cfg.Agent.DataDir
	addr, err := os.ReadFile(filepath.Join(dir, addressFile))
	if err != nil {
		return nil
	}
	tok, err := localapi.ReadToken(dir)
	if err != nil {
		return nil
	}
	c := localapi.NewClient("http://"+string(trimNL(addr)), tok)
	if _, err := c.Status(ctx); err != nil {
		if !errors.Is(err, localapi.ErrUnreachable) {
			e.log.Warn("local API", "err", err)
		}
		return nil
	}
	return c
}

func trimNL(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// settingsView is the configuration the dashboard shows (no password).
func (e *env) settingsView() localapi.Settings {
	c := e.cfg
	s := localapi.Settings{APIRoot: c.API.Root, Username: c.API.Username, PasswordSet: c.API.Password != "",
		Inbox: c.Agent.Inbox, DataDir: c.Agent.DataDir, Listen: c.Agent.Listen, Language: c.Agent.Language, ConfigPath: c.Path}
	for _, p := range c.Printers {
		s.Printers = append(s.Printers, p.Name+" = "+p.URI)
	}
	return s
}
