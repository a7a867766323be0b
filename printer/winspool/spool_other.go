//go:build !windows

package winspool

import (
	"context"
	"fmt"

	"cnx-agent/printer"
)

// Send fails: the spooler driver is for Windows.
func (s *Sender) Send(context.Context, []byte, string) error {
	return printer.Failed(s.Name, fmt.Errorf("spool://%s: the Windows spooler is %w", s.Printer, printer.ErrUnsupported))
}

// Printers has no spooler to ask here.
func Printers() ([]string, error) { return nil, nil }
