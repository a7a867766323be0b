package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
)

// Setting keys: what people change while the agent runs and expect to find
// again after a restart.
const (
	// SettingDefaultPrinter is the printer chosen as default in the
	// dashboard or the local API (JSON, with the config's default at the
	// time); it wins over the config's default = true while that stays.
	SettingDefaultPrinter = "default_printer"
)

// Setting returns a stored setting; ok is false when it was never set.
func (s *Store) Setting(ctx context.Context, key string) (value string, ok bool, err error) {
	err = s.db.QueryRowContext(ctx, `SELECT value FROM settings WHERE key=?`, key).Scan(&value)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", false, nil
	case err != nil:
		return "", false, fmt.Errorf("setting %s: %w", key, err)
	}
	return value, true, nil
}

// SetSetting stores a setting, replacing its value.
func (s *Store) SetSetting(ctx context.Context, key, value string) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
		ON CONFLICT(key) DO UPDATE SET value=excluded.value, updated_at=excluded.updated_at`, key, value, ms(s.now()))
	if err != nil {
		return fmt.Errorf("set %s: %w", key, err)
	}
	return nil
}
