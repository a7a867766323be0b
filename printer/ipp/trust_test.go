package ipp_test

import (
	"context"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"cnx-agent/internal/printertest"
	"cnx-agent/printer"
	"cnx-agent/printer/ipp"
)

// TestIPPSTrustOnFirstUse prints over ipps to ippeveprinter, whose
// certificate is self-signed: the first one seen is pinned, a printer that
// comes back with another certificate gets nothing until it is trusted, and
// a certificate a CA vouches for is taken without a pin.
func TestIPPSTrustOnFirstUse(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	eve := &printertest.Eve{Keys: filepath.Join(dir, "keys1")}
	eve.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	file := labelFile(t)

	p := ipp.New("eve", eve.Endpoint, 100, 150)
	var unknownCA x509.UnknownAuthorityError
	if _, err := p.Info(ctx); !errors.As(err, &unknownCA) {
		t.Fatalf("without trust on first use: %v, want an unknown-authority error", err)
	}

	pins := ipp.NewPins(filepath.Join(dir, "data", "ipps-pins.json"))
	p.TrustOnFirstUse(pins, nil)
	if err := p.Print(ctx, file, "CE2017080400000004-TEST00000001"); err != nil {
		t.Fatalf("first print over ipps: %v", err)
	}
	pinned, ok, err := pins.Get(p.Addr())
	if want := ipp.Fingerprint(certIn(t, eve.Keys)); err != nil || !ok || pinned != want {
		t.Fatalf("pin for %s = %q %v %v, want %s", p.Addr(), pinned, ok, err, want)
	}
	if err := p.Print(ctx, file, "CE2017080400000004-TEST00000002"); err != nil {
		t.Fatalf("second print, same certificate: %v", err)
	}
	if docs, _ := filepath.Glob(filepath.Join(eve.Spool, "*.pdf")); len(docs) != 2 {
		t.Fatalf("printer kept %d documents, want 2", len(docs))
	}

	// The same address comes back with a new certificate.
	eve.Stop()
	eve2 := &printertest.Eve{Port: eve.Port, Keys: filepath.Join(dir, "keys2")}
	eve2.Start(t)
	var changed *ipp.CertChangedError
	if _, err := p.Info(ctx); !errors.As(err, &changed) || changed.Was != pinned || changed.Now != ipp.Fingerprint(certIn(t, eve2.Keys)) {
		t.Fatalf("new certificate: %v, want CertChangedError from the pin", err)
	}
	var nr *printer.NotReadyError
	if err := p.Print(ctx, file, "CE2017080400000004-TEST00000003"); !errors.As(err, &nr) {
		t.Fatalf("print to a printer with a changed certificate: %v, want NotReadyError (nothing sent)", err)
	}
	if docs, _ := filepath.Glob(filepath.Join(eve2.Spool, "*")); len(docs) != 0 {
		t.Fatalf("a printer with a changed certificate was sent %v", docs)
	}
	if fp, err := p.Trust(ctx); err != nil || fp != changed.Now {
		t.Fatalf("trust: %q, %v; want %s", fp, err, changed.Now)
	}
	if err := p.Print(ctx, file, "CE2017080400000004-TEST00000003"); err != nil {
		t.Fatalf("print after trusting the new certificate: %v", err)
	}

	// Trusting a printer that does not answer keeps the pin.
	eve2.Stop()
	if _, err := p.Trust(ctx); err == nil {
		t.Fatal("trust with the printer gone: no error")
	}
	if pin, ok, _ := pins.Get(p.Addr()); !ok || pin != changed.Now {
		t.Fatalf("pin after a failed trust: %q %v, want %s kept", pin, ok, changed.Now)
	}

	// A certificate the roots vouch for needs no pin.
	eve3 := &printertest.Eve{Port: eve.Port, Keys: eve2.Keys}
	eve3.Start(t)
	roots := x509.NewCertPool()
	roots.AddCert(certIn(t, eve2.Keys))
	p = ipp.New("eve", eve3.Endpoint, 100, 150)
	p.TrustOnFirstUse(pins, roots)
	if fp, err := p.Trust(ctx); err != nil || fp != "" {
		t.Fatalf("trust of a CA-verified printer: %q, %v; want no pin", fp, err)
	}
	if _, err := p.Info(ctx); err != nil {
		t.Fatalf("CA-verified printer: %v", err)
	}
	if _, ok, _ := pins.Get(p.Addr()); ok {
		t.Error("a CA-verified certificate was pinned")
	}
}

// certIn reads the certificate ippeveprinter made in its keys folder.
func certIn(t *testing.T, keys string) *x509.Certificate {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(keys, "localhost.crt"))
	if err != nil {
		t.Fatal(err)
	}
	blk, _ := pem.Decode(b)
	if blk == nil {
		t.Fatal("no PEM certificate in " + keys)
	}
	c, err := x509.ParseCertificate(blk.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}
