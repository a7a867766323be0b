package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"strconv"
	"time"

	"cnx-agent/agent/localapi"
	"cnx-agent/agent/store"
	"cnx-agent/i18n"
)

func cmdFind(ctx context.Context, e *env, args []string) error {
	fs := e.flags("CODE")
	st, err := e.storeFrom(ctx, fs, args, 1)
	if err != nil {
		return err
	}
	defer st.Close()
	jobs, err := st.FindCode(ctx, fs.Arg(0))
	if err != nil {
		return err
	}
	if e.asJSON {
		out := make([]localapi.JobView, len(jobs))
		for i, j := range jobs {
			out[i] = localapi.View(j)
		}
		return e.printJSON(out)
	}
	if len(jobs) == 0 {
		return fmt.Errorf("%s: %w", i18n.T("cli.not_found", "Code", fs.Arg(0)), store.ErrNotFound)
	}
	for _, j := range jobs {
		fmt.Fprintf(e.stdout, "job %d  %s  order %s  request %s  %s\n", j.ID, j.State, j.OrderNo, j.RequestNo, j.CreatedAt.Local().Format("2006-01-02 15:04"))
		for _, p := range j.Packages {
			fmt.Fprintf(e.stdout, "    %s  package %s  printed %d×\n", p.TrackingNo, p.PackageNo, p.Prints)
		}
	}
	return nil
}

// ExportRow is one package of `export`.
type ExportRow struct {
	Date       time.Time `json:"date"`
	OrderNo    string    `json:"order_no"`
	PackageNo  string    `json:"package_no"`
	RequestNo  string    `json:"request_no"`
	TrackingNo string    `json:"tracking_no"`
	Route      string    `json:"route_code"`
	Cost       float64   `json:"cost"`
	State      string    `json:"state"`
}

// ExportRows lists the packages of jobs made since a time.
func ExportRows(ctx context.Context, st *store.Store, since time.Time) ([]ExportRow, error) {
	jobs, err := st.JobsSince(ctx, since)
	if err != nil {
		return nil, err
	}
	var rows []ExportRow
	for _, j := range jobs {
		for _, p := range j.Packages {
			rows = append(rows, ExportRow{Date: j.CreatedAt, OrderNo: j.OrderNo, PackageNo: p.PackageNo, RequestNo: j.RequestNo,
				TrackingNo: p.TrackingNo, Route: j.RouteCode, Cost: p.Cost, State: j.State.String()})
		}
	}
	return rows, nil
}

func cmdExport(ctx context.Context, e *env, args []string) error {
	fs := e.flags("--since DATE [--csv]")
	sinceArg := fs.String("since", "", "first day, YYYY-MM-DD (required)")
	asCSV := fs.Bool("csv", false, "CSV instead of JSON")
	st, err := e.storeFrom(ctx, fs, args, 0)
	if err != nil {
		return err
	}
	defer st.Close()
	since, err := time.ParseInLocation("2006-01-02", *sinceArg, time.Local)
	if err != nil {
		return usageErrorf("--since %q: want a date such as 2026-12-01", *sinceArg)
	}
	rows, err := ExportRows(ctx, st, since)
	if err != nil {
		return err
	}
	if !*asCSV {
		if rows == nil {
			rows = []ExportRow{}
		}
		return e.printJSON(rows)
	}
	w := csv.NewWriter(e.stdout)
	_ = w.Write([]string{"date", "order_no", "package_no", "request_no", "tracking_no", "route", "cost", "state"})
	for _, r := range rows {
		_ = w.Write([]string{r.Date.Local().Format(time.RFC3339), r.OrderNo, r.PackageNo, r.RequestNo, r.TrackingNo, r.Route,
			strconv.FormatFloat(r.Cost, 'f', 2, 64), r.State})
	}
	w.Flush()
	return w.Error()
}

// resolveCode turns a reprint argument into a job and tracking number: a
// job number, REQUEST_NO[-TRACKING_NO], or any code `find` knows (a
// tracking number picks its own label).
func resolveCode(ctx context.Context, st *store.Store, arg string) (int64, string, error) {
	if id, err := strconv.ParseInt(arg, 10, 64); err == nil && len(arg) < 9 {
		return id, "", nil
	}
	jobs, err := st.FindCode(ctx, arg)
	if err != nil {
		return 0, "", err
	}
	if len(jobs) == 0 {
		return 0, "", fmt.Errorf("%s: %w", i18n.T("cli.not_found", "Code", arg), store.ErrNotFound)
	}
	j := jobs[0] // newest: test tracking numbers repeat across requests
	tracking := ""
	for _, p := range j.Packages {
		if p.TrackingNo == arg || j.RequestNo+"-"+p.TrackingNo == arg || (p.PackageNo == arg && p.PackageNo != "") {
			tracking = p.TrackingNo
		}
	}
	return j.ID, tracking, nil
}
