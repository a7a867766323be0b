// Package printertest starts real CUPS software for tests: ippeveprinter
// as an IPP label printer, and queues on the local cupsd. A test skips when
// the tools are missing, unless CNX_REQUIRE_TOOLS is set (make test sets
// it after installing them), when it fails.
package printertest

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// Need skips or fails the test when a program is missing.
func Need(t testing.TB, programs ...string) {
	t.Helper()
	for _, p := range programs {
		if _, err := exec.LookPath(p); err != nil {
			if os.Getenv("CNX_REQUIRE_TOOLS") != "" {
				t.Fatalf("%s is required (Debian packages cups, cups-ipp-utils, avahi-daemon): %v", p, err)
			}
			t.Skipf("%s not installed: %v", p, err)
		}
	}
}

// MediaConf is an ippeveprinter attributes file for a 100×150 label
// printer.
const MediaConf = `ATTR mimeMediaType document-format-supported application/pdf,application/octet-stream
ATTR mimeMediaType document-format-default application/pdf
ATTR keyword media-supported om_100x150mm_100x150mm,na_index-4x6_4x6in,oe_4x6-label_4x6in
ATTR keyword media-default om_100x150mm_100x150mm
ATTR keyword media-ready om_100x150mm_100x150mm
ATTR text printer-make-and-model "Zebra ZD421-203dpi"
ATTR integer pages-per-minute 600
`

// The system bus's socket and the pid files D-Bus and Avahi leave behind.
// A machine image or a killed daemon can leave a pid file with no daemon,
// and both daemons then refuse to start until it is removed.
const (
	dbusSocket = "/run/dbus/system_bus_socket"
	dbusPID    = "/run/dbus/pid"
	avahiPID   = "/run/avahi-daemon/pid"
)

// dnssdMu keeps parallel tests from starting the daemons at once (one
// would remove the pid file of the daemon the other just started).
var dnssdMu sync.Mutex

// ensureDNSSD starts the system D-Bus and avahi-daemon, which ippeveprinter
// needs even with DNS-SD off. A daemon that answers is left alone; a stale
// pid file is removed before starting one. make test starts them first;
// this is for a go test run on its own.
func ensureDNSSD(t testing.TB) {
	t.Helper()
	dnssdMu.Lock()
	defer dnssdMu.Unlock()
	if c, err := net.Dial("unix", dbusSocket); err == nil {
		c.Close()
	} else {
		_ = os.MkdirAll(filepath.Dir(dbusSocket), 0o755)
		_ = os.Remove(dbusPID)
		if out, err := exec.Command("dbus-daemon", "--system", "--fork").CombinedOutput(); err != nil {
			t.Logf("dbus-daemon: %v %s", err, out)
		}
	}
	if exec.Command("avahi-daemon", "--check").Run() == nil {
		return
	}
	_ = os.Remove(avahiPID)
	if out, err := exec.Command("avahi-daemon", "-D").CombinedOutput(); err != nil {
		t.Logf("avahi-daemon: %v %s", err, out)
	}
	for i := 0; i < 50 && exec.Command("avahi-daemon", "--check").Run() != nil; i++ {
		time.Sleep(50 * time.Millisecond)
	}
}

// lockedBuffer collects a child's output while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// IPPEve runs ippeveprinter on a free loopback port and returns its
// endpoint and spool folder (it keeps every job's document there).
func IPPEve(t testing.TB) (endpoint, spool string) {
	t.Helper()
	e := Eve{}
	e.Start(t)
	return e.Endpoint, e.Spool
}

// Eve is one ippeveprinter run.
type Eve struct {
	// Port to listen on; 0 picks a free one.
	Port int
	// Keys, if set, is the folder of its TLS credentials (made, self-signed,
	// on first use): the endpoint is then https.
	Keys string

	Endpoint string // set by Start
	Spool    string // set by Start: every job's document is kept there
	stop     func()
}

// Start runs the printer until Stop or the end of the test.
func (e *Eve) Start(t testing.TB) {
	t.Helper()
	Need(t, "ippeveprinter")
	ensureDNSSD(t)
	dir := t.TempDir()
	e.Spool = filepath.Join(dir, "spool")
	if err := os.MkdirAll(e.Spool, 0o755); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "label.conf")
	if err := os.WriteFile(conf, []byte(MediaConf), 0o644); err != nil {
		t.Fatal(err)
	}
	if e.Port == 0 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		e.Port = ln.Addr().(*net.TCPAddr).Port
		ln.Close()
	}
	args := []string{"-p", fmt.Sprint(e.Port), "-n", "localhost", "-d", e.Spool, "-k", "-a", conf, "-r", "off", "-c", "/bin/true"}
	scheme := "http"
	if e.Keys != "" {
		// ippeveprinter makes its credentials in the folder, not the folder.
		if err := os.MkdirAll(e.Keys, 0o700); err != nil {
			t.Fatal(err)
		}
		args, scheme = append(args, "-K", e.Keys), "https"
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "ippeveprinter", append(args, "Label Printer")...)
	log := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	var once sync.Once
	e.stop = func() { once.Do(func() { cancel(); _ = cmd.Wait() }) }
	t.Cleanup(e.stop)
	addr := fmt.Sprintf("127.0.0.1:%d", e.Port)
	for i := 0; ; i++ {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if i > 100 {
			t.Fatalf("ippeveprinter did not start: %s", log.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	e.Endpoint = fmt.Sprintf("%s://localhost:%d/ipp/print", scheme, e.Port)
}

// Stop ends the printer (and frees its port).
func (e *Eve) Stop() {
	if e.stop != nil {
		e.stop()
	}
}

// CUPSQueue adds a raw queue on the local cupsd (started if need be) that
// sends to device, removed at the end of the test. It returns the name.
func CUPSQueue(t testing.TB, device string) string {
	t.Helper()
	Need(t, "cupsd", "lpadmin")
	if c, err := net.Dial("tcp", "localhost:631"); err == nil {
		c.Close()
	} else {
		if out, err := exec.Command("cupsd").CombinedOutput(); err != nil {
			t.Fatalf("cupsd: %v %s", err, out)
		}
		for i := 0; ; i++ {
			if c, err := net.Dial("tcp", "localhost:631"); err == nil {
				c.Close()
				break
			}
			if i > 100 {
				t.Fatal("cupsd did not start")
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	name := fmt.Sprintf("cnx-test-%d", time.Now().UnixNano()%1e9)
	if out, err := exec.Command("lpadmin", "-p", name, "-E", "-v", device, "-m", "raw").CombinedOutput(); err != nil {
		t.Fatalf("lpadmin: %v %s", err, out)
	}
	t.Cleanup(func() { _ = exec.Command("lpadmin", "-x", name).Run() })
	return name
}
