package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"

	"github.com/screenpop/screenpop/internal/directory"
	"github.com/screenpop/screenpop/internal/pop"
	"github.com/screenpop/screenpop/server/crm"
	"github.com/screenpop/screenpop/server/relay"
	"github.com/screenpop/screenpop/server/store"
)

// envCRMPassword holds the CRM API user's password: a variable or a
// file, never a flag (flags show in ps) nor a config-file key.
const envCRMPassword = "SCREENPOP_CRM_PASSWORD"

// minCRMSync bounds crm-sync from below: each sync is a few API calls
// per module, and a CRM is not to be hammered.
const minCRMSync = time.Second

// validateCRM checks the crm-* knobs, and reads the password when a CRM
// is configured.
func (c *Config) validateCRM() error {
	if _, err := parseLogCalls(c.CRMLogCalls); err != nil {
		return c.invalid("crm-log-calls", err.Error())
	}
	switch c.CRMCallback {
	case relay.CallbackOff, relay.CallbackTask, relay.CallbackCall:
	default:
		return c.invalid("crm-callback", "use off, task (a call-back Task) or call (a planned Call)")
	}
	if c.CRMURL == "" {
		for _, name := range []string{"crm-user", "crm-password-file"} {
			if c.set[name] {
				return c.invalid(name, "set, but crm-url is empty: set crm-url to the CRM's root (e.g. https://crm.example.com) to sync the caller directory, or drop "+name)
			}
		}
		if c.CRMLogCalls != "off" {
			return c.invalid("crm-log-calls", "set, but crm-url is empty: the calls are logged in the CRM at crm-url; set it, or set crm-log-calls = off")
		}
		return nil
	}
	if c.CRMLogCalls == "off" {
		for _, name := range []string{"crm-callback", "crm-callback-user"} {
			if c.set[name] && !(name == "crm-callback" && c.CRMCallback == relay.CallbackOff) {
				return c.invalid(name, "set, but crm-log-calls is off: call-backs are made as missed calls are logged; set crm-log-calls (e.g. all), or drop "+name)
			}
		}
	}
	u, err := url.Parse(c.CRMURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return c.invalid("crm-url", "not the CRM's root address: give its http(s) URL with no query, e.g. https://crm.example.com or https://example.com/suitecrm")
	}
	switch c.CRMAPI {
	case "v4", "v11":
	default:
		return c.invalid("crm-api", "use v4 (SugarCRM 6.5, SuiteCRM 7, SuiteCRM 8's legacy API) or v11 (Sugar 7 and later)")
	}
	if _, err := crm.ParseKind(c.CRMKind); err != nil {
		return c.invalid("crm-kind", "use suitecrm7 (SugarCRM 6.5 and SuiteCRM 7), sugar7 (Sugar 7 and later) or suitecrm8")
	}
	if c.CRMUser == "" {
		return errors.New("crm-url is set but crm-user is empty: give the CRM API user the relay syncs the caller directory as (crm-user, or SCREENPOP_CRM_USER), and its password in " + envCRMPassword)
	}
	if c.CRMSync < minCRMSync {
		return c.invalid("crm-sync", fmt.Sprintf("too short: at least %v (60s is the default)", minCRMSync))
	}
	c.crmPassword, err = readCRMPassword(c.CRMPasswordFile)
	return err
}

// readCRMPassword reads the API user's password from the environment or
// from file, which must not both be given.
func readCRMPassword(file string) (string, error) {
	env := os.Getenv(envCRMPassword)
	switch {
	case env != "" && file != "":
		return "", fmt.Errorf("the CRM password is in both %s and crm-password-file: keep one", envCRMPassword)
	case file != "":
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("crm-password-file: cannot read the CRM password: %v", err)
		}
		pw := strings.TrimRight(string(b), "\r\n")
		if pw == "" || strings.ContainsAny(pw, "\r\n") {
			return "", fmt.Errorf("crm-password-file %s: it must hold the CRM API user's password on one line", file)
		}
		return pw, nil
	case env != "":
		return env, nil
	}
	return "", fmt.Errorf("crm-url is set but the CRM API user's password is not: put it in %s or in a file named by crm-password-file", envCRMPassword)
}

