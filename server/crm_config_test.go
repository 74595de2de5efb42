package main

import (
	"bytes"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/screenpop/screenpop/internal/directory"
	"github.com/screenpop/screenpop/server/crm"
	"github.com/screenpop/screenpop/server/store"
)

// TestCRMConfig: the crm-* knobs from flags, environment and file, their
// defaults, and each mistake's error saying what to do.
func TestCRMConfig(t *testing.T) {
	dir := t.TempDir()
	pwFile := filepath.Join(dir, "crm-password")
	if err := os.WriteFile(pwFile, []byte("s3cret from file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	emptyFile := filepath.Join(dir, "empty")
	os.WriteFile(emptyFile, []byte("\n"), 0o600)
	confFile := filepath.Join(dir, "screenpop.conf")
	os.WriteFile(confFile, []byte("crm-url = http://127.0.0.1:8081\ncrm-user = screenpop-sync\ncrm-sync = 5s\n"), 0o600)

	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		want     string // error substring; "" for none
		wantPass string
		check    func(*testing.T, Config)
	}{
		{name: "no crm-url: no directory", args: nil, check: func(t *testing.T, c Config) {
			if c.CRMURL != "" || c.CRMAPI != "v4" || c.CRMKind != "suitecrm7" || c.CRMSync != 60*time.Second || c.crmPassword != "" {
				t.Errorf("defaults: %+v", c)
			}
		}},
		{name: "flags, password from the environment", args: []string{"-crm-url", "https://crm.example.com", "-crm-user", "sync", "-crm-kind", "sugar7", "-crm-api", "v11", "-crm-sync", "2m"},
			env: map[string]string{envCRMPassword: "pw env"}, wantPass: "pw env", check: func(t *testing.T, c Config) {
				if c.CRMAPI != "v11" || c.CRMKind != "sugar7" || c.CRMSync != 2*time.Minute || c.CRMUser != "sync" {
					t.Errorf("got %+v", c)
				}
			}},
		{name: "environment variables", env: map[string]string{"SCREENPOP_CRM_URL": "http://crm", "SCREENPOP_CRM_USER": "u", "SCREENPOP_CRM_KIND": "suitecrm8", envCRMPassword: "Pw-9q!z"}, wantPass: "Pw-9q!z"},
		{name: "config file, password file", args: []string{"-config", confFile, "-crm-password-file", pwFile}, wantPass: "s3cret from file", check: func(t *testing.T, c Config) {
			if c.CRMURL != "http://127.0.0.1:8081" || c.CRMUser != "screenpop-sync" || c.CRMSync != 5*time.Second {
				t.Errorf("got %+v", c)
			}
		}},
		{name: "no password", args: []string{"-crm-url", "http://crm", "-crm-user", "u"}, want: "put it in SCREENPOP_CRM_PASSWORD or in a file named by crm-password-file"},
		{name: "both passwords", args: []string{"-crm-url", "http://crm", "-crm-user", "u", "-crm-password-file", pwFile}, env: map[string]string{envCRMPassword: "Pw-9q!z"}, want: "keep one"},
		{name: "empty password file", args: []string{"-crm-url", "http://crm", "-crm-user", "u", "-crm-password-file", emptyFile}, want: "on one line"},
		{name: "missing password file", args: []string{"-crm-url", "http://crm", "-crm-user", "u", "-crm-password-file", filepath.Join(dir, "nope")}, want: "cannot read the CRM password"},
		{name: "no user", args: []string{"-crm-url", "http://crm"}, env: map[string]string{envCRMPassword: "Pw-9q!z"}, want: "crm-user is empty"},
		{name: "user without url", args: []string{"-crm-user", "u"}, want: "-crm-user u: set, but crm-url is empty"},
		{name: "not a URL", args: []string{"-crm-url", "crm.example.com", "-crm-user", "u"}, env: map[string]string{envCRMPassword: "Pw-9q!z"}, want: "-crm-url crm.example.com: not the CRM's root address"},
		{name: "a search URL, not the root", args: []string{"-crm-url", "http://crm/index.php?module=Home", "-crm-user", "u"}, env: map[string]string{envCRMPassword: "Pw-9q!z"}, want: "with no query"},
		{name: "unknown API", args: []string{"-crm-url", "http://crm", "-crm-user", "u", "-crm-api", "v8"}, env: map[string]string{envCRMPassword: "Pw-9q!z"}, want: "-crm-api v8: use v4"},
		{name: "unknown kind", env: map[string]string{"SCREENPOP_CRM_URL": "http://crm", "SCREENPOP_CRM_USER": "u", envCRMPassword: "Pw-9q!z", "SCREENPOP_CRM_KIND": "vtiger"}, want: "SCREENPOP_CRM_KIND=vtiger: use suitecrm7"},
		{name: "log calls without a CRM", args: []string{"-crm-log-calls", "all"}, want: "-crm-log-calls all: set, but crm-url is empty"},
		{name: "log calls: not a list", args: []string{"-crm-url", "http://crm", "-crm-user", "u", "-crm-log-calls", "some"}, env: map[string]string{envCRMPassword: "Pw-9q!z"}, want: "use off, all, lines:"},
		{name: "log calls: unknown kind", args: []string{"-crm-url", "http://crm", "-crm-user", "u", "-crm-log-calls", "queues:q1"}, env: map[string]string{envCRMPassword: "Pw-9q!z"}, want: `"queues" is neither lines nor agents`},
		{name: "callback: unknown kind", args: []string{"-crm-url", "http://crm", "-crm-user", "u", "-crm-log-calls", "all", "-crm-callback", "email"}, env: map[string]string{envCRMPassword: "Pw-9q!z"}, want: "-crm-callback email: use off, task"},
		{name: "callback with logging off", args: []string{"-crm-url", "http://crm", "-crm-user", "u", "-crm-callback", "task"}, env: map[string]string{envCRMPassword: "Pw-9q!z"}, want: "crm-log-calls is off"},
		{name: "call logging", args: []string{"-crm-url", "http://crm", "-crm-user", "u", "-crm-log-calls", "lines:+33 9 72 10 10 10;agents:alice, bob", "-crm-callback", "call", "-crm-callback-user", "sally"},
			env: map[string]string{envCRMPassword: "Pw-9q!z"}, wantPass: "Pw-9q!z", check: func(t *testing.T, c Config) {
				cl := (&crmDirectory{setup: &crmSetup{}}).relayCallLog(c)
				if cl == nil || !slices.Equal(cl.Lines, []string{"0033972101010"}) || !slices.Equal(cl.Agents, []string{"alice", "bob"}) || cl.Callback != "call" || cl.CallbackUser != "sally" {
					t.Errorf("call log: %+v", cl)
				}
			}},
		{name: "sync too often", args: []string{"-crm-url", "http://crm", "-crm-user", "u", "-crm-sync", "100ms"}, env: map[string]string{envCRMPassword: "Pw-9q!z"}, want: "too short"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(envCRMPassword, "")
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			c, _, err := parseConfig("t", "", tt.args, &bytes.Buffer{}, false, nil)
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("error = %v, want one containing %q", err, tt.want)
				}
				if strings.Contains(err.Error(), "s3cret") || (tt.env[envCRMPassword] != "" && strings.Contains(err.Error(), tt.env[envCRMPassword])) {
					t.Errorf("the error shows the password: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.crmPassword != tt.wantPass {
				t.Errorf("password = %q, want %q", c.crmPassword, tt.wantPass)
			}
			var show bytes.Buffer
			c.show(&show)
			if tt.wantPass != "" && strings.Contains(show.String(), tt.wantPass) {
				t.Errorf("config show prints the password:\n%s", show.String())
			}
			if tt.check != nil {
				tt.check(t, c)
			}
		})
	}
}

