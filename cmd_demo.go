package main

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"cnx-agent/agent"
	"cnx-agent/agent/config"
	"cnx-agent/agent/store"
	"cnx-agent/api/fakeserver"
	"cnx-agent/i18n"
	"cnx-agent/printer/render"
)

// demoOrders are the files the demo drops in the inbox: the courier's
// sample order, one that fails local validation, and one that CNExpress
// fails (the receiver's ID number does not pass the customs check).
func demoOrders() (map[string][]byte, error) {
	bad := fakeserver.SampleOrder()
	bad.OrderNo = "DEMO-BAD"
	bad.Packages[0].ReceiverCity = "九龙"                // Hong Kong: not a valid receiver
	bad.Packages[1].Items[0].Count = 3                 // 3+1+1 = 5 tins
	bad.Packages[1].Items[2].Barcode = "1234567890128" // no such product
	fails := fakeserver.SampleOrder()
	fails.OrderNo = "DEMO-ID-CHECK"
	fails.Packages = fails.Packages[1:]
	fails.Packages[0].ReceiverIDNumber = "000000000000000000"
	out := map[string][]byte{"sample-order.json": fakeserver.SampleJSON()}
	for name, o := range map[string]any{"bad-order.json": bad, "id-check-fails.json": fails} {
		b, err := json.MarshalIndent(o, "", "  ")
		if err != nil {
			return nil, err
		}
		out[name] = b
	}
	return out, nil
}

func cmdDemo(ctx context.Context, e *env, args []string) error {
	fs := e.flags("[--dir DIR]")
	dir := fs.String("dir", "", i18n.T("flag.dir"))
	if err := e.parse(fs, args); err != nil {
		return err
	}
	start := time.Now()
	if *dir == "" {
		d, err := os.MkdirTemp("", "cnx-demo-*")
		if err != nil {
			return err
		}
		*dir = d
	}
	level := slog.LevelWarn
	if e.verbose {
		level = slog.LevelDebug
	}
	e.log = slog.New(slog.NewTextHandler(e.stderr, &slog.HandlerOptions{Level: level}))

	// The fake CNExpress API on loopback.
	fake := fakeserver.New(fakeserver.Options{Polls: 2})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: fake, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	defer srv.Close()
	root := "http://" + ln.Addr().String() + "/api/v1"

	printed := filepath.Join(*dir, "printed")
	// Embedded defaults only: the demo reads no config file.
	cfg := &config.Config{}
	cfg.API = config.API{Root: root, Username: "test", Password: "test"}
	cfg.Agent = config.Agent{DataDir: filepath.Join(*dir, "data"), Inbox: filepath.Join(*dir, "inbox"), Workers: 8,
		CacheDir: render.DefaultCacheDir()} // PDFium compiles once per machine, not per demo
	cfg.Agent.PollMin.Duration, cfg.Agent.PollMax.Duration, cfg.Agent.PollDeadline.Duration = 200*time.Millisecond, time.Second, time.Minute
	cfg.API.Timeout.Duration = 10 * time.Second
	cfg.Printers = []config.Printer{{Name: "demo-folder", URI: "file://" + filepath.ToSlash(printed), Default: true}}
	e.cfg = cfg

	orders, err := demoOrders()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(cfg.Agent.Inbox, 0o755); err != nil {
		return err
	}
	for name, b := range orders {
		if err := os.WriteFile(filepath.Join(cfg.Agent.Inbox, name), b, 0o644); err != nil {
			return err
		}
	}
	fmt.Fprintf(e.stdout, "cnx-agent demo: fake CNExpress at %s, %d order files in %s\n", root, len(orders), cfg.Agent.Inbox)

	st, err := e.store(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	client, err := e.client()
	if err != nil {
		return err
	}
	a, err := e.agentFor(ctx, st, client, agent.Options{Inbox: cfg.Agent.Inbox, ExitWhenIdle: true})
	if err != nil {
		return err
	}
	runCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := a.Run(runCtx); err != nil {
		return err
	}
	if runCtx.Err() != nil {
		return fmt.Errorf("demo did not finish in time: %w", runCtx.Err())
	}

	jobs, err := st.Jobs(ctx, store.Filter{})
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, "\njobs:")
	for i := len(jobs) - 1; i >= 0; i-- {
		j := jobs[i]
		fmt.Fprintf(e.stdout, "  job %d  %-9s  order %-13s  %-16s  request %s\n", j.ID, j.State, j.OrderNo, j.Source, j.RequestNo)
		for _, p := range j.Packages {
			fmt.Fprintf(e.stdout, "      package %d  tracking %s  printed %d×  %s\n", p.Index+1, p.TrackingNo, p.Prints, p.Label)
		}
		if j.Error != "" {
			fmt.Fprintf(e.stdout, "      %s\n", strings.ReplaceAll(j.Error, "\n", "\n      "))
		}
	}
	rejected, _ := filepath.Glob(filepath.Join(cfg.Agent.Inbox, "rejected", "*.error.txt"))
	for _, r := range rejected {
		b, _ := os.ReadFile(r)
		fmt.Fprintf(e.stdout, "\nrejected (%s):\n  %s", r, strings.ReplaceAll(strings.TrimSpace(string(b)), "\n", "\n  "))
		fmt.Fprintln(e.stdout)
	}
	labels, _ := filepath.Glob(filepath.Join(printed, "*.pdf"))
	fmt.Fprintf(e.stdout, "\n%d labels printed to the folder printer: %s\n", len(labels), printed)
	fmt.Fprintf(e.stdout, "POSTs received by the fake server: %d; done in %s\n", len(fake.Posts()), time.Since(start).Round(10*time.Millisecond))
	return nil
}
