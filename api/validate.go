package api

import (
	"fmt"
	"strconv"
	"strings"

	"cnx-agent/i18n"
)

// ExcludedProvinces are the top-level places whose cities are not valid
// receivers.
var excludedProvinces = map[string]string{"香港": "Hong Kong", "澳门": "Macau", "台湾": "Taiwan"}

// AllowedTins are the item-count totals a package may hold (infant formula).
var allowedTins = []int{4, 6}

// Problem codes; a Problem renders in English (the agent) or Chinese (the
// fake server, as the real one answers).
const (
	CodeRequired      = "required"
	CodeNotPositive   = "not_positive"
	CodeBadWeight     = "bad_weight"
	CodeUnknownCity   = "unknown_city"
	CodeExcludedCity  = "excluded_city"
	CodeUnknownProd   = "unknown_product"
	CodeUnknownName   = "unknown_product_name"
	CodeItemNoProduct = "item_needs_barcode_or_name"
	CodeTinCount      = "tin_count"
	CodeUnknownRoute  = "unknown_route"
	CodeEmptyList     = "empty_list"
)

// Problem is one validation failure.
type Problem struct {
	Path  string // DRF-style path: packages[0].items[1].barcode
	Code  string
	Value string   // the offending value, as written
	Hint  []string // allowed values or suggestions
}

// Message is what the agent shows a warehouse user, in the user's
// language (the i18n catalogue); field paths stay as the API spells them.
func (p Problem) Message() string {
	switch p.Code {
	case CodeRequired:
		return i18n.T("valid.required")
	case CodeNotPositive:
		return i18n.T("valid.not_positive", "Value", p.Value)
	case CodeBadWeight:
		return i18n.T("valid.bad_weight", "Value", p.Value)
	case CodeUnknownCity:
		msg := i18n.T("valid.unknown_city", "Value", p.Value)
		if len(p.Hint) > 0 {
			msg += " " + i18n.T("valid.did_you_mean", "Hint", strings.Join(p.Hint, ", "))
		}
		return msg
	case CodeExcludedCity:
		return i18n.T("valid.excluded_city", "Value", p.Value, "Hint", strings.Join(p.Hint, ""))
	case CodeUnknownProd:
		return i18n.T("valid.unknown_product", "Value", p.Value)
	case CodeUnknownName:
		return i18n.T("valid.unknown_product_name", "Value", p.Value)
	case CodeItemNoProduct:
		return i18n.T("valid.item_needs_product")
	case CodeTinCount:
		return i18n.T("valid.tin_count", "Value", p.Value)
	case CodeUnknownRoute:
		return i18n.T("valid.unknown_route", "Value", p.Value, "Hint", strings.Join(p.Hint, ", "))
	case CodeEmptyList:
		return i18n.T("valid.empty_list")
	}
	return p.Code
}

// Chinese is the message a DRF server localised to zh-hans would send.
func (p Problem) Chinese() string {
	switch p.Code {
	case CodeRequired:
		return "该字段是必填项。"
	case CodeNotPositive:
		return "请确保该值大于0。"
	case CodeBadWeight:
		return "请填写合法的数字。"
	case CodeUnknownCity:
		return "无效城市"
	case CodeExcludedCity:
		return "不支持港澳台地区"
	case CodeUnknownProd, CodeUnknownName, CodeItemNoProduct:
		return "无效产品"
	case CodeTinCount:
		return "每个包裹只支持4罐或者6罐奶粉"
	case CodeUnknownRoute:
		return "无效线路"
	case CodeEmptyList:
		return "列表不能为空。"
	}
	return p.Code
}

