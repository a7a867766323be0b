// Package plainlocale turns the POSIX "C" locale into en_US.UTF-8 in this
// process's environment before Fyne's lang package reads it (Fyne logs an
// error at start for a locale it cannot parse). Import it first: as it
// imports nothing, Go initialises it before Fyne.
package plainlocale

import (
	"os"
	"strings"
)

func init() {
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		val := os.Getenv(v)
		if val == "C" || val == "POSIX" || strings.HasPrefix(val, "C.") {
			os.Setenv(v, "en_US.UTF-8")
		}
	}
}
