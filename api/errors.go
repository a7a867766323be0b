package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// Sentinels matched by *Error through errors.Is.
var (
	ErrUnauthorized = errors.New("cnexpress: unauthorized (check the API username and password)")
	ErrNotFound     = errors.New("cnexpress: not found")
	// ErrNotPDF means a waybill download was not a complete PDF file.
	ErrNotPDF = errors.New("cnexpress: waybill is not a complete PDF")
)

// FieldError is the server's (or local validation's) complaint about one
// field, with a DRF-style path such as "packages[1].items[0].barcode".
type FieldError struct {
	Path     string   `json:"path"`
	Messages []string `json:"messages"`
}

func (f FieldError) String() string {
	p := f.Path
	if p == "" {
		p = "(request)"
	}
	return p + ": " + strings.Join(f.Messages, "; ")
}

// FieldErrors is a list of field errors; as an error it prints one per line.
type FieldErrors []FieldError

func (fe FieldErrors) Error() string {
	lines := make([]string, len(fe))
	for i, f := range fe {
		lines[i] = f.String()
	}
	return strings.Join(lines, "\n")
}

// Error is a non-2xx answer of the CNExpress API.
type Error struct {
	Method string
	Path   string
	Status int
	Detail string      // the "detail" member, if any
	Fields FieldErrors // DRF field errors, flattened to paths
	Body   string      // the raw body when it was not JSON (truncated)
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "cnexpress %s %s: %d %s", e.Method, e.Path, e.Status, http.StatusText(e.Status))
	if e.Detail != "" {
		b.WriteString(": " + e.Detail)
	}
	if len(e.Fields) > 0 {
		b.WriteString(": " + strings.ReplaceAll(e.Fields.Error(), "\n", "; "))
	}
	if e.Detail == "" && len(e.Fields) == 0 && e.Body != "" {
		b.WriteString(": " + e.Body)
	}
	return b.String()
}

// Is matches ErrUnauthorized for 401 and ErrNotFound for 404.
func (e *Error) Is(target error) bool {
	switch target {
	case ErrUnauthorized:
		return e.Status == http.StatusUnauthorized
	case ErrNotFound:
		return e.Status == http.StatusNotFound
	}
	return false
}

// Temporary reports whether a retry may succeed (429 and 5xx).
func (e *Error) Temporary() bool {
	return e.Status == http.StatusTooManyRequests || e.Status >= 500
}

func newError(method, path string, status int, body []byte) *Error {
	e := &Error{Method: method, Path: path, Status: status}
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		s := strings.TrimSpace(string(body))
		if len(s) > 300 {
			s = s[:300] + "…"
		}
		e.Body = s
		return e
	}
	if d, ok := obj["detail"]; ok {
		var s string
		if json.Unmarshal(d, &s) == nil {
			e.Detail = s
		} else {
			e.Detail = string(d)
		}
		delete(obj, "detail")
	}
	e.Fields = flattenDRF("", obj)
	return e
}

// ParseFieldErrors flattens a DRF validation body ({"field": ["msg"], ...},
// nested for lists of objects) into paths.
func ParseFieldErrors(body []byte) (FieldErrors, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(body, &obj); err != nil {
		return nil, err
	}
	return flattenDRF("", obj), nil
}

func flattenDRF(prefix string, obj map[string]json.RawMessage) FieldErrors {
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out FieldErrors
	for _, k := range keys {
		path := k
		if k == "non_field_errors" {
			path = ""
		}
		if prefix != "" {
			if path == "" {
				path = prefix
			} else {
				path = prefix + "." + path
			}
		}
		out = append(out, flattenValue(path, obj[k])...)
	}
	return out
}

func flattenValue(path string, raw json.RawMessage) FieldErrors {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return FieldErrors{{Path: path, Messages: []string{s}}}
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(raw, &obj) == nil {
		return flattenDRF(path, obj)
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil {
		return FieldErrors{{Path: path, Messages: []string{string(raw)}}}
	}
	var out FieldErrors
	var msgs []string
	for i, el := range list {
		var m string
		if json.Unmarshal(el, &m) == nil {
			msgs = append(msgs, m)
			continue
		}
		var o map[string]json.RawMessage
		if json.Unmarshal(el, &o) == nil {
			if len(o) > 0 { // DRF sends {} for list members without errors
				out = append(out, flattenDRF(path+"["+strconv.Itoa(i)+"]", o)...)
			}
			continue
		}
		msgs = append(msgs, string(el))
	}
	if len(msgs) > 0 {
		out = append(FieldErrors{{Path: path, Messages: msgs}}, out...)
	}
	return out
}

// NotSent reports whether err proves that a request never reached the
// server (the connection could not be opened), so that sending it again
// cannot duplicate it.
func NotSent(err error) bool {
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		return true
	}
	var dns *net.DNSError
	return errors.As(err, &dns)
}
