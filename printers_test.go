package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"

	"cnx-agent/agent/config"
	"cnx-agent/internal/printertest"
	"cnx-agent/printer"
	"cnx-agent/printer/ipp"
	"cnx-agent/printer/render"
	"cnx-agent/printer/socket/fakezebra"
)

// printersCLI writes a config with the printers given (TOML tables; DIR
// stands for the test's folder) and returns the folder and a runner of the
// CLI with that config.
func printersCLI(t *testing.T, printers string) (dir string, run1 func(args ...string) (int, string, string)) {
	t.Helper()
	dir = t.TempDir()
	cfg := filepath.Join(dir, "config.toml")
	conf := "[agent]\ndata_dir = \"" + filepath.ToSlash(dir) + "/data\"\ncache_dir = \"" + filepath.ToSlash(render.DefaultCacheDir()) + "\"\n" +
		strings.ReplaceAll(printers, "DIR", filepath.ToSlash(dir))
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	return dir, func(args ...string) (int, string, string) {
		var out, errb strings.Builder
		code := run(t.Context(), append(args, "--config", cfg), &out, &errb)
		return code, out.String(), errb.String()
	}
}

func TestPrintersCommand(t *testing.T) {
	z, err := fakezebra.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	dir, run1 := printersCLI(t, `
[[printers]]
name = "zebra"
uri = "socket://`+z.Addr()+`"
language = "zpl"
default = true
[[printers]]
name = "folder"
uri = "file://DIR/out"
size = "4x6"
`)
	z.SetPaperOut(true)
	code, out, errOut := run1("printers", "--json")
	if code != 0 {
		t.Fatalf("printers: %d %s", code, errOut)
	}
	var got struct {
		Configured []printerRow `json:"configured"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Configured) != 2 || got.Configured[0].State != "stopped" || got.Configured[0].Reasons[0] != "media-empty" ||
		got.Configured[1].Size != "101.6x152.4" || got.Configured[1].State != "idle" {
		t.Errorf("printers: %+v", got.Configured)
	}
	z.SetPaperOut(false)
	if code, out, errOut := run1("printers", "test", "zebra"); code != 0 || !strings.Contains(out, "test label printed on zebra") {
		t.Fatalf("printers test: %d %s %s", code, out, errOut)
	}
	if n := len(z.Printed()); n != 1 {
		t.Errorf("the printer printed %d labels, want 1", n)
	}
	if code, _, errOut := run1("printers", "test", "nope"); code != 2 || !strings.Contains(errOut, `no printer named "nope"`) {
		t.Errorf("unknown printer: %d %s", code, errOut)
	}

	bad := filepath.Join(dir, "bad.toml")
	os.WriteFile(bad, []byte("[[printers]]\nname = \"lpd\"\nuri = \"lpd://host/q\"\n"), 0o600)
	var out2, err2 strings.Builder
	if code := run(t.Context(), []string{"printers", "--config", bad}, &out2, &err2); code != 1 ||
		!strings.Contains(err2.String(), `printer "lpd"`) || !strings.Contains(err2.String(), "allowed: ipp://") {
		t.Errorf("bad uri: %d %s", code, err2.String())
	}
}

// TestDiscoveredConfigIsTOML: the config lines `printers` prints for
// discovered printers paste into a config file as they are.
func TestDiscoveredConfigIsTOML(t *testing.T) {
	z, err := fakezebra.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	queue := printertest.CUPSQueue(t, "socket://"+z.Addr())
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.toml")
	os.WriteFile(cfg, []byte("[agent]\ndata_dir = \""+filepath.ToSlash(dir)+"/data\"\n"), 0o600)
	var out, errb strings.Builder
	if code := run(t.Context(), []string{"printers", "--json", "--config", cfg}, &out, &errb); code != 0 {
		t.Fatalf("printers: %s", errb.String())
	}
	var got struct {
		Discovered []printerRow `json:"discovered"`
	}
	if err := json.Unmarshal([]byte(out.String()), &got); err != nil {
		t.Fatal(err)
	}
	for _, d := range got.Discovered {
		if d.Name != queue {
			continue
		}
		var c config.Config
		if _, err := toml.Decode(d.ConfigLine, &c); err != nil || len(c.Printers) != 1 || c.Printers[0].URI != "cups://"+queue {
			t.Fatalf("config line %q: %v, %+v", d.ConfigLine, err, c.Printers)
		}
		return
	}
	t.Errorf("CUPS queue %s not discovered: %+v", queue, got.Discovered)
}

// TestPrintersTrust: an ipps printer's self-signed certificate is pinned on
// first use; after the printer comes back with a new one, printing stops
// with a clear error until `printers trust NAME` takes the new certificate.
func TestPrintersTrust(t *testing.T) {
	keys := t.TempDir()
	eve := &printertest.Eve{Keys: filepath.Join(keys, "1")}
	eve.Start(t)
	dir, run1 := printersCLI(t, `
[[printers]]
name = "eve"
uri = "`+strings.Replace(eve.Endpoint, "https://", "ipps://", 1)+`"
[[printers]]
name = "folder"
uri = "file://DIR/out"
`)
	if code, out, errOut := run1("printers", "test", "eve"); code != 0 || !strings.Contains(out, "test label printed on eve") {
		t.Fatalf("first print over ipps: %d %s %s", code, out, errOut)
	}
	if b, err := os.ReadFile(filepath.Join(dir, "data", "ipps-pins.json")); err != nil || !strings.Contains(string(b), "sha256:") {
		t.Fatalf("pins after first use: %s %v", b, err)
	}

	eve.Stop()
	eve2 := &printertest.Eve{Port: eve.Port, Keys: filepath.Join(keys, "2")}
	eve2.Start(t)
	if code, _, errOut := run1("printers", "test", "eve"); code == 0 || !strings.Contains(errOut, "different TLS certificate") || strings.Contains(errOut, "offline") ||
		!strings.Contains(errOut, "cnx-agent printers trust NAME") {
		t.Fatalf("print after the certificate changed: %d %s", code, errOut)
	}
	if code, out, errOut := run1("printers", "trust", "eve"); code != 0 || !strings.Contains(out, "trusting its certificate sha256:") {
		t.Fatalf("printers trust: %d %s %s", code, out, errOut)
	}
	if code, out, errOut := run1("printers", "test", "eve"); code != 0 || !strings.Contains(out, "test label printed on eve") {
		t.Fatalf("print after trusting: %d %s %s", code, out, errOut)
	}
	if docs, _ := filepath.Glob(filepath.Join(eve2.Spool, "*.pdf")); len(docs) != 1 {
		t.Errorf("the new printer kept %d documents, want 1", len(docs))
	}
	if code, _, errOut := run1("printers", "trust", "folder"); code != 2 || !strings.Contains(errOut, "not an ipps:// printer") {
		t.Errorf("trust on a folder printer: %d %s", code, errOut)
	}

	// The agent's path (the dashboard's Trust button): a configured printer
	// passes Trust on to its driver, or says it has no certificate.
	eve2.Stop()
	eve3 := &printertest.Eve{Port: eve.Port, Keys: filepath.Join(keys, "3")}
	eve3.Start(t)
	dev := &devices{cacheDir: render.DefaultCacheDir(), pins: ipp.NewPins(filepath.Join(dir, "data", "ipps-pins.json"))}
	for _, tc := range []struct {
		pc      config.Printer
		wantErr error
		wantPin bool
	}{
		{config.Printer{Name: "eve", URI: strings.Replace(eve3.Endpoint, "https://", "ipps://", 1)}, nil, true},
		{config.Printer{Name: "folder", URI: "file://" + filepath.ToSlash(dir) + "/out"}, printer.ErrUnsupported, false},
	} {
		cp, err := buildPrinter(t.Context(), tc.pc, dev)
		if err != nil {
			t.Fatal(err)
		}
		fp, err := cp.Trust(t.Context())
		if !errors.Is(err, tc.wantErr) || (fp != "") != tc.wantPin {
			t.Errorf("%s: Trust = %q, %v; want a pin %v, error %v", tc.pc.Name, fp, err, tc.wantPin, tc.wantErr)
		}
	}
}

// TestPrintersTrustThroughAgent: with the agent running, `printers trust`
// asks it through the local API (it owns the printers and its data dir).
func TestPrintersTrustThroughAgent(t *testing.T) {
	useFakeCNExpress(t, "test")
	keys := t.TempDir()
	eve := &printertest.Eve{Keys: filepath.Join(keys, "1")}
	eve.Start(t)
	dir, run1 := printersCLI(t, `
[[printers]]
name = "folder"
uri = "file://DIR/out"
default = true
[[printers]]
name = "eve"
uri = "`+strings.Replace(eve.Endpoint, "https://", "ipps://", 1)+`"
`)
	if code, out, errOut := run1("printers", "test", "eve"); code != 0 {
		t.Fatalf("first print over ipps: %d %s %s", code, out, errOut)
	}

	ctx, cancel := context.WithCancel(t.Context())
	var agentOut, agentErr bytes.Buffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"run", "--headless", "--config", filepath.Join(dir, "config.toml")}, &agentOut, &agentErr)
	}()
	stopped := false
	stop := func() int {
		if stopped {
			return 0
		}
		stopped = true
		cancel()
		return <-done
	}
	t.Cleanup(func() { stop() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(filepath.Join(dir, "data", addressFile)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			stop()
			t.Fatalf("the agent did not start its local API:\n%s", agentErr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}

	eve.Stop()
	eve2 := &printertest.Eve{Port: eve.Port, Keys: filepath.Join(keys, "2")}
	eve2.Start(t)
	if code, out, errOut := run1("printers", "trust", "eve"); code != 0 || !strings.Contains(out, "trusting its certificate sha256:") {
		t.Fatalf("printers trust with the agent running: %d %s %s", code, out, errOut)
	}
	if code := stop(); code != 0 {
		t.Errorf("agent exit %d:\n%s", code, agentErr.String())
	}
	if !strings.Contains(agentErr.String()+agentOut.String(), "printer certificate trusted") {
		t.Errorf("the running agent did not do the trusting; its log:\n%s", agentErr.String())
	}
}
