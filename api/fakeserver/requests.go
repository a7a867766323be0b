package fakeserver

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"cnx-agent/api"
)

func (s *Server) createRequest(w http.ResponseWriter, r *http.Request, a *Account) {
	rec := PostRecord{Time: s.opts.Now(), Username: a.Username}
	defer func() {
		s.mu.Lock()
		s.posts = append(s.posts, rec)
		s.mu.Unlock()
	}()
	o, perr := readOrder(r)
	if perr != nil {
		rec.Status = http.StatusBadRequest
		writeJSON(w, http.StatusBadRequest, perr)
		return
	}
	rec.OrderNo = o.OrderNo
	if ps := api.Check(o, s.cat); len(ps) > 0 {
		rec.Status = http.StatusBadRequest
		writeJSON(w, http.StatusBadRequest, drfErrors(ps))
		return
	}
	// Fill in both barcode and name on items, as the server echoes them.
	costs := make([]float64, len(o.Packages))
	total := 0.0
	for i := range o.Packages {
		tins := 0
		for j := range o.Packages[i].Items {
			it := &o.Packages[i].Items[j]
			var p api.Product
			if it.Barcode != "" {
				p, _ = s.cat.ProductByBarcode(it.Barcode)
			} else {
				p, _ = s.cat.ProductByName(it.Name)
			}
			it.Barcode, it.Name = p.Barcode, p.Name
			tins += it.Count
		}
		costs[i] = tinCost(tins)
		total += costs[i]
	}
	if o.RouteCode == "" {
		o.RouteCode = s.routes[0].Code
	}

	s.mu.Lock()
	if !a.TestMode {
		if a.Credit < total {
			credit := a.Credit
			s.mu.Unlock()
			rec.Status = http.StatusBadRequest
			writeJSON(w, http.StatusBadRequest, map[string]any{
				"detail": fmt.Sprintf("余额不足 (insufficient credit: %.2f GBP needed, %.2f GBP available)", total, credit),
			})
			return
		}
		a.Credit -= total
	}
	s.seq++
	now := s.opts.Now()
	no := fmt.Sprintf("CE%s%08d", now.UTC().Format("20060102"), s.seq)
	req := &request{no: no, account: a, order: *o, created: now, status: api.StatusCreated, costs: costs, pdfs: map[string][]byte{}}
	s.requests[no] = req
	s.order = append(s.order, no)
	view := s.requestView(r, req)
	s.mu.Unlock()

	rec.RequestNo, rec.Status = no, http.StatusCreated
	s.opts.Logger.Info("fake: request created", "request_no", no, "order_no", o.OrderNo, "packages", len(o.Packages))
	writeJSON(w, http.StatusCreated, view)
}

// drfErrors nests problems the way DRF serialises them: lists of messages
// per field, lists of objects ({} for members without errors) for packages
// and items.
func drfErrors(ps []api.Problem) map[string]any {
	root := map[string]any{}
	for _, p := range ps {
		path := p.Path
		if path == "" {
			path = "non_field_errors"
		}
		insert(root, splitPath(path), p.Chinese())
	}
	return root
}

var segRE = regexp.MustCompile(`^([a-z_]+)(?:\[(\d+)\])?$`)

type seg struct {
	name  string
	index int // -1 when the segment has no index
}

func splitPath(path string) []seg {
	var out []seg
	for _, part := range strings.Split(path, ".") {
		m := segRE.FindStringSubmatch(part)
		if m == nil {
			out = append(out, seg{name: part, index: -1})
			continue
		}
		i := -1
		if m[2] != "" {
			i, _ = strconv.Atoi(m[2])
		}
		out = append(out, seg{name: m[1], index: i})
	}
	return out
}

func insert(node map[string]any, path []seg, msg string) {
	s := path[0]
	last := len(path) == 1
	if s.index < 0 {
		if last {
			msgs, _ := node[s.name].([]any)
			node[s.name] = append(msgs, msg)
			return
		}
		child, _ := node[s.name].(map[string]any)
		if child == nil {
			child = map[string]any{}
			node[s.name] = child
		}
		insert(child, path[1:], msg)
		return
	}
	list, _ := node[s.name].([]any)
	for len(list) <= s.index {
		list = append(list, map[string]any{})
	}
	el := list[s.index].(map[string]any)
	if last {
		msgs, _ := el["non_field_errors"].([]any)
		el["non_field_errors"] = append(msgs, msg)
	} else {
		insert(el, path[1:], msg)
	}
	node[s.name] = list
}

