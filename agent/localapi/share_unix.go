//go:build unix

package localapi

import (
	"fmt"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
)

// ShareWithGroup lets members of group read the token (and so use the
// API): the data dir becomes 0750 and the token 0640, both owned by the
// group. The agent as a system service runs as root; the people at the
// packing station run the tray as themselves.
func ShareWithGroup(dir, group string) error {
	g, err := user.LookupGroup(group)
	if err != nil {
		return fmt.Errorf("local API group %q: %w", group, err)
	}
	gid, err := strconv.Atoi(g.Gid)
	if err != nil {
		return err
	}
	for path, mode := range map[string]os.FileMode{dir: 0o750, filepath.Join(dir, TokenFile): 0o640} {
		if err := os.Chown(path, -1, gid); err != nil {
			return fmt.Errorf("local API group %q: %w", group, err)
		}
		if err := os.Chmod(path, mode); err != nil {
			return err
		}
	}
	return nil
}
