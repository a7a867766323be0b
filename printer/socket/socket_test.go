package socket_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"cnx-agent/printer"
	"cnx-agent/printer/socket"
	"cnx-agent/printer/socket/fakezebra"
)

func TestParseHS(t *testing.T) {
	t.Parallel()
	// A ZD420's answer with the paper out and the head open.
	ans := "\x02030,1,0,1218,000,0,0,0,000,0,0,0\x03\r\n\x02001,0,1,0,0,2,6,0,00000000,1,000\x03\r\n\x021234,0\x03\r\n"
	st, err := printer.ParseHostStatus([]byte(ans))
	if err != nil {
		t.Fatal(err)
	}
	if st.Ready() || st.State != "stopped" || len(st.Reasons) != 2 || st.Reasons[0] != "media-empty" || st.Reasons[1] != "head-open" {
		t.Errorf("status %+v, want stopped with media-empty and head-open", st)
	}
	if _, err := printer.ParseHostStatus([]byte("garbage")); err == nil {
		t.Error("garbage parsed")
	}
}

func TestPaperOutThenRecover(t *testing.T) {
	t.Parallel()
	z, err := fakezebra.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	s := socket.New("zebra", z.Addr(), printer.ZPL)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	job := []byte("^XA^FO10,10^GFA,2,2,1,FF00^FS^PQ1^XZ\n")

	z.SetPaperOut(true)
	st, err := s.Status(ctx)
	if err != nil || st.Ready() || st.State != "stopped" {
		t.Fatalf("status %+v, %v", st, err)
	}
	err = s.Send(ctx, job, "t1")
	var nr *printer.NotReadyError
	if !errors.As(err, &nr) || nr.Reason != "media-empty" {
		t.Fatalf("got %v, want NotReadyError media-empty", err)
	}
	if n := len(z.Printed()); n != 0 {
		t.Fatalf("printed %d while out of paper", n)
	}
	z.SetPaperOut(false)
	if err := s.Send(ctx, job, "t1"); err != nil {
		t.Fatal(err)
	}
	if n := len(z.Printed()); n != 1 {
		t.Fatalf("printed %d, want 1", n)
	}
	if z.StatusQueries() < 3 {
		t.Errorf("~HS asked %d times, want before and after each job", z.StatusQueries())
	}
}

func TestOfflineAndPaused(t *testing.T) {
	t.Parallel()
	z, _ := fakezebra.Start()
	addr := z.Addr()
	z.SetPaused(true)
	s := socket.New("zebra", addr, printer.ZPL)
	var nr *printer.NotReadyError
	if err := s.Send(context.Background(), []byte("^XA^XZ"), "x"); !errors.As(err, &nr) || nr.Reason != "paused" {
		t.Errorf("paused: got %v", err)
	}
	z.Close()
	if err := s.Send(context.Background(), []byte("^XA^XZ"), "x"); !errors.As(err, &nr) {
		t.Errorf("closed port: got %v, want NotReadyError", err)
	}
	// A TSPL printer is not asked ~HS: bytes are just sent.
	z2, _ := fakezebra.Start()
	defer z2.Close()
	if err := socket.New("tsc", z2.Addr(), printer.TSPL).Send(context.Background(), []byte("^XA^XZ"), "x"); err != nil || z2.StatusQueries() != 0 {
		t.Errorf("tspl: %v, %d status queries", err, z2.StatusQueries())
	}
}
