package main

import (
	"context"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"cnx-agent/agent/localapi"
	"cnx-agent/gui"
)

// AppID is the GUI's application ID (as in FyneApp.toml).
const AppID = "uk.co.cnexpress.agent"

func cmdTray(ctx context.Context, e *env, args []string) error {
	fs := e.flags("[--dashboard] [--install-autostart] [--screenshot FILE]")
	dash := fs.Bool("dashboard", false, "open the dashboard window at once (also where there is no tray)")
	autostart := fs.Bool("install-autostart", false, "start the tray at login (this user)")
	shot := fs.String("screenshot", "", "save the dashboard as PNG after --exit-after, then quit (for tests)")
	exitAfter := fs.Duration("exit-after", 0, "quit after this long")
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if err := e.load(); err != nil {
		return err
	}
	if *autostart {
		path, err := installAutostart()
		if err != nil {
			return err
		}
		fmt.Fprintf(e.stdout, "the tray will start at login: %s\n", path)
		return nil
	}
	return runTray(ctx, e, trayClient(e), *dash || *shot != "", *shot, *exitAfter)
}

// trayClient points at the running agent's API, or where it will listen.
func trayClient(e *env) *localapi.Client {
	addr := e.cfg.Agent.Listen
	if b, err := os.ReadFile(filepath.Join(e.cfg.Agent.DataDir, addressFile)); err == nil {
		addr = strings.TrimSpace(string(b))
	}
	tok, _ := localapi.ReadToken(e.cfg.Agent.DataDir)
	return localapi.NewClient("http://"+addr, tok)
}

// runTray runs the tray (and dashboard) until the user quits.
func runTray(ctx context.Context, e *env, api gui.API, dashboard bool, shot string, exitAfter time.Duration) error {
	a := app.NewWithID(AppID)
	tray := trayHost()
	ui := gui.New(a, api, e.log, tray)
	if !tray {
		dashboard = true // nothing else would show
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go ui.Watch(ctx)
	if dashboard {
		ui.Dashboard().Show()
	}
	if shot != "" && exitAfter == 0 {
		exitAfter = 5 * time.Second
	}
	var shotErr error
	if exitAfter > 0 {
		go func() {
			select {
			case <-ctx.Done():
				return
			case <-time.After(exitAfter):
			}
			fyne.DoAndWait(func() {
				if shot != "" {
					shotErr = saveScreenshot(ui.Dashboard(), shot)
				}
				a.Quit()
			})
		}()
	}
	go func() { <-ctx.Done(); fyne.Do(a.Quit) }()
	a.Run()
	return shotErr
}

// trayHost tells whether a system tray can be shown: on Linux it lives on
// the session bus (a bare X server has none).
func trayHost() bool {
	return runtime.GOOS != "linux" || os.Getenv("DBUS_SESSION_BUS_ADDRESS") != ""
}

func saveScreenshot(w fyne.Window, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return png.Encode(f, w.Canvas().Capture())
}
