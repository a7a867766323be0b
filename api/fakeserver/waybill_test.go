package fakeserver

import (
	"bytes"
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"

	pdfapi "github.com/pdfcpu/pdfcpu/pkg/api"

	"cnx-agent/api"
)

func TestWaybillFormats(t *testing.T) {
	t.Parallel()
	o := SampleOrder()
	var labels []waybillData
	for i, p := range o.Packages {
		labels = append(labels, waybillData{
			RequestNo: "CE2017080400000004", TrackingNo: "TEST0000000" + string(rune('1'+i)), OrderNo: o.OrderNo,
			RouteName: "圆通线", RouteCode: "yto", TestMode: true, Created: time.Date(2017, 8, 4, 16, 11, 24, 0, time.UTC),
			Province: "安徽", Parcel: p, Index: i, Count: len(o.Packages),
		})
	}
	const mm = 72 / 25.4
	want := map[Format][2]float64{
		Format100x180: {100 * mm, 180 * mm},
		FormatA4:      {210 * mm, 297 * mm},
		Format150x100: {150 * mm, 100 * mm},
		Format4x6:     {4 * 72, 6 * 72},
	}
	for _, f := range Formats {
		t.Run(string(f), func(t *testing.T) {
			b, err := renderWaybills(f, labels)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.HasPrefix(b, []byte("%PDF-")) || !bytes.Contains(b, []byte("FontFile2")) {
				t.Fatal("not a PDF with an embedded TrueType font")
			}
			dims, err := pdfapi.PageDims(bytes.NewReader(b), nil)
			if err != nil {
				t.Fatal(err)
			}
			if len(dims) != 2 {
				t.Fatalf("got %d pages, want 2", len(dims))
			}
			for _, d := range dims {
				if math.Abs(d.Width-want[f][0]) > 0.5 || math.Abs(d.Height-want[f][1]) > 0.5 {
					t.Errorf("page %.1f×%.1f pt, want %.1f×%.1f", d.Width, d.Height, want[f][0], want[f][1])
				}
			}
			if dir := os.Getenv("CNX_WAYBILL_OUT"); dir != "" {
				_ = os.WriteFile(filepath.Join(dir, string(f)+".pdf"), b, 0o644)
			}
		})
	}
}

func TestDRFErrorNesting(t *testing.T) {
	t.Parallel()
	got := drfErrors([]api.Problem{
		{Path: "packages[1].items[0].barcode", Code: api.CodeUnknownProd},
		{Path: "packages[1].items", Code: api.CodeTinCount},
		{Path: "route_code", Code: api.CodeUnknownRoute},
	})
	pk := got["packages"].([]any)
	if len(pk) != 2 || len(pk[0].(map[string]any)) != 0 {
		t.Fatalf("packages = %#v, want [{}, {...}]", pk)
	}
	fe, err := api.ParseFieldErrors(mustJSON(t, got))
	if err != nil {
		t.Fatal(err)
	}
	paths := map[string]bool{}
	for _, f := range fe {
		paths[f.Path] = true
	}
	for _, p := range []string{"packages[1].items[0].barcode", "packages[1].items", "route_code"} {
		if !paths[p] {
			t.Errorf("path %s lost in round trip: %v", p, fe)
		}
	}
}
