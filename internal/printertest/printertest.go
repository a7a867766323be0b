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

// ensureDNSSD starts the system D-Bus and avahi-daemon, which ippeveprinter
// needs even with DNS-SD off. A daemon that answers is left alone; a stale
// pid file is removed before starting one.
func ensureDNSSD(t testing.TB) {
	t.Helper()
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
	Need(t, "ippeveprinter")
	ensureDNSSD(t)
	dir := t.TempDir()
	spool = filepath.Join(dir, "spool")
	if err := os.MkdirAll(spool, 0o755); err != nil {
		t.Fatal(err)
	}
	conf := filepath.Join(dir, "label.conf")
	if err := os.WriteFile(conf, []byte(MediaConf), 0o644); err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, "ippeveprinter", "-p", fmt.Sprint(port), "-n", "localhost", "-d", spool, "-k",
		"-a", conf, "-r", "off", "-c", "/bin/true", "Label Printer")
	log := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	addr := fmt.Sprintf("127.0.0.1:%d", port)
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
	return fmt.Sprintf("http://localhost:%d/ipp/print", port), spool
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
