// Package socket prints to raw TCP printers (port 9100, "JetDirect"):
// Zebra, TSC and other network label printers. For ZPL printers it asks
// the host status (~HS) before a job, so that a printer out of paper,
// paused or with its head open is waited for instead of being sent a label
// it would hold, and again after the job.
package socket

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"time"

	"cnx-agent/printer"
)

// Sender sends jobs to one raw TCP printer.
type Sender struct {
	Name    string
	Addr    string           // host:port
	Lang    printer.Language // ZPL printers are asked ~HS
	Timeout time.Duration    // per step when ctx has no deadline, default 30s
}

// New returns a sender for addr.
func New(name, addr string, lang printer.Language) *Sender {
	return &Sender{Name: name, Addr: addr, Lang: lang, Timeout: 30 * time.Second}
}

func (s *Sender) deadline(ctx context.Context) time.Time {
	if d, ok := ctx.Deadline(); ok {
		return d
	}
	return time.Now().Add(s.Timeout)
}

func (s *Sender) dial(ctx context.Context) (net.Conn, error) {
	var d net.Dialer
	dctx, cancel := context.WithDeadline(ctx, s.deadline(ctx))
	defer cancel()
	c, err := d.DialContext(dctx, "tcp", s.Addr)
	if err != nil {
		return nil, &printer.NotReadyError{Printer: s.Name, Reason: "offline (" + err.Error() + ")"}
	}
	return c, nil
}

// Status reports the printer's state: for ZPL from ~HS, otherwise whether
// it accepts a connection.
func (s *Sender) Status(ctx context.Context) (printer.Status, error) {
	c, err := s.dial(ctx)
	if err != nil {
		return printer.Status{State: "offline", Reasons: []string{"offline"}}, nil
	}
	defer c.Close()
	if s.Lang != printer.ZPL {
		return printer.Status{State: "idle"}, nil
	}
	st, err := queryHS(c, s.deadline(ctx))
	if err != nil {
		return printer.Status{State: "unknown"}, fmt.Errorf("printer %s: ~HS: %w", s.Name, err)
	}
	return st, nil
}

// Send writes one job, then half-closes the connection and waits for the
// printer to close its side. A ZPL printer that is not ready is not sent
// anything (NotReadyError); an error once bytes have gone out is
// uncertain: the printer may print what it got.
func (s *Sender) Send(ctx context.Context, data []byte, title string) error {
	c, err := s.dial(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	dl := s.deadline(ctx)
	if s.Lang == printer.ZPL {
		if st, err := queryHS(c, dl); err == nil {
			if r := printer.BlockingReason(st.Reasons); r != "" {
				return &printer.NotReadyError{Printer: s.Name, Reason: r}
			}
		} else if ctx.Err() != nil {
			return printer.Failed(s.Name, ctx.Err())
		}
	}
	_ = c.SetWriteDeadline(dl)
	n, err := c.Write(data)
	if err != nil {
		if n == 0 {
			return printer.Failed(s.Name, fmt.Errorf("send %s: %w", title, err))
		}
		return printer.Uncertain(s.Name, fmt.Errorf("send %s: %d of %d bytes written: %w", title, n, len(data), err))
	}
	if s.Lang == printer.ZPL {
		if st, err := queryHS(c, dl); err == nil {
			if r := printer.BlockingReason(st.Reasons); r != "" {
				return printer.Uncertain(s.Name, fmt.Errorf("after %s the printer reports %s", title, r))
			}
		}
	}
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
	_ = c.SetReadDeadline(time.Now().Add(2 * time.Second))
	_, _ = io.Copy(io.Discard, c) // until the printer closes, or briefly
	return nil
}

func queryHS(c net.Conn, dl time.Time) (printer.Status, error) {
	_ = c.SetWriteDeadline(dl)
	if _, err := c.Write([]byte("~HS\r\n")); err != nil {
		return printer.Status{}, err
	}
	_ = c.SetReadDeadline(minTime(dl, time.Now().Add(3*time.Second)))
	defer c.SetReadDeadline(time.Time{})
	var buf []byte
	tmp := make([]byte, 256)
	for bytes.Count(buf, []byte{0x03}) < 3 {
		n, err := c.Read(tmp)
		buf = append(buf, tmp[:n]...)
		if err != nil {
			if len(buf) == 0 {
				return printer.Status{}, fmt.Errorf("%w: %v", printer.ErrNoStatus, err)
			}
			break
		}
	}
	return printer.ParseHostStatus(buf)
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
