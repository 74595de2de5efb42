// Package settings holds what an agent configures in the extension: where
// the relay is, how to open the CRM, which calls pop. It is stored as JSON
// in the browser's extension storage and validated here, in Go, both by the
// options page (to show messages) and by the background (to refuse to act
// on bad settings).
package settings

import (
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/screenpop/screenpop/internal/pop"
	"github.com/screenpop/screenpop/internal/stdlite"
)

// StorageKey is the extension storage key the settings live under.
const StorageKey = "settings"

// Pop modes: what happens when a call pops. A stored unknown mode falls
// back to the default, ModeReuseTab: one CRM tab that follows the calls
// (the agent takes calls one at a time) rather than a tab per call piling
// up all day; and navigating a tab is the fastest pop, where creating one
// is what costs Chromium most (make bench-extension).
const (
	ModeTab       = "tab"       // open a new tab
	ModeReuseTab  = "reuse-tab" // navigate and focus one CRM tab instead of piling up tabs
	ModeWindow    = "window"    // a popup window of WindowWidth × WindowHeight
	ModeSidePanel = "sidepanel" // update the side panel (it can't be opened without a click)
	ModeInPage    = "inpage"    // a caller card inside the CRM page already open
	ModeSilent    = "silent"    // a background GET of the URL (a webhook)
	ModeNotify    = "notify"    // a notification only
)

// Modes lists the pop modes in the order the options page offers them.
func Modes() []string {
	return []string{ModeTab, ModeReuseTab, ModeWindow, ModeSidePanel, ModeInPage, ModeSilent, ModeNotify}
}

// Settings is one agent's configuration.
type Settings struct {
	RelayURL string `json:"relayUrl"`         // e.g. http://127.0.0.1:8080 (ws:// is derived)
	Secret   string `json:"secret,omitempty"` // the agent's secret, from the connection string
	Preset   string `json:"preset,omitempty"` // pop preset ID: sugar6, sugar7, suite8, custom
	CRMBase  string `json:"crmBase,omitempty"`
	Template string `json:"template"` // CRM URL template with placeholders
	Mode     string `json:"mode"`
	// Window size for ModeWindow.
	WindowWidth  int `json:"windowWidth,omitempty"`
	WindowHeight int `json:"windowHeight,omitempty"`
	// CapPerMinute bounds pops per minute (0: no cap): no wall of tabs
	// when a queue floods. Always stored, 0 included: an absent field
	// reads as the default (Default), which is not "no cap".
	CapPerMinute int `json:"capPerMinute"`
	// Paused: no pops at all (the popup's one-click switch); calls are
	// still tracked, badged and listed.
	Paused bool `json:"paused,omitempty"`
	// Notify shows notifications for ringing and missed calls.
	Notify bool `json:"notify"`
	// Rules say which events and lines pop.
	Rules pop.Rules `json:"rules"`
	// What a pop opens when the relay names the caller's CRM records
	// (pop.MatchOptions; "" is each one's default): one match, the record
	// (pop.OneRecord) or the search (pop.OneSearch); several, the search
	// (pop.ManySearch) or a choice in the side panel or in-page card
	// (pop.ManyChoose); none, the search (pop.NoneSearch) or a new
	// contact with the number (pop.NoneNew). A relay without a CRM names
	// none: the search opens.
	OneMatch    string `json:"oneMatch,omitempty"`
	ManyMatches string `json:"manyMatches,omitempty"`
	NoMatch     string `json:"noMatch,omitempty"`
}

// MatchOptions are the agent's choices of what a pop opens for the
// records the relay names.
func (s Settings) MatchOptions() pop.MatchOptions {
	return pop.MatchOptions{One: s.OneMatch, Many: s.ManyMatches, None: s.NoMatch}
}

// Default is what a fresh install starts with: the relay and demo CRM of
// `make run`, so the first pop lands somewhere real before any set-up. The
// demo CRM searches like SugarCRM 6.5, so the template is the real preset's.
func Default() Settings {
	return Settings{
		RelayURL: "http://127.0.0.1:8080",
		Template: "http://127.0.0.1:8080/demo-crm/index.php?module=Home&action=UnifiedSearch&query_string=*OTHER_LIKE*",
		Mode:     ModeReuseTab,
		Preset:   pop.PresetSugar6,
		CRMBase:  "http://127.0.0.1:8080/demo-crm",

		WindowWidth:  1000,
		WindowHeight: 800,
		CapPerMinute: 10,
		Notify:       true,
	}
}

// Connection strings join the relay's address and an agent's secret in one
// line to paste: `screenpop-relay agent add` prints them. The secret goes in
// the fragment, which browsers and proxies never send to a server.
//
//	https://relay.example.com/#sp_…
func Connection(relayURL, secret string) string {
	return strings.TrimRight(relayURL, "/") + "/#" + secret
}

