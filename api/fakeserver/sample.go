package fakeserver

import (
	_ "embed"
	"encoding/json"

	"cnx-agent/api"
)

// sampleJSON is the sample order of the courier's API document (sample.json
// there), with its lost braces restored.
//
//go:embed testdata/sample.json
var sampleJSON []byte

// SampleJSON returns the courier's sample order as JSON, as an integrator
// would drop it in the inbox.
func SampleJSON() []byte { return append([]byte(nil), sampleJSON...) }

// SampleOrder returns the courier's sample order: two packages on the
// cnpost route.
func SampleOrder() api.Order {
	var o api.Order
	if err := json.Unmarshal(sampleJSON, &o); err != nil {
		panic("fakeserver: embedded sample order: " + err.Error())
	}
	return o
}
