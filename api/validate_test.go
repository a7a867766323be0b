package api_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"cnx-agent/api"
	"cnx-agent/api/fakeserver"
)

func TestValidate(t *testing.T) {
	t.Parallel()
	cat := fakeserver.New(fakeserver.Options{}).Catalog()
	tests := []struct {
		name   string
		change func(o *api.Order)
		path   string // "" means valid
		msg    string
	}{
		{"sample is valid", func(o *api.Order) {}, "", ""},
		{"empty route is the default", func(o *api.Order) { o.RouteCode = "" }, "", ""},
		{"unknown route", func(o *api.Order) { o.RouteCode = "dhl" }, "route_code", `unknown route "dhl"; allowed: cnpost (邮政线), yto (圆通线)`},
		{"no packages", func(o *api.Order) { o.Packages = nil }, "packages", "needs at least one entry"},
		{"sender name", func(o *api.Order) { o.Packages[0].SenderName = " " }, "packages[0].sender_name", "is required"},
		{"sender phone", func(o *api.Order) { o.Packages[1].SenderPhoneNumber = "" }, "packages[1].sender_phone_number", "is required"},
		{"sender address", func(o *api.Order) { o.Packages[0].SenderAddress = "" }, "packages[0].sender_address", "is required"},
		{"receiver name", func(o *api.Order) { o.Packages[0].ReceiverName = "" }, "packages[0].receiver_name", "is required"},
		{"receiver phone", func(o *api.Order) { o.Packages[0].ReceiverPhoneNumber = "" }, "packages[0].receiver_phone_number", "is required"},
		{"receiver address", func(o *api.Order) { o.Packages[0].ReceiverAddress = "" }, "packages[0].receiver_address", "is required"},
		{"receiver city", func(o *api.Order) { o.Packages[0].ReceiverCity = "" }, "packages[0].receiver_city", "is required"},
		{"post code", func(o *api.Order) { o.Packages[0].ReceiverPostCode = "" }, "packages[0].receiver_post_code", "is required"},
		{"id number", func(o *api.Order) { o.Packages[0].ReceiverIDNumber = "" }, "packages[0].receiver_id_number", "is required"},
		{"weight missing", func(o *api.Order) { o.Packages[0].Weight = "" }, "packages[0].weight", "is required"},
		{"weight zero", func(o *api.Order) { o.Packages[0].Weight = "0.00" }, "packages[0].weight", `greater than 0, written as a decimal such as "4.00", got "0.00"`},
		{"weight text", func(o *api.Order) { o.Packages[0].Weight = "4kg" }, "packages[0].weight", `got "4kg"`},
		{"length", func(o *api.Order) { o.Packages[0].Length = 0 }, "packages[0].length", "greater than 0, got 0"},
		{"width", func(o *api.Order) { o.Packages[0].Width = -2 }, "packages[0].width", "got -2"},
		{"height", func(o *api.Order) { o.Packages[1].Height = 0 }, "packages[1].height", "greater than 0"},
		{"unknown city", func(o *api.Order) { o.Packages[0].ReceiverCity = "黄山" }, "packages[0].receiver_city", `"黄山" is not a CNExpress city; use a name from ` + "`cnx-agent cities`" + ` (did you mean 黄山市, 黄山区?)`},
		{"district is fine", func(o *api.Order) { o.Packages[0].ReceiverCity = "浦东新区" }, "", ""},
		{"province is fine", func(o *api.Order) { o.Packages[0].ReceiverCity = "广东" }, "", ""},
		{"hong kong", func(o *api.Order) { o.Packages[0].ReceiverCity = "九龙" }, "packages[0].receiver_city", `"九龙" is in 香港 (Hong Kong)`},
		{"macau", func(o *api.Order) { o.Packages[0].ReceiverCity = "澳门" }, "packages[0].receiver_city", "澳门 (Macau)"},
		{"taiwan", func(o *api.Order) { o.Packages[0].ReceiverCity = "台北" }, "packages[0].receiver_city", "台湾 (Taiwan)"},
		{"no items", func(o *api.Order) { o.Packages[1].Items = nil }, "packages[1].items", "needs at least one entry"},
		{"item without product", func(o *api.Order) { o.Packages[0].Items[0] = api.Item{Count: 2} }, "packages[0].items[0]", "needs a barcode or a name"},
		{"unknown barcode", func(o *api.Order) { o.Packages[0].Items[0].Barcode = "1234567890128" }, "packages[0].items[0].barcode", `no CNExpress product has barcode "1234567890128"`},
		{"barcode wins over a bad name", func(o *api.Order) { o.Packages[0].Items[0].Name = "nonsense" }, "", ""},
		{"bad barcode is not saved by a good name", func(o *api.Order) {
			o.Packages[0].Items[0] = api.Item{Barcode: "1", Name: "爱他美奶粉1段", Count: 2}
		}, "packages[0].items[0].barcode", `barcode "1"`},
		{"unknown name", func(o *api.Order) { o.Packages[1].Items[0].Name = "奶粉" }, "packages[1].items[0].name", `no CNExpress product is named "奶粉"`},
		{"count zero", func(o *api.Order) { o.Packages[0].Items[0].Count = 0; o.Packages[0].Items[1].Count = 6 }, "packages[0].items[0].count", "greater than 0, got 0"},
		{"five tins", func(o *api.Order) { o.Packages[1].Items[0].Count = 3 }, "packages[1].items", "add up to 5; a package must hold exactly 4 or 6 tins"},
		{"six tins", func(o *api.Order) { o.Packages[1].Items[0].Count = 4 }, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := fakeserver.SampleOrder()
			tt.change(&o)
			err := api.Validate(&o, cat)
			if tt.path == "" {
				if err != nil {
					t.Fatalf("got %v, want valid", err)
				}
				return
			}
			var fe api.FieldErrors
			if !errors.As(err, &fe) {
				t.Fatalf("got %v, want FieldErrors", err)
			}
			for _, f := range fe {
				if f.Path == tt.path && strings.Contains(strings.Join(f.Messages, ";"), tt.msg) {
					return
				}
			}
			t.Errorf("got %v, want %s: …%s…", fe, tt.path, tt.msg)
		})
	}
}

func TestValidateWithoutCatalog(t *testing.T) {
	t.Parallel()
	o := fakeserver.SampleOrder()
	o.Packages[0].ReceiverCity = "nowhere"
	o.Packages[0].Items[0].Barcode = "1"
	if err := api.Validate(&o, nil); err != nil {
		t.Errorf("without a catalog only static rules apply; got %v", err)
	}
	o.Packages[0].Items[0].Count = 1
	if err := api.Validate(&o, nil); err == nil {
		t.Error("the tin rule needs no catalog, but passed")
	}
}

func TestWeightRoundTrip(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		{`{"weight": "4.00"}`, `"4.00"`},
		{`{"weight": 4.5}`, `"4.5"`},
		{`{"weight": 3}`, `"3"`},
	}
	for _, tt := range tests {
		var p api.Parcel
		if err := json.Unmarshal([]byte(tt.in), &p); err != nil {
			t.Fatal(err)
		}
		b, _ := json.Marshal(p.Weight)
		if string(b) != tt.want {
			t.Errorf("%s: got %s, want %s", tt.in, b, tt.want)
		}
	}
	var p api.Parcel
	if err := json.Unmarshal([]byte(`{"weight": true}`), &p); err == nil {
		t.Error("weight true accepted")
	}
}
