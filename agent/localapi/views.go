package localapi

import (
	"time"

	"cnx-agent/agent/store"
)

// JobView is a job as the API and `jobs --json` show it.
type JobView struct {
	ID        int64         `json:"id"`
	State     string        `json:"state"`
	Attention string        `json:"attention,omitempty"`
	RequestNo string        `json:"request_no"`
	OrderNo   string        `json:"order_no"`
	Route     string        `json:"route_code"`
	Source    string        `json:"source"`
	Error     string        `json:"error"`
	TestMode  bool          `json:"test_mode"`
	CreatedAt time.Time     `json:"created_at"`
	UpdatedAt time.Time     `json:"updated_at"`
	Packages  []PackageView `json:"packages"`
}

// PackageView is one package of a job.
type PackageView struct {
	PackageNo  string  `json:"package_no"`
	TrackingNo string  `json:"tracking_no"`
	Cost       float64 `json:"cost"`
	Label      string  `json:"label"`
	Prints     int     `json:"prints"`
}

// JobDetail is GET /jobs/{id}: the job, its print history and its events.
type JobDetail struct {
	JobView
	Prints []PackagePrints `json:"print_history"`
	Events []store.Event   `json:"events"`
}

// PackagePrints is one package's print attempts.
type PackagePrints struct {
	TrackingNo string              `json:"tracking_no"`
	Prints     []store.PrintRecord `json:"prints"`
}

// View shapes a stored job.
func View(j *store.Job) JobView {
	out := JobView{ID: j.ID, State: j.State.String(), Attention: string(j.Attention), RequestNo: j.RequestNo, OrderNo: j.OrderNo,
		Route: j.RouteCode, Source: j.Source, Error: j.Error, TestMode: j.TestMode, CreatedAt: j.CreatedAt, UpdatedAt: j.UpdatedAt,
		Packages: []PackageView{}}
	for _, p := range j.Packages {
		out.Packages = append(out.Packages, PackageView{PackageNo: p.PackageNo, TrackingNo: p.TrackingNo, Cost: p.Cost, Label: p.Label, Prints: p.Prints})
	}
	return out
}
