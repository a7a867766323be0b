package usb

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"cnx-agent/printer"
)

// Device IDs as real printers report them.
var realIDs = []struct {
	name, id string
	mfg, mdl string
	lang     printer.Language
}{
	{"Zebra ZD421", "MANUFACTURER:Zebra Technologies;COMMAND SET:ZPL;MODEL:ZTC ZD421-203dpi ZPL;CLASS:PRINTER;OPTIONS:XML;", "Zebra Technologies", "ZTC ZD421-203dpi ZPL", printer.ZPL},
	{"Zebra GK420d (EPL)", "MFG:Zebra;CMD:EPL2;MDL:GK420d;CLS:PRINTER;", "Zebra", "GK420d", printer.EPL},
	{"TSC TE200", "MFG:TSC;MDL:TE200;CMD:TSPL2;CLS:PRINTER;", "TSC", "TE200", printer.TSPL},
	{"Xprinter XP-420B", "MFG:Xprinter;CMD:TSPL,ESC/POS;MDL:XP-420B;CLS:PRINTER;", "Xprinter", "XP-420B", printer.TSPL},
	{"Rollo", "MFG:Printer;MDL:Rollo Printer;CLS:PRINTER;DES:Rollo;", "Printer", "Rollo Printer", ""},
	{"Epson TM-T20", "MFG:EPSON;CMD:ESC/POS;MDL:TM-T20II;CLS:PRINTER;DES:TM-T20II;", "EPSON", "TM-T20II", printer.ESCPOS},
}

func TestParseDeviceID(t *testing.T) {
	t.Parallel()
	for _, tt := range realIDs {
		t.Run(tt.name, func(t *testing.T) {
			id := ParseDeviceID(tt.id)
			if id.Manufacturer != tt.mfg || id.Model != tt.mdl || id.Class != "PRINTER" {
				t.Errorf("parsed %+v", id)
			}
			lang, ok := id.Language()
			if lang != tt.lang || ok != (tt.lang != "") {
				t.Errorf("language %q %v, want %q", lang, ok, tt.lang)
			}
		})
	}
}

func printerDevice(vid, pid uint16, serial string, alts ...AltSetting) Device {
	return Device{VID: vid, PID: pid, Bus: 1, Address: int(pid % 100), Serial: serial,
		Configs: []Config{{Number: 1, Interfaces: []Interface{{Number: 0, Alts: alts}}}}}
}

func TestSelectTarget(t *testing.T) {
	t.Parallel()
	uni := AltSetting{Number: 0, Class: ClassPrinter, Protocol: 1, Endpoints: []Endpoint{{Address: 0x01, Bulk: true}}}
	bi := AltSetting{Number: 1, Class: ClassPrinter, Protocol: 2, Endpoints: []Endpoint{{Address: 0x81, Bulk: true}, {Address: 0x02, Bulk: true}}}
	hid := AltSetting{Number: 0, Class: 3, Endpoints: []Endpoint{{Address: 0x81}}}
	tests := []struct {
		name string
		dev  Device
		want Target
		err  error
	}{
		{"unidirectional", printerDevice(1, 2, "", uni), Target{Config: 1, Interface: 0, Alt: 0, Out: 0x01, In: -1}, nil},
		{"prefers bidirectional", printerDevice(1, 2, "", uni, bi), Target{Config: 1, Interface: 0, Alt: 1, Out: 0x02, In: 0x81}, nil},
		{"not a printer", printerDevice(1, 2, "", hid), Target{}, ErrNotPrinter},
		{"printer class without bulk out", printerDevice(1, 2, "", AltSetting{Class: ClassPrinter, Endpoints: []Endpoint{{Address: 0x81, Bulk: true}}}), Target{}, ErrNotPrinter},
	}
	for _, tt := range tests {
		got, err := SelectTarget(tt.dev)
		if !errors.Is(err, tt.err) || (err == nil && got != tt.want) {
			t.Errorf("%s: got %+v, %v; want %+v, %v", tt.name, got, err, tt.want, tt.err)
		}
	}
}

// fakeBus simulates the bus: devices, an open that can be denied, and a
// printer that records writes and answers ~HS.
type fakeBus struct {
	devs     []Device
	ids      map[uint16]string // by PID
	deny     bool
	paperOut bool
	written  [][]byte
}

var _ Bus = (*fakeBus)(nil)

func (b *fakeBus) Devices(context.Context) ([]Device, error) { return b.devs, nil }

func (b *fakeBus) Open(d Device, t Target) (Conn, error) {
	if b.deny {
		return nil, fmt.Errorf("libusb: %w [code -3]", ErrPermission)
	}
	return &fakeConn{b: b, id: b.ids[d.PID]}, nil
}

type fakeConn struct {
	b       *fakeBus
	id      string
	pending []byte
}