// Check returns every problem of an order. With a nil catalog only the
// rules that need no server data are checked (required fields, numbers,
// tin counts).
func Check(o *Order, cat *Catalog) []Problem {
	var ps []Problem
	add := func(path, code, value string, hint ...string) {
		ps = append(ps, Problem{Path: path, Code: code, Value: value, Hint: hint})
	}
	if o.RouteCode != "" && cat != nil {
		if _, ok := cat.Route(o.RouteCode); !ok {
			var allowed []string
			for _, r := range cat.Routes {
				allowed = append(allowed, r.Code+" ("+r.Name+")")
			}
			add("route_code", CodeUnknownRoute, o.RouteCode, allowed...)
		}
	}
	if len(o.Packages) == 0 {
		add("packages", CodeEmptyList, "")
	}
	for i := range o.Packages {
		checkParcel(fmt.Sprintf("packages[%d]", i), &o.Packages[i], cat, add)
	}
	return ps
}

func checkParcel(at string, p *Parcel, cat *Catalog, add func(path, code, value string, hint ...string)) {
	for _, f := range []struct{ name, value string }{
		{"sender_name", p.SenderName},
		{"sender_phone_number", p.SenderPhoneNumber},
		{"sender_address", p.SenderAddress},
		{"receiver_name", p.ReceiverName},
		{"receiver_phone_number", p.ReceiverPhoneNumber},
		{"receiver_address", p.ReceiverAddress},
		{"receiver_city", p.ReceiverCity},
		{"receiver_post_code", p.ReceiverPostCode},
		{"receiver_id_number", p.ReceiverIDNumber},
	} {
		if strings.TrimSpace(f.value) == "" {
			add(at+"."+f.name, CodeRequired, "")
		}
	}
	if p.Weight == "" {
		add(at+".weight", CodeRequired, "")
	} else if kg, ok := p.Weight.Kilograms(); !ok || kg <= 0 {
		add(at+".weight", CodeBadWeight, string(p.Weight))
	}
	for _, d := range []struct {
		name string
		v    float64
	}{{"length", p.Length}, {"width", p.Width}, {"height", p.Height}} {
		if d.v <= 0 {
			add(at+"."+d.name, CodeNotPositive, strconv.FormatFloat(d.v, 'f', -1, 64))
		}
	}
	if cat != nil && strings.TrimSpace(p.ReceiverCity) != "" {
		checkCity(at+".receiver_city", p.ReceiverCity, cat.Cities, add)
	}
	if len(p.Items) == 0 {
		add(at+".items", CodeEmptyList, "")
		return
	}
	total := 0
	for j, it := range p.Items {
		ip := fmt.Sprintf("%s.items[%d]", at, j)
		total += it.Count
		if it.Count <= 0 {
			add(ip+".count", CodeNotPositive, strconv.Itoa(it.Count))
		}
		switch {
		case it.Barcode == "" && it.Name == "":
			add(ip, CodeItemNoProduct, "")
		case cat == nil:
		case it.Barcode != "": // barcode wins over name
			if _, ok := cat.ProductByBarcode(it.Barcode); !ok {
				add(ip+".barcode", CodeUnknownProd, it.Barcode)
			}
		default:
			if _, ok := cat.ProductByName(it.Name); !ok {
				add(ip+".name", CodeUnknownName, it.Name)
			}
		}
	}
	if !allowedTotal(total) {
		add(at+".items", CodeTinCount, strconv.Itoa(total))
	}
}

func allowedTotal(n int) bool {
	for _, a := range allowedTins {
		if n == a {
			return true
		}
	}
	return false
}

func checkCity(path, name string, tree *CityTree, add func(path, code, value string, hint ...string)) {
	matches := tree.Find(name)
	if len(matches) == 0 {
		add(path, CodeUnknownCity, name, tree.Suggest(name)...)
		return
	}
	for _, m := range matches {
		if _, bad := excludedProvinces[m.Province]; !bad {
			return
		}
	}
	m := matches[0]
	add(path, CodeExcludedCity, name, m.Province+" ("+excludedProvinces[m.Province]+")")
}

// Validate checks an order before it is posted and returns nil or the
// problems as FieldErrors with English messages.
func Validate(o *Order, cat *Catalog) error {
	ps := Check(o, cat)
	if len(ps) == 0 {
		return nil
	}
	fe := make(FieldErrors, 0, len(ps))
	for _, p := range ps {
		fe = append(fe, FieldError{Path: p.Path, Messages: []string{p.Message()}})
	}
	return fe
}