// ParseConnection splits a pasted connection string.
func ParseConnection(s string) (relayURL, secret string, err error) {
	s = stdlite.TrimSpace(s)
	i := strings.LastIndexByte(s, '#')
	if i < 0 {
		return "", "", &FieldError{"connection", "this is not a connection string: it should look like https://relay.example.com/#sp_…; copy the whole line `screenpop-relay agent add` printed"}
	}
	relayURL, secret = strings.TrimRight(s[:i], "/"), s[i+1:]
	if err := ValidateRelayURL(relayURL); err != nil {
		return "", "", &FieldError{"connection", err.(*FieldError).Message}
	}
	if !strings.HasPrefix(secret, "sp_") || len(secret) < 20 || strings.ContainsAny(secret, " /?#") {
		return "", "", &FieldError{"connection", "the secret after # is incomplete or damaged; copy the whole line `screenpop-relay agent add` printed, or ask for a new one (`screenpop-relay agent rotate`)"}
	}
	return relayURL, secret, nil
}

// Normalize fills what older stored settings lack and repairs what can't
// be used, so the background never acts on nonsense.
func (s Settings) Normalize() Settings {
	d := Default()
	if !slices.Contains(Modes(), s.Mode) {
		s.Mode = d.Mode
	}
	if s.WindowWidth < 200 || s.WindowWidth > 4000 {
		s.WindowWidth = d.WindowWidth
	}
	if s.WindowHeight < 200 || s.WindowHeight > 4000 {
		s.WindowHeight = d.WindowHeight
	}
	if s.CapPerMinute < 0 {
		s.CapPerMinute = 0
	}
	return s
}

// Equal reports whether two settings are the same.
func (s Settings) Equal(o Settings) bool {
	return reflect.DeepEqual(s, o)
}

// FieldError is a validation problem tied to one field of the options page.
type FieldError struct {
	Field   string // "relayUrl", "template"
	Message string // what is wrong and what to do
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// ValidateRelayURL checks the relay address an agent typed.
func ValidateRelayURL(s string) error {
	_, err := parseRelayURL(s)
	return err
}

func parseRelayURL(s string) (*stdlite.URL, error) {
	s = stdlite.TrimSpace(s)
	if s == "" {
		return nil, &FieldError{"relayUrl", "enter the relay's address, e.g. http://127.0.0.1:8080"}
	}
	u, err := stdlite.ParseURL(s)
	if err != nil {
		switch e := err.(*stdlite.URLError); e.Code {
		case stdlite.ErrURLNoScheme:
			return nil, &FieldError{"relayUrl", stdlite.Quote(s) + " is not a URL: the relay address must start with http:// or https://, e.g. http://127.0.0.1:8080"}
		case stdlite.ErrURLScheme:
			return nil, &FieldError{"relayUrl", "the relay address must start with http:// or https:// (got " + stdlite.Quote(e.Text) + ")"}
		case stdlite.ErrURLNoHost:
			return nil, &FieldError{"relayUrl", "the relay address has no host; e.g. http://127.0.0.1:8080"}
		}
		return nil, &FieldError{"relayUrl", stdlite.Quote(s) + " is not a URL (" + err.Error() + "); enter the relay's address, e.g. http://127.0.0.1:8080"}
	}
	if u.HasUser {
		return nil, &FieldError{"relayUrl", "do not put a user name or password in the relay address"}
	}
	return u, nil
}

// StreamURL turns the relay address into its WebSocket stream URL with the
// resume cursor. The relay address's own query and fragment are dropped.
func StreamURL(relay string, cursor uint64) (string, error) {
	u, err := parseRelayURL(relay)
	if err != nil {
		return "", err
	}
	switch u.Scheme {
	case "http":
		u.Scheme = "ws"
	case "https":
		u.Scheme = "wss"
	}
	stream := endpoint(u, "/v1/stream")
	if cursor > 0 {
		stream += "?cursor=" + strconv.FormatUint(cursor, 10)
	}
	return stream, nil
}

// APIURL is the address of the relay's agent API endpoint path (e.g.
// stream.PathDial), from the relay's address as the agent entered it
// (http or https, maybe with a path prefix; its query and fragment
// dropped). A ws:// address, which the stream accepts, is refused here
// as it was by the dial request's own parse.
func APIURL(relay, path string) (string, error) {
	u, err := parseRelayURL(relay)
	if err != nil {
		return "", err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", &FieldError{"relayUrl", "the relay address " + stdlite.Quote(relay) + " is not an http:// or https:// URL; fix it in the options"}
	}
	return endpoint(u, path), nil
}

func endpoint(u *stdlite.URL, path string) string {
	return u.Scheme + "://" + u.HostPort() + strings.TrimSuffix(u.Path, "/") + path
}

// Validate checks every field; templateCheck validates the CRM template
// (pop.ValidateTemplate, passed in so this package stays tiny).
func (s Settings) Validate(templateCheck func(string) error) []error {
	var errs []error
	if err := ValidateRelayURL(s.RelayURL); err != nil {
		errs = append(errs, err)
	}
	if err := s.Rules.Validate(); err != nil {
		errs = append(errs, &FieldError{"rules", err.Error()})
	}
	if err := templateCheck(s.Template); err != nil {
		// A type assertion, not errors.As: the check returns its errors
		// unwrapped, and errors.As (reflectlite) costs the wasm 16 KB gzipped.
		if _, ok := err.(*FieldError); !ok {
			err = &FieldError{"template", err.Error()}
		}
		errs = append(errs, err)
	}
	return errs
}
