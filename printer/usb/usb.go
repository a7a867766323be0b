// Package usb prints to USB label printers directly (libusb through gousb
// on Linux and macOS): it finds printer-class interfaces, reads their IEEE
// 1284 device ID to learn the command set, claims the interface and writes
// to its bulk-out endpoint. The bus sits behind the small Bus interface so
// that everything but the libusb calls is tested with a fake bus.
package usb

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"cnx-agent/printer"
)

// ClassPrinter is the USB interface class of printers.
const ClassPrinter = 7

// Endpoint is one endpoint of an alternate setting.
type Endpoint struct {
	Address int // with the direction bit (0x80 = in)
	Bulk    bool
}

// In reports whether the endpoint carries data to the host.
func (e Endpoint) In() bool { return e.Address&0x80 != 0 }

// AltSetting is one alternate setting of an interface.
type AltSetting struct {
	Number, Class, SubClass, Protocol int
	Endpoints                         []Endpoint
}

// Interface is one interface of a configuration.
type Interface struct {
	Number int
	Alts   []AltSetting
}

// Config is one configuration of a device.
type Config struct {
	Number     int
	Interfaces []Interface
}

// Device describes a USB device as enumerated, without opening it.
type Device struct {
	VID, PID     uint16
	Bus, Address int
	Manufacturer string // string descriptors, when readable
	Product      string
	Serial       string
	Configs      []Config
}

func (d Device) String() string {
	return fmt.Sprintf("%04x:%04x (bus %d device %d)", d.VID, d.PID, d.Bus, d.Address)
}

// Target is the interface and endpoints a job goes to.
type Target struct {
	Config, Interface, Alt int
	Out                    int // bulk-out endpoint address
	In                     int // bulk-in endpoint address, or -1
}

// ErrNotPrinter means a device has no printer-class interface with a
// bulk-out endpoint.
var ErrNotPrinter = errors.New("no printer interface with a bulk-out endpoint")

// SelectTarget picks the printer interface to use: class 7 with a bulk-out
// endpoint, preferring bidirectional ones (protocol 2, with bulk-in, so the
// printer can answer status queries).
func SelectTarget(d Device) (Target, error) {
	best, bestScore := Target{}, -1
	for _, c := range d.Configs {
		for _, in := range c.Interfaces {
			for _, a := range in.Alts {
				if a.Class != ClassPrinter {
					continue
				}
				t := Target{Config: c.Number, Interface: in.Number, Alt: a.Number, Out: -1, In: -1}
				for _, e := range a.Endpoints {
					switch {
					case e.Bulk && !e.In() && t.Out < 0:
						t.Out = e.Address
					case e.Bulk && e.In() && t.In < 0:
						t.In = e.Address
					}
				}
				if t.Out < 0 {
					continue
				}
				score := 1
				if t.In >= 0 {
					score++
				}
				if a.Protocol == 2 {
					score++
				}
				if score > bestScore {
					best, bestScore = t, score
				}
			}
		}
	}
	if bestScore < 0 {
		return Target{}, fmt.Errorf("%s: %w", d, ErrNotPrinter)
	}
	return best, nil
}

// DeviceID is a parsed IEEE 1284 device ID.
type DeviceID struct {
	Manufacturer string
	Model        string
	CommandSet   []string
	Class        string
	Raw          string
}

// ParseDeviceID reads "MFG:Zebra;MDL:ZD421;CMD:ZPL,EPL;" (long key names
// such as MANUFACTURER and COMMAND SET too).
func ParseDeviceID(s string) DeviceID {
	id := DeviceID{Raw: s}
	for _, kv := range strings.Split(s, ";") {
		k, v, ok := strings.Cut(kv, ":")
		if !ok {
			continue
		}
		v = strings.TrimSpace(v)
		switch strings.ToUpper(strings.TrimSpace(k)) {
		case "MFG", "MANUFACTURER":
			id.Manufacturer = v
		case "MDL", "MODEL":
			id.Model = v
		case "CMD", "COMMAND SET":
			for _, c := range strings.Split(v, ",") {
				if c = strings.TrimSpace(c); c != "" {
					id.CommandSet = append(id.CommandSet, c)
				}
			}
		case "CLS", "CLASS":
			id.Class = v
		}
	}
	return id
}

