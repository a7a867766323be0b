package localapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"image/png"
	"net/http"
	"os"
	"strconv"

	"cnx-agent/agent"
	"cnx-agent/agent/store"
	"cnx-agent/api"
)

// Status is GET /status.
type Status struct {
	Version   string         `json:"version"`
	Paused    bool           `json:"paused"`
	Counts    map[string]int `json:"counts"`
	Working   int            `json:"working"`   // jobs the pipeline is on
	Attention int            `json:"attention"` // jobs that need a person
	Printing  int            `json:"printing"`  // labels_ready + waiting_for_printer
	Queued    int            `json:"queued"`
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	counts, err := s.o.Store.Counts(r.Context())
	if err != nil {
		writeErr(w, http.StatusInternalServerError, err)
		return
	}
	st := Status{Version: s.o.Version, Paused: s.o.Agent.Paused(), Counts: map[string]int{}}
	for state, n := range counts {
		st.Counts[state.String()] = n
		if state.Active() {
			st.Working += n
		}
	}
	st.Attention = counts[store.NeedsAttention]
	st.Printing = counts[store.LabelsReady] + counts[store.WaitingForPrinter]
	st.Queued = counts[store.Queued]
	writeJSON(w, http.StatusOK, st)
}

func (s *Server) jobs(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := store.Filter{Limit: 50}
	if v := q.Get("limit"); v != "" {
		f.Limit, _ = strconv.Atoi(v)
	}
	f.Offset, _ = strconv.Atoi(q.Get("offset"))
	f.Limit = min(max(f.Limit, 1), 1000)
	for _, name := range q["state"] {
		st, err := store.ParseState(name)
		if err != nil {
			writeErr(w, http.StatusBadRequest, err)
			return
		}
		f.States = append(f.States, st)
	}
	jobs, err := s.o.Store.Jobs(r.Context(), f)
	if err != nil {
		writeErr(w, http.StatusInternalServerError, err)
		return
	}
	out := make([]JobView, len(jobs))
	for i, j := range jobs {
		out[i] = View(j)
	}
	writeJSON(w, http.StatusOK, out)
}

func (s *Server) job(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		writeErr(w, http.StatusNotFound, err)
		return
	}
	j, err := s.o.Store.Job(r.Context(), id)
	if err != nil {
		writeErr(w, statusFor(err), err)
		return
	}
	d := JobDetail{JobView: View(j)}
	for _, p := range j.Packages {
		recs, err := s.o.Store.Prints(r.Context(), p.ID)
		if err != nil {
			writeErr(w, http.StatusInternalServerError, err)
			return
		}
		d.Prints = append(d.Prints, PackagePrints{TrackingNo: p.TrackingNo, Prints: recs})
	}
	if d.Events, err = s.o.Store.Events(r.Context(), id, 200); err != nil {
		writeErr(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, http.StatusOK, d)
}

func (s *Server) submit(w http.ResponseWriter, r *http.Request) {
	var raw json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&raw); err != nil {
		st := statusFor(err)
		if st == http.StatusInternalServerError {
			st = http.StatusBadRequest
		}
		writeErr(w, st, fmt.Errorf("not a CNExpress order: %w", err))
		return
	}
	var cat *api.Catalog
	if s.o.Client != nil {
		cat, _ = s.o.Client.Catalog(r.Context())
	}
	o, err := agent.ParseOrder(raw, cat)
	if err != nil {
		writeErr(w, http.StatusUnprocessableEntity, err)
		return
	}
	id, err := agent.Enqueue(r.Context(), s.o.Store, o, "api", "")
	if err != nil {
		writeErr(w, http.StatusInternalServerError, err)
		return
	}
	s.o.Agent.Wake()
	j, err := s.o.Store.Job(r.Context(), id)
	if err != nil {
		writeErr(w, http.StatusInternalServerError, err)
		return
	}
	writeJSON(w, http.StatusCreated, View(j))
}

func (s *Server) retry(w http.ResponseWriter, r *http.Request) {
	s.act(w, r, func(ctx context.Context, id int64) (*store.Job, error) { return agent.Retry(ctx, s.o.Store, id) })
}

// ResolveRequest is the body of POST jobs/{id}/resolve.
type ResolveRequest struct {
	Resubmit  bool   `json:"resubmit"`
	RequestNo string `json:"request_no"`
}