// crmClient reads a CRM's directory, looks numbers up live and logs
// calls.
type crmClient interface {
	crm.Source
	crm.Searcher
	crm.CallWriter
}

// logCalls is crm-log-calls parsed: which calls are logged.
type logCalls struct {
	all, off      bool
	lines, agents []string
}

// parseLogCalls reads crm-log-calls: off, all, lines:a,b, agents:a,b,
// or lines:…;agents:….
func parseLogCalls(s string) (logCalls, error) {
	s = strings.TrimSpace(s)
	switch s {
	case "", "off":
		return logCalls{off: true}, nil
	case "all":
		return logCalls{all: true}, nil
	}
	var lc logCalls
	for _, part := range strings.Split(s, ";") {
		kind, list, ok := strings.Cut(strings.TrimSpace(part), ":")
		var items []string
		for _, v := range strings.Split(list, ",") {
			if v = strings.TrimSpace(v); v != "" {
				items = append(items, v)
			}
		}
		switch {
		case !ok || len(items) == 0:
			return logCalls{}, fmt.Errorf("%q is not a list of calls to log: use off, all, lines:0033972101010,… or agents:alice,… (both: lines:…;agents:…)", part)
		case kind == "lines":
			lc.lines = append(lc.lines, items...)
		case kind == "agents":
			lc.agents = append(lc.agents, items...)
		default:
			return logCalls{}, fmt.Errorf("%q: %q is neither lines nor agents: use off, all, lines:0033972101010,… or agents:alice,…", part, kind)
		}
	}
	return lc, nil
}

// relayCallLog is the relay's call logging from cfg (validated); nil
// when crm-log-calls is off.
func (d *crmDirectory) relayCallLog(cfg Config) *relay.CallLog {
	lc, _ := parseLogCalls(cfg.CRMLogCalls)
	if lc.off {
		return nil
	}
	var lines []string
	for _, l := range lc.lines {
		lines = append(lines, relay.CanonicalLine(l, cfg.Region))
	}
	return &relay.CallLog{Writer: d.setup.client, Lines: lines, Agents: lc.agents, Callback: cfg.CRMCallback, CallbackUser: cfg.CRMCallbackUser}
}

// crmSetup is the CRM side of a relay, from its config: the client, the
// record pages' root, and what names the directory's source in the
// store.
type crmSetup struct {
	client  crmClient
	kind    crm.Kind
	records pop.Records // the record pages, at the CRM's root
	source  string      // api, URL and user: another one starts over
}

// newCRMSetup builds the CRM client of cfg (validated). SuiteCRM 8
// serves REST v4_1 under /legacy and its record pages at its root: with
// crm-kind suitecrm8 and crm-api v4, crm-url may be either.
func newCRMSetup(cfg Config) (*crmSetup, error) {
	kind, err := crm.ParseKind(cfg.CRMKind)
	if err != nil {
		return nil, err
	}
	root := strings.TrimRight(cfg.CRMURL, "/")
	s := &crmSetup{kind: kind, source: cfg.CRMAPI + " " + root + " " + cfg.CRMUser}
	recordBase := root
	switch cfg.CRMAPI {
	case "v11":
		s.client, err = crm.NewV11Client(crm.V11Config{BaseURL: root, User: cfg.CRMUser, Password: cfg.crmPassword, Platform: cfg.CRMPlatform})
	default:
		api := root
		if kind == crm.KindSuiteCRM8 {
			recordBase = strings.TrimSuffix(root, "/legacy")
			api = recordBase + "/legacy"
		}
		s.client, err = crm.NewV4Client(crm.V4Config{BaseURL: api, User: cfg.CRMUser, Password: cfg.crmPassword})
	}
	if err != nil {
		return nil, err
	}
	if s.records, err = crm.Records(kind, recordBase); err != nil {
		return nil, fmt.Errorf("crm-url %q: %w", cfg.CRMURL, err)
	}
	return s, nil
}

