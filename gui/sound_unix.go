//go:build !windows

package gui

import (
	"os/exec"
	"runtime"
)

// chime plays a short "done" sound where the desktop has a player for it
// (libcanberra or PulseAudio on Linux, afplay on macOS); silently nothing
// otherwise.
func chime(ok bool) {
	var cmds [][]string
	if runtime.GOOS == "darwin" {
		s := "/System/Library/Sounds/Glass.aiff"
		if !ok {
			s = "/System/Library/Sounds/Basso.aiff"
		}
		cmds = [][]string{{"afplay", s}}
	} else {
		id := "complete"
		if !ok {
			id = "dialog-error"
		}
		cmds = [][]string{{"canberra-gtk-play", "-i", id}, {"paplay", "/usr/share/sounds/freedesktop/stereo/" + id + ".oga"}}
	}
	go func() {
		for _, c := range cmds {
			if _, err := exec.LookPath(c[0]); err == nil {
				_ = exec.Command(c[0], c[1:]...).Run()
				return
			}
		}
	}()
}
