package printer

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
)

// hostStatus is the answer to ~HS: three STX…ETX framed lines.
type hostStatus struct {
	paperOut, paused, headUp, ribbonOut, bufferFull, underTemp, overTemp, corruptRAM bool
}

func (h hostStatus) status() Status {
	var reasons []string
	add := func(cond bool, r string) {
		if cond {
			reasons = append(reasons, r)
		}
	}
	add(h.paperOut, "media-empty")
	add(h.paused, "paused")
	add(h.headUp, "head-open")
	add(h.ribbonOut, "ribbon-empty")
	add(h.bufferFull, "buffer-full-warning")
	add(h.underTemp || h.overTemp, "head-temperature-warning")
	add(h.corruptRAM, "corrupt-ram-warning")
	st := Status{State: "idle", Reasons: reasons}
	if BlockingReason(reasons) != "" {
		st.State = "stopped"
	}
	return st
}

// ErrNoStatus means the printer did not answer ~HS.
var ErrNoStatus = errors.New("no host status answer")

// ParseHostStatus reads a ZPL printer's answer to ~HS (three STX…ETX
// framed lines) into a printer state.
func ParseHostStatus(b []byte) (Status, error) {
	var lines []string
	for _, part := range bytes.Split(b, []byte{0x02}) {
		if i := bytes.IndexByte(part, 0x03); i >= 0 {
			lines = append(lines, string(part[:i]))
		}
	}
	if len(lines) < 2 {
		return Status{}, fmt.Errorf("%w: %q", ErrNoStatus, b)
	}
	f1 := strings.Split(lines[0], ",")
	f2 := strings.Split(lines[1], ",")
	if len(f1) < 12 || len(f2) < 6 {
		return Status{}, fmt.Errorf("malformed ~HS answer %q", b)
	}
	flag := func(s string) bool { return strings.TrimSpace(s) == "1" }
	return hostStatus{
		paperOut: flag(f1[1]), paused: flag(f1[2]), bufferFull: flag(f1[5]),
		corruptRAM: flag(f1[9]), underTemp: flag(f1[10]), overTemp: flag(f1[11]),
		headUp: flag(f2[2]), ribbonOut: flag(f2[3]),
	}.status(), nil
}
