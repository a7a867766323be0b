package i18n

import (
	"slices"
	"strings"
	"testing"
	"text/template"
)

// TestCatalogsComplete fails when a key exists in one language and not the
// other, or a message uses fields the other does not.
func TestCatalogsComplete(t *testing.T) {
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	en, zh := c.Keys("en"), c.Keys("zh")
	slices.Sort(en)
	slices.Sort(zh)
	for _, k := range en {
		if _, ok := c.msgs["zh"][k]; !ok {
			t.Errorf("key %q has no Chinese message", k)
		}
	}
	for _, k := range zh {
		if _, ok := c.msgs["en"][k]; !ok {
			t.Errorf("key %q has no English message", k)
		}
	}
	for _, k := range en {
		if _, err := template.New(k).Parse(c.msgs["zh"][k]); err != nil {
			t.Errorf("zh %s: %v", k, err)
		}
		if fields(c.msgs["en"][k]) != fields(c.msgs["zh"][k]) {
			t.Errorf("key %q: fields differ: en %q, zh %q", k, fields(c.msgs["en"][k]), fields(c.msgs["zh"][k]))
		}
	}
}

func fields(s string) string {
	var out []string
	for _, part := range strings.Split(s, "{{.")[1:] {
		if name, _, ok := strings.Cut(part, "}}"); ok {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return strings.Join(out, ",")
}

func TestT(t *testing.T) {
	c, _ := Load()
	c.SetLanguage("zh_CN.UTF-8")
	if got := c.T("status.queued", "N", 3); got != "3 个排队中" {
		t.Errorf("zh: %q", got)
	}
	c.SetLanguage("en_GB")
	if got := c.T("status.queued", "N", 3); got != "3 queued" {
		t.Errorf("en: %q", got)
	}
	if got := c.T("no.such.key"); got != "no.such.key" {
		t.Errorf("unknown key: %q", got)
	}
}