// advance moves a request along its life cycle on each poll. Called with
// s.mu held.
func (s *Server) advance(req *request) {
	if req.status == api.StatusSucceeded || req.status == api.StatusFailed {
		return
	}
	req.polls++
	if req.polls < s.opts.Polls || s.opts.Now().Sub(req.created) < s.opts.Delay {
		req.status = api.StatusWaiting
		return
	}
	if msg, fail := s.opts.FailWhen(&req.order); fail {
		req.status, req.errMsg = api.StatusFailed, msg
		return
	}
	req.status = api.StatusSucceeded
	req.tracking = make([]string, len(req.order.Packages))
	for i := range req.tracking {
		if req.account.TestMode {
			req.tracking[i] = fmt.Sprintf("TEST%08d", i+1)
		} else {
			s.liveSeq++
			req.tracking[i] = fmt.Sprintf("CX%09dGB", s.liveSeq)
		}
	}
}

func strp(s string) *string { return &s }

// requestView renders the Request object. Called with s.mu held.
func (s *Server) requestView(r *http.Request, req *request) api.Request {
	b := baseURL(r)
	out := api.Request{
		URL:          b + "requests/" + req.no,
		TestMode:     req.account.TestMode,
		RequestNo:    req.no,
		RouteCode:    req.order.RouteCode,
		CreationDate: req.created.UTC(),
		Status:       req.status,
		Packages:     make([]api.Package, len(req.order.Packages)),
	}
	if req.order.OrderNo != "" {
		out.OrderNo = strp(req.order.OrderNo)
	}
	if req.status == api.StatusFailed {
		out.ErrorMsg = strp(req.errMsg)
	}
	if req.status == api.StatusSucceeded {
		out.Waybills = strp(b + "waybills/request/" + req.no)
	}
	for i := range req.order.Packages {
		out.Packages[i] = s.packageView(b, req, i)
		out.TotalCost += req.costs[i]
	}
	return out
}

func (s *Server) packageView(base string, req *request, i int) api.Package {
	p := api.Package{Parcel: req.order.Packages[i], Request: base + "requests/" + req.no, Cost: req.costs[i]}
	if req.status == api.StatusSucceeded {
		key := req.no + "-" + req.tracking[i]
		p.TrackingNo = strp(req.tracking[i])
		p.URL = strp(base + "packages/" + key)
		p.Waybill = strp(base + "waybills/" + key)
	}
	return p
}

// lookup finds a request of the account. Called with s.mu held.
func (s *Server) lookup(a *Account, no string) *request {
	req := s.requests[no]
	if req == nil || req.account != a {
		return nil
	}
	return req
}

func (s *Server) getRequest(w http.ResponseWriter, r *http.Request, a *Account) {
	s.mu.Lock()
	req := s.lookup(a, r.PathValue("no"))
	if req == nil {
		s.mu.Unlock()
		notFound(w)
		return
	}
	s.advance(req)
	view := s.requestView(r, req)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, view)
}

// findPackage resolves "<request_no>-<tracking_no>". Called with s.mu held.
func (s *Server) findPackage(a *Account, key string) (*request, int) {
	no, tracking, ok := strings.Cut(key, "-")
	if !ok {
		return nil, -1
	}
	req := s.lookup(a, no)
	if req == nil || req.status != api.StatusSucceeded {
		return nil, -1
	}
	for i, t := range req.tracking {
		if t == tracking {
			return req, i
		}
	}
	return nil, -1
}

func (s *Server) getPackage(w http.ResponseWriter, r *http.Request, a *Account) {
	s.mu.Lock()
	req, i := s.findPackage(a, r.PathValue("key"))
	if req == nil {
		s.mu.Unlock()
		notFound(w)
		return
	}
	view := s.packageView(baseURL(r), req, i)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, view)
}

func (s *Server) formatFor(r *http.Request, req *request) Format {
	if f := Format(r.URL.Query().Get("format")); f != "" {
		return f
	}
	if s.opts.WaybillFormat != "" {
		return s.opts.WaybillFormat
	}
	for _, rt := range s.routes {
		if rt.Code == req.order.RouteCode {
			return rt.Format
		}
	}
	return s.routes[0].Format
}

