package fakeserver

import (
	"bytes"
	_ "embed"
	"fmt"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"github.com/boombuler/barcode/code128"
	"golang.org/x/image/font/gofont/goregular"

	"cnx-agent/api"
)

// DroidSansFallbackFull (Apache-2.0, Debian fonts-droid-fallback) covers
// Simplified Chinese; fpdf embeds only the glyphs a waybill uses.
//
//go:embed fonts/DroidSansFallbackFull.ttf
var cjkFont []byte

// Format is a waybill page format.
type Format string

// The page formats the fake serves, as Chinese carriers do.
const (
	Format100x180 Format = "100x180" // 100×180 mm portrait label
	FormatA4      Format = "a4"      // A4 sheet, 100×150 label in the top-left corner
	Format150x100 Format = "150x100" // landscape 150×100 mm
	Format4x6     Format = "4x6"     // 4×6 in portrait
)

// Formats lists every format.
var Formats = []Format{Format100x180, FormatA4, Format150x100, Format4x6}

type pageGeom struct {
	pageW, pageH float64 // mm
	box          box     // where the label is drawn
}

type box struct{ x, y, w, h float64 }

func (f Format) geom() (pageGeom, error) {
	switch f {
	case Format100x180:
		return pageGeom{100, 180, box{0, 0, 100, 180}}, nil
	case FormatA4:
		return pageGeom{210, 297, box{8, 8, 100, 150}}, nil
	case Format150x100:
		return pageGeom{150, 100, box{0, 0, 150, 100}}, nil
	case Format4x6:
		return pageGeom{101.6, 152.4, box{0, 0, 101.6, 152.4}}, nil
	}
	return pageGeom{}, fmt.Errorf("unknown waybill format %q (allowed: 100x180, a4, 150x100, 4x6)", f)
}

// waybillData is what one label shows.
type waybillData struct {
	RequestNo  string
	TrackingNo string
	OrderNo    string
	RouteName  string
	RouteCode  string
	TestMode   bool
	Created    time.Time
	Province   string
	Parcel     api.Parcel
	Index      int
	Count      int
}

// renderWaybills draws one page per package in a single PDF.
func renderWaybills(format Format, labels []waybillData) ([]byte, error) {
	g, err := format.geom()
	if err != nil {
		return nil, err
	}
	pdf := fpdf.NewCustom(&fpdf.InitType{UnitStr: "mm", Size: fpdf.SizeType{Wd: g.pageW, Ht: g.pageH}})
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetMargins(0, 0, 0)
	// fpdf writes into the font bytes it is given: each document gets copies.
	pdf.AddUTF8FontFromBytes("cjk", "", bytes.Clone(cjkFont))
	pdf.AddUTF8FontFromBytes("latin", "", bytes.Clone(goregular.TTF))
	pdf.SetTitle("CNExpress waybill", true)
	pdf.SetCreator("CNExpress (fake server)", true)
	if len(labels) > 0 {
		pdf.SetCreationDate(labels[0].Created)
		pdf.SetModificationDate(labels[0].Created)
	}
	for _, l := range labels {
		pdf.AddPage()
		if format == FormatA4 {
			drawCutMarks(pdf, g.box)
		}
		if g.box.w > g.box.h {
			drawLandscape(pdf, g.box, l)
		} else {
			drawPortrait(pdf, g.box, l)
		}
	}
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, fmt.Errorf("render waybill: %w", err)
	}
	return buf.Bytes(), nil
}

func drawCutMarks(pdf *fpdf.Fpdf, b box) {
	pdf.SetDashPattern([]float64{2, 1.5}, 0)
	pdf.SetLineWidth(0.2)
	pdf.Rect(b.x-2, b.y-2, b.w+4, b.h+4, "D")
	pdf.SetDashPattern(nil, 0)
}

// drawBarcode draws a Code 128 symbol as vector bars, with quiet zones
// inside w.
func drawBarcode(pdf *fpdf.Fpdf, text string, x, y, w, h float64) error {
	bc, err := code128.Encode(text)
	if err != nil {
		return fmt.Errorf("barcode %q: %w", text, err)
	}
	modules := bc.Bounds().Dx()
	quiet := 10.0 // modules each side
	mw := w / (float64(modules) + 2*quiet)
	x0 := x + quiet*mw
	pdf.SetFillColor(0, 0, 0)
	for i := 0; i < modules; {
		if !isDark(bc.At(i, 0)) {
			i++
			continue
		}
		j := i
		for j < modules && isDark(bc.At(j, 0)) {
			j++
		}
		pdf.Rect(x0+float64(i)*mw, y, float64(j-i)*mw, h, "F")
		i = j
	}
	return nil
}

func isDark(c interface{ RGBA() (r, g, b, a uint32) }) bool {
	r, _, _, _ := c.RGBA()
	return r < 0x8000
}

