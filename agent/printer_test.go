package agent_test

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"cnx-agent/agent"
	"cnx-agent/agent/store"
	"cnx-agent/api/fakeserver"
	"cnx-agent/internal/testrender"
	"cnx-agent/printer"
	"cnx-agent/printer/folder"
	"cnx-agent/printer/label"
	"cnx-agent/printer/raster"
	"cnx-agent/printer/socket"
	"cnx-agent/printer/socket/fakezebra"
)

// TestPaperOutThenRecovery: a network ZPL printer answers ~HS with paper
// out; the job waits for it, nothing is recorded as printed, and once the
// paper is back each label prints exactly once.
func TestPaperOutThenRecovery(t *testing.T) {
	t.Parallel()
	z, err := fakezebra.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	z.SetPaperOut(true)
	h := newHarness(t, fakeserver.Options{})
	mk := label.NewMaker(label.Options{}, testrender.Renderer(t))
	zebra := printer.NewRaw("zebra", printer.ZPL, mk, socket.New("zebra", z.Addr(), printer.ZPL), raster.Options{})
	h.opts.Printers, h.opts.Default, h.opts.ExitWhenIdle = []agent.Printer{zebra}, "zebra", false
	id := h.enqueue(fakeserver.SampleOrder())

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	a := h.agent()
	go func() { done <- a.Run(ctx) }()
	waitUntil(t, func() bool { j := h.job(id); return j.State == store.WaitingForPrinter && j.Attempts >= 2 })
	j := h.job(id)
	if len(z.Printed()) != 0 || j.Packages[0].Prints != 0 {
		t.Fatalf("printed while out of paper: %d formats, %d recorded", len(z.Printed()), j.Packages[0].Prints)
	}
	if want := "waiting for printer zebra: media-empty"; !bytes.Contains([]byte(j.Error), []byte(want)) {
		t.Errorf("error %q, want %q", j.Error, want)
	}
	z.SetPaperOut(false)
	waitUntil(t, func() bool { return h.job(id).State == store.Printed })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	got := z.Printed()
	if len(got) != 2 {
		t.Fatalf("the printer printed %d labels, want 2 (one per package, once)", len(got))
	}
	for _, f := range got {
		if !bytes.Contains(f, []byte("^GFA")) || !bytes.Contains(f, []byte("^PW799")) {
			t.Errorf("format is not a 799-dot label graphic: %.80q", f)
		}
	}
	recs, _ := h.st.Prints(context.Background(), h.job(id).Packages[0].ID)
	var done2, failed int
	for _, r := range recs {
		switch r.Outcome {
		case store.PrintDone:
			done2++
		case store.PrintFailed:
			failed++
		}
	}
	if done2 != 1 || failed < 2 {
		t.Errorf("ledger: %d done, %d failed (not ready) attempts; want 1 and ≥2", done2, failed)
	}
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 20s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// A default printer chosen while the agent runs outlasts a restart, until
// the config no longer names it or its own default changes.
func TestDefaultPrinterChoicePersists(t *testing.T) {
	tests := []struct {
		name     string
		printers []string // configured at the restart
		cfgDef   string   // the config's default at the restart
		want     string
	}{
		{"kept", []string{"a", "b"}, "a", "b"},
		{"printer removed from the config", []string{"a", "c"}, "a", "a"},
		{"config default edited since", []string{"a", "b", "c"}, "c", "c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, fakeserver.Options{})
			ctx := context.Background()
			folders := func(names ...string) []agent.Printer {
				var ps []agent.Printer
				for _, n := range names {
					ps = append(ps, folder.New(n, filepath.Join(h.dir, n)))
				}
				return ps
			}
			h.opts.Printers, h.opts.Default = folders("a", "b"), "a"
			a := h.agent()
			if got := a.DefaultPrinter(); got != "a" {
				t.Fatalf("default before any choice = %q, want the config's a", got)
			}
			if err := a.SetDefaultPrinter(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("unknown printer: %v, want ErrNotFound", err)
			}
			if err := a.SetDefaultPrinter(ctx, "b"); err != nil {
				t.Fatal(err)
			}
			if got := a.DefaultPrinter(); got != "b" {
				t.Fatalf("default after choosing b = %q", got)
			}

			h.opts.Printers, h.opts.Default = folders(tt.printers...), tt.cfgDef
			if got := h.agent().DefaultPrinter(); got != tt.want {
				t.Errorf("default after restart = %q, want %q", got, tt.want)
			}
		})
	}
}
