package agent

import (
	"context"
	"encoding/csv"
	"io"
	"strconv"
	"time"

	"cnx-agent/agent/store"
)

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

// WriteCSV writes export rows as CSV with a header line.
func WriteCSV(w io.Writer, rows []ExportRow) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"date", "order_no", "package_no", "request_no", "tracking_no", "route", "cost", "state"})
	for _, r := range rows {
		_ = cw.Write([]string{r.Date.Local().Format(time.RFC3339), r.OrderNo, r.PackageNo, r.RequestNo, r.TrackingNo, r.Route,
			strconv.FormatFloat(r.Cost, 'f', 2, 64), r.State})
	}
	cw.Flush()
	return cw.Error()
}
