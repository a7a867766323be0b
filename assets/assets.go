// Package assets holds the icons embedded in the binary: the app icon and
// the tray's state icons (idle, working, needs attention with a red badge,
// service unreachable).
package assets

import _ "embed"

var (
	//go:embed icon.png
	Icon []byte
	//go:embed idle.png
	Idle []byte
	//go:embed working.png
	Working []byte
	//go:embed attention.png
	Attention []byte
	//go:embed unreachable.png
	Unreachable []byte
)