func (s *Server) labelData(req *request, i int) waybillData {
	province := ""
	if ms := s.cat.Cities.Find(req.order.Packages[i].ReceiverCity); len(ms) > 0 && ms[0].Province != req.order.Packages[i].ReceiverCity {
		province = ms[0].Province
	}
	rt, _ := s.cat.Route(req.order.RouteCode)
	return waybillData{
		RequestNo: req.no, TrackingNo: req.tracking[i], OrderNo: req.order.OrderNo,
		RouteName: rt.Name, RouteCode: rt.Code, TestMode: req.account.TestMode,
		Created: req.created, Province: province, Parcel: req.order.Packages[i],
		Index: i, Count: len(req.order.Packages),
	}
}

// pdf renders (once, then from cache) the waybills of the given packages.
func (s *Server) pdf(req *request, format Format, idx []int) ([]byte, error) {
	key := fmt.Sprint(format, idx)
	s.mu.Lock()
	b, ok := req.pdfs[key]
	data := make([]waybillData, len(idx))
	for j, i := range idx {
		data[j] = s.labelData(req, i)
	}
	s.mu.Unlock()
	if ok {
		return b, nil
	}
	b, err := renderWaybills(format, data)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	req.pdfs[key] = b
	s.mu.Unlock()
	return b, nil
}

func (s *Server) sendPDF(w http.ResponseWriter, r *http.Request, req *request, idx []int, filename string) {
	b, err := s.pdf(req, s.formatFor(r, req), idx)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"detail": err.Error()})
		return
	}
	if truncated(r) {
		b = b[:len(b)/2]
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Disposition", "attachment; filename="+filename)
	w.Header().Set("Content-Language", "zh-cn")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	_, _ = w.Write(b)
}

func (s *Server) waybill(w http.ResponseWriter, r *http.Request, a *Account) {
	s.mu.Lock()
	req, i := s.findPackage(a, r.PathValue("key"))
	s.mu.Unlock()
	if req == nil {
		notFound(w)
		return
	}
	s.sendPDF(w, r, req, []int{i}, r.PathValue("key")+".pdf")
}

func (s *Server) requestWaybills(w http.ResponseWriter, r *http.Request, a *Account) {
	s.mu.Lock()
	req := s.lookup(a, r.PathValue("no"))
	ok := req != nil && req.status == api.StatusSucceeded
	s.mu.Unlock()
	if !ok {
		notFound(w)
		return
	}
	idx := make([]int, len(req.order.Packages))
	for i := range idx {
		idx[i] = i
	}
	s.sendPDF(w, r, req, idx, req.no+".pdf")
}

// tracking answers for live numbers with progress derived from the age of
// the request; test numbers have no tracking.
func (s *Server) tracking(w http.ResponseWriter, r *http.Request, a *Account) {
	no := r.PathValue("no")
	if strings.HasPrefix(no, "TEST") {
		writeJSON(w, http.StatusNotFound, map[string]string{"detail": "测试单号没有追踪信息 (test-mode tracking numbers are not tracked)"})
		return
	}
	s.mu.Lock()
	var created time.Time
	found := false
	for _, req := range s.requests {
		for _, t := range req.tracking {
			if t == no && req.account == a {
				created, found = req.created, true
			}
		}
	}
	s.mu.Unlock()
	if !found {
		notFound(w)
		return
	}
	steps := []string{"英国包裹信息与面单已生成", "英国离开处理中心发往中国广州", "广州市到达广州白云机场 运往海关申报清关", "江门市到达海关快件处理中心 进行清关", "[广东东莞分拨中心]进行装车扫描", "快件已签收"}
	age := s.opts.Now().Sub(created)
	n := 1 + int(age/(12*time.Hour))
	n = min(n, len(steps))
	t := api.Tracking{TrackingNo: no, Delivered: n == len(steps), Timestamp: s.opts.Now().UTC()}
	for i := 0; i < n; i++ {
		t.Progress = append(t.Progress, api.TrackingEvent{Detail: steps[i], Time: created.Add(time.Duration(i) * 12 * time.Hour).UTC()})
	}
	writeJSON(w, http.StatusOK, t)
}
