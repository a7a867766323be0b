package ipp_test

import (
	"bytes"
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	pdfapi "github.com/pdfcpu/pdfcpu/pkg/api"

	"cnx-agent/api/fakeserver"
	"cnx-agent/internal/printertest"
	"cnx-agent/internal/testrender"
	"cnx-agent/printer"
	"cnx-agent/printer/ipp"
	"cnx-agent/printer/label"
	"cnx-agent/printer/raster"
	"cnx-agent/printer/socket/fakezebra"
)

func maker(t testing.TB) *label.Maker { return label.NewMaker(label.Options{}, testrender.Renderer(t)) }

// labelFile writes a 100×150 label PDF made from a fake waybill.
func labelFile(t testing.TB) string {
	t.Helper()
	src, err := fakeserver.WaybillPDF(fakeserver.Format100x180, fakeserver.SampleOrder())
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "label.pdf")
	tmp := filepath.Join(t.TempDir(), "waybill.pdf")
	if err := os.WriteFile(tmp, src, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := maker(t).MakeFile(context.Background(), tmp, 1, path); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestIPPEverywherePrinter(t *testing.T) {
	t.Parallel()
	endpoint, spool := printertest.IPPEve(t)
	p := ipp.New("eve", endpoint, 100, 150)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	info, err := p.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.State != "idle" || !info.Ready() || ipp.PickMedia(info.MediaSupported, 100, 150) != "om_100x150mm_100x150mm" {
		t.Fatalf("info %+v", info)
	}
	file := labelFile(t)
	// Three at once: ippeveprinter answers server-error-busy to some,
	// which the driver retries.
	var wg sync.WaitGroup
	errs := make([]error, 3)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = p.Print(ctx, file, "CE2017080400000004-TEST0000000"+string(rune('1'+i)))
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("print %d: %v", i+1, err)
		}
	}
	docs, _ := filepath.Glob(filepath.Join(spool, "*.pdf"))
	if len(docs) != 3 {
		t.Fatalf("the printer kept %d documents, want 3: %v", len(docs), docs)
	}
	for _, d := range docs {
		if !strings.Contains(strings.ToLower(filepath.Base(d)), "ce2017080400000004-test") {
			t.Errorf("document %s: job-name not used", d)
		}
		b, _ := os.ReadFile(d)
		dims, err := pdfapi.PageDims(bytes.NewReader(b), nil)
		if err != nil || len(dims) != 1 || math.Abs(dims[0].Width-283.46) > 0.01 || math.Abs(dims[0].Height-425.2) > 0.01 {
			t.Errorf("document %s: %v pages %+v, want one 100×150 mm page", d, err, dims)
		}
	}
}

func TestIPPOffline(t *testing.T) {
	t.Parallel()
	p := ipp.New("gone", "http://127.0.0.1:1/ipp/print", 100, 150)
	err := p.Print(context.Background(), labelFile(t), "x")
	var nr *printer.NotReadyError
	if !errors.As(err, &nr) || !strings.Contains(nr.Reason, "offline") {
		t.Fatalf("got %v, want NotReadyError offline", err)
	}
}

func TestCUPSRawQueueAndDiscovery(t *testing.T) {
	t.Parallel()
	zebra, err := fakezebra.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer zebra.Close()
	queue := printertest.CUPSQueue(t, "socket://"+zebra.Addr())
	p := ipp.New("cups", "http://localhost:631/printers/"+queue, 100, 150)
	p.Raw = printer.NewRaw("cups", printer.ZPL, maker(t), nil, raster.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := p.Print(ctx, labelFile(t), "CE2017080400000004-TEST00000001"); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(zebra.Printed()) == 0 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if got := zebra.Printed(); len(got) != 1 || !bytes.Contains(got[0], []byte("^GFA")) {
		t.Fatalf("the printer behind CUPS printed %d formats, want 1 ^GFA label", len(got))
	}
	queues, err := ipp.CUPSPrinters(ctx, "http://localhost:631")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, q := range queues {
		found = found || q.Name == queue
	}
	if !found {
		t.Errorf("CUPS-Get-Printers did not list %s: %+v", queue, queues)
	}
}

func TestPickMedia(t *testing.T) {
	t.Parallel()
	tests := []struct {
		supported []string
		want      string
	}{
		{[]string{"na_letter_8.5x11in", "om_100x150mm_100x150mm"}, "om_100x150mm_100x150mm"},
		{[]string{"na_index-4x6_4x6in", "iso_a6_105x148mm"}, "na_index-4x6_4x6in"},
		{[]string{"om_150x100mm_150x100mm"}, "om_150x100mm_150x100mm"},
		{[]string{"iso_a4_210x297mm", "custom_min_25x25mm", "custom_max_108x2000mm"}, "custom_100x150mm_100x150mm"},
		{[]string{"iso_a4_210x297mm"}, ""},
	}
	for _, tt := range tests {
		if got := ipp.PickMedia(tt.supported, 100, 150); got != tt.want {
			t.Errorf("PickMedia(%v) = %q, want %q", tt.supported, got, tt.want)
		}
	}
}
