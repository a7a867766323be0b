package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"cnx-agent/agent"
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
		return e.printJobsJSON(jobs)
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

func cmdExport(ctx context.Context, e *env, args []string) error {
	fs := e.flags("--since DATE [--csv]")
	sinceArg := fs.String("since", "", i18n.T("flag.since"))
	asCSV := fs.Bool("csv", false, i18n.T("flag.csv"))
	st, err := e.storeFrom(ctx, fs, args, 0)
	if err != nil {
		return err
	}
	defer st.Close()
	since, err := time.ParseInLocation("2006-01-02", *sinceArg, time.Local)
	if err != nil {
		return usageErrorf("%s", i18n.T("cli.bad_since", "Value", strconv.Quote(*sinceArg)))
	}
	rows, err := agent.ExportRows(ctx, st, since)
	if err != nil {
		return err
	}
	if !*asCSV {
		if rows == nil {
			rows = []agent.ExportRow{}
		}
		return e.printJSON(rows)
	}
	return agent.WriteCSV(e.stdout, rows)
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