func (c *fakeConn) DeviceID() (string, error) { return c.id, nil }
func (c *fakeConn) Write(_ context.Context, p []byte) (int, error) {
	if strings.HasPrefix(string(p), "~HS") {
		flag := 0
		if c.b.paperOut {
			flag = 1
		}
		c.pending = fmt.Appendf(nil, "\x02030,%d,0,1218,000,0,0,0,000,0,0,0\x03\r\n\x02001,0,0,0,0,2,4,0,00000000,1,000\x03\r\n\x021234,0\x03\r\n", flag)
		return len(p), nil
	}
	c.b.written = append(c.b.written, append([]byte(nil), p...))
	return len(p), nil
}
func (c *fakeConn) Read(_ context.Context, p []byte) (int, error) {
	n := copy(p, c.pending)
	c.pending = c.pending[n:]
	if n == 0 {
		return 0, errors.New("timeout")
	}
	return n, nil
}
func (c *fakeConn) Close() error { return nil }

func zebraBus() *fakeBus {
	bi := AltSetting{Number: 0, Class: ClassPrinter, Protocol: 2, Endpoints: []Endpoint{{Address: 0x81, Bulk: true}, {Address: 0x01, Bulk: true}}}
	return &fakeBus{
		devs: []Device{printerDevice(0x0a5f, 0x0164, "D4J201234567", bi), printerDevice(0x1203, 0x0230, "TSC1", bi)},
		ids:  map[uint16]string{0x0164: realIDs[0].id, 0x0230: realIDs[2].id},
	}
}

func TestSendFindsPrinter(t *testing.T) {
	t.Parallel()
	tests := []struct {
		uri  string
		want string // serial of the device written to, "" for not found
	}{
		{"usb://0a5f:0164", "D4J201234567"},
		{"usb://0a5f:0164?serial=D4J201234567", "D4J201234567"},
		{"usb://0a5f:0164?serial=OTHER", ""},
		{"usb://Zebra/ZD421", "D4J201234567"},
		{"usb://TSC/TE200", "TSC1"},
		{"usb://Brother/QL", ""},
	}
	for _, tt := range tests {
		bus := zebraBus()
		u, err := printer.ParseURI(tt.uri)
		if err != nil {
			t.Fatal(err)
		}
		s := &Sender{Name: "p", URI: u, Lang: printer.ZPL, Bus: bus}
		err = s.Send(context.Background(), []byte("^XA^XZ"), "job")
		var nr *printer.NotReadyError
		switch {
		case tt.want == "" && !errors.As(err, &nr):
			t.Errorf("%s: got %v, want not found (NotReadyError)", tt.uri, err)
		case tt.want != "" && (err != nil || len(bus.written) != 1):
			t.Errorf("%s: got %v, %d writes", tt.uri, err, len(bus.written))
		}
	}
}

func TestPaperOutAndPermission(t *testing.T) {
	t.Parallel()
	bus := zebraBus()
	bus.paperOut = true
	u, _ := printer.ParseURI("usb://0a5f:0164")
	s := &Sender{Name: "zebra", URI: u, Lang: printer.ZPL, Bus: bus}
	var nr *printer.NotReadyError
	if err := s.Send(context.Background(), []byte("^XA^XZ"), "job"); !errors.As(err, &nr) || nr.Reason != "media-empty" {
		t.Fatalf("paper out: got %v", err)
	}
	if len(bus.written) != 0 {
		t.Fatal("wrote a job to a printer out of paper")
	}
	st, err := s.Status(context.Background())
	if err != nil || st.Ready() || st.Model != "Zebra Technologies ZTC ZD421-203dpi ZPL" {
		t.Errorf("status %+v, %v", st, err)
	}

	bus.deny = true
	err = s.Send(context.Background(), []byte("^XA^XZ"), "job")
	var pe *PermissionError
	if !errors.As(err, &pe) || !errors.Is(err, ErrPermission) {
		t.Fatalf("got %v, want a PermissionError", err)
	}
	msg := err.Error()
	for _, want := range []string{UdevRulePath, `ATTR{idVendor}=="0a5f", ATTR{idProduct}=="0164"`, "udevadm control --reload-rules", "usermod -aG lp"} {
		if !strings.Contains(msg, want) {
			t.Errorf("permission message lacks %q:\n%s", want, msg)
		}
	}
	var perr *printer.PrintError
	if !errors.As(err, &perr) || perr.MayHavePrinted() {
		t.Error("a denied open must say nothing was printed")
	}
}

func TestDiscover(t *testing.T) {
	t.Parallel()
	found, err := Discover(context.Background(), zebraBus())
	if err != nil || len(found) != 2 {
		t.Fatalf("Discover = %+v, %v", found, err)
	}
	if found[0].URI != "usb://0a5f:0164?serial=D4J201234567" || found[0].Language != printer.ZPL || found[1].Language != printer.TSPL {
		t.Errorf("found %+v", found)
	}
}
