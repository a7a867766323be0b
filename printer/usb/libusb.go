//go:build (linux || darwin) && cgo

package usb

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/google/gousb"
)

// LibUSB is the real bus, through gousb and libusb-1.0.
type LibUSB struct {
	mu  sync.Mutex
	ctx *gousb.Context
}

// NewLibUSB opens libusb.
func NewLibUSB() (*LibUSB, error) { return &LibUSB{ctx: gousb.NewContext()}, nil }

// Close releases libusb.
func (b *LibUSB) Close() error { return b.ctx.Close() }

func mapErr(err error) error {
	if errors.Is(err, gousb.ErrorAccess) {
		return fmt.Errorf("%w (%v)", ErrPermission, err)
	}
	return err
}

// Devices lists every device's descriptors without opening any.
func (b *LibUSB) Devices(ctx context.Context) ([]Device, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []Device
	_, err := b.ctx.OpenDevices(func(desc *gousb.DeviceDesc) bool {
		d := Device{VID: uint16(desc.Vendor), PID: uint16(desc.Product), Bus: desc.Bus, Address: desc.Address}
		for _, c := range desc.Configs {
			cfg := Config{Number: c.Number}
			for _, in := range c.Interfaces {
				intf := Interface{Number: in.Number}
				for _, a := range in.AltSettings {
					alt := AltSetting{Number: a.Alternate, Class: int(a.Class), SubClass: int(a.SubClass), Protocol: int(a.Protocol)}
					for _, e := range a.Endpoints {
						alt.Endpoints = append(alt.Endpoints, Endpoint{Address: int(e.Address), Bulk: e.TransferType == gousb.TransferTypeBulk})
					}
					intf.Alts = append(intf.Alts, alt)
				}
				cfg.Interfaces = append(cfg.Interfaces, intf)
			}
			d.Configs = append(d.Configs, cfg)
		}
		out = append(out, d)
		return false
	})
	if err != nil {
		return out, mapErr(err)
	}
	return out, nil
}

// Open claims the target interface, detaching a kernel driver if need be.
func (b *LibUSB) Open(d Device, t Target) (Conn, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	devs, err := b.ctx.OpenDevices(func(desc *gousb.DeviceDesc) bool {
		return desc.Bus == d.Bus && desc.Address == d.Address
	})
	if len(devs) == 0 {
		if err == nil {
			err = errors.New("device is gone")
		}
		return nil, mapErr(err)
	}
	dev := devs[0]
	for _, extra := range devs[1:] {
		extra.Close()
	}
	if err := dev.SetAutoDetach(true); err != nil {
		dev.Close()
		return nil, mapErr(err)
	}
	cfg, err := dev.Config(t.Config)
	if err != nil {
		dev.Close()
		return nil, mapErr(err)
	}
	intf, err := cfg.Interface(t.Interface, t.Alt)
	if err != nil {
		cfg.Close()
		dev.Close()
		return nil, mapErr(err)
	}
	c := &libusbConn{dev: dev, cfg: cfg, intf: intf, t: t}
	if c.out, err = intf.OutEndpoint(t.Out & 0x0f); err != nil {
		c.Close()
		return nil, mapErr(err)
	}
	if t.In >= 0 {
		if c.in, err = intf.InEndpoint(t.In & 0x0f); err != nil {
			c.in = nil
		}
	}
	return c, nil
}

type libusbConn struct {
	dev  *gousb.Device
	cfg  *gousb.Config
	intf *gousb.Interface
	out  *gousb.OutEndpoint
	in   *gousb.InEndpoint
	t    Target
}

// DeviceID reads the IEEE 1284 device ID with the printer class request
// GET_DEVICE_ID: two bytes of big-endian length, then the string.
func (c *libusbConn) DeviceID() (string, error) {
	buf := make([]byte, 1024)
	n, err := c.dev.Control(0xA1, 0, uint16(c.t.Config-1), uint16(c.t.Interface<<8|c.t.Alt), buf)
	if err != nil {
		return "", mapErr(err)
	}
	if n < 2 {
		return "", errors.New("short GET_DEVICE_ID answer")
	}
	l := min(int(buf[0])<<8|int(buf[1]), n)
	return string(buf[2:l]), nil
}

func (c *libusbConn) Write(ctx context.Context, b []byte) (int, error) {
	n, err := c.out.WriteContext(ctx, b)
	return n, mapErr(err)
}

func (c *libusbConn) Read(ctx context.Context, b []byte) (int, error) {
	if c.in == nil {
		return 0, errors.New("no bulk-in endpoint")
	}
	n, err := c.in.ReadContext(ctx, b)
	return n, mapErr(err)
}

func (c *libusbConn) Close() error {
	if c.intf != nil {
		c.intf.Close()
	}
	if c.cfg != nil {
		c.cfg.Close()
	}
	return c.dev.Close()
}
