//go:build linux

package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"cnx-agent/api/fakeserver"
)

// TestLabelCommandPeakMemory runs `cnx-agent label` over a 1,000-page
// merged waybill file to ZPL and reports the process's peak memory: labels
// are rasterized one at a time, so it stays far below the size of 1,000
// rendered labels (1,000 × 799×1198 gray pixels ≈ 960 MB).
func TestLabelCommandPeakMemory(t *testing.T) {
	t.Parallel()
	bin := agentBinary(t)
	o := fakeserver.SampleOrder()
	p := o.Packages[0]
	o.Packages = nil
	for range 1000 {
		o.Packages = append(o.Packages, p)
	}
	src, err := fakeserver.WaybillPDF(fakeserver.FormatA4, o)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "merged.pdf")
	if err := os.WriteFile(in, src, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "label", in, "-o", filepath.Join(dir, "labels.pdf"), "--zpl", filepath.Join(dir, "labels.zpl"), "--stats")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if !strings.Contains(string(out), "1000 labels") {
		t.Fatalf("output: %s", out)
	}
	zpl, _ := os.ReadFile(filepath.Join(dir, "labels.zpl"))
	if n := strings.Count(string(zpl), "^XA"); n != 1000 {
		t.Errorf("%d ZPL labels, want 1000", n)
	}
	// The process's own VmHWM: rusage would count the test process's memory
	// too, which the child shares until exec.
	var peakKB int
	if _, err := fmt.Sscanf(string(out[strings.Index(string(out), "peak memory: ")+len("peak memory: "):]), "%d kB", &peakKB); err != nil {
		t.Fatalf("no peak memory in %q", out)
	}
	peakMB := peakKB / 1024
	t.Logf("label: 1,000-page PDF (%d KB) → 1,000 labels, peak RSS %d MB", len(src)/1024, peakMB)
	if peakMB > 600 {
		t.Errorf("peak RSS %d MB: the labels are being held in memory", peakMB)
	}
}