// Text is drawn in runs: Latin in Go Regular, Chinese in Droid Sans
// Fallback (which has no Latin glyphs).
type run struct {
	font string
	s    string
}

func fontFor(r rune) string {
	if r < 0x2E80 {
		return "latin"
	}
	return "cjk"
}

func splitRuns(s string) []run {
	var out []run
	for _, r := range s {
		f := fontFor(r)
		if n := len(out); n > 0 && out[n-1].font == f {
			out[n-1].s += string(r)
			continue
		}
		out = append(out, run{f, string(r)})
	}
	return out
}

func strWidth(pdf *fpdf.Fpdf, size float64, s string) float64 {
	w := 0.0
	for _, r := range splitRuns(s) {
		pdf.SetFont(r.font, "", size)
		w += pdf.GetStringWidth(r.s)
	}
	return w
}

// drawLine writes one line whose top is at y, aligned L, C or R in [x, x+w].
func drawLine(pdf *fpdf.Fpdf, size, x, y, w float64, align, s string) {
	switch align {
	case "C":
		x += (w - strWidth(pdf, size, s)) / 2
	case "R":
		x += w - strWidth(pdf, size, s)
	}
	base := y + size*0.3528*0.85
	for _, r := range splitRuns(s) {
		pdf.SetFont(r.font, "", size)
		pdf.Text(x, base, r.s)
		x += pdf.GetStringWidth(r.s)
	}
}

func text(pdf *fpdf.Fpdf, size, x, y, w float64, align, s string) {
	drawLine(pdf, size, x, y, w, align, s)
}

// para wraps s into lines of width w (at a space where the line has one,
// else at any character, as Chinese text wraps) and returns the y below it.
func para(pdf *fpdf.Fpdf, size, x, y, w float64, s string) float64 {
	lineH := size * 0.3528 * 1.25
	for _, hard := range strings.Split(s, "\n") {
		rs := []rune(hard)
		for len(rs) > 0 {
			n := len(rs)
			for n > 1 && strWidth(pdf, size, string(rs[:n])) > w {
				n--
			}
			if n < len(rs) {
				for k := n; k > n/2; k-- {
					if rs[k-1] == ' ' {
						n = k
						break
					}
				}
			}
			drawLine(pdf, size, x, y, w, "L", strings.TrimRight(string(rs[:n]), " "))
			rs = rs[n:]
			y += lineH
		}
	}
	return y
}

func hline(pdf *fpdf.Fpdf, x, y, w float64) {
	pdf.SetLineWidth(0.4)
	pdf.Line(x, y, x+w, y)
}

func (l waybillData) contents() string {
	var parts []string
	for _, it := range l.Parcel.Items {
		parts = append(parts, fmt.Sprintf("%s ×%d", it.Name, it.Count))
	}
	return strings.Join(parts, "; ")
}

func (l waybillData) receiverLine() string {
	return strings.TrimSpace(l.Province + " " + l.Parcel.ReceiverCity + " " + l.Parcel.ReceiverAddress)
}

func (l waybillData) refs() string {
	s := "请求号 " + l.RequestNo
	if l.RouteCode == "yto" && (l.OrderNo != "" || api.Str(l.Parcel.PackageNo) != "") {
		s += "   订单号 " + l.OrderNo + "   包裹号 " + api.Str(l.Parcel.PackageNo)
	}
	return s
}

func drawPortrait(pdf *fpdf.Fpdf, b box, l waybillData) {
	m := 4.0
	x, w := b.x+m, b.w-2*m
	pdf.SetLineWidth(0.6)
	pdf.Rect(b.x+1.5, b.y+1.5, b.w-3, b.h-3, "D")
	y := b.y + m
	text(pdf, 18, x, y, w/2, "L", "CNExpress")
	text(pdf, 14, x+w/2, y+1, w/2, "R", l.RouteName)
	y += 10
	hline(pdf, x, y, w)
	y += 4
	_ = drawBarcode(pdf, l.TrackingNo, x, y, w, 22)
	y += 23
	text(pdf, 14, x, y, w, "C", l.TrackingNo)
	y += 9
	hline(pdf, x, y, w)
	y += 3
	text(pdf, 9, x, y, w, "L", "收件人 TO")
	y += 5
	text(pdf, 16, x, y, w, "L", l.Parcel.ReceiverName+"   "+l.Parcel.ReceiverPhoneNumber)
	y += 9
	y = para(pdf, 13, x, y, w, l.receiverLine())
	y += 1
	text(pdf, 11, x, y, w, "L", "邮编 "+l.Parcel.ReceiverPostCode)
	y += 7
	hline(pdf, x, y, w)
	y += 3
	text(pdf, 8, x, y, w, "L", "寄件人 FROM")
	y += 4
	y = para(pdf, 9, x, y, w, l.Parcel.SenderName+"  "+l.Parcel.SenderPhoneNumber+"\n"+l.Parcel.SenderAddress)
	y += 2
	hline(pdf, x, y, w)
	y += 3
	y = para(pdf, 8, x, y, w, "内件 "+l.contents())
	text(pdf, 8, x, y+1, w, "L", fmt.Sprintf("重量 %s kg   尺寸 %g×%g×%g cm   包裹 %d/%d", l.Parcel.Weight, l.Parcel.Length, l.Parcel.Width, l.Parcel.Height, l.Index+1, l.Count))
	bottom := b.y + b.h - m - 10
	hline(pdf, x, bottom, w)
	text(pdf, 8, x, bottom+2, w, "L", l.refs())
	text(pdf, 8, x, bottom+6, w, "L", l.Created.UTC().Format("2006-01-02 15:04"))
	if l.TestMode {
		text(pdf, 10, x, bottom+5, w, "R", "测试 TEST")
	}
}

