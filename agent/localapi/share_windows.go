//go:build windows

package localapi

import "errors"

// ShareWithGroup is not available on Windows, where the data dir's ACL
// decides who reads the token.
func ShareWithGroup(dir, group string) error {
	return errors.New("api_group is not supported on Windows: set the data folder's permissions instead")
}
