//go:build windows

package main

import (
	"os"

	"golang.org/x/sys/windows/registry"
)

// installAutostart adds the tray to the user's Run key.
func installAutostart() (string, error) {
	exe, err := os.Executable()
	if err != nil {
		return "", err
	}
	k, _, err := registry.CreateKey(registry.CURRENT_USER, `Software\Microsoft\Windows\CurrentVersion\Run`, registry.SET_VALUE)
	if err != nil {
		return "", err
	}
	defer k.Close()
	if err := k.SetStringValue("CNX Agent", `"`+exe+`" tray`); err != nil {
		return "", err
	}
	return `HKCU\Software\Microsoft\Windows\CurrentVersion\Run\CNX Agent`, nil
}
