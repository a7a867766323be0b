package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"cnx-agent/api/fakeserver"
	"cnx-agent/i18n"
	"cnx-agent/printer/render"
)

// cli runs the CLI in-process against a fake CNExpress and a temp data dir.
type cli struct {
	t    *testing.T
	data string
}

func newCLI(t *testing.T) *cli {
	useFakeCNExpress(t, "live")
	return &cli{t: t, data: t.TempDir()}
}

// useFakeCNExpress points the CLI, through its environment, at a fake
// CNExpress on loopback as user (test or live), with no inbox and the local
// API on a free loopback port.
func useFakeCNExpress(t *testing.T, user string) {
	srv := httptest.NewServer(fakeserver.New(fakeserver.Options{Polls: 1}))
	t.Cleanup(srv.Close)
	t.Setenv("CNX_API_ROOT", srv.URL+"/api/v1")
	t.Setenv("CNX_USERNAME", user)
	t.Setenv("CNX_PASSWORD", user)
	t.Setenv("CNX_INBOX", "")
	t.Setenv("CNX_CACHE_DIR", render.DefaultCacheDir())
	t.Setenv("CNX_LISTEN", "127.0.0.1:0")
}

func (c *cli) run(args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	code = run(context.Background(), append(args, "--data-dir", c.data), &out, &errb)
	return code, out.String(), errb.String()
}

func TestCLI(t *testing.T) {
	c := newCLI(t)
	good := filepath.Join(t.TempDir(), "order.json")
	os.WriteFile(good, fakeserver.SampleJSON(), 0o644)
	bad := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(bad, []byte(`{"route_code": "dhl", "packages": []}`), 0o644)

	tests := []struct {
		args     []string
		code     int
		inOut    string
		inErr    string
		notInOut string
	}{
		{[]string{"version"}, 0, "cnx-agent", "", ""},
		{[]string{"frobnicate"}, 2, "", "unknown command", ""},
		{[]string{"retry", "abc"}, 2, "", "not a job number", ""},
		{[]string{"resolve", "1"}, 2, "", "usage: cnx-agent resolve", ""},
		{[]string{"jobs", "--state", "done"}, 2, "", `unknown job state "done"`, ""},
		{[]string{"submit", bad}, 1, "", `route_code: unknown route "dhl"; allowed: cnpost (邮政线)`, ""},
		{[]string{"submit", good}, 0, "queued as job 1", "", ""},
		{[]string{"print", "CE2017080400000004"}, 0, "job 2", "", ""},
		{[]string{"print", "../x"}, 1, "", "unusable request number", ""},
		{[]string{"account"}, 0, "live: credit 100.00 GBP", "", "password"},
		{[]string{"products"}, 0, "5000378998287  爱他美奶粉1段", "", ""},
		{[]string{"routes"}, 0, "圆通线", "", ""},
		{[]string{"cities", "--find", "黄山市"}, 0, "province 安徽: 安徽 › 黄山市", "", ""},
		{[]string{"cities", "--find", "九龙"}, 0, "not a valid receiver", "", ""},
		{[]string{"track", "TEST00000001"}, 0, "test parcels have no tracking", "", ""},
		{[]string{"retry", "1"}, 1, "", "retry takes failed or needs_attention jobs", ""},
		{[]string{"reprint", "1"}, 1, "", "", ""},
	}
	for _, tt := range tests {
		code, out, errOut := c.run(tt.args...)
		if code != tt.code || !strings.Contains(out, tt.inOut) || !strings.Contains(errOut, tt.inErr) ||
			(tt.notInOut != "" && strings.Contains(out, tt.notInOut)) {
			t.Errorf("%v: exit %d, want %d\nstdout: %s\nstderr: %s", tt.args, code, tt.code, out, errOut)
		}
	}

	code, out, _ := c.run("jobs", "--json")
	if code != 0 {
		t.Fatalf("jobs --json exit %d", code)
	}
	var jobs []map[string]any
	if err := json.Unmarshal([]byte(out), &jobs); err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 2 {
		t.Fatalf("jobs = %d, want 2", len(jobs))
	}
	for _, key := range []string{"id", "state", "request_no", "order_no", "source", "error", "packages"} {
		if _, ok := jobs[0][key]; !ok {
			t.Errorf("jobs --json lacks %q: %v", key, jobs[0])
		}
	}
	if jobs[1]["state"] != "queued" || jobs[1]["source"] != "cli" || jobs[0]["state"] != "submitted" {
		t.Errorf("jobs: %v", jobs)
	}
	if strings.Contains(out, "live\"") && strings.Contains(out, "password") {
		t.Error("password in jobs output")
	}
}