func (s *Server) resolve(w http.ResponseWriter, r *http.Request) {
	var req ResolveRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.Resubmit == (req.RequestNo != "") {
		writeErr(w, http.StatusBadRequest, errors.New(`want {"resubmit": true} or {"request_no": "CE…"}`))
		return
	}
	s.act(w, r, func(ctx context.Context, id int64) (*store.Job, error) {
		if req.Resubmit {
			return agent.Resubmit(ctx, s.o.Store, id)
		}
		return agent.Attach(ctx, s.o.Store, id, req.RequestNo)
	})
}

func (s *Server) act(w http.ResponseWriter, r *http.Request, f func(context.Context, int64) (*store.Job, error)) {
	id, err := pathID(r)
	if err != nil {
		writeErr(w, http.StatusNotFound, err)
		return
	}
	j, err := f(r.Context(), id)
	if err != nil {
		writeErr(w, statusFor(err), err)
		return
	}
	s.o.Agent.Wake()
	writeJSON(w, http.StatusOK, View(j))
}

// ReprintRequest is the body of POST jobs/{id}/reprint ("" = every label).
type ReprintRequest struct {
	TrackingNo string `json:"tracking_no"`
}

// ReprintResult answers a reprint.
type ReprintResult struct {
	JobID   int64 `json:"job_id"`
	Printed int   `json:"printed"`
}

func (s *Server) reprint(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r)
	if err != nil {
		writeErr(w, http.StatusNotFound, err)
		return
	}
	var req ReprintRequest
	if r.ContentLength != 0 {
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			writeErr(w, http.StatusBadRequest, err)
			return
		}
	}
	s.doReprint(w, r, id, req.TrackingNo)
}

func (s *Server) reprintLast(w http.ResponseWriter, r *http.Request) {
	id, tracking, err := s.o.Store.LastPrint(r.Context())
	if err != nil {
		writeErr(w, statusFor(err), err)
		return
	}
	s.doReprint(w, r, id, tracking)
}

func (s *Server) doReprint(w http.ResponseWriter, r *http.Request, id int64, tracking string) {
	n, err := s.o.Agent.Reprint(r.Context(), id, tracking)
	if err != nil {
		writeErr(w, statusFor(err), err)
		return
	}
	writeJSON(w, http.StatusOK, ReprintResult{JobID: id, Printed: n})
}

func (s *Server) pause(p bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		s.o.Agent.SetPaused(p)
		writeJSON(w, http.StatusOK, map[string]bool{"paused": p})
	}
}

// labelPath finds package n (1-based) of a job and its label file.
func (s *Server) labelPath(r *http.Request) (string, error) {
	id, err := pathID(r)
	if err != nil {
		return "", err
	}
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil {
		return "", fmt.Errorf("package %q: %w", r.PathValue("n"), store.ErrNotFound)
	}
	j, err := s.o.Store.Job(r.Context(), id)
	if err != nil {
		return "", err
	}
	if n < 1 || n > len(j.Packages) || j.Packages[n-1].Label == "" {
		return "", fmt.Errorf("job %d has no label for package %d: %w", id, n, store.ErrNotFound)
	}
	return j.Packages[n-1].Label, nil
}

func (s *Server) labelPDF(w http.ResponseWriter, r *http.Request) {
	path, err := s.labelPath(r)
	if err != nil {
		writeErr(w, statusFor(err), err)
		return
	}
	w.Header().Set("Content-Type", "application/pdf")
	http.ServeFile(w, r, path)
}

// preview renders a label at ?dpi= (default 96) as PNG.
func (s *Server) preview(w http.ResponseWriter, r *http.Request) {
	path, err := s.labelPath(r)
	if err != nil {
		writeErr(w, statusFor(err), err)
		return
	}
	if s.o.Renderer == nil {
		writeErr(w, http.StatusServiceUnavailable, errors.New("no PDF renderer"))
		return
	}
	dpi, _ := strconv.ParseFloat(r.URL.Query().Get("dpi"), 64)
	if dpi <= 0 || dpi > 300 {
		dpi = 96
	}
	b, err := os.ReadFile(path)
	if err != nil {
		writeErr(w, http.StatusInternalServerError, err)
		return
	}
	doc, err := s.o.Renderer.Open(b)
	if err != nil {
		writeErr(w, http.StatusInternalServerError, err)
		return
	}
	defer doc.Close()
	img, err := doc.GrayDPI(0, dpi)
	if err != nil {
		writeErr(w, http.StatusInternalServerError, err)
		return
	}
	w.Header().Set("Content-Type", "image/png")
	_ = png.Encode(w, img)
}
