package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"cnx-agent/api/fakeserver"
)

func TestLabelCommandOutputs(t *testing.T) {
	dir := t.TempDir()
	src, err := fakeserver.WaybillPDF(fakeserver.Format150x100, fakeserver.SampleOrder())
	if err != nil {
		t.Fatal(err)
	}
	in := filepath.Join(dir, "merged.pdf")
	os.WriteFile(in, src, 0o644)
	out := func(name string) string { return filepath.Join(dir, name) }
	var stdout, stderr bytes.Buffer
	code := run(t.Context(), []string{"label", in, "-o", out("labels.pdf"), "--zpl", out("l.zpl"), "--tspl", out("l.tspl"),
		"--epl", out("l.epl"), "--escpos", out("l.bin"), "--png", out("png"), "--size", "4x6"}, &stdout, &stderr)
	if code != 0 || !strings.Contains(stdout.String(), "2 labels (101.6x152.4 mm)") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout.String(), stderr.String())
	}
	counts := map[string]struct {
		marker string
		want   int
	}{"l.zpl": {"^XA", 2}, "l.tspl": {"PRINT 1,1", 2}, "l.epl": {"\nP1\n", 2}, "l.bin": {"\x1b@", 2}}
	for name, c := range counts {
		b, err := os.ReadFile(out(name))
		if err != nil || bytes.Count(b, []byte(c.marker)) != c.want {
			t.Errorf("%s: %v, %d × %q, want %d", name, err, bytes.Count(b, []byte(c.marker)), c.marker, c.want)
		}
	}
	f, err := os.Open(filepath.Join(out("png"), "label-0002.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil || img.Bounds().Dx() != 812 || img.Bounds().Dy() != 1218 {
		t.Errorf("png %v, %v; want 812×1218 dots (4×6 in at 203 dpi)", img.Bounds(), err)
	}
	if code := run(t.Context(), []string{"label", in}, &stdout, &stderr); code != 2 {
		t.Errorf("no output named: exit %d, want 2", code)
	}
	if code := run(t.Context(), []string{"label", filepath.Join(dir, "missing.pdf"), "-o", out("x.pdf")}, &stdout, &stderr); code != 1 {
		t.Errorf("missing input: exit %d, want 1", code)
	}
}
