// Package testlabel draws the test label `cnx-agent printers test` prints:
// the printer's name, the date, millimetre rulers along the edges and a
// Code 128, on one page of the printer's label size.
package testlabel

import (
	"bytes"
	"fmt"
	"image/color"
	"time"

	"codeberg.org/go-pdf/fpdf"
	"github.com/boombuler/barcode/code128"
	"golang.org/x/image/font/gofont/goregular"
)

// PDF returns the test label for a printer.
func PDF(name string, w, h float64, at time.Time) ([]byte, error) {
	pdf := fpdf.NewCustom(&fpdf.InitType{UnitStr: "mm", Size: fpdf.SizeType{Wd: w, Ht: h}})
	pdf.SetAutoPageBreak(false, 0)
	pdf.SetMargins(0, 0, 0)
	pdf.AddUTF8FontFromBytes("go", "", bytes.Clone(goregular.TTF)) // fpdf writes into it
	pdf.SetCreationDate(at)
	pdf.AddPage()
	pdf.SetLineWidth(0.2)
	// Rulers: a tick every mm, longer every 5 and 10, on all four edges.
	for x := 0.0; x <= w; x++ {
		l := tick(x)
		pdf.Line(x, 0, x, l)
		pdf.Line(x, h, x, h-l)
	}
	for y := 0.0; y <= h; y++ {
		l := tick(y)
		pdf.Line(0, y, l, y)
		pdf.Line(w, y, w-l, y)
	}
	pdf.SetFont("go", "", 7)
	for x := 10.0; x < w; x += 10 {
		pdf.Text(x-1.5, 7.5, fmt.Sprint(x))
	}
	for y := 10.0; y < h; y += 10 {
		pdf.Text(5.5, y+1, fmt.Sprint(y))
	}
	pdf.SetFont("go", "", 16)
	pdf.SetXY(10, 14)
	pdf.CellFormat(w-20, 8, "cnx-agent test label", "", 0, "C", false, 0, "")
	pdf.SetFont("go", "", 12)
	pdf.SetXY(10, 24)
	pdf.CellFormat(w-20, 7, name, "", 0, "C", false, 0, "")
	pdf.SetXY(10, 31)
	pdf.CellFormat(w-20, 7, at.Format("2006-01-02 15:04:05 MST"), "", 0, "C", false, 0, "")
	pdf.SetXY(10, 38)
	pdf.CellFormat(w-20, 7, fmt.Sprintf("%g × %g mm", w, h), "", 0, "C", false, 0, "")
	code := "CNX-TEST-" + at.Format("150405")
	bc, err := code128.Encode(code)
	if err != nil {
		return nil, err
	}
	n := bc.Bounds().Dx()
	mw := (w - 30) / float64(n)
	y0, bh := h/2-15, 30.0
	for i := 0; i < n; i++ {
		if c := color.GrayModel.Convert(bc.At(i, 0)).(color.Gray); c.Y < 128 {
			pdf.Rect(15+float64(i)*mw, y0, mw, bh, "F")
		}
	}
	pdf.SetXY(10, y0+bh+2)
	pdf.CellFormat(w-20, 7, code, "", 0, "C", false, 0, "")
	pdf.Rect(20, h-45, w-40, 25, "D")
	pdf.SetFont("go", "", 9)
	pdf.SetXY(20, h-37)
	pdf.CellFormat(w-40, 5, "the box, the rulers and the barcode", "", 0, "C", false, 0, "")
	pdf.SetXY(20, h-32)
	pdf.CellFormat(w-40, 5, "should print whole and sharp", "", 0, "C", false, 0, "")
	var buf bytes.Buffer
	if err := pdf.Output(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func tick(v float64) float64 {
	switch {
	case int(v)%10 == 0:
		return 5
	case int(v)%5 == 0:
		return 3.5
	}
	return 2
}