// Language guesses the printer language from the command set (and, for
// printers that list none, the maker): ZPL before EPL, TSPL, ESC/POS.
func (id DeviceID) Language() (printer.Language, bool) {
	has := func(names ...string) bool {
		return slices.ContainsFunc(id.CommandSet, func(c string) bool {
			for _, n := range names {
				if strings.EqualFold(c, n) || strings.HasPrefix(strings.ToUpper(c), n) {
					return true
				}
			}
			return false
		})
	}
	switch {
	case has("ZPL"):
		return printer.ZPL, true
	case has("EPL"):
		return printer.EPL, true
	case has("TSPL", "TSC"):
		return printer.TSPL, true
	case has("ESC/POS", "ESCPOS", "ESC", "EPSON"):
		return printer.ESCPOS, true
	}
	mfg := strings.ToLower(id.Manufacturer)
	switch {
	case strings.Contains(mfg, "zebra"):
		return printer.ZPL, true
	case strings.Contains(mfg, "tsc"), strings.Contains(mfg, "xprinter"), strings.Contains(mfg, "rollo"):
		return printer.TSPL, true
	}
	return "", false
}

// Conn is an open printer interface.
type Conn interface {
	DeviceID() (string, error)
	Write(ctx context.Context, b []byte) (int, error)
	Read(ctx context.Context, b []byte) (int, error) // fails when there is no bulk-in endpoint
	Close() error
}

// Bus enumerates and opens devices. LibUSB is the real one.
type Bus interface {
	Devices(ctx context.Context) ([]Device, error)
	Open(d Device, t Target) (Conn, error)
}

// ErrPermission is what a Bus returns (wrapped) when the OS denies access.
var ErrPermission = errors.New("permission denied")

// UdevRule is the rule that lets members of group lp (and the logged-in
// user) use the printer.
func UdevRule(vid, pid uint16) string {
	return fmt.Sprintf(`SUBSYSTEM=="usb", ATTR{idVendor}=="%04x", ATTR{idProduct}=="%04x", MODE="0660", GROUP="lp", TAG+="uaccess"`, vid, pid)
}

// UdevRulePath is where the rule goes.
const UdevRulePath = "/etc/udev/rules.d/60-cnx-agent.rules"

// PermissionError explains how to grant access to a printer.
type PermissionError struct {
	Printer string
	Device  Device
	Err     error
}

func (e *PermissionError) Error() string {
	return fmt.Sprintf("printer %s: %v opening USB printer %s.\nInstall this udev rule as %s:\n  %s\nthen run `sudo udevadm control --reload-rules && sudo udevadm trigger`, re-plug the printer, and add the agent's user to group lp (`sudo usermod -aG lp USER`). `cnx-agent printers --udev-rule` prints rules for every USB printer found.",
		e.Printer, e.Err, e.Device, UdevRulePath, UdevRule(e.Device.VID, e.Device.PID))
}

func (e *PermissionError) Unwrap() error { return e.Err }

// Sender prints to one USB printer named by its URI.
type Sender struct {
	Name string
	URI  printer.URI
	Lang printer.Language
	Bus  Bus
	// Timeout bounds a job when ctx has no deadline, default 60s.
	Timeout time.Duration
}

// Matches tells whether a device is the one the URI names.
func (s *Sender) Matches(d Device, id DeviceID) bool {
	if s.URI.Serial != "" && !strings.EqualFold(s.URI.Serial, d.Serial) {
		return false
	}
	if s.URI.VID != 0 || s.URI.PID != 0 {
		return d.VID == s.URI.VID && d.PID == s.URI.PID
	}
	mk := strings.ToLower(s.URI.Make)
	md := strings.ToLower(s.URI.Model)
	return (strings.Contains(strings.ToLower(id.Manufacturer), mk) || strings.Contains(strings.ToLower(d.Manufacturer), mk)) &&
		(strings.Contains(strings.ToLower(id.Model), md) || strings.Contains(strings.ToLower(d.Product), md))
}

// open finds and opens the printer.
func (s *Sender) open(ctx context.Context) (Conn, Target, error) {
	devs, err := s.Bus.Devices(ctx)
	if err != nil {
		return nil, Target{}, &printer.NotReadyError{Printer: s.Name, Reason: "offline (" + err.Error() + ")"}
	}
	for _, d := range devs {
		t, err := SelectTarget(d)
		if err != nil {
			continue
		}
		needID := s.URI.Make != "" || s.URI.Model != ""
		if !needID && !s.Matches(d, DeviceID{}) {
			continue
		}
		c, err := s.Bus.Open(d, t)
		if err != nil {
			if errors.Is(err, ErrPermission) {
				return nil, t, printer.Failed(s.Name, &PermissionError{Printer: s.Name, Device: d, Err: err})
			}
			if needID {
				continue
			}
			return nil, t, &printer.NotReadyError{Printer: s.Name, Reason: "offline (" + err.Error() + ")"}
		}
		if needID {
			raw, _ := c.DeviceID()
			if !s.Matches(d, ParseDeviceID(raw)) {
				c.Close()
				continue
			}
		}
		return c, t, nil
	}
	return nil, Target{}, &printer.NotReadyError{Printer: s.Name, Reason: "offline (no USB printer matches " + s.URI.Raw + ")"}
}

