package ipp

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"time"

	"cnx-agent/internal/atomicfile"
	"cnx-agent/printer"
)

// Pins remembers the TLS certificate of each ipps printer the first time
// it is seen, as CUPS does: printers and CUPS servers mostly present
// self-signed certificates, which no CA vouches for, so the next best
// thing is to notice when the certificate changes. The pins live in a JSON
// file (address → SHA-256 fingerprint of the certificate).
type Pins struct {
	path string
	mu   sync.Mutex
}

// NewPins keeps pins in the file at path.
func NewPins(path string) *Pins { return &Pins{path: path} }

// Path is the pins file.
func (p *Pins) Path() string { return p.path }

func (p *Pins) read() (map[string]string, error) {
	m := map[string]string{}
	b, err := os.ReadFile(p.path)
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, fmt.Errorf("printer certificate pins: %w", err)
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("printer certificate pins %s: %w", p.path, err)
	}
	return m, nil
}

// change applies fn to the pins and writes them back atomically.
func (p *Pins) change(fn func(m map[string]string)) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	m, err := p.read()
	if err != nil {
		return err
	}
	fn(m)
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p.path), 0o700); err != nil {
		return err
	}
	return atomicfile.Write(p.path, append(b, '\n'), 0o600)
}

// Get returns the fingerprint pinned for addr (host:port).
func (p *Pins) Get(addr string) (string, bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	m, err := p.read()
	fp, ok := m[addr]
	return fp, ok, err
}

// Set pins fp for addr.
func (p *Pins) Set(addr, fp string) error {
	return p.change(func(m map[string]string) { m[addr] = fp })
}

// Forget removes addr's pin; the next connection pins what it finds.
func (p *Pins) Forget(addr string) error {
	return p.change(func(m map[string]string) { delete(m, addr) })
}

// CertChangedError is a printer presenting another certificate than the
// one pinned: a replaced printer, a renewed certificate, or someone in the
// middle. Nothing is sent until a person trusts the new one.
type CertChangedError struct {
	Addr, Was, Now string
	PinsFile       string
}

// Unwrap makes the error printer.ErrUntrustedCertificate.
func (e *CertChangedError) Unwrap() error { return printer.ErrUntrustedCertificate }

func (e *CertChangedError) Error() string {
	return fmt.Sprintf("the printer at %s shows a different TLS certificate (%s) from the one trusted before (%s); "+
		"if the printer was replaced or its certificate renewed, trust the new one with `cnx-agent printers trust NAME` "+
		"(or remove %s from %s)", e.Addr, e.Now, e.Was, e.Addr, e.PinsFile)
}

// Fingerprint is how a certificate is named in pins and errors.
func Fingerprint(cert *x509.Certificate) string {
	sum := sha256.Sum256(cert.Raw)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// TrustOnFirstUse makes the printer accept, for an https endpoint, a
// certificate that the system's CAs vouch for, or else the one pinned for
// its address, pinning the first one it sees. Roots, if not nil, replaces
// the system's CAs (tests).
func (p *Printer) TrustOnFirstUse(pins *Pins, roots *x509.CertPool) {
	p.pins, p.roots = pins, roots
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.DialTLSContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, vouched, err := p.dialTLS(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		if !vouched {
			if err := p.checkPin(addr, c.ConnectionState().PeerCertificates[0]); err != nil {
				c.Close()
				return nil, err
			}
		}
		return c, nil
	}
	p.hc = &http.Client{Timeout: p.hc.Timeout, Transport: t}
}

// dialTLS connects and shakes hands, taking any certificate; vouched says
// whether the CAs vouch for the one the printer showed.
func (p *Printer) dialTLS(ctx context.Context, network, addr string) (c *tls.Conn, vouched bool, err error) {
	d := &net.Dialer{Timeout: 15 * time.Second, KeepAlive: 30 * time.Second}
	raw, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, false, err
	}
	host, _, _ := net.SplitHostPort(addr)
	// The chain is checked below, against the CAs, and by the caller
	// against the pin.
	c = tls.Client(raw, &tls.Config{ServerName: host, InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}) //nolint:gosec
	if err := c.HandshakeContext(ctx); err != nil {
		raw.Close()
		return nil, false, err
	}
	certs := c.ConnectionState().PeerCertificates
	if len(certs) == 0 {
		c.Close()
		return nil, false, fmt.Errorf("the printer at %s sent no TLS certificate", addr)
	}
	inter := x509.NewCertPool()
	for _, cert := range certs[1:] {
		inter.AddCert(cert)
	}
	_, verr := certs[0].Verify(x509.VerifyOptions{DNSName: host, Roots: p.roots, Intermediates: inter})
	return c, verr == nil, nil
}

// checkPin pins cert for addr if nothing is pinned, and refuses another.
func (p *Printer) checkPin(addr string, cert *x509.Certificate) error {
	now := Fingerprint(cert)
	was, ok, err := p.pins.Get(addr)
	switch {
	case err != nil:
		return err
	case !ok:
		return p.pins.Set(addr, now)
	case was != now:
		return &CertChangedError{Addr: addr, Was: was, Now: now, PinsFile: p.pins.Path()}
	}
	return nil
}

// Trust pins the certificate the printer shows now, in place of the one
// pinned before (a replaced printer, a renewed certificate), and returns
// its fingerprint; "" when the CAs vouch for it and no pin is needed. The
// old pin stays if the printer cannot be reached.
func (p *Printer) Trust(ctx context.Context) (fingerprint string, err error) {
	if p.pins == nil {
		return "", fmt.Errorf("printer %q is not an ipps printer: %w", p.name, printer.ErrUnsupported)
	}
	addr := p.Addr()
	c, vouched, err := p.dialTLS(ctx, "tcp", addr)
	if err != nil {
		return "", fmt.Errorf("printer %q at %s: %w", p.name, addr, err)
	}
	defer c.Close()
	if vouched {
		return "", p.pins.Forget(addr)
	}
	fp := Fingerprint(c.ConnectionState().PeerCertificates[0])
	return fp, p.pins.Set(addr, fp)
}

// Addr is the host:port the printer is reached at.
func (p *Printer) Addr() string {
	u, err := url.Parse(p.endpoint)
	if err != nil {
		return ""
	}
	return u.Host
}
