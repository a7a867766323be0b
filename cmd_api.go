package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"text/tabwriter"
	"time"

	"cnx-agent/api"
	"cnx-agent/api/fakeserver"
	"cnx-agent/i18n"
)

// clientFrom parses flags, loads the config and makes a client.
func (e *env) clientFrom(fs *flag.FlagSet, args []string) (*api.Client, error) {
	if err := e.parse(fs, args); err != nil {
		return nil, err
	}
	if err := e.load(); err != nil {
		return nil, err
	}
	return e.client()
}

func cmdAccount(ctx context.Context, e *env, args []string) error {
	c, err := e.clientFrom(e.flags(""), args)
	if err != nil {
		return err
	}
	a, err := c.Account(ctx)
	if err != nil {
		return err
	}
	if e.asJSON {
		return e.printJSON(a)
	}
	fmt.Fprintf(e.stdout, "%s: credit %.2f %s (%s)\n", a.Username, a.Credit, a.Currency, c.Root())
	return nil
}

func cmdProducts(ctx context.Context, e *env, args []string) error {
	c, err := e.clientFrom(e.flags(""), args)
	if err != nil {
		return err
	}
	ps, err := c.Products(ctx)
	if err != nil {
		return err
	}
	if e.asJSON {
		return e.printJSON(ps)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "BARCODE\tNAME")
	for _, p := range ps {
		fmt.Fprintf(tw, "%s\t%s\n", p.Barcode, p.Name)
	}
	return tw.Flush()
}

func cmdRoutes(ctx context.Context, e *env, args []string) error {
	c, err := e.clientFrom(e.flags(""), args)
	if err != nil {
		return err
	}
	rs, err := c.Routes(ctx)
	if err != nil {
		return err
	}
	if e.asJSON {
		return e.printJSON(rs)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CODE\tNAME")
	for _, r := range rs {
		fmt.Fprintf(tw, "%s\t%s\n", r.Code, r.Name)
	}
	return tw.Flush()
}

func cmdCities(ctx context.Context, e *env, args []string) error {
	fs := e.flags("[--find NAME]")
	find := fs.String("find", "", i18n.T("flag.find"))
	c, err := e.clientFrom(fs, args)
	if err != nil {
		return err
	}
	cat, err := c.Catalog(ctx)
	if err != nil {
		return err
	}
	if *find == "" {
		if e.asJSON {
			return e.printJSON(cat.Cities.Roots)
		}
		var walk func(cs []api.City, depth int)
		walk = func(cs []api.City, depth int) {
			for _, city := range cs {
				fmt.Fprintf(e.stdout, "%s%s\n", strings.Repeat("  ", depth), city.Name)
				walk(city.Contains, depth+1)
			}
		}
		walk(cat.Cities.Roots, 0)
		return nil
	}
	ms := cat.Cities.Find(*find)
	exact := len(ms) > 0
	if !exact {
		ms = cat.Cities.Search(*find)
	}
	if e.asJSON {
		return e.printJSON(ms)
	}
	if len(ms) == 0 {
		fmt.Fprintf(e.stdout, "%q is not a CNExpress city\n", *find)
		if s := cat.Cities.Suggest(*find); len(s) > 0 {
			fmt.Fprintf(e.stdout, "did you mean: %s\n", strings.Join(s, ", "))
		}
		return errors.New("not found")
	}
	for _, m := range ms {
		note := ""
		if _, bad := map[string]bool{"香港": true, "澳门": true, "台湾": true}[m.Province]; bad {
			note = "  (not a valid receiver: 香港, 澳门 and 台湾 are excluded)"
		}
		fmt.Fprintf(e.stdout, "%s  level %d, province %s: %s%s\n", m.Name, m.Level(), m.Province, strings.Join(m.Path, " › "), note)
	}
	return nil
}

func cmdTrack(ctx context.Context, e *env, args []string) error {
	fs := e.flags("TRACKING_NO")
	c, err := e.clientFrom(fs, args)
	if err != nil {
		return err
	}
	rest := fs.Args()
	if len(rest) != 1 {
		fmt.Fprintln(e.stderr, "usage: cnx-agent track TRACKING_NO")
		return errUsage
	}
	if strings.HasPrefix(rest[0], "TEST") {
		fmt.Fprintln(e.stdout, i18n.T("cli.test_tracking", "No", rest[0]))
		return nil
	}
	t, err := c.Tracking(ctx, rest[0])
	if err != nil {
		return err
	}
	if e.asJSON {
		return e.printJSON(t)
	}
	state := "in transit"
	if t.Delivered {
		state = "delivered"
	}
	fmt.Fprintf(e.stdout, "%s: %s\n", t.TrackingNo, state)
	for _, p := range t.Progress {
		fmt.Fprintf(e.stdout, "  %s  %s\n", p.Time.Local().Format("2006-01-02 15:04"), p.Detail)
	}
	return nil
}

func cmdFakeServer(ctx context.Context, e *env, args []string) error {
	fs := e.flags("[--addr 127.0.0.1:8089] [--polls N] [--delay D] [--format F] [--error-rate R] [--latency D]")
	addr := fs.String("addr", "127.0.0.1:8089", i18n.T("flag.addr"))
	polls := fs.Int("polls", 2, i18n.T("flag.polls"))
	delay := fs.Duration("delay", 0, i18n.T("flag.delay"))
	format := fs.String("format", "", i18n.T("flag.format"))
	errRate := fs.Float64("error-rate", 0, i18n.T("flag.error-rate"))
	resetRate := fs.Float64("reset-rate", 0, i18n.T("flag.reset-rate"))
	latency := fs.Duration("latency", 0, i18n.T("flag.latency"))
	if err := e.parse(fs, args); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(e.stderr, nil))
	fake := fakeserver.New(fakeserver.Options{Polls: *polls, Delay: *delay, WaybillFormat: fakeserver.Format(*format), Logger: log})
	fake.SetFaults(fakeserver.Faults{ErrorRate: *errRate, ResetRate: *resetRate, Latency: *latency})
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: fake, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(e.stdout, "fake CNExpress API on http://%s/api/v1 (accounts: test/test in test mode, live/live with 100 GBP credit)\n", ln.Addr())
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
