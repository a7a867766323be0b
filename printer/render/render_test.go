package render

import (
	"context"
	"errors"
	"os"
	"testing"
)

func TestRender(t *testing.T) {
	r, err := New(context.Background(), DefaultCacheDir())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := os.ReadFile("../../../shared/fixtures/labels/mx-4x6-portrait-labelary.pdf")
	if err != nil {
		t.Skip(err)
	}
	d, err := r.Open(b)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	w, h, err := d.Size(0)
	if err != nil || w != 288 || h != 432 {
		t.Fatalf("size %v×%v, %v", w, h, err)
	}
	img, err := d.Gray(0, 812, 1218)
	if err != nil {
		t.Fatal(err)
	}
	if img.Rect.Dx() != 812 || img.Rect.Dy() != 1218 {
		t.Errorf("image %v", img.Rect)
	}
	if _, err := r.Open([]byte("%PDF-1.4 garbage")); err == nil {
		t.Error("garbage opened")
	}
	_ = errors.Is
}
