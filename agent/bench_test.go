package agent_test

import (
	"context"
	"testing"
	"time"

	"cnx-agent/agent/store"
	"cnx-agent/api/fakeserver"
)

// BenchmarkJobQueuedToPrinted measures one two-package job from queued to
// printed: validate, POST, poll (Succeeded at the first poll), download
// two waybills over loopback HTTP, lay out two labels with pdfcpu, print
// them to a folder, every step committed to SQLite on disk.
func BenchmarkJobQueuedToPrinted(b *testing.B) {
	h := newHarness(b, fakeserver.Options{Polls: 1})
	h.opts.PollMin, h.opts.PollMax, h.opts.ExitWhenIdle = time.Millisecond, time.Millisecond, false
	a := h.agent()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			b.Fatal(err)
		}
	}()
	b.ResetTimer()
	for range b.N {
		id := h.enqueue(fakeserver.SampleOrder())
		a.Wake()
		for {
			j := h.job(id)
			if j.State == store.Printed {
				break
			}
			if j.State == store.Failed || j.State == store.NeedsAttention {
				b.Fatalf("job %d ended %s: %s", id, j.State, j.Error)
			}
			time.Sleep(200 * time.Microsecond)
		}
	}
	b.ReportMetric(float64(2*b.N)/b.Elapsed().Seconds(), "labels/s")
}
