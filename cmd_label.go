package main

import (
	"bytes"
	"context"
	"fmt"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"time"

	"cnx-agent/i18n"
	"cnx-agent/printer/epl"
	"cnx-agent/printer/escpos"
	"cnx-agent/printer/label"
	"cnx-agent/printer/raster"
	"cnx-agent/printer/render"
	"cnx-agent/printer/tspl"
	"cnx-agent/printer/zpl"
)

func cmdLabel(ctx context.Context, e *env, args []string) error {
	fs := e.flags("IN.pdf -o OUT.pdf [--size 100x150] [--zpl F | --tspl F | --epl F | --escpos F | --png DIR] [--dpi 203]")
	out := fs.String("o", "", i18n.T("flag.o"))
	size := fs.String("size", "100x150", i18n.T("flag.size"))
	margin := fs.Float64("margin", 2, i18n.T("flag.margin"))
	upscale := fs.Float64("max-upscale", 1.5, i18n.T("flag.max-upscale"))
	dpi := fs.Float64("dpi", 203, i18n.T("flag.dpi"))
	threshold := fs.Int("threshold", 128, i18n.T("flag.threshold"))
	dither := fs.Bool("dither", false, i18n.T("flag.dither"))
	noCrop := fs.Bool("no-crop", false, i18n.T("flag.no-crop"))
	noSnap := fs.Bool("no-snap", false, i18n.T("flag.no-snap"))
	zplOut := fs.String("zpl", "", i18n.T("flag.zpl"))
	tsplOut := fs.String("tspl", "", i18n.T("flag.tspl"))
	eplOut := fs.String("epl", "", i18n.T("flag.epl"))
	escposOut := fs.String("escpos", "", i18n.T("flag.escpos"))
	pngDir := fs.String("png", "", i18n.T("flag.png"))
	stats := fs.Bool("stats", false, i18n.T("flag.stats"))
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if fs.NArg() != 1 || (*out == "" && *zplOut == "" && *tsplOut == "" && *eplOut == "" && *escposOut == "" && *pngDir == "") {
		fs.Usage()
		return errUsage
	}
	sz, err := label.ParseSize(*size)
	if err != nil {
		return usageErrorf("%v", err)
	}
	if *threshold < 1 || *threshold > 255 {
		return usageErrorf("%s", i18n.T("cli.bad_threshold"))
	}
	in := fs.Arg(0)
	src, err := os.ReadFile(in)
	if err != nil {
		return err
	}
	start := time.Now()
	r, err := render.New(ctx, render.DefaultCacheDir())
	if err != nil {
		return err
	}
	defer r.Close()
	detect := r
	if *noCrop {
		detect = nil
	}
	opts := label.Options{Size: sz, Margin: *margin, MaxUpscale: *upscale, DPI: *dpi}
	mk := label.NewMaker(opts, detect)
	progress := func(done, total int) {
		if total >= 20 && (done%10 == 0 || done == total) {
			fmt.Fprintf(e.stderr, "\r%s: page %d/%d", filepath.Base(in), done, total)
			if done == total {
				fmt.Fprintln(e.stderr)
			}
		}
	}
	var pdf bytes.Buffer
	n, err := mk.Convert(ctx, src, &pdf, progress)
	if err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	if *out != "" {
		if err := os.WriteFile(*out, pdf.Bytes(), 0o644); err != nil {
			return err
		}
	}
	if *zplOut != "" || *tsplOut != "" || *eplOut != "" || *escposOut != "" || *pngDir != "" {
		if err := writeRasters(ctx, label.NewMaker(opts, r), pdf.Bytes(), raster.Options{Threshold: uint8(*threshold), Dither: *dither, NoSnap: *noSnap}, *dpi, sz,
			map[string]string{"zpl": *zplOut, "tspl": *tsplOut, "epl": *eplOut, "escpos": *escposOut}, *pngDir); err != nil {
			return err
		}
	}
	fmt.Fprintf(e.stdout, "%s: %d labels (%s mm) in %s\n", in, n, sz, time.Since(start).Round(time.Millisecond))
	if *stats {
		fmt.Fprintf(e.stdout, "peak memory: %s\n", peakMemory())
	}
	return nil
}

// peakMemory is the process's peak resident set (VmHWM), where the OS
// tells it.
func peakMemory() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

// writeRasters renders each label once and appends it to every requested
// printer-language file.
func writeRasters(ctx context.Context, mk *label.Maker, pdf []byte, ro raster.Options, dpi float64, sz label.Size, outs map[string]string, pngDir string) error {
	files := map[string]*os.File{}
	for lang, path := range outs {
		if path == "" {
			continue
		}
		f, err := os.Create(path)
		if err != nil {
			return err
		}
		defer f.Close()
		files[lang] = f
	}
	if pngDir != "" {
		if err := os.MkdirAll(pngDir, 0o755); err != nil {
			return err
		}
	}
	err := mk.Rasters(ctx, pdf, ro, func(page int, bm *raster.Bitmap) error {
		for lang, f := range files {
			var b []byte
			switch lang {
			case "zpl":
				b = zpl.Encode(bm, zpl.Options{})
			case "tspl":
				b = tspl.Encode(bm, tspl.Options{WidthMM: sz.W, HeightMM: sz.H, DPI: dpi})
			case "epl":
				b = epl.Encode(bm, epl.Options{})
			case "escpos":
				b = escpos.Encode(bm, escpos.Options{})
			}
			if _, err := f.Write(b); err != nil {
				return err
			}
		}
		if pngDir != "" {
			f, err := os.Create(filepath.Join(pngDir, fmt.Sprintf("label-%04d.png", page)))
			if err != nil {
				return err
			}
			defer f.Close()
			return png.Encode(f, bm.Image())
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, f := range files {
		if err := f.Close(); err != nil {
			return err
		}
	}
	return nil
}
