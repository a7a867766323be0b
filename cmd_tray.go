package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/app"

	"cnx-agent/agent/localapi"
	"cnx-agent/gui"
	"cnx-agent/i18n"
)

// AppID is the GUI's application ID (as in FyneApp.toml).
const AppID = "uk.co.cnexpress.agent"

func cmdTray(ctx context.Context, e *env, args []string) error {
	fs := e.flags("[--dashboard] [--install-autostart]")
	dash := fs.Bool("dashboard", false, i18n.T("flag.dashboard"))
	autostart := fs.Bool("install-autostart", false, i18n.T("flag.install-autostart"))
	exitAfter := fs.Duration("exit-after", 0, i18n.T("flag.exit-after"))
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
	return runTray(ctx, e, trayClient(e), *dash, *exitAfter)
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
func runTray(ctx context.Context, e *env, api gui.API, dashboard bool, exitAfter time.Duration) error {
	if l := e.cfg.Agent.Language; l != "" { // Fyne reads the locale from the environment
		loc := map[string]string{"zh": "zh_CN.UTF-8", "en": "en_GB.UTF-8"}[l]
		for _, v := range []string{"LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"} {
			os.Setenv(v, loc)
		}
	}
	if err := gui.LoadTranslations(); err != nil {
		return err
	}
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
	if exitAfter > 0 {
		go func() {
			select {
			case <-ctx.Done():
			case <-time.After(exitAfter):
				cancel()
			}
		}()
	}
	go func() { <-ctx.Done(); fyne.Do(a.Quit) }()
	a.Run()
	return nil
}

// haveDisplay tells whether a GUI can open: a display on Linux and the
// BSDs, always on Windows and macOS.
func haveDisplay() bool {
	switch runtime.GOOS {
	case "windows", "darwin":
		return true
	}
	return os.Getenv("DISPLAY") != "" || os.Getenv("WAYLAND_DISPLAY") != ""
}

// trayHost tells whether a system tray can be shown: on Linux it lives on
// the session bus (a bare X server has none).
func trayHost() bool {
	return runtime.GOOS != "linux" || os.Getenv("DBUS_SESSION_BUS_ADDRESS") != ""
}
