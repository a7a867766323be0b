//go:build !windows

package main

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// installAutostart writes the login item that starts the tray: an XDG
// autostart entry on Linux, a LaunchAgent on macOS.
func installAutostart() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	var path, body string
	if runtime.GOOS == "darwin" {
		path = filepath.Join(home, "Library", "LaunchAgents", AppID+".tray.plist")
		body = fmt.Sprintf(`<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0"><dict>
<key>Label</key><string>%s.tray</string>
<key>ProgramArguments</key><array><string>%s</string><string>tray</string></array>
<key>RunAtLoad</key><true/>
</dict></plist>
`, AppID, exe)
	} else {
		cfg := os.Getenv("XDG_CONFIG_HOME")
		if cfg == "" {
			cfg = filepath.Join(home, ".config")
		}
		path = filepath.Join(cfg, "autostart", "cnx-agent-tray.desktop")
		body = fmt.Sprintf("[Desktop Entry]\nType=Application\nName=CNX Agent\nComment=CNExpress label agent tray\nExec=%q tray\nIcon=printer\nTerminal=false\nX-GNOME-Autostart-enabled=true\n", exe)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return "", err
	}
	return path, os.WriteFile(path, []byte(body), 0o644)
}
