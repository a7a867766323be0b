package gui

import (
	"fmt"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	"cnx-agent/i18n"
)

// LoadTranslations gives Fyne the catalogue (i18n/en.json, zh.json). Fyne
// picks the language from the locale (LANG…) when this is called; set LANG
// first to choose.
func LoadTranslations() error {
	for _, l := range i18n.Languages {
		b, err := i18n.Files().ReadFile(l + ".json")
		if err != nil {
			return err
		}
		locales := []fyne.Locale{fyne.Locale(l)}
		if l == "zh" { // Fyne's own Chinese is zh-Hans; the matcher may pick it
			locales = append(locales, "zh-Hans", "zh-CN")
		}
		for _, loc := range locales {
			if err := lang.AddTranslationsForLocale(b, loc); err != nil {
				return err
			}
		}
	}
	return nil
}

// tr translates a key with name/value pairs for its fields, falling back to
// the English message.
func tr(key string, kv ...any) string {
	data := map[string]any{}
	for i := 0; i+1 < len(kv); i += 2 {
		data[fmt.Sprint(kv[i])] = kv[i+1]
	}
	return lang.LocalizeKey(key, i18n.Default.Message("en", key), data)
}
