// Package settings holds what an agent configures in the extension: where
// the relay is, how to open the CRM, which calls pop. It is stored as JSON
// in the browser's extension storage and validated here, in Go, both by the
// options page (to show messages) and by the background (to refuse to act
// on bad settings).
package settings

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// StorageKey is the extension storage key the settings live under.
const StorageKey = "settings"

// Pop modes. Only Tab exists in the walking skeleton; the others come with
// the extension issue, and a stored unknown mode falls back to Tab.
const (
	ModeTab = "tab"
)

// Settings is one agent's configuration.
type Settings struct {
	RelayURL string `json:"relayUrl"` // e.g. http://127.0.0.1:8080 (ws:// is derived)
	Template string `json:"template"` // CRM URL template with placeholders
	Mode     string `json:"mode"`
}

// Default is what a fresh install starts with: the relay and demo CRM of
// `make run`, so the first pop lands somewhere real before any set-up. The
// demo CRM searches like SugarCRM 6.5, so the template is the real preset's.
func Default() Settings {
	return Settings{
		RelayURL: "http://127.0.0.1:8080",
		Template: "http://127.0.0.1:8080/demo-crm/index.php?module=Home&action=UnifiedSearch&query_string=*CALLING_LIKE*",
		Mode:     ModeTab,
	}
}

// FieldError is a validation problem tied to one field of the options page.
type FieldError struct {
	Field   string // "relayUrl", "template"
	Message string // what is wrong and what to do
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// ValidateRelayURL checks the relay address an agent typed.
func ValidateRelayURL(s string) error {
	s = strings.TrimSpace(s)
	if s == "" {
		return &FieldError{"relayUrl", "enter the relay's address, e.g. http://127.0.0.1:8080"}
	}
	u, err := url.Parse(s)
	if err != nil {
		return &FieldError{"relayUrl", fmt.Sprintf("%q is not a URL; enter the relay's address, e.g. http://127.0.0.1:8080", s)}
	}
	switch u.Scheme {
	case "http", "https", "ws", "wss":
	default:
		return &FieldError{"relayUrl", fmt.Sprintf("the relay address must start with http:// or https:// (got %q)", u.Scheme+":")}
	}
	if u.Host == "" {
		return &FieldError{"relayUrl", "the relay address has no host; e.g. http://127.0.0.1:8080"}
	}
	if u.User != nil {
		return &FieldError{"relayUrl", "do not put a user name or password in the relay address"}
	}
	return nil
}

// StreamURL turns the relay address into its WebSocket stream URL with the
// resume cursor.
func StreamURL(relay string, cursor uint64) (string, error) {
	if err := ValidateRelayURL(relay); err != nil {
		return "", err
	}
	u, _ := url.Parse(strings.TrimSpace(relay))
	switch u.Scheme {
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/v1/stream"
	q := url.Values{}
	if cursor > 0 {
		q.Set("cursor", fmt.Sprint(cursor))
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// Validate checks every field; templateCheck validates the CRM template
// (pop.ValidateTemplate, passed in so this package stays tiny).
func (s Settings) Validate(templateCheck func(string) error) []error {
	var errs []error
	if err := ValidateRelayURL(s.RelayURL); err != nil {
		errs = append(errs, err)
	}
	if err := templateCheck(s.Template); err != nil {
		var fe *FieldError
		if !errors.As(err, &fe) {
			err = &FieldError{"template", err.Error()}
		}
		errs = append(errs, err)
	}
	return errs
}
