package api_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cnx-agent/api"
	"cnx-agent/api/fakeserver"
)

func newPair(t *testing.T, opts fakeserver.Options, user string) (*fakeserver.Server, *api.Client) {
	t.Helper()
	fake := fakeserver.New(opts)
	ts := httptest.NewServer(fake)
	t.Cleanup(ts.Close)
	c, err := api.New(api.Options{Root: ts.URL + "/api/v1", Username: user, Password: user, BaseDelay: time.Millisecond, MaxDelay: 5 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	return fake, c
}

// succeed posts the sample order and polls it to the end.
func succeed(t *testing.T, c *api.Client, o api.Order) *api.Request {
	t.Helper()
	ctx := context.Background()
	r, err := c.CreateRequest(ctx, &o)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 10 && !r.Done(); i++ {
		if r, err = c.Request(ctx, r.RequestNo); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func TestReadEndpoints(t *testing.T) {
	t.Parallel()
	_, c := newPair(t, fakeserver.Options{}, "live")
	ctx := context.Background()
	acc, err := c.Account(ctx)
	if err != nil || acc.Username != "live" || acc.Currency != "GBP" || acc.Credit != 100 {
		t.Fatalf("Account = %+v, %v", acc, err)
	}
	products, err := c.Products(ctx)
	if err != nil || len(products) == 0 || !strings.HasSuffix(products[0].URL, "/products/"+products[0].Barcode) {
		t.Fatalf("Products = %+v, %v", products, err)
	}
	p, err := c.Product(ctx, "5000378998287")
	if err != nil || p.Name != "爱他美奶粉1段" {
		t.Fatalf("Product = %+v, %v", p, err)
	}
	cities, err := c.Cities(ctx)
	if err != nil || len(cities) == 0 {
		t.Fatalf("Cities = %v, %v", cities, err)
	}
	routes, err := c.Routes(ctx)
	if err != nil || len(routes) < 4 {
		t.Fatalf("Routes = %v, %v", routes, err)
	}
	rt, err := c.Route(ctx, "cnpost")
	if err != nil || rt.Name != "邮政线" {
		t.Fatalf("Route = %+v, %v", rt, err)
	}
	cat, err := c.Catalog(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if ms := cat.Cities.Find("黄山市"); len(ms) != 1 || ms[0].Province != "安徽" || ms[0].Level() != 2 {
		t.Errorf("Find(黄山市) = %+v", ms)
	}
	if ms := cat.Cities.Find("北京"); len(ms) != 2 || ms[0].Level() != 1 {
		t.Errorf("Find(北京) = %+v, want province first then city", ms)
	}
}

func TestErrors(t *testing.T) {
	t.Parallel()
	fake, c := newPair(t, fakeserver.Options{}, "test")
	ctx := context.Background()
	bad, _ := api.New(api.Options{Root: c.Root(), Username: "test", Password: "wrong"})
	tests := []struct {
		name   string
		call   func() error
		status int
		is     error
		detail string
	}{
		{"wrong password", func() error { _, err := bad.Account(ctx); return err }, 401, api.ErrUnauthorized, "用户名或密码无效。"},
		{"unknown product", func() error { _, err := c.Product(ctx, "1234567890123"); return err }, 404, api.ErrNotFound, "未找到。"},
		{"unknown route", func() error { _, err := c.Route(ctx, "nope"); return err }, 404, api.ErrNotFound, ""},
		{"unknown request", func() error { _, err := c.Request(ctx, "CE2017080400000004"); return err }, 404, api.ErrNotFound, ""},
		{"unknown package", func() error { _, err := c.Package(ctx, "CE1", "TEST00000001"); return err }, 404, api.ErrNotFound, ""},
		{"test tracking", func() error { _, err := c.Tracking(ctx, "TEST00000001"); return err }, 404, api.ErrNotFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			var apiErr *api.Error
			if !errors.As(err, &apiErr) {
				t.Fatalf("got %v, want *api.Error", err)
			}
			if apiErr.Status != tt.status || !errors.Is(err, tt.is) {
				t.Errorf("got status %d (%v), want %d", apiErr.Status, err, tt.status)
			}
			if tt.detail != "" && apiErr.Detail != tt.detail {
				t.Errorf("got detail %q, want %q", apiErr.Detail, tt.detail)
			}
		})
	}
	_ = fake

	// No credentials at all: DRF's own message.
	resp, err := http.Get(c.Root() + "/account")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b := make([]byte, 200)
	n, _ := resp.Body.Read(b)
	if resp.StatusCode != 401 || !strings.Contains(string(b[:n]), "身份认证信息未提供") || resp.Header.Get("WWW-Authenticate") == "" {
		t.Errorf("no credentials: %d %s", resp.StatusCode, b[:n])
	}
}

func TestValidationErrorShape(t *testing.T) {
	t.Parallel()
	_, c := newPair(t, fakeserver.Options{}, "test")
	o := fakeserver.SampleOrder()
	o.Packages[1].Items[0] = api.Item{Barcode: "0000000000000", Count: 2}
	o.Packages[0].ReceiverCity = "九龙"
	o.Packages[0].Items[1].Count = 3
	_, err := c.CreateRequest(context.Background(), &o)
	var apiErr *api.Error
	if !errors.As(err, &apiErr) || apiErr.Status != 400 {
		t.Fatalf("got %v, want a 400", err)
	}
	want := map[string]string{
		"packages[0].receiver_city":    "不支持港澳台地区",
		"packages[0].items":            "每个包裹只支持4罐或者6罐奶粉",
		"packages[1].items[0].barcode": "无效产品",
	}
	got := map[string]string{}
	for _, f := range apiErr.Fields {
		got[f.Path] = strings.Join(f.Messages, ";")
	}
	for path, msg := range want {
		if got[path] != msg {
			t.Errorf("field %s: got %q, want %q (all: %v)", path, got[path], msg, got)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got fields %v, want %v", got, want)
	}
}

func TestLifeCycleAndWaybills(t *testing.T) {
	t.Parallel()
	fake, c := newPair(t, fakeserver.Options{Polls: 2}, "test")
	ctx := context.Background()
	o := fakeserver.SampleOrder()
	r, err := c.CreateRequest(ctx, &o)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != api.StatusCreated || !r.TestMode || !strings.HasPrefix(r.RequestNo, "CE") || len(r.RequestNo) != 18 {
		t.Fatalf("POST answer = %+v", r)
	}
	if r.Packages[0].TrackingNo != nil || r.Waybills != nil || r.TotalCost != 33 {
		t.Errorf("before success: tracking %v waybills %v total %v", r.Packages[0].TrackingNo, r.Waybills, r.TotalCost)
	}
	if r.Packages[1].Items[0].Barcode != "0721865545337" || r.Packages[0].Weight != "4.00" {
		t.Errorf("echo: items %+v weight %q", r.Packages[1].Items, r.Packages[0].Weight)
	}
	var statuses []string
	for !r.Done() {
		if r, err = c.Request(ctx, r.RequestNo); err != nil {
			t.Fatal(err)
		}
		statuses = append(statuses, r.Status)
	}
	if strings.Join(statuses, ",") != "Waiting,Succeeded" {
		t.Errorf("statuses %v, want Waiting,Succeeded", statuses)
	}
	if got := api.Str(r.Packages[1].TrackingNo); got != "TEST00000002" {
		t.Errorf("tracking = %q", got)
	}
	p, err := c.Package(ctx, r.RequestNo, "TEST00000001")
	if err != nil || api.Str(p.PackageNo) != "1" || p.Cost != 20 {
		t.Fatalf("Package = %+v, %v", p, err)
	}
	dir := t.TempDir()
	d, err := c.DownloadWaybill(ctx, r.RequestNo, "TEST00000001", filepath.Join(dir, "one.pdf"))
	if err != nil {
		t.Fatal(err)
	}
	if d.Filename != r.RequestNo+"-TEST00000001.pdf" || d.Size < 1000 {
		t.Errorf("download = %+v", d)
	}
	m, err := c.DownloadRequestWaybills(ctx, r.RequestNo, filepath.Join(dir, "all.pdf"))
	if err != nil || m.Filename != r.RequestNo+".pdf" {
		t.Fatalf("merged = %+v, %v", m, err)
	}
	// Test numbers repeat across requests.
	r2 := succeed(t, c, fakeserver.SampleOrder())
	if api.Str(r2.Packages[0].TrackingNo) != "TEST00000001" || r2.RequestNo == r.RequestNo {
		t.Errorf("second request %s tracking %q", r2.RequestNo, api.Str(r2.Packages[0].TrackingNo))
	}
	if n := len(fake.Posts()); n != 2 {
		t.Errorf("posts = %d, want 2", n)
	}
}

func TestLiveAccountCreditAndTracking(t *testing.T) {
	t.Parallel()
	fake, c := newPair(t, fakeserver.Options{Polls: 1}, "live")
	ctx := context.Background()
	r := succeed(t, c, fakeserver.SampleOrder())
	if r.TestMode || fake.Credit("live") != 67 {
		t.Fatalf("test_mode %v credit %v, want false, 67", r.TestMode, fake.Credit("live"))
	}
	tr, err := c.Tracking(ctx, api.Str(r.Packages[0].TrackingNo))
	if err != nil || len(tr.Progress) == 0 {
		t.Fatalf("Tracking = %+v, %v", tr, err)
	}
	succeed(t, c, fakeserver.SampleOrder()) // 34 left
	succeed(t, c, fakeserver.SampleOrder()) // 1 left
	o := fakeserver.SampleOrder()
	_, err = c.CreateRequest(ctx, &o)
	var apiErr *api.Error
	if !errors.As(err, &apiErr) || apiErr.Status != 400 || !strings.Contains(apiErr.Detail, "余额不足") {
		t.Fatalf("fourth order: got %v, want insufficient credit", err)
	}
}

func TestFailedRequest(t *testing.T) {
	t.Parallel()
	_, c := newPair(t, fakeserver.Options{Polls: 1}, "test")
	o := fakeserver.SampleOrder()
	o.Packages[1].ReceiverIDNumber = "000000000000000000"
	r := succeed(t, c, o)
	if r.Status != api.StatusFailed || !strings.Contains(api.Str(r.ErrorMsg), "包裹2") || r.Waybills != nil {
		t.Fatalf("got %s %q", r.Status, api.Str(r.ErrorMsg))
	}
}

func TestRetries(t *testing.T) {
	t.Parallel()
	fake, c := newPair(t, fakeserver.Options{Polls: 1}, "test")
	ctx := context.Background()

	fake.InjectNext(fakeserver.FaultUnavailable, http.MethodGet, 2)
	fake.InjectNext(fakeserver.FaultReset, http.MethodGet, 1)
	if _, err := c.Products(ctx); err != nil {
		t.Fatalf("GET after 503, 503, reset: %v", err)
	}

	fake.InjectNext(fakeserver.FaultUnavailable, http.MethodPost, 1)
	o := fakeserver.SampleOrder()
	_, err := c.CreateRequest(ctx, &o)
	var apiErr *api.Error
	if !errors.As(err, &apiErr) || apiErr.Status != 503 {
		t.Fatalf("POST with a 503: got %v, want the 503 (never retried)", err)
	}
	if n := fake.Calls("POST /api/v1/requests"); n != 0 {
		t.Errorf("POST reached the handler %d times, want 0", n)
	}

	fake.InjectNext(fakeserver.FaultResetAfter, http.MethodPost, 1)
	_, err = c.CreateRequest(ctx, &o)
	if err == nil || api.NotSent(err) {
		t.Fatalf("POST answer lost: got %v, want an error that may have been sent", err)
	}
	if n := len(fake.Posts()); n != 1 {
		t.Errorf("posts = %d, want exactly 1", n)
	}

	r := succeed(t, c, fakeserver.SampleOrder())
	fake.InjectNext(fakeserver.FaultTruncate, http.MethodGet, 1)
	d, err := c.DownloadWaybill(ctx, r.RequestNo, "TEST00000001", filepath.Join(t.TempDir(), "w.pdf"))
	if err != nil {
		t.Fatalf("download after a truncated body: %v", err)
	}
	b, _ := os.ReadFile(d.Path)
	if !strings.Contains(string(b[len(b)-10:]), "%%EOF") {
		t.Error("saved PDF is not complete")
	}
}

func TestDownloadRejectsTruncatedPDF(t *testing.T) {
	t.Parallel()
	fake, c := newPair(t, fakeserver.Options{Polls: 1}, "test")
	r := succeed(t, c, fakeserver.SampleOrder())
	fake.SetFaults(fakeserver.Faults{TruncateWaybills: true})
	dest := filepath.Join(t.TempDir(), "w.pdf")
	_, err := c.DownloadWaybill(context.Background(), r.RequestNo, "TEST00000001", dest)
	if !errors.Is(err, api.ErrNotPDF) {
		t.Fatalf("got %v, want ErrNotPDF", err)
	}
	if _, serr := os.Stat(dest); !os.IsNotExist(serr) {
		t.Error("a truncated waybill was left at the destination")
	}
}

func TestNotSent(t *testing.T) {
	t.Parallel()
	ts := httptest.NewServer(http.NotFoundHandler())
	root := ts.URL
	ts.Close()
	c, _ := api.New(api.Options{Root: root, MaxRetries: 1, BaseDelay: time.Millisecond})
	o := fakeserver.SampleOrder()
	_, err := c.CreateRequest(context.Background(), &o)
	if !api.NotSent(err) {
		t.Fatalf("connection refused: NotSent(%v) = false", err)
	}
}
