// Command cnx-agent prints CNExpress shipping labels: it takes orders from
// an inbox folder or the command line, posts them to the CNExpress API,
// waits for the tracking numbers, downloads the waybills, lays them out as
// 100×150 mm labels and prints each exactly once.
package main

import (
	"cnx-agent/i18n"
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
	summaryKey string // the one-line summary, a catalogue key
	run        func(ctx context.Context, e *env, args []string) error
}

func commands() map[string]command {
	return map[string]command{
		"run":         {"cmd.run", cmdRun},
		"submit":      {"cmd.submit", cmdSubmit},
		"print":       {"cmd.print", cmdPrint},
		"jobs":        {"cmd.jobs", cmdJobs},
		"retry":       {"cmd.retry", cmdRetry},
		"resolve":     {"cmd.resolve", cmdResolve},
		"reprint":     {"cmd.reprint", cmdReprint},
		"find":        {"cmd.find", cmdFind},
		"export":      {"cmd.export", cmdExport},
		"account":     {"cmd.account", cmdAccount},
		"products":    {"cmd.products", cmdProducts},
		"cities":      {"cmd.cities", cmdCities},
		"routes":      {"cmd.routes", cmdRoutes},
		"track":       {"cmd.track", cmdTrack},
		"fake-server": {"cmd.fake-server", cmdFakeServer},
		"demo":        {"cmd.demo", cmdDemo},
		"tray":        {"cmd.tray", cmdTray},
		"service":     {"cmd.service", cmdService},
		"logs":        {"cmd.logs", cmdLogs},
		"printers":    {"cmd.printers", cmdPrinters},
		"label":       {"cmd.label", cmdLabel},
		"version":     {"cmd.version", cmdVersion},
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
	fmt.Fprintln(w, i18n.T("help.usage"))
	fmt.Fprintln(w, "\n"+i18n.T("help.commands"))
	names := make([]string, 0, len(cmds))
	for n := range cmds {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-12s %s\n", n, i18n.T(cmds[n].summaryKey))
	}
	fmt.Fprintln(w, "\n"+i18n.T("help.common"))
	fmt.Fprintln(w, i18n.T("help.more"))
}

func cmdVersion(_ context.Context, e *env, args []string) error {
	fmt.Fprintln(e.stdout, "cnx-agent", version)
	return nil
}
