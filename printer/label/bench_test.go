package label_test

import (
	"bytes"
	"context"
	"io"
	"testing"

	"cnx-agent/api/fakeserver"
	"cnx-agent/printer/label"
	"cnx-agent/printer/raster"
	"cnx-agent/printer/zpl"
)

// BenchmarkLayout500 measures split + auto-crop + fit of a 500-page merged
// waybill PDF (A4 sheets with the label in a corner); ns/page is the figure.
func BenchmarkLayout500(b *testing.B) {
	src := waybills(b, fakeserver.FormatA4, 500)
	mk := label.NewMaker(label.Options{}, renderer(b))
	b.SetBytes(int64(len(src)))
	b.ResetTimer()
	for range b.N {
		n, err := mk.Convert(context.Background(), src, io.Discard, nil)
		if err != nil || n != 500 {
			b.Fatalf("%d labels, %v", n, err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*500), "ns/page")
}

// BenchmarkRasterZPL measures render at 203 dpi + threshold + ZPL encoding
// of one 100×150 label.
func BenchmarkRasterZPL(b *testing.B) {
	src := waybills(b, fakeserver.Format100x180, 1)
	var pdf bytes.Buffer
	mk := label.NewMaker(label.Options{}, renderer(b))
	if _, err := mk.Convert(context.Background(), src, &pdf, nil); err != nil {
		b.Fatal(err)
	}
	size := 0
	b.ResetTimer()
	for range b.N {
		err := mk.Rasters(context.Background(), pdf.Bytes(), raster.Options{}, func(_ int, bm *raster.Bitmap) error {
			size = len(zpl.Encode(bm, zpl.Options{}))
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(size), "zpl-bytes")
}
