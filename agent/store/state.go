// Package store keeps the agent's jobs, packages, label files, print
// records and event log in SQLite (WAL, migrations). Every state change is
// one committed transaction with its event.
package store

import "fmt"

// State is where a job is in the pipeline.
type State int

// Job states. The numbers are stored; never reorder them.
const (
	Queued         State = 1 // accepted, not yet posted
	Submitting     State = 2 // POST may be in flight: never re-posted automatically
	Submitted      State = 3 // has a request_no; polling
	Succeeded      State = 4 // tracking numbers known; downloading waybills
	Failed         State = 5 // CNExpress refused or failed the request (terminal)
	LabelsReady    State = 6 // every package has a label file; printing
	Printed        State = 7 // every package printed once (terminal)
	NeedsAttention State = 8 // a person must decide; see Job.Attention
	// WaitingForPrinter: the printer is offline, paused or out of media;
	// the labels print once it is back (Job.Error says why).
	WaitingForPrinter State = 9
)

var stateNames = map[State]string{
	Queued: "queued", Submitting: "submitting", Submitted: "submitted", Succeeded: "succeeded",
	Failed: "failed", LabelsReady: "labels_ready", Printed: "printed", NeedsAttention: "needs_attention",
	WaitingForPrinter: "waiting_for_printer",
}

func (s State) String() string {
	if n, ok := stateNames[s]; ok {
		return n
	}
	return fmt.Sprintf("state(%d)", int(s))
}

// MarshalText writes the state's name.
func (s State) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a state's name.
func (s *State) UnmarshalText(b []byte) error {
	v, err := ParseState(string(b))
	*s = v
	return err
}

// ParseState turns a name such as "labels_ready" into a State.
func ParseState(name string) (State, error) {
	for s, n := range stateNames {
		if n == name {
			return s, nil
		}
	}
	return 0, fmt.Errorf("unknown job state %q", name)
}

// Active reports whether the pipeline still has work to do on the job.
func (s State) Active() bool {
	switch s {
	case Queued, Submitted, Succeeded, LabelsReady, WaitingForPrinter:
		return true
	}
	return false
}

// Attention says why a job needs a person, and so which actions fit.
type Attention string

const (
	// AttnSubmitUnknown: the agent stopped, or the answer was lost, while a
	// POST was in flight. Actions: resubmit, or attach the request number.
	AttnSubmitUnknown Attention = "submit_unknown"
	// AttnSubmitRefused: the server refused the POST for a reason a person
	// can fix (credentials, permissions). Action: resubmit.
	AttnSubmitRefused Attention = "submit_refused"
	// AttnPollTimeout: CNExpress did not finish the request in time.
	// Action: retry (poll again).
	AttnPollTimeout Attention = "poll_timeout"
	// AttnRequestLost: the request number is unknown to CNExpress.
	// Actions: resubmit, or attach another request number.
	AttnRequestLost Attention = "request_lost"
	// AttnDownload: the waybills could not be downloaded or laid out in
	// time. Action: retry.
	AttnDownload Attention = "download"
	// AttnPrintUnknown: the agent stopped while a label was printing, so it
	// may or may not have printed. Action: retry (print again).
	AttnPrintUnknown Attention = "print_unknown"
	// AttnPrint: the printer failed in a way that may have printed.
	// Action: retry (print again).
	AttnPrint Attention = "print"
)
