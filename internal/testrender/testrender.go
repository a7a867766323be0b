// Package testrender gives the tests of a package one PDFium renderer,
// started on first use with the compiled module cached in the OS cache dir.
// Only tests import it.
package testrender

import (
	"context"
	"sync"
	"testing"

	"cnx-agent/printer/render"
)

var (
	once sync.Once
	r    *render.Renderer
	err  error
)

// Renderer returns the shared renderer, failing the test if PDFium cannot
// start.
func Renderer(t testing.TB) *render.Renderer {
	t.Helper()
	once.Do(func() { r, err = render.New(context.Background(), render.DefaultCacheDir()) })
	if err != nil {
		t.Fatal(err)
	}
	return r
}
