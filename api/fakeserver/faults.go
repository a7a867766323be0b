package fakeserver

import (
	"context"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Fault is a kind of misbehaviour the fake can inject.
type Fault int

const (
	// FaultUnavailable answers 503 without handling the call.
	FaultUnavailable Fault = iota + 1
	// FaultReset drops the connection without answering or handling.
	FaultReset
	// FaultResetAfter handles the call (a POST creates the request), then
	// drops the connection before the answer: the client cannot know.
	FaultResetAfter
	// FaultTruncate serves the first half of a waybill PDF.
	FaultTruncate
)

// Faults are standing fault rates; see also Server.InjectNext.
type Faults struct {
	ErrorRate        float64       // share of calls answered 503
	ResetRate        float64       // share of connections reset
	Latency          time.Duration // added to every call
	TruncateWaybills bool          // every waybill cut in half
}

type faults struct {
	mu       sync.Mutex
	standing Faults
	next     []queued
	rnd      *rand.Rand
}

type queued struct {
	kind   Fault
	method string // "" matches any
	prefix string // path prefix; "" matches any
}

func newFaults() *faults { return &faults{rnd: rand.New(rand.NewPCG(1, 2))} }

// SetFaults replaces the standing fault rates and drops injected faults
// not yet used.
func (s *Server) SetFaults(f Faults) {
	s.faults.mu.Lock()
	s.faults.standing = f
	s.faults.next = nil
	s.faults.mu.Unlock()
}

// InjectNext makes the next n calls with this method ("" for any) suffer
// the fault, in order, before the standing rates apply.
func (s *Server) InjectNext(kind Fault, method string, n int) {
	s.InjectNextPath(kind, method, "", n)
}

// InjectNextPath is InjectNext for calls whose path starts with prefix.
func (s *Server) InjectNextPath(kind Fault, method, prefix string, n int) {
	s.faults.mu.Lock()
	for range n {
		s.faults.next = append(s.faults.next, queued{kind, method, prefix})
	}
	s.faults.mu.Unlock()
}

// pick decides the fault for one call.
func (f *faults) pick(r *http.Request) (Fault, time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, q := range f.next {
		if (q.method == "" || q.method == r.Method) && strings.HasPrefix(r.URL.Path, q.prefix) {
			f.next = append(f.next[:i], f.next[i+1:]...)
			return q.kind, f.standing.Latency
		}
	}
	switch x := f.rnd.Float64(); {
	case x < f.standing.ErrorRate:
		return FaultUnavailable, f.standing.Latency
	case x < f.standing.ErrorRate+f.standing.ResetRate:
		return FaultReset, f.standing.Latency
	}
	if f.standing.TruncateWaybills {
		return FaultTruncate, f.standing.Latency
	}
	return 0, f.standing.Latency
}

type truncateKey struct{}

// truncated reports whether this call's waybill is to be cut short.
func truncated(r *http.Request) bool {
	v, _ := r.Context().Value(truncateKey{}).(bool)
	return v
}

// apply injects latency and the picked fault; it reports whether the call
// has been answered (or dropped) already.
func (f *faults) apply(w http.ResponseWriter, r *http.Request, h http.Handler) bool {
	kind, lat := f.pick(r)
	if lat > 0 {
		select {
		case <-time.After(lat):
		case <-r.Context().Done():
			return true
		}
	}
	switch kind {
	case FaultUnavailable:
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"detail": "服务暂时不可用 (injected fault)"})
		return true
	case FaultReset:
		reset(w)
		return true
	case FaultResetAfter:
		h.ServeHTTP(discard{header: http.Header{}}, r)
		reset(w)
		return true
	case FaultTruncate:
		h.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), truncateKey{}, true)))
		return true
	}
	return false
}

// reset closes the client's connection with an RST.
func reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}

type discard struct{ header http.Header }

func (d discard) Header() http.Header         { return d.header }
func (d discard) Write(b []byte) (int, error) { return len(b), nil }
func (d discard) WriteHeader(int)             {}
