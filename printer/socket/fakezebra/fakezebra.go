// Package fakezebra is a ZPL printer on a TCP port for tests: it answers
// ~HS with its paper, pause and head flags, prints each ^XA…^XZ format it
// receives, and, like a real Zebra, holds formats received while out of
// paper or paused and prints them once it recovers.
package fakezebra

import (
	"bytes"
	"fmt"
	"net"
	"sync"
)

// Printer is a fake network label printer.
type Printer struct {
	ln net.Listener

	mu       sync.Mutex
	paperOut bool
	paused   bool
	headUp   bool
	held     [][]byte
	printed  [][]byte
	statuses int
}

// Start listens on a loopback port.
func Start() (*Printer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Printer{ln: ln}
	go p.serve()
	return p, nil
}

// Addr is host:port.
func (p *Printer) Addr() string { return p.ln.Addr().String() }

// Close stops listening.
func (p *Printer) Close() error { return p.ln.Close() }

// SetPaperOut sets the paper-out flag; clearing it prints held formats.
func (p *Printer) SetPaperOut(v bool) { p.set(func() { p.paperOut = v }) }

// SetPaused sets the pause flag.
func (p *Printer) SetPaused(v bool) { p.set(func() { p.paused = v }) }

// SetHeadOpen sets the head-up flag.
func (p *Printer) SetHeadOpen(v bool) { p.set(func() { p.headUp = v }) }

func (p *Printer) set(f func()) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f()
	if p.ready() {
		p.printed = append(p.printed, p.held...)
		p.held = nil
	}
}

func (p *Printer) ready() bool { return !p.paperOut && !p.paused && !p.headUp }

// Printed returns the formats printed so far.
func (p *Printer) Printed() [][]byte {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([][]byte(nil), p.printed...)
}

// StatusQueries counts ~HS requests.
func (p *Printer) StatusQueries() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.statuses
}

func (p *Printer) serve() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		go p.handle(c)
	}
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (p *Printer) handle(c net.Conn) {
	defer c.Close()
	var buf []byte
	tmp := make([]byte, 64<<10)
	for {
		n, err := c.Read(tmp)
		buf = append(buf, tmp[:n]...)
		for {
			hs := bytes.Index(buf, []byte("~HS"))
			xa := bytes.Index(buf, []byte("^XA"))
			switch {
			case hs >= 0 && (xa < 0 || hs < xa):
				buf = append(buf[:hs:hs], buf[hs+3:]...)
				p.mu.Lock()
				p.statuses++
				answer := fmt.Sprintf("\x02030,%d,%d,1218,000,0,0,0,000,0,0,0\x03\r\n\x02001,0,%d,0,0,2,4,0,00000000,1,000\x03\r\n\x021234,0\x03\r\n",
					b2i(p.paperOut), b2i(p.paused), b2i(p.headUp))
				p.mu.Unlock()
				_, _ = c.Write([]byte(answer))
				continue
			case xa >= 0:
				xz := bytes.Index(buf[xa:], []byte("^XZ"))
				if xz < 0 {
					break
				}
				format := append([]byte(nil), buf[xa:xa+xz+3]...)
				buf = buf[xa+xz+3:]
				p.mu.Lock()
				if p.ready() {
					p.printed = append(p.printed, format)
				} else {
					p.held = append(p.held, format)
				}
				p.mu.Unlock()
				continue
			}
			break
		}
		if err != nil {
			return
		}
	}
}
