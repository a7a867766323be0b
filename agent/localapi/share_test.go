//go:build unix

package localapi_test

import (
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"

	"cnx-agent/agent/localapi"
)

func TestTokenFileModes(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "data")
	tok, err := localapi.EnsureToken(dir)
	if err != nil || len(tok) != 64 {
		t.Fatalf("token %q, %v", tok, err)
	}
	fi, _ := os.Stat(filepath.Join(dir, localapi.TokenFile))
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("token mode %v, want 0600", fi.Mode().Perm())
	}
	if again, _ := localapi.EnsureToken(dir); again != tok {
		t.Error("the token changed on the second start")
	}
	g, err := user.LookupGroupId(strconv.Itoa(os.Getgid()))
	if err != nil {
		t.Skip(err)
	}
	if err := localapi.ShareWithGroup(dir, g.Name); err != nil {
		t.Fatal(err)
	}
	fi, _ = os.Stat(filepath.Join(dir, localapi.TokenFile))
	st := fi.Sys().(*syscall.Stat_t)
	if fi.Mode().Perm() != 0o640 || int(st.Gid) != os.Getgid() {
		t.Errorf("shared token mode %v gid %d", fi.Mode().Perm(), st.Gid)
	}
	if err := localapi.ShareWithGroup(dir, "no-such-group-xyz"); err == nil {
		t.Error("an unknown group was accepted")
	}
}
