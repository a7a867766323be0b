package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"cnx-agent/agent"
	"cnx-agent/agent/localapi"
	"cnx-agent/agent/store"
	"cnx-agent/i18n"
)

func cmdRun(ctx context.Context, e *env, args []string) error {
	fs := e.flags("[--exit-when-idle] [--headless] [--service]")
	idle := fs.Bool("exit-when-idle", false, i18n.T("flag.exit-when-idle"))
	headless := fs.Bool("headless", false, i18n.T("flag.headless"))
	asService := fs.Bool("service", false, i18n.T("flag.service"))
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if err := e.load(); err != nil {
		return err
	}
	if *asService {
		return runService(e)
	}
	e.serviceLogging(nil)
	if *headless || *idle || !haveDisplay() {
		return runAgent(ctx, e, *idle)
	}
	return runWithTray(ctx, e)
}

// runWithTray is single-process mode: the agent in the background and the
// tray (on the main goroutine, as the GUI needs) talking to it through its
// local API. Quitting the tray stops the agent.
func runWithTray(ctx context.Context, e *env) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	addr := filepath.Join(e.cfg.Agent.DataDir, addressFile)
	_ = os.Remove(addr)
	agentErr := make(chan error, 1)
	go func() { agentErr <- runAgent(ctx, e, false); cancel() }()
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		if _, err := os.Stat(addr); err == nil {
			break
		}
		select {
		case err := <-agentErr:
			return err
		default:
		}
		if time.Now().After(deadline) {
			return errors.New(i18n.T("cli.api_not_started"))
		}
	}
	if err := runTray(ctx, e, trayClient(e), false, 0); err != nil {
		return err
	}
	cancel()
	return <-agentErr
}

// runAgent runs the agent and its local API until ctx ends.
func runAgent(ctx context.Context, e *env, exitWhenIdle bool) error {
	st, err := e.store(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	client, err := e.client()
	if err != nil {
		return err
	}
	a, err := e.agentFor(ctx, st, client, agent.Options{Inbox: e.cfg.Agent.Inbox, ExitWhenIdle: exitWhenIdle, Checkpoint: crashpoint(e)})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	apiDone, err := e.startLocalAPI(ctx, a, st, client)
	if err != nil {
		return err
	}
	e.log.Info("cnx-agent running", "version", version, "data_dir", e.cfg.Agent.DataDir, "inbox", e.cfg.Agent.Inbox, "api", e.cfg.API)
	err = a.Run(ctx)
	cancel()
	<-apiDone
	return err
}

// crashpoint reads CNX_CRASHPOINT=name: the crash tests make the agent
// stop dead at a named point of the pipeline and kill it there.
func crashpoint(e *env) func(string) {
	want := os.Getenv("CNX_CRASHPOINT")
	if want == "" {
		return nil
	}
	return func(name string) {
		if name == want {
			fmt.Fprintf(e.stderr, "CRASHPOINT %s\n", name)
			select {} // wait here for SIGKILL
		}
	}
}

func cmdSubmit(ctx context.Context, e *env, args []string) error {
	fs := e.flags("FILE...")
	st, err := e.storeFrom(ctx, fs, args, -1)
	if err != nil {
		return err
	}
	defer st.Close()
	client, err := e.client()
	if err != nil {
		return err
	}
	cat, err := client.Catalog(ctx)
	if err != nil {
		fmt.Fprintf(e.stderr, "warning: CNExpress catalog unavailable (%v); checking files without it, the agent checks again before posting\n", err)
		cat = nil
	}
	var failed int
	var ids []int64
	for _, path := range fs.Args() {
		data, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintf(e.stderr, "%v\n", err)
			failed++
			continue
		}
		o, err := agent.ParseOrder(data, cat)
		if err != nil {
			fmt.Fprint(e.stderr, agent.RejectionText(path, err))
			failed++
			continue
		}
		sum := sha256.Sum256(data)
		id, err := agent.Enqueue(ctx, st, o, "cli", hex.EncodeToString(sum[:]))
		if err != nil {
			return err
		}
		ids = append(ids, id)
		if !e.asJSON {
			fmt.Fprintln(e.stdout, i18n.T("cli.queued", "File", filepath.Base(path), "ID", id, "Order", o.OrderNo, "N", len(o.Packages)))
		}
	}
	if e.asJSON {
		if err := e.printJSON(map[string]any{"jobs": ids, "rejected": failed}); err != nil {
			return err
		}
	}
	if failed > 0 {
		return errors.New(i18n.T("cli.not_queued", "Failed", failed, "N", fs.NArg()))
	}
	return nil
}

func cmdPrint(ctx context.Context, e *env, args []string) error {
	fs := e.flags("REQUEST_NO")
	st, err := e.storeFrom(ctx, fs, args, 1)
	if err != nil {
		return err
	}
	defer st.Close()
	id, err := agent.AttachRequest(ctx, st, fs.Arg(0), "cli")
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, i18n.T("cli.attached", "ID", id, "Request", fs.Arg(0)))
	return nil
}

