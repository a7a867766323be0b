// Command cnx-agent prints CNExpress shipping labels: it takes orders from
// an inbox folder or the command line, posts them to the CNExpress API,
// waits for the tracking numbers, downloads the waybills, lays them out as
// 100×150 mm labels and prints each exactly once.
package main

import (
	_ "cnx-agent/internal/plainlocale" // before Fyne reads the locale

	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
)

// version is set at build time with -ldflags "-X main.version=…".
var version = "dev"

// errUsage makes main exit with status 2.
var errUsage = errors.New("usage")

// usageError is a usage mistake with a message; it matches errUsage.
type usageError struct{ msg string }

func (u *usageError) Error() string        { return u.msg }
func (u *usageError) Is(target error) bool { return target == errUsage }

func usageErrorf(format string, args ...any) error {
	return &usageError{fmt.Sprintf(format, args...)}
}

type command struct {
	summary string
	run     func(ctx context.Context, e *env, args []string) error
}

func commands() map[string]command {
	return map[string]command{
		"run":         {"run the agent in the foreground (--exit-when-idle for scripts)", cmdRun},
		"submit":      {"queue order files (POST requests JSON) as jobs", cmdSubmit},
		"print":       {"print the labels of a request created elsewhere: print REQUEST_NO", cmdPrint},
		"jobs":        {"list jobs (--json, --state STATE)", cmdJobs},
		"retry":       {"retry a failed or stuck job: retry JOB", cmdRetry},
		"resolve":     {"resolve a job that needs attention: resolve JOB --resubmit | --request-no N", cmdResolve},
		"reprint":     {"print labels again: reprint JOB | REQUEST_NO[-TRACKING_NO] | TRACKING_NO | ORDER_NO", cmdReprint},
		"find":        {"find the job of a tracking, request, order or package number: find CODE", cmdFind},
		"export":      {"one row per package since a day, for the shop or accounting: export --since DATE [--csv]", cmdExport},
		"account":     {"show the CNExpress account and credit", cmdAccount},
		"products":    {"list the products orders may contain", cmdProducts},
		"cities":      {"list receiver cities (--find NAME)", cmdCities},
		"routes":      {"list routes (lines)", cmdRoutes},
		"track":       {"show a parcel's tracking: track TRACKING_NO", cmdTrack},
		"fake-server": {"run the fake CNExpress API (--addr 127.0.0.1:8089)", cmdFakeServer},
		"demo":        {"run the whole pipeline against the fake server, in a temp folder", cmdDemo},
		"tray":        {"the tray and dashboard (--dashboard, --install-autostart)", cmdTray},
		"service":     {"install|uninstall|start|stop|restart|status the OS service", cmdService},
		"logs":        {"show the agent's log (-f to follow)", cmdLogs},
		"printers":    {"list printers with live state and discover others; printers test NAME; printers trust NAME (ipps); --udev-rule", cmdPrinters},
		"label":       {"lay out any waybill PDF as labels: label IN.pdf -o OUT.pdf [--zpl F] [--png DIR]", cmdLabel},
		"version":     {"print the version", cmdVersion},
	}
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmds := commands()
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stderr, cmds)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	c, ok := cmds[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "cnx-agent: unknown command %q\n\n", args[0])
		usage(stderr, cmds)
		return 2
	}
	e := &env{stdout: stdout, stderr: stderr, name: args[0]}
	err := c.run(ctx, e, args[1:])
	switch {
	case err == nil:
		return 0
	case errors.Is(err, errUsage):
		if err != errUsage {
			fmt.Fprintf(stderr, "cnx-agent %s: %v\n", args[0], err)
		}
		return 2
	default:
		fmt.Fprintf(stderr, "cnx-agent %s: %v\n", args[0], err)
		return 1
	}
}

func usage(w io.Writer, cmds map[string]command) {
	fmt.Fprintln(w, "usage: cnx-agent COMMAND [flags] [args]")
	fmt.Fprintln(w, "\ncommands:")
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, cmds[n].summary)
	}
	fmt.Fprintln(w, "\nflags common to most commands: --config FILE, --data-dir DIR, --json, -v")
	fmt.Fprintln(w, "run 'cnx-agent COMMAND -h' for a command's flags")
}

func cmdVersion(_ context.Context, e *env, args []string) error {
	fmt.Fprintln(e.stdout, "cnx-agent", version)
	return nil
}
