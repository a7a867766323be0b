//go:build linux

package main

import (
	"context"
	"fmt"
	"image"
	"image/png"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cnx-agent/api/fakeserver"
	"cnx-agent/internal/printertest"
	"cnx-agent/printer/render"
)

// TestTrayUnderXvfb runs the real agent and the real tray with its
// dashboard on an Xvfb display, takes a screenshot of the screen (saved as
// a test artifact in $CNX_ARTIFACTS, or the test's temp dir) and checks it
// is not blank.
func TestTrayUnderXvfb(t *testing.T) {
	printertest.Need(t, "Xvfb", "xwd")
	bin := agentBinary(t)
	dir := t.TempDir()
	display := freeDisplay(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	x := exec.CommandContext(ctx, "Xvfb", display, "-screen", "0", "1280x800x24", "-nolisten", "tcp")
	if err := x.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); _ = x.Wait() }()

	fake := httptest.NewServer(fakeserver.New(fakeserver.Options{Polls: 1}))
	defer fake.Close()
	cfg := filepath.Join(dir, "config.toml")
	os.WriteFile(cfg, []byte(fmt.Sprintf("[api]\nroot = %q\nusername = \"test\"\npassword = \"test\"\n[agent]\ndata_dir = %q\nlisten = \"127.0.0.1:0\"\ncache_dir = %q\npoll_min = \"50ms\"\ninbox_settle = \"50ms\"\n",
		fake.URL+"/api/v1", filepath.Join(dir, "data"), render.DefaultCacheDir())), 0o600)
	os.MkdirAll(filepath.Join(dir, "data", "inbox"), 0o755)
	os.WriteFile(filepath.Join(dir, "data", "inbox", "order.json"), fakeserver.SampleJSON(), 0o644)
	agent := exec.CommandContext(ctx, bin, "run", "--headless", "--config", cfg)
	var agentOut strings.Builder
	agent.Stdout, agent.Stderr = &agentOut, &agentOut
	if err := agent.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); _ = agent.Wait() }()
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, _ := exec.Command(bin, "jobs", "--config", cfg).Output()
		if strings.Contains(string(out), "printed") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the agent did not print the order: %s\nagent:\n%s", out, agentOut.String())
		}
		time.Sleep(200 * time.Millisecond)
	}

	tray := exec.CommandContext(ctx, bin, "tray", "--dashboard", "--exit-after", "20s", "--config", cfg)
	tray.Env = append(os.Environ(), "DISPLAY="+display, "DBUS_SESSION_BUS_ADDRESS=")
	var trayOut strings.Builder
	tray.Stdout, tray.Stderr = &trayOut, &trayOut
	if err := tray.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tray.Process.Kill(); _ = tray.Wait() }()

	var img *image.RGBA
	var colors int
	for i := 0; i < 30; i++ { // wait until the window is drawn
		time.Sleep(500 * time.Millisecond)
		dump, err := exec.Command("xwd", "-root", "-silent", "-display", display).Output()
		if err != nil {
			continue
		}
		if img, err = printertest.DecodeXWD(dump); err != nil {
			t.Fatal(err)
		}
		if colors = distinctColors(img); colors > 20 {
			break
		}
	}
	if img == nil {
		t.Fatalf("no screenshot; tray output:\n%s", trayOut.String())
	}
	outDir := os.Getenv("CNX_ARTIFACTS")
	if outDir == "" {
		outDir = dir
	}
	os.MkdirAll(outDir, 0o755)
	path := filepath.Join(outDir, "dashboard-xvfb.png")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	png.Encode(f, img)
	f.Close()
	t.Logf("screenshot: %s (%d colours)", path, colors)
	if colors <= 20 {
		t.Errorf("the screen is blank (%d colours); tray output:\n%s", colors, trayOut.String())
	}
}

func distinctColors(img *image.RGBA) int {
	seen := map[uint32]bool{}
	for i := 0; i+3 < len(img.Pix); i += 4 * 7 {
		seen[uint32(img.Pix[i])<<16|uint32(img.Pix[i+1])<<8|uint32(img.Pix[i+2])] = true
	}
	return len(seen)
}

// freeDisplay picks an X display number no server (nor a stale lock file)
// holds.
func freeDisplay(t *testing.T) string {
	for n := 150 + os.Getpid()%50; n < 400; n++ {
		if _, err := os.Stat(fmt.Sprintf("/tmp/.X%d-lock", n)); os.IsNotExist(err) {
			if _, err := os.Stat(fmt.Sprintf("/tmp/.X11-unix/X%d", n)); os.IsNotExist(err) {
				return fmt.Sprintf(":%d", n)
			}
		}
	}
	t.Fatal("no free X display")
	return ""
}
