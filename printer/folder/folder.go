// Package folder is a printer that writes each label file into a
// directory: for the demo, for tests, and for sites whose print server
// watches a folder.
package folder

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Printer writes labels into Dir. A label is never overwritten: a reprint
// gets a "-2", "-3"… suffix, so the folder shows every print.
type Printer struct {
	name string
	Dir  string
	// Ext names raw jobs written with Send (".zpl" for a ZPL folder).
	Ext string
}

// New returns a folder printer.
func New(name, dir string) *Printer { return &Printer{name: name, Dir: dir} }

// FromURI parses "file:///path/to/dir".
func FromURI(name, uri string) (*Printer, error) {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme != "file" || (u.Path == "" && u.Opaque == "") {
		return nil, fmt.Errorf("printer %q: uri %q: want file:///path/to/dir", name, uri)
	}
	p := u.Path
	if p == "" {
		p = u.Opaque
	}
	return New(name, filepath.FromSlash(p)), nil
}

// Name is the configured printer name.
func (p *Printer) Name() string { return p.name }

// Print copies the label file into the folder as title+ext. It returns
// only once the file is complete on disk under its final name.
func (p *Printer) Print(ctx context.Context, file, title string) error {
	_, err := p.print(ctx, file, title)
	return err
}

// Send writes a raw printer-language job (from printer.Raw) as title+Ext.
func (p *Printer) Send(ctx context.Context, data []byte, title string) error {
	_, err := p.write(ctx, bytes.NewReader(data), title, p.Ext)
	return err
}

func (p *Printer) print(ctx context.Context, path, base string) (string, error) {
	src, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("printer %s: %w", p.name, err)
	}
	defer src.Close()
	return p.write(ctx, src, base, filepath.Ext(path))
}

func (p *Printer) write(ctx context.Context, src io.Reader, base, ext string) (string, error) {
	if err := ctx.Err(); err != nil {
		return "", err
	}
	if err := os.MkdirAll(p.Dir, 0o755); err != nil {
		return "", fmt.Errorf("printer %s: %w", p.name, err)
	}
	tmp, err := os.CreateTemp(p.Dir, ".printing-*")
	if err != nil {
		return "", fmt.Errorf("printer %s: %w", p.name, err)
	}
	defer os.Remove(tmp.Name())
	_, err = io.Copy(tmp, src)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("printer %s: %w", p.name, err)
	}
	for n := 1; ; n++ {
		name := base + ext
		if n > 1 {
			name = base + "-" + strconv.Itoa(n) + ext
		}
		dest := filepath.Join(p.Dir, name)
		// A hard link never replaces an existing file, so two prints can
		// not collapse into one.
		err := os.Link(tmp.Name(), dest)
		if err == nil {
			return dest, nil
		}
		if !errors.Is(err, fs.ErrExist) {
			return "", fmt.Errorf("printer %s: %w", p.name, err)
		}
	}
}

// Count returns how many files in the folder are prints of base.
func (p *Printer) Count(base string) int {
	entries, _ := os.ReadDir(p.Dir)
	n := 0
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), filepath.Ext(e.Name()))
		if name == base || (strings.HasPrefix(name, base+"-") && isDigits(name[len(base)+1:])) {
			n++
		}
	}
	return n
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
