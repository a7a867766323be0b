//go:build windows

package gui

import "golang.org/x/sys/windows"

var messageBeep = windows.NewLazySystemDLL("user32.dll").NewProc("MessageBeep")

// chime plays the system's "asterisk" (done) or "hand" (error) sound.
func chime(ok bool) {
	kind := uintptr(0x40) // MB_ICONASTERISK
	if !ok {
		kind = 0x10 // MB_ICONHAND
	}
	go messageBeep.Call(kind)
}
