// Package i18n is the one message catalogue of the CLI and the GUI, in
// English and Simplified Chinese. The language follows the OS locale
// (LC_ALL, LC_MESSAGES, LANG) unless the config sets it; the GUI hands the
// same catalogue to Fyne's lang package.
package i18n

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"text/template"
)

//go:embed en.json zh.json
var files embed.FS

// Languages are the catalogue's languages.
var Languages = []string{"en", "zh"}

// Catalog maps message keys to templates per language.
type Catalog struct {
	mu   sync.RWMutex
	lang string
	msgs map[string]map[string]string
}

// Load reads the embedded catalogue.
func Load() (*Catalog, error) {
	c := &Catalog{lang: "en", msgs: map[string]map[string]string{}}
	for _, l := range Languages {
		b, err := files.ReadFile(l + ".json")
		if err != nil {
			return nil, err
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("i18n %s.json: %w", l, err)
		}
		c.msgs[l] = m
	}
	return c, nil
}

// Files returns the catalogue files, for Fyne's lang.AddTranslationsFS.
func Files() embed.FS { return files }

// Default is the process's catalogue in the OS locale's language.
var Default = func() *Catalog {
	c, err := Load()
	if err != nil {
		panic(err) // the catalogue is embedded: a broken one is a build error
	}
	c.SetLanguage(FromEnv())
	return c
}()

// FromEnv picks "zh" when the locale is Chinese, else "en".
func FromEnv() string {
	for _, v := range []string{"LC_ALL", "LC_MESSAGES", "LANG", "LANGUAGE"} {
		if s := os.Getenv(v); s != "" {
			if strings.HasPrefix(strings.ToLower(s), "zh") {
				return "zh"
			}
			return "en"
		}
	}
	return "en"
}

// SetLanguage chooses the language ("en", "zh"; others fall back to en).
func (c *Catalog) SetLanguage(l string) {
	l = strings.ToLower(l)
	if strings.HasPrefix(l, "zh") {
		l = "zh"
	}
	if _, ok := c.msgs[l]; !ok {
		l = "en"
	}
	c.mu.Lock()
	c.lang = l
	c.mu.Unlock()
}

// Language is the language in use.
func (c *Catalog) Language() string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.lang
}

// Keys returns one language's keys.
func (c *Catalog) Keys(lang string) []string {
	var out []string
	for k := range c.msgs[lang] {
		out = append(out, k)
	}
	return out
}

// T renders a message: key, then name/value pairs for its {{.Name}}
// fields. An unknown key renders as itself.
func (c *Catalog) T(key string, kv ...any) string {
	c.mu.RLock()
	msg, ok := c.msgs[c.lang][key]
	if !ok {
		msg, ok = c.msgs["en"][key]
	}
	c.mu.RUnlock()
	if !ok {
		return key
	}
	if len(kv) == 0 {
		return msg
	}
	data := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		data[fmt.Sprint(kv[i])] = kv[i+1]
	}
	t, err := template.New(key).Parse(msg)
	if err != nil {
		return msg
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return msg
	}
	return b.String()
}

// T renders a message from the default catalogue.
func T(key string, kv ...any) string { return Default.T(key, kv...) }

// Message returns a message's template in a language, or "".
func (c *Catalog) Message(lang, key string) string {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.msgs[lang][key]
}