// TestCRMSetup: the client and record pages per API and kind, SuiteCRM
// 8's /legacy API under the root it shows its records at.
func TestCRMSetup(t *testing.T) {
	tests := []struct {
		api, kind, url string
		wantClient     string
		wantRecord     string
	}{
		{"v4", "suitecrm7", "http://127.0.0.1:8081/", "*crm.V4Client", "http://127.0.0.1:8081/index.php?module=Contacts&action=DetailView&record=id1"},
		{"v11", "sugar7", "https://acme.sugarondemand.com", "*crm.V11Client", "https://acme.sugarondemand.com/#Contacts/id1"},
		{"v4", "suitecrm8", "https://crm8.example.com", "*crm.V4Client", "https://crm8.example.com/#/contacts/record/id1"},
		{"v4", "suitecrm8", "https://crm8.example.com/legacy", "*crm.V4Client", "https://crm8.example.com/#/contacts/record/id1"},
	}
	for _, tt := range tests {
		cfg := defaultConfig()
		cfg.CRMAPI, cfg.CRMKind, cfg.CRMURL, cfg.CRMUser, cfg.crmPassword = tt.api, tt.kind, tt.url, "u", "p"
		s, err := newCRMSetup(cfg)
		if err != nil {
			t.Fatalf("%s %s: %v", tt.api, tt.kind, err)
		}
		if got := typeName(s.client); got != tt.wantClient {
			t.Errorf("%s %s: client %s, want %s", tt.api, tt.kind, got, tt.wantClient)
		}
		if got := s.recordURL("Contacts", "id1"); got != tt.wantRecord {
			t.Errorf("%s %s %s: record %q, want %q", tt.api, tt.kind, tt.url, got, tt.wantRecord)
		}
	}
}