// recordURL is a record's page.
func (s *crmSetup) recordURL(module, id string) string { return s.records.URL(module, id) }

// crmDirectory is the running caller directory: what the relay reads,
// and what keeps it synced and stored.
type crmDirectory struct {
	setup   *crmSetup
	dir     *directory.Directory
	syncer  *crm.Syncer
	store   *store.Store
	log     *slog.Logger
	learned atomic.Bool // a live lookup added records since the last save
}

// openCRMDirectory loads the directory saved in st (when it came from
// the same CRM) with its cursor, so that a restart names callers at once
// and syncs incrementally; else it starts empty, for a full sync.
func openCRMDirectory(cfg Config, st *store.Store, log *slog.Logger) (*crmDirectory, error) {
	setup, err := newCRMSetup(cfg)
	if err != nil {
		return nil, err
	}
	d := &crmDirectory{setup: setup, store: st, log: log}
	var cursor crm.Cursor
	saved, ok, err := st.Directory()
	switch {
	case err != nil:
		log.Warn("cannot read the saved caller directory; a full sync rebuilds it", "err", err)
	case ok && saved.Source != setup.source:
		log.Info("the saved caller directory is of another CRM or user; a full sync rebuilds it")
	case ok:
		if d.dir, err = directory.Unmarshal(saved.Records, cfg.Region); err != nil {
			log.Warn("cannot load the saved caller directory; a full sync rebuilds it", "err", err)
		} else if err := json.Unmarshal(saved.Cursor, &cursor); err != nil {
			log.Warn("the saved caller directory's sync cursor is damaged; a full sync rebuilds it", "err", err)
			d.dir, cursor = nil, crm.Cursor{}
		} else {
			log.Info("caller directory loaded; syncing what changed since", "records", d.dir.Stats().Records, "saved", saved.Saved.Format(time.RFC3339))
		}
	}
	if d.dir == nil {
		if d.dir, err = directory.New(cfg.Region); err != nil {
			return nil, err
		}
	}
	d.syncer = &crm.Syncer{Source: setup.client, Directory: d.dir}
	d.syncer.SetCursor(cursor)
	return d, nil
}

// relayCRM is what the relay needs of the directory.
func (d *crmDirectory) relayCRM(cfg Config) *relay.CRM {
	return &relay.CRM{Directory: d.dir, Search: d.setup.client, RecordURL: d.setup.recordURL, UnknownFor: cfg.CRMSync,
		Learned: func([]directory.Record) { d.learned.Store(true) }}
}

// run syncs every interval until ctx ends, reporting each sync to the
// relay and saving the directory after a sync that changed it.
func (d *crmDirectory) run(ctx context.Context, interval time.Duration, r *relay.Relay) {
	d.syncer.Run(ctx, interval, func(st crm.Status, err error) {
		if ctx.Err() != nil {
			return // shutting down: a sync cut short is no CRM failure
		}
		r.CRMSynced(st, err)
		if err == nil && (st.Full || st.Upserts+st.Deletes > 0 || d.learned.Swap(false)) {
			d.save()
		}
	})
}

// save stores the directory and its cursor.
func (d *crmDirectory) save() {
	records, err := d.dir.MarshalJSON()
	if err == nil {
		var cursor []byte
		if cursor, err = json.Marshal(d.syncer.Cursor()); err == nil {
			err = d.store.PutDirectory(store.SavedDirectory{Source: d.setup.source, Records: records, Cursor: cursor, Saved: time.Now()})
		}
	}
	if err != nil {
		d.log.Error("cannot save the caller directory; a restart syncs it again in full", "err", err)
	}
}