func TestCLIRunPrintsQueuedJob(t *testing.T) {
	c := newCLI(t)
	good := filepath.Join(t.TempDir(), "order.json")
	os.WriteFile(good, fakeserver.SampleJSON(), 0o644)
	if code, _, errOut := c.run("submit", good); code != 0 {
		t.Fatalf("submit: %s", errOut)
	}
	if code, _, errOut := c.run("run", "--exit-when-idle"); code != 0 {
		t.Fatalf("run: %s", errOut)
	}
	_, out, _ := c.run("jobs")
	if !strings.Contains(out, "printed") || !strings.Contains(out, "CX000000001GB") {
		t.Errorf("jobs:\n%s", out)
	}
	if code, out, errOut := c.run("reprint", "1"); code != 0 || !strings.Contains(out, "reprinted 2 label(s)") {
		t.Fatalf("reprint: %d %s %s", code, out, errOut)
	}
	_, out, _ = c.run("jobs", "--json")
	if !strings.Contains(out, `"prints": 2`) {
		t.Errorf("prints not counted: %s", out)
	}
}

func TestFindExportAndReprintByCode(t *testing.T) {
	c := newCLI(t)
	good := filepath.Join(t.TempDir(), "order.json")
	os.WriteFile(good, fakeserver.SampleJSON(), 0o644)
	for range 2 { // two requests: their TEST tracking numbers repeat
		if code, _, errOut := c.run("submit", good); code != 0 {
			t.Fatalf("submit: %s", errOut)
		}
	}
	if code, _, errOut := c.run("run", "--exit-when-idle"); code != 0 {
		t.Fatalf("run: %s", errOut)
	}
	// The two orders are posted in parallel: which job got which tracking
	// numbers is up to the race; find tells.
	code, out, _ := c.run("find", "CX000000003GB")
	var jobID int
	if _, err := fmt.Sscanf(out, "job %d  printed  order 1234567", &jobID); code != 0 || err != nil || strings.Count(out, "job ") != 1 {
		t.Fatalf("find tracking: %d %v\n%s", code, err, out)
	}
	if code, out, _ := c.run("find", "1234567"); code != 0 || !strings.Contains(out, "job 1 ") || !strings.Contains(out, "job 2 ") {
		t.Errorf("find order: %d\n%s", code, out)
	}
	if code, _, errOut := c.run("find", "NOPE"); code != 1 || !strings.Contains(errOut, `"NOPE" not found`) {
		t.Errorf("find unknown: %d %s", code, errOut)
	}
	if code, out, errOut := c.run("reprint", "CX000000003GB"); code != 0 || !strings.Contains(out, fmt.Sprintf("reprinted 1 label(s) of job %d", jobID)) {
		t.Fatalf("reprint by tracking: %d %s %s", code, out, errOut)
	}
	code, out, _ = c.run("export", "--since", time.Now().Add(-24*time.Hour).Format("2006-01-02"), "--csv")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 5 || lines[0] != "date,order_no,package_no,request_no,tracking_no,route,cost,state" ||
		!strings.Contains(lines[1], ",1234567,1,CE") || !strings.HasSuffix(lines[1], ",cnpost,20.00,printed") {
		t.Errorf("export csv: %d\n%s", code, out)
	}
	if code, out, _ := c.run("export", "--since", "2999-01-01"); code != 0 || strings.TrimSpace(out) != "[]" {
		t.Errorf("export future: %d %s", code, out)
	}
	if code, _, _ := c.run("export", "--since", "yesterday"); code != 2 {
		t.Errorf("bad date: exit %d", code)
	}
}

func TestCLIChineseMessages(t *testing.T) {
	c := newCLI(t)
	t.Cleanup(func() { i18n.Default.SetLanguage("en") })
	cfg := filepath.Join(t.TempDir(), "config.toml")
	os.WriteFile(cfg, []byte("[agent]\nlanguage = \"zh\"\n"), 0o600)
	bad := fakeserver.SampleOrder()
	bad.Packages[0].ReceiverCity = "黄山"
	b, _ := json.Marshal(bad)
	file := filepath.Join(t.TempDir(), "bad.json")
	os.WriteFile(file, b, 0o644)
	code, _, errOut := c.run("submit", file, "--config", cfg)
	if code != 1 || !strings.Contains(errOut, `packages[0].receiver_city: "黄山" 不是 CNExpress 的城市`) || !strings.Contains(errOut, "未被接受") {
		t.Errorf("zh submit: %d\n%s", code, errOut)
	}
	if code, _, errOut := c.run("printers", "test", "nope", "--config", cfg); code != 2 || !strings.Contains(errOut, `配置中没有名为 "nope" 的打印机`) {
		t.Errorf("zh unknown printer: %d\n%s", code, errOut)
	}
	if code, _, errOut := c.run("export", "--since", "yesterday", "--config", cfg); code != 2 || !strings.Contains(errOut, `--since "yesterday":请给出日期`) {
		t.Errorf("zh bad --since: %d\n%s", code, errOut)
	}
	// Help follows the language of the environment (flags are read before
	// the config).
	i18n.Default.SetLanguage("zh")
	if _, _, errOut := c.run("label", "-h"); !strings.Contains(errOut, "用法:cnx-agent label") || !strings.Contains(errOut, "面单边缘内的留白,毫米") {
		t.Errorf("zh label -h:\n%s", errOut)
	}
	if _, _, errOut := c.run(); !strings.Contains(errOut, "显示 CNExpress 账户和余额") {
		t.Errorf("zh command list:\n%s", errOut)
	}
}