func cmdJobs(ctx context.Context, e *env, args []string) error {
	fs := e.flags("[--state STATE] [--limit N]")
	stateName := fs.String("state", "", i18n.T("flag.state"))
	limit := fs.Int("limit", 0, i18n.T("flag.limit"))
	if err := e.parse(fs, args); err != nil {
		return err
	}
	if err := e.load(); err != nil {
		return err
	}
	var f store.Filter
	if *stateName != "" {
		s, err := store.ParseState(*stateName)
		if err != nil {
			return usageErrorf("%v", err)
		}
		f.States = []store.State{s}
	}
	f.Limit = *limit
	st, err := e.store(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	jobs, err := st.Jobs(ctx, f)
	if err != nil {
		return err
	}
	if e.asJSON {
		return e.printJobsJSON(jobs)
	}
	tw := tabwriter.NewWriter(e.stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "JOB\tSTATE\tREQUEST_NO\tORDER_NO\tSOURCE\tTRACKING\tPRINTS\tERROR")
	for _, j := range jobs {
		var tracking, prints []string
		for _, p := range j.Packages {
			tracking = append(tracking, p.TrackingNo)
			prints = append(prints, strconv.Itoa(p.Prints))
		}
		errLine, _, _ := strings.Cut(j.Error, "\n")
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", j.ID, j.State, j.RequestNo, j.OrderNo, j.Source,
			strings.Join(tracking, ","), strings.Join(prints, ","), errLine)
	}
	return tw.Flush()
}

// storeFrom parses the flags, checks there are nargs arguments (-1: one or
// more), loads the config and opens the store.
func (e *env) storeFrom(ctx context.Context, fs *flag.FlagSet, args []string, nargs int) (*store.Store, error) {
	if err := e.parse(fs, args); err != nil {
		return nil, err
	}
	if (nargs < 0 && fs.NArg() == 0) || (nargs >= 0 && fs.NArg() != nargs) {
		fs.Usage()
		return nil, errUsage
	}
	if err := e.load(); err != nil {
		return nil, err
	}
	return e.store(ctx)
}

// jobArg parses a job id argument.
func jobArg(fs interface{ Arg(int) string }) (int64, error) {
	id, err := strconv.ParseInt(fs.Arg(0), 10, 64)
	if err != nil || id <= 0 {
		return 0, usageErrorf("%s", i18n.T("cli.not_a_job", "Arg", strconv.Quote(fs.Arg(0))))
	}
	return id, nil
}

func cmdRetry(ctx context.Context, e *env, args []string) error {
	fs := e.flags("JOB")
	st, err := e.storeFrom(ctx, fs, args, 1)
	if err != nil {
		return err
	}
	defer st.Close()
	id, err := jobArg(fs)
	if err != nil {
		return err
	}
	if c := e.apiClient(ctx); c != nil {
		v, err := c.Retry(ctx, id)
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, i18n.T("cli.job_again", "ID", v.ID, "State", v.State))
		return nil
	}
	j, err := agent.Retry(ctx, st, id)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, i18n.T("cli.job_again", "ID", j.ID, "State", j.State))
	return nil
}

func cmdResolve(ctx context.Context, e *env, args []string) error {
	fs := e.flags("JOB --resubmit | --request-no N")
	resubmit := fs.Bool("resubmit", false, i18n.T("flag.resubmit"))
	requestNo := fs.String("request-no", "", i18n.T("flag.request-no"))
	st, err := e.storeFrom(ctx, fs, args, 1)
	if err != nil {
		return err
	}
	defer st.Close()
	if *resubmit == (*requestNo != "") {
		fs.Usage()
		return errUsage
	}
	id, err := jobArg(fs)
	if err != nil {
		return err
	}
	if c := e.apiClient(ctx); c != nil {
		v, err := c.Resolve(ctx, id, localapi.ResolveRequest{Resubmit: *resubmit, RequestNo: *requestNo})
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, i18n.T("cli.job_is", "ID", v.ID, "State", v.State))
		return nil
	}
	var j *store.Job
	if *resubmit {
		j, err = agent.Resubmit(ctx, st, id)
	} else {
		j, err = agent.Attach(ctx, st, id, *requestNo)
	}
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, i18n.T("cli.job_is", "ID", j.ID, "State", j.State))
	return nil
}

func cmdReprint(ctx context.Context, e *env, args []string) error {
	fs := e.flags("JOB | REQUEST_NO[-TRACKING_NO] | TRACKING_NO | ORDER_NO")
	st, err := e.storeFrom(ctx, fs, args, 1)
	if err != nil {
		return err
	}
	defer st.Close()
	id, tracking, err := resolveCode(ctx, st, fs.Arg(0))
	if err != nil {
		return err
	}
	if c := e.apiClient(ctx); c != nil { // the running agent owns the printers
		r, err := c.Reprint(ctx, id, tracking)
		if err != nil {
			return err
		}
		fmt.Fprintln(e.stdout, i18n.T("cli.reprinted", "N", r.Printed, "ID", r.JobID))
		return nil
	}
	client, err := e.client()
	if err != nil {
		return err
	}
	a, err := e.agentFor(ctx, st, client, agent.Options{})
	if err != nil {
		return err
	}
	n, err := a.Reprint(ctx, id, tracking)
	if err != nil {
		return err
	}
	fmt.Fprintln(e.stdout, i18n.T("cli.reprinted", "N", n, "ID", id))
	return nil
}
