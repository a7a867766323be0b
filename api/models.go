// Package api is the CNExpress order API v1: typed models, a concurrent-safe
// client, and local validation of orders with the server's own field paths.
package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strconv"
	"time"
)

// Request statuses as the API spells them.
const (
	StatusCreated   = "Created"
	StatusWaiting   = "Waiting"
	StatusSucceeded = "Succeeded"
	StatusFailed    = "Failed"
)

// Account is GET account.
type Account struct {
	Username string  `json:"username"`
	Credit   float64 `json:"credit"`
	Currency string  `json:"currency"`
}

// Product is one entry of GET products; Barcode is an EAN-13.
type Product struct {
	URL     string `json:"url"`
	Name    string `json:"name"`
	Barcode string `json:"barcode"`
}

// Route is one entry of GET routes.
type Route struct {
	URL  string `json:"url"`
	Name string `json:"name"`
	Code string `json:"code"`
}

// City is a node of the GET cities tree (province → city → district).
type City struct {
	Name     string `json:"name"`
	Contains []City `json:"contains,omitempty"`
}

// Weight is a package weight in kg. The API sends and echoes it as a decimal
// string ("4.00"); a JSON number is accepted on input and kept as written.
type Weight string

// UnmarshalJSON accepts "4.00" and 4.00.
func (w *Weight) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*w = ""
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*w = Weight(s)
	default:
		var n json.Number
		if err := json.Unmarshal(b, &n); err != nil {
			return fmt.Errorf("weight must be a decimal string or number, got %s", b)
		}
		*w = Weight(n.String())
	}
	return nil
}

// Kilograms parses the weight; ok is false when it is not a decimal number.
func (w Weight) Kilograms() (kg float64, ok bool) {
	f, err := strconv.ParseFloat(string(w), 64)
	return f, err == nil
}

// Item is one product line of a package. At least one of Barcode and Name
// is set on input; the server fills in both.
type Item struct {
	Barcode string `json:"barcode,omitempty"`
	Name    string `json:"name,omitempty"`
	Count   int    `json:"count"`
}

// Parcel holds the fields an integrator posts for one package.
type Parcel struct {
	SenderName          string  `json:"sender_name"`
	SenderPhoneNumber   string  `json:"sender_phone_number"`
	SenderAddress       string  `json:"sender_address"`
	ReceiverName        string  `json:"receiver_name"`
	ReceiverPhoneNumber string  `json:"receiver_phone_number"`
	ReceiverAddress     string  `json:"receiver_address"`
	ReceiverCity        string  `json:"receiver_city"`
	ReceiverPostCode    string  `json:"receiver_post_code"`
	ReceiverIDNumber    string  `json:"receiver_id_number"`
	Weight              Weight  `json:"weight"`
	Length              float64 `json:"length"`
	Width               float64 `json:"width"`
	Height              float64 `json:"height"`
	PackageNo           *string `json:"package_no"`
	Items               []Item  `json:"items"`
}

// Order is the body of POST requests.
type Order struct {
	RouteCode string   `json:"route_code,omitempty"`
	OrderNo   string   `json:"order_no,omitempty"`
	Packages  []Parcel `json:"packages"`
}

// Package is a package as the server returns it. TrackingNo, URL and
// Waybill are nil until the request has succeeded.
type Package struct {
	Parcel
	URL        *string `json:"url"`
	TrackingNo *string `json:"tracking_no"`
	Waybill    *string `json:"waybill"`
	Request    string  `json:"request"`
	Cost       float64 `json:"cost"`
}

// Request is the answer of POST requests and GET requests/<no>.
type Request struct {
	URL          string    `json:"url"`
	TestMode     bool      `json:"test_mode"`
	RequestNo    string    `json:"request_no"`
	RouteCode    string    `json:"route_code"`
	OrderNo      *string   `json:"order_no"`
	CreationDate time.Time `json:"creation_date"`
	Status       string    `json:"status"`
	ErrorMsg     *string   `json:"error_msg"`
	Waybills     *string   `json:"waybills"`
	TotalCost    float64   `json:"total_cost"`
	Packages     []Package `json:"packages"`
}

// Done reports whether the request has reached Succeeded or Failed.
func (r *Request) Done() bool { return r.Status == StatusSucceeded || r.Status == StatusFailed }

// TrackingEvent is one step of a parcel's progress.
type TrackingEvent struct {
	Detail string    `json:"detail"`
	Time   time.Time `json:"time"`
}

// Tracking is GET tracking/<tracking_no>.
type Tracking struct {
	TrackingNo string          `json:"tracking_no"`
	Delivered  bool            `json:"delivered"`
	Progress   []TrackingEvent `json:"progress"`
	Timestamp  time.Time       `json:"timestamp"`
}

// Str returns the string a nullable field points to, or "".
func Str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}
