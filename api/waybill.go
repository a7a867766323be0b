package api

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Download describes a waybill saved to disk.
type Download struct {
	Path     string // where the PDF was written
	Filename string // from Content-Disposition, "" if the server sent none
	Size     int64
}

// DownloadWaybill saves one package's waybill PDF to dest.
func (c *Client) DownloadWaybill(ctx context.Context, requestNo, trackingNo, dest string) (*Download, error) {
	return c.download(ctx, dest, "waybills", requestNo+"-"+trackingNo)
}

// DownloadRequestWaybills saves the merged PDF of all a request's waybills.
func (c *Client) DownloadRequestWaybills(ctx context.Context, requestNo, dest string) (*Download, error) {
	return c.download(ctx, dest, "waybills", "request", requestNo)
}

// download streams a PDF to a temp file beside dest, checks it, syncs it and
// renames it into place; a broken or truncated body is retried like any GET.
func (c *Client) download(ctx context.Context, dest string, segments ...string) (*Download, error) {
	path := strings.Join(segments, "/")
	var lastErr error
	for attempt := 0; attempt <= c.opts.MaxRetries; attempt++ {
		if attempt > 0 {
			if err := sleepCtx(ctx, c.backoff(attempt)); err != nil {
				return nil, fmt.Errorf("GET %s: %w (last error: %v)", path, err, lastErr)
			}
		}
		d, err := c.downloadOnce(ctx, dest, segments...)
		if err == nil {
			return d, nil
		}
		// The request itself was retried by do; here only a body that
		// broke off or was not a whole PDF is fetched again.
		var be *bodyError
		if ctx.Err() != nil || !errors.As(err, &be) {
			return nil, err
		}
		lastErr = err
	}
	return nil, lastErr
}

func (c *Client) downloadOnce(ctx context.Context, dest string, segments ...string) (*Download, error) {
	path := strings.Join(segments, "/")
	resp, err := c.do(ctx, http.MethodGet, nil, segments...)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.ContentLength > c.opts.MaxWaybillBytes {
		return nil, fmt.Errorf("GET %s: waybill is %d bytes, over the %d limit: %w", path, resp.ContentLength, c.opts.MaxWaybillBytes, ErrNotPDF)
	}
	if err := os.MkdirAll(filepath.Dir(dest), 0o755); err != nil {
		return nil, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(dest), ".download-*")
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	n, err := io.Copy(tmp, io.LimitReader(resp.Body, c.opts.MaxWaybillBytes+1))
	if err == nil && resp.ContentLength >= 0 && n != resp.ContentLength {
		err = fmt.Errorf("got %d of %d bytes: %w", n, resp.ContentLength, io.ErrUnexpectedEOF)
	}
	if err == nil {
		err = checkPDF(tmp, n, c.opts.MaxWaybillBytes)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dest)
	}
	if err != nil {
		return nil, &bodyError{fmt.Errorf("GET %s: %w", path, err)}
	}
	d := &Download{Path: dest, Size: n}
	if _, params, perr := mime.ParseMediaType(resp.Header.Get("Content-Disposition")); perr == nil {
		d.Filename = filepath.Base(params["filename"])
	}
	return d, nil
}

// bodyError is a failure after the answer's headers: worth another try.
type bodyError struct{ err error }

func (e *bodyError) Error() string { return e.err.Error() }
func (e *bodyError) Unwrap() error { return e.err }

// checkPDF verifies the %PDF- header and an %%EOF marker near the end, so
// a body cut short by the server or the network is not taken for a label.
func checkPDF(f *os.File, size, limit int64) error {
	if size > limit {
		return fmt.Errorf("over the %d byte limit: %w", limit, ErrNotPDF)
	}
	head := make([]byte, 5)
	if _, err := f.ReadAt(head, 0); err != nil || string(head) != "%PDF-" {
		return fmt.Errorf("no %%PDF- header: %w", ErrNotPDF)
	}
	tailLen := min(size, 2048)
	tail := make([]byte, tailLen)
	if _, err := f.ReadAt(tail, size-tailLen); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	if !bytes.Contains(tail, []byte("%%EOF")) {
		return fmt.Errorf("no %%%%EOF trailer (truncated?): %w", ErrNotPDF)
	}
	return nil
}

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
