package agent

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/fsnotify/fsnotify"

	"cnx-agent/agent/store"
	"cnx-agent/api"
	"cnx-agent/i18n"
)

// intake watches the inbox folder. Each *.json file in the POST requests
// format becomes a queued job and moves to done/; a file that can never be
// accepted moves to rejected/ beside NAME.error.txt. A file is read only
// once its size and time have stayed the same for settle, so a file still
// being written is not read early.
type intake struct {
	a       *Agent
	dir     string
	settle  time.Duration
	rescan  time.Duration
	mu      sync.Mutex
	seen    map[string]fileState
	pending int
	scanned bool
}

type fileState struct {
	size  int64
	mod   time.Time
	since time.Time // when this size and time were first seen
}

func newIntake(a *Agent, dir string, settle time.Duration) *intake {
	return &intake{a: a, dir: dir, settle: settle, rescan: min(settle, time.Second), seen: map[string]fileState{}}
}

// Idle reports whether the last scan found no file waiting.
func (in *intake) Idle() bool {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.scanned && in.pending == 0
}

// Serve watches the folder until ctx ends.
func (in *intake) Serve(ctx context.Context) error {
	for _, d := range []string{in.dir, filepath.Join(in.dir, "done"), filepath.Join(in.dir, "rejected")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return fmt.Errorf("inbox: %w", err)
		}
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("inbox: %w", err)
	}
	defer w.Close()
	if err := w.Add(in.dir); err != nil {
		return fmt.Errorf("inbox %s: %w", in.dir, err)
	}
	in.a.log.Info("watching inbox", "dir", in.dir)
	tick := time.NewTicker(in.rescan)
	defer tick.Stop()
	soon := time.NewTimer(0)
	defer soon.Stop()
	for {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case ev, ok := <-w.Events:
			if !ok {
				return errors.New("inbox: watcher closed")
			}
			if strings.HasSuffix(ev.Name, ".json") {
				soon.Reset(in.settle)
			}
		case err, ok := <-w.Errors:
			if !ok {
				return errors.New("inbox: watcher closed")
			}
			in.a.log.Warn("inbox watcher", "err", err)
		case <-tick.C:
			in.scan(ctx)
		case <-soon.C:
			in.scan(ctx)
		}
	}
}

// scan looks at every file once; those that have settled are taken in.
func (in *intake) scan(ctx context.Context) {
	entries, err := os.ReadDir(in.dir)
	if err != nil {
		in.a.log.Error("inbox: read folder", "dir", in.dir, "err", err)
		return
	}
	now := time.Now()
	pending := 0
	present := map[string]bool{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(strings.ToLower(name), ".json") || strings.HasPrefix(name, ".") {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue // gone already
		}
		present[name] = true
		pending++
		st, ok := in.seen[name]
		if !ok || st.size != info.Size() || !st.mod.Equal(info.ModTime()) {
			in.seen[name] = fileState{size: info.Size(), mod: info.ModTime(), since: now}
			continue
		}
		if now.Sub(st.since) < in.settle {
			continue
		}
		if in.take(ctx, name, info) {
			delete(in.seen, name)
			pending--
		}
	}
	for name := range in.seen {
		if !present[name] {
			delete(in.seen, name)
		}
	}
	in.mu.Lock()
	in.pending, in.scanned = pending, true
	in.mu.Unlock()
}

