//go:build !((linux || darwin) && cgo)

package usb

import (
	"context"
	"fmt"

	"cnx-agent/printer"
)

// LibUSB is not in this build (Windows, where the printer's driver owns
// the device: use spool://PRINTER instead; or a build without cgo).
type LibUSB struct{}

// NewLibUSB reports that direct USB is not available.
func NewLibUSB() (*LibUSB, error) {
	return nil, fmt.Errorf("direct USB printing: %w (use the spooler, spool://PRINTER NAME, on Windows)", printer.ErrUnsupported)
}

// Close does nothing.
func (b *LibUSB) Close() error { return nil }

// Devices is never called.
func (b *LibUSB) Devices(context.Context) ([]Device, error) { return nil, printer.ErrUnsupported }

// Open is never called.
func (b *LibUSB) Open(Device, Target) (Conn, error) { return nil, printer.ErrUnsupported }
