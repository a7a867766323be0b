package label

import (
	"fmt"
	"math"
	"strings"

	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/model"
	"github.com/pdfcpu/pdfcpu/pkg/pdfcpu/types"
)

// Annotation flags (PDF 32000-1, 12.5.3).
const (
	annotHidden = 1 << 1
	annotPrint  = 1 << 2
)

// annotAppearances returns content that draws, over the page, the
// appearance of every annotation that is to be printed (Print flag set,
// Hidden not), as a printer would: filled-in form fields, stamps, and text
// boxes that some label generators put in annotations rather than in the
// page. xobjs names the appearance streams the content draws.
func annotAppearances(pctx *model.Context, page types.Dict) (content string, xobjs types.Dict, err error) {
	annots, err := pctx.DereferenceArray(page["Annots"])
	if err != nil || len(annots) == 0 {
		return "", nil, err
	}
	var b strings.Builder
	xobjs = types.Dict{}
	for i, a := range annots {
		ad, err := pctx.DereferenceDict(a)
		if err != nil || ad == nil {
			continue // a broken annotation is not worth losing the label over
		}
		if flags := intOf(pctx, ad["F"]); flags&annotPrint == 0 || flags&annotHidden != 0 {
			continue
		}
		if st := ad.NameEntry("Subtype"); st != nil && *st == "Popup" {
			continue
		}
		ref, ok := appearance(pctx, ad)
		if !ok {
			continue
		}
		m, ok := placeAppearance(pctx, ad, ref)
		if !ok {
			continue
		}
		name := fmt.Sprintf("CnxAnnot%d", i)
		xobjs[name] = ref
		fmt.Fprintf(&b, "q %.6f %.6f %.6f %.6f %.6f %.6f cm /%s Do Q\n", m[0], m[1], m[2], m[3], m[4], m[5], name)
	}
	return b.String(), xobjs, nil
}

// appearance returns the annotation's normal appearance stream: /AP /N, or
// the state of it /AS names (a check box's On or Off).
func appearance(pctx *model.Context, ad types.Dict) (types.IndirectRef, bool) {
	ap, err := pctx.DereferenceDict(ad["AP"])
	if err != nil || ap == nil {
		return types.IndirectRef{}, false
	}
	n := ap["N"]
	if ref, ok := n.(types.IndirectRef); ok {
		if o, err := pctx.Dereference(ref); err == nil {
			if _, isStream := o.(types.StreamDict); isStream {
				return ref, true
			}
		}
	}
	states, err := pctx.DereferenceDict(n)
	if err != nil || states == nil {
		return types.IndirectRef{}, false
	}
	as := ad.NameEntry("AS")
	if as == nil {
		return types.IndirectRef{}, false
	}
	ref, ok := states[*as].(types.IndirectRef)
	return ref, ok
}

// placeAppearance returns the matrix that maps the appearance's bounding
// box, as its own /Matrix turns it, onto the annotation's /Rect (12.5.5).
func placeAppearance(pctx *model.Context, ad types.Dict, ref types.IndirectRef) (matrix, bool) {
	rect, ok := numbers(pctx, ad["Rect"], 4)
	if !ok {
		return matrix{}, false
	}
	sd, _, err := pctx.DereferenceStreamDict(ref)
	if err != nil || sd == nil {
		return matrix{}, false
	}
	bbox, ok := numbers(pctx, sd.Dict["BBox"], 4)
	if !ok {
		return matrix{}, false
	}
	fm := matrix{1, 0, 0, 1, 0, 0}
	if v, ok := numbers(pctx, sd.Dict["Matrix"], 6); ok {
		copy(fm[:], v)
	}
	x0, y0, x1, y1 := math.Inf(1), math.Inf(1), math.Inf(-1), math.Inf(-1)
	for _, c := range [][2]float64{{bbox[0], bbox[1]}, {bbox[2], bbox[1]}, {bbox[0], bbox[3]}, {bbox[2], bbox[3]}} {
		x := fm[0]*c[0] + fm[2]*c[1] + fm[4]
		y := fm[1]*c[0] + fm[3]*c[1] + fm[5]
		x0, y0, x1, y1 = math.Min(x0, x), math.Min(y0, y), math.Max(x1, x), math.Max(y1, y)
	}
	rx0, rx1 := math.Min(rect[0], rect[2]), math.Max(rect[0], rect[2])
	ry0, ry1 := math.Min(rect[1], rect[3]), math.Max(rect[1], rect[3])
	if x1-x0 <= 0 || y1-y0 <= 0 || rx1-rx0 <= 0 || ry1-ry0 <= 0 {
		return matrix{}, false
	}
	sx, sy := (rx1-rx0)/(x1-x0), (ry1-ry0)/(y1-y0)
	// Do applies the form's own /Matrix first; this maps its result.
	return matrix{sx, 0, 0, sy, rx0 - sx*x0, ry0 - sy*y0}, true
}

func numbers(pctx *model.Context, o types.Object, n int) ([]float64, bool) {
	a, err := pctx.DereferenceArray(o)
	if err != nil || len(a) != n {
		return nil, false
	}
	out := make([]float64, n)
	for i, v := range a {
		f, err := pctx.DereferenceNumber(v)
		if err != nil {
			return nil, false
		}
		out[i] = f
	}
	return out, true
}

func intOf(pctx *model.Context, o types.Object) int {
	if o == nil {
		return 0
	}
	f, err := pctx.DereferenceNumber(o)
	if err != nil {
		return 0
	}
	return int(f)
}