// Send writes a job to the printer's bulk-out endpoint. A ZPL printer with
// a bulk-in endpoint is asked ~HS first.
func (s *Sender) Send(ctx context.Context, data []byte, title string) error {
	if _, ok := ctx.Deadline(); !ok {
		timeout := s.Timeout
		if timeout == 0 {
			timeout = 60 * time.Second
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, timeout)
		defer cancel()
	}
	c, t, err := s.open(ctx)
	if err != nil {
		return err
	}
	defer c.Close()
	if s.Lang == printer.ZPL && t.In >= 0 {
		if st, err := hostStatus(ctx, c); err == nil {
			if r := printer.BlockingReason(st.Reasons); r != "" {
				return &printer.NotReadyError{Printer: s.Name, Reason: r}
			}
		}
	}
	written := 0
	for written < len(data) {
		n, err := c.Write(ctx, data[written:min(len(data), written+64<<10)])
		written += n
		if err != nil {
			if written == 0 {
				return printer.Failed(s.Name, fmt.Errorf("send %s: %w", title, err))
			}
			return printer.Uncertain(s.Name, fmt.Errorf("send %s: %d of %d bytes written: %w", title, written, len(data), err))
		}
	}
	return nil
}

// Status opens the printer and, for ZPL with a bulk-in endpoint, asks ~HS.
func (s *Sender) Status(ctx context.Context) (printer.Status, error) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	c, t, err := s.open(ctx)
	if err != nil {
		var nr *printer.NotReadyError
		if errors.As(err, &nr) {
			return printer.Status{State: "offline", Reasons: []string{"offline"}}, nil
		}
		return printer.Status{State: "unknown"}, err
	}
	defer c.Close()
	st := printer.Status{State: "idle"}
	if raw, err := c.DeviceID(); err == nil {
		id := ParseDeviceID(raw)
		st.Model = strings.TrimSpace(id.Manufacturer + " " + id.Model)
	}
	if s.Lang == printer.ZPL && t.In >= 0 {
		if hs, err := hostStatus(ctx, c); err == nil {
			hs.Model = st.Model
			return hs, nil
		}
	}
	return st, nil
}

// hostStatus asks a ZPL printer ~HS over the bulk endpoints.
func hostStatus(ctx context.Context, c Conn) (printer.Status, error) {
	if _, err := c.Write(ctx, []byte("~HS\r\n")); err != nil {
		return printer.Status{}, err
	}
	rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var buf []byte
	tmp := make([]byte, 512)
	for strings.Count(string(buf), "\x03") < 3 {
		n, err := c.Read(rctx, tmp)
		buf = append(buf, tmp[:n]...)
		if err != nil {
			break
		}
	}
	return printer.ParseHostStatus(buf)
}

// Discovered is a USB printer found on the bus.
type Discovered struct {
	Device   Device
	ID       DeviceID
	Language printer.Language
	URI      string
	Err      error // e.g. a permission error while reading the device ID
}

// Discover lists the printer-class devices on the bus with their device
// IDs.
func Discover(ctx context.Context, bus Bus) ([]Discovered, error) {
	devs, err := bus.Devices(ctx)
	if err != nil {
		return nil, err
	}
	var out []Discovered
	for _, d := range devs {
		t, err := SelectTarget(d)
		if err != nil {
			continue
		}
		uri := fmt.Sprintf("usb://%04x:%04x", d.VID, d.PID)
		if d.Serial != "" {
			uri += "?serial=" + d.Serial
		}
		found := Discovered{Device: d, URI: uri}
		if c, err := bus.Open(d, t); err != nil {
			found.Err = err
		} else {
			if raw, err := c.DeviceID(); err == nil {
				found.ID = ParseDeviceID(raw)
				found.Language, _ = found.ID.Language()
			}
			c.Close()
		}
		out = append(out, found)
	}
	return out, nil
}
