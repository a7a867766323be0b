package printer

import (
	"strings"
	"testing"
)

func TestParseURI(t *testing.T) {
	t.Parallel()
	tests := []struct {
		raw  string
		want URI
		err  string
	}{
		{raw: "ipp://printer.local/ipp/print", want: URI{Scheme: "ipp", Endpoint: "http://printer.local:631/ipp/print"}},
		{raw: "ipps://10.0.0.5:443/printers/zebra", want: URI{Scheme: "ipps", Endpoint: "https://10.0.0.5:443/printers/zebra"}},
		{raw: "ipp://localhost:631/printers/Label", want: URI{Scheme: "ipp", Endpoint: "http://localhost:631/printers/Label"}},
		{raw: "cups://Zebra_ZD421", want: URI{Scheme: "cups", Queue: "Zebra_ZD421", Endpoint: "http://localhost:631/printers/Zebra_ZD421"}},
		{raw: "socket://192.168.1.50", want: URI{Scheme: "socket", Addr: "192.168.1.50:9100"}},
		{raw: "socket://zebra:6101", want: URI{Scheme: "socket", Addr: "zebra:6101"}},
		{raw: "usb://0a5f:0164", want: URI{Scheme: "usb", VID: 0x0a5f, PID: 0x0164}},
		{raw: "usb://0a5f:0164?serial=D4J2", want: URI{Scheme: "usb", VID: 0x0a5f, PID: 0x0164, Serial: "D4J2"}},
		{raw: "usb://Zebra/ZD421?serial=XXXX", want: URI{Scheme: "usb", Make: "Zebra", Model: "ZD421", Serial: "XXXX"}},
		{raw: "file:///var/labels", want: URI{Scheme: "file", Dir: "/var/labels"}},
		{raw: "spool://ZDesigner ZD421-203dpi ZPL", want: URI{Scheme: "spool", Queue: "ZDesigner ZD421-203dpi ZPL"}},
		{raw: "lpd://host/queue", err: `unknown scheme "lpd"`},
		{raw: "usb://zebra", err: "want usb://VID:PID or usb://MAKE/MODEL"},
		{raw: "usb://0a5f:zz", err: "hexadecimal"},
		{raw: "cups://", err: "want cups://QUEUE"},
		{raw: "socket://", err: "no host"},
	}
	for _, tt := range tests {
		got, err := ParseURI(tt.raw)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) || !strings.Contains(err.Error(), "allowed: ipp://") {
				t.Errorf("%s: got %v, want an error with %q and the allowed forms", tt.raw, err, tt.err)
			}
			continue
		}
		tt.want.Raw = tt.raw
		if err != nil || got != tt.want {
			t.Errorf("%s:\n got %+v, %v\nwant %+v", tt.raw, got, err, tt.want)
		}
	}
}

func TestBlockingReason(t *testing.T) {
	t.Parallel()
	tests := map[string]string{
		"none":                               "",
		"media-empty-error":                  "media-empty",
		"media-low-report,toner-low-warning": "",
		"paused":                             "paused",
		"cover-open-error,media-jam":         "cover-open",
		"offline-report":                     "",
	}
	for in, want := range tests {
		if got := BlockingReason(strings.Split(in, ",")); got != want {
			t.Errorf("%s: got %q, want %q", in, got, want)
		}
	}
}
