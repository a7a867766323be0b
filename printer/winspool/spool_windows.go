//go:build windows

package winspool

import (
	"context"
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"

	"cnx-agent/printer"
)

var (
	winspool             = windows.NewLazySystemDLL("winspool.drv")
	procOpenPrinterW     = winspool.NewProc("OpenPrinterW")
	procClosePrinter     = winspool.NewProc("ClosePrinter")
	procStartDocPrinterW = winspool.NewProc("StartDocPrinterW")
	procEndDocPrinter    = winspool.NewProc("EndDocPrinter")
	procStartPagePrinter = winspool.NewProc("StartPagePrinter")
	procEndPagePrinter   = winspool.NewProc("EndPagePrinter")
	procWritePrinter     = winspool.NewProc("WritePrinter")
	procEnumPrintersW    = winspool.NewProc("EnumPrintersW")
)

type docInfo1 struct {
	docName    *uint16
	outputFile *uint16
	datatype   *uint16
}

// Send writes one RAW job. Nothing reaches the printer before
// StartDocPrinter succeeds; once WritePrinter has taken bytes, a failure is
// uncertain.
func (s *Sender) Send(ctx context.Context, data []byte, title string) error {
	if err := ctx.Err(); err != nil {
		return printer.Failed(s.Name, err)
	}
	name, err := windows.UTF16PtrFromString(s.Printer)
	if err != nil {
		return printer.Failed(s.Name, err)
	}
	var h windows.Handle
	if r, _, err := procOpenPrinterW.Call(uintptr(unsafe.Pointer(name)), uintptr(unsafe.Pointer(&h)), 0); r == 0 {
		return &printer.NotReadyError{Printer: s.Name, Reason: fmt.Sprintf("offline (OpenPrinter %q: %v)", s.Printer, err)}
	}
	defer procClosePrinter.Call(uintptr(h))
	docName, _ := windows.UTF16PtrFromString(title)
	raw, _ := windows.UTF16PtrFromString("RAW")
	doc := docInfo1{docName: docName, datatype: raw}
	if r, _, err := procStartDocPrinterW.Call(uintptr(h), 1, uintptr(unsafe.Pointer(&doc))); r == 0 {
		return printer.Failed(s.Name, fmt.Errorf("StartDocPrinter: %w", err))
	}
	if r, _, err := procStartPagePrinter.Call(uintptr(h)); r == 0 {
		procEndDocPrinter.Call(uintptr(h))
		return printer.Failed(s.Name, fmt.Errorf("StartPagePrinter: %w", err))
	}
	var written uint32
	var werr error
	if len(data) > 0 {
		if r, _, err := procWritePrinter.Call(uintptr(h), uintptr(unsafe.Pointer(&data[0])), uintptr(len(data)), uintptr(unsafe.Pointer(&written))); r == 0 {
			werr = err
		}
	}
	procEndPagePrinter.Call(uintptr(h))
	if r, _, err := procEndDocPrinter.Call(uintptr(h)); r == 0 && werr == nil {
		werr = err
	}
	switch {
	case werr != nil && written == 0:
		return printer.Failed(s.Name, fmt.Errorf("WritePrinter: %w", werr))
	case werr != nil || int(written) != len(data):
		return printer.Uncertain(s.Name, fmt.Errorf("WritePrinter: %d of %d bytes: %v", written, len(data), werr))
	}
	return nil
}

// printerInfo4 is PRINTER_INFO_4.
type printerInfo4 struct {
	printerName *uint16
	serverName  *uint16
	attributes  uint32
}

// Printers lists the spooler's local and connected printers.
func Printers() ([]string, error) {
	const flags = 2 | 4 // PRINTER_ENUM_LOCAL | PRINTER_ENUM_CONNECTIONS
	var needed, returned uint32
	procEnumPrintersW.Call(flags, 0, 4, 0, 0, uintptr(unsafe.Pointer(&needed)), uintptr(unsafe.Pointer(&returned)))
	if needed == 0 {
		return nil, nil
	}
	buf := make([]byte, needed)
	if r, _, err := procEnumPrintersW.Call(flags, 0, 4, uintptr(unsafe.Pointer(&buf[0])), uintptr(needed),
		uintptr(unsafe.Pointer(&needed)), uintptr(unsafe.Pointer(&returned))); r == 0 {
		return nil, fmt.Errorf("EnumPrinters: %w", err)
	}
	infos := unsafe.Slice((*printerInfo4)(unsafe.Pointer(&buf[0])), returned)
	out := make([]string, 0, returned)
	for _, pi := range infos {
		out = append(out, windows.UTF16PtrToString(pi.printerName))
	}
	return out, nil
}
