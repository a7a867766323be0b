// Package logring keeps the last lines written to it, for the local API's
// log view: give it to a slog handler as one of its writers.
package logring

import (
	"bytes"
	"sync"
)

// Ring holds the newest lines. Safe for concurrent use.
type Ring struct {
	mu    sync.Mutex
	lines []string
	next  int
	full  bool
	part  []byte
}

// New keeps up to n lines.
func New(n int) *Ring { return &Ring{lines: make([]string, n)} }

// Write adds the complete lines in p.
func (r *Ring) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.part = append(r.part, p...)
	for {
		i := bytes.IndexByte(r.part, '\n')
		if i < 0 {
			break
		}
		r.lines[r.next] = string(r.part[:i])
		r.next = (r.next + 1) % len(r.lines)
		r.full = r.full || r.next == 0
		r.part = r.part[i+1:]
	}
	return len(p), nil
}

// Lines returns the kept lines, oldest first; at most the last n when n > 0.
func (r *Ring) Lines(n int) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []string
	if r.full {
		out = append(out, r.lines[r.next:]...)
	}
	out = append(out, r.lines[:r.next]...)
	if n > 0 && len(out) > n {
		out = out[len(out)-n:]
	}
	return out
}