func drawLandscape(pdf *fpdf.Fpdf, b box, l waybillData) {
	m := 4.0
	pdf.SetLineWidth(0.6)
	pdf.Rect(b.x+1.5, b.y+1.5, b.w-3, b.h-3, "D")
	lw := b.w * 0.52
	x, y := b.x+m, b.y+m
	text(pdf, 16, x, y, lw, "L", "CNExpress")
	text(pdf, 12, x, y+9, lw, "L", l.RouteName)
	_ = drawBarcode(pdf, l.TrackingNo, x, y+18, lw-m, 24)
	text(pdf, 13, x, y+44, lw-m, "C", l.TrackingNo)
	text(pdf, 8, x, y+54, lw-m, "L", l.refs())
	text(pdf, 8, x, y+59, lw-m, "L", l.Created.UTC().Format("2006-01-02 15:04"))
	if l.TestMode {
		text(pdf, 10, x, y+64, lw-m, "L", "测试 TEST")
	}
	pdf.SetLineWidth(0.4)
	pdf.Line(b.x+lw, b.y+m, b.x+lw, b.y+b.h-m)
	rx, rw := b.x+lw+3, b.w-lw-3-m
	ry := y
	text(pdf, 8, rx, ry, rw, "L", "收件人 TO")
	ry += 4
	text(pdf, 14, rx, ry, rw, "L", l.Parcel.ReceiverName)
	ry += 7
	text(pdf, 10, rx, ry, rw, "L", l.Parcel.ReceiverPhoneNumber)
	ry += 5
	ry = para(pdf, 11, rx, ry, rw, l.receiverLine()+"  邮编 "+l.Parcel.ReceiverPostCode)
	ry += 2
	hline(pdf, rx, ry, rw)
	ry += 2
	text(pdf, 7, rx, ry, rw, "L", "寄件人 FROM")
	ry += 3.5
	ry = para(pdf, 8, rx, ry, rw, l.Parcel.SenderName+"  "+l.Parcel.SenderPhoneNumber+"\n"+l.Parcel.SenderAddress)
	ry += 1
	hline(pdf, rx, ry, rw)
	ry += 2
	ry = para(pdf, 7, rx, ry, rw, "内件 "+l.contents())
	text(pdf, 7, rx, ry+1, rw, "L", fmt.Sprintf("%s kg  %g×%g×%g cm  %d/%d", l.Parcel.Weight, l.Parcel.Length, l.Parcel.Width, l.Parcel.Height, l.Index+1, l.Count))
}

// WaybillPDF renders an order's waybills as the fake serves them, one page
// per package with tracking numbers TEST00000001…, for tests and
// benchmarks of label layout.
func WaybillPDF(format Format, o api.Order) ([]byte, error) {
	tree := api.NewCityTree(defaultCities())
	route := defaultRoutes()[0]
	for _, r := range defaultRoutes() {
		if r.Code == o.RouteCode {
			route = r
		}
	}
	labels := make([]waybillData, len(o.Packages))
	for i, p := range o.Packages {
		province := ""
		if ms := tree.Find(p.ReceiverCity); len(ms) > 0 && ms[0].Province != p.ReceiverCity {
			province = ms[0].Province
		}
		labels[i] = waybillData{
			RequestNo: "CE2017080400000004", TrackingNo: fmt.Sprintf("TEST%08d", i+1), OrderNo: o.OrderNo,
			RouteName: route.Name, RouteCode: route.Code, TestMode: true,
			Created: time.Date(2017, 8, 4, 16, 11, 24, 0, time.UTC), Province: province, Parcel: p, Index: i, Count: len(o.Packages),
		}
	}
	return renderWaybills(format, labels)
}
