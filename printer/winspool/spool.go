// Package winspool prints raw printer-language jobs through the Windows
// spooler (spool://PRINTER NAME): where a printer's Windows driver owns the
// USB device, OpenPrinter / StartDocPrinter with the RAW datatype /
// WritePrinter hands the bytes straight to the printer. Elsewhere it
// reports that it is not supported.
package winspool

// Sender sends jobs to one spooler printer.
type Sender struct {
	Name    string // configured name
	Printer string // the Windows printer name
}

// New returns a sender for a Windows printer.
func New(name, printerName string) *Sender { return &Sender{Name: name, Printer: printerName} }