// take handles one settled file; it reports whether the file left the inbox.
func (in *intake) take(ctx context.Context, name string, info fs.FileInfo) bool {
	path := filepath.Join(in.dir, name)
	data, err := os.ReadFile(path)
	if err != nil {
		in.a.log.Warn("inbox: read", "file", name, "err", err)
		return false
	}
	if !json.Valid(data) && time.Since(info.ModTime()) < 5*in.settle {
		return false // probably still being written by a slow writer
	}
	sum := sha256.Sum256(data)
	hash := hex.EncodeToString(sum[:])
	log := in.a.log.With("file", name)

	// The agent may have stopped after the job was stored but before the
	// file was moved: finish that move instead of making a second job.
	if j, err := in.a.store.FindSource(ctx, name, hash); err != nil {
		log.Error("inbox: store", "err", err)
		return false
	} else if j != nil {
		return in.done(ctx, name, j.ID, log)
	}

	cat, err := in.a.client.Catalog(ctx)
	if err != nil {
		log.Warn("inbox: CNExpress catalog unavailable; checking the file without it", "err", err)
		cat = nil
	}
	o, err := ParseOrder(data, cat)
	if err != nil {
		in.reject(name, err, log)
		return true
	}
	id, err := Enqueue(ctx, in.a.store, o, name, hash)
	if err != nil {
		log.Error("inbox: store", "err", err)
		return false
	}
	in.a.opts.Checkpoint("queued")
	in.a.Wake()
	return in.done(ctx, name, id, log)
}

func (in *intake) done(ctx context.Context, name string, id int64, log *slog.Logger) bool {
	dest, err := moveUnique(filepath.Join(in.dir, name), filepath.Join(in.dir, "done"))
	if err != nil {
		log.Error("inbox: move to done/", "err", err)
		return false
	}
	j, err := in.a.store.Update(ctx, id, func(j *store.Job) (string, error) {
		j.SourceDone, j.SourceMoved = true, dest
		return "", nil
	})
	if err != nil {
		log.Error("inbox: store", "err", err)
	} else {
		in.a.writeResult(ctx, j) // a job that ended before its file moved
	}
	log.Info("order queued", "job", id, "moved_to", dest)
	return true
}

func (in *intake) reject(name string, reason error, log *slog.Logger) {
	dest, err := moveUnique(filepath.Join(in.dir, name), filepath.Join(in.dir, "rejected"))
	if err != nil {
		log.Error("inbox: move to rejected/", "err", err)
		return
	}
	text := RejectionText(name, reason)
	if err := os.WriteFile(dest+".error.txt", []byte(text), 0o644); err != nil {
		log.Error("inbox: write error file", "err", err)
	}
	res := Result{Source: name, State: "rejected", Error: reason.Error(), Packages: []ResultPackage{}, UpdatedAt: time.Now()}
	var fe api.FieldErrors
	if errors.As(reason, &fe) {
		res.Fields = fe
	}
	if err := WriteResultFile(resultPath(dest), res); err != nil {
		log.Error("inbox: write result file", "err", err)
	}
	log.Warn("order rejected", "moved_to", dest, "reason", reason)
}

// RejectionText explains, one bad field a line, why a file was refused.
func RejectionText(name string, reason error) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n\n", i18n.T("reject.header", "File", name))
	var fe api.FieldErrors
	if errors.As(reason, &fe) {
		for _, f := range fe {
			fmt.Fprintf(&b, "%s\n", f)
		}
	} else {
		fmt.Fprintf(&b, "%v\n", reason)
	}
	b.WriteString("\n" + i18n.T("reject.footer") + "\n")
	return b.String()
}

// moveUnique moves src into dir under its own name, or NAME-2.json… when a
// file of that name is already there; it never replaces a file.
func moveUnique(src, dir string) (string, error) {
	base := filepath.Base(src)
	ext := filepath.Ext(base)
	stem := strings.TrimSuffix(base, ext)
	for n := 1; ; n++ {
		name := base
		if n > 1 {
			name = stem + "-" + strconv.Itoa(n) + ext
		}
		dest := filepath.Join(dir, name)
		err := os.Link(src, dest)
		if errors.Is(err, fs.ErrExist) {
			// Linked before a crash, not yet removed from the inbox.
			if a, aerr := os.Stat(src); aerr == nil {
				if b, berr := os.Stat(dest); berr == nil && os.SameFile(a, b) {
					return dest, os.Remove(src)
				}
			}
			continue
		}
		if err != nil {
			return "", err
		}
		return dest, os.Remove(src)
	}
}