func typeName(c crmClient) string {
	switch c.(type) {
	case *crm.V4Client:
		return "*crm.V4Client"
	case *crm.V11Client:
		return "*crm.V11Client"
	}
	return "?"
}

// TestOpenCRMDirectory: the directory stored by a relay of the same CRM
// and user is loaded with its cursor (the next sync is incremental);
// one of another CRM, or a damaged one, is not: a full sync rebuilds it.
func TestOpenCRMDirectory(t *testing.T) {
	cfg := defaultConfig()
	cfg.CRMURL, cfg.CRMUser, cfg.crmPassword = "http://crm.example.com", "sync", "pw"
	setup, err := newCRMSetup(cfg)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := directory.New("FR")
	d.Apply(directory.Sync{Full: true, Upserts: []directory.Record{{Module: "Contacts", ID: "c1", Name: "Alice Martin",
		Phones: []directory.Phone{{Field: "phone_work", Number: "+33 1 23 45 67 89"}}}}})
	records, _ := d.MarshalJSON()
	cursor := []byte(`{"modules":{"Contacts":{"modified":"2026-12-07T10:00:00Z","id":"c1"}}}`)
	tests := []struct {
		name        string
		source      string
		records     []byte
		wantRecords int
		wantCursor  bool
	}{
		{"same CRM and user", setup.source, records, 1, true},
		{"another CRM", "v4 http://other.example.com sync", records, 0, false},
		{"damaged", setup.source, []byte("{not json"), 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, err := store.Open(filepath.Join(t.TempDir(), "screenpop.db"))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			if err := st.PutDirectory(store.SavedDirectory{Source: tt.source, Records: tt.records, Cursor: cursor, Saved: time.Now()}); err != nil {
				t.Fatal(err)
			}
			cd, err := openCRMDirectory(cfg, st, slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err != nil {
				t.Fatal(err)
			}
			if got := cd.dir.Stats().Records; got != tt.wantRecords {
				t.Errorf("records = %d, want %d", got, tt.wantRecords)
			}
			if got := !cd.syncer.Cursor().IsZero(); got != tt.wantCursor {
				t.Errorf("cursor kept = %v, want %v", got, tt.wantCursor)
			}
			if tt.wantRecords == 1 && len(cd.dir.LookupRaw("0033123456789")) != 1 {
				t.Error("the loaded directory does not find Alice")
			}
		})
	}
}
