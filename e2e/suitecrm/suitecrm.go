// Package suitecrm runs a real SuiteCRM 7.14.6 on loopback for the tests:
// Debian's PHP 8.2 under its own Apache instance, its own MariaDB server,
// SuiteCRM's silent installer, and records seeded through its REST v4_1
// API in the mixed phone formats real CRMs hold (docs/sugarcrm.md).
//
// One install serves every test of a run, and the next runs too: it lives
// in a fixed folder keyed by the tarball's checksum (Dir), and Start
// reuses what is there, restarting Apache or MariaDB if they stopped. A
// lock file makes test binaries that start at once (go test ./... runs
// packages in parallel) wait for the one that installs.
//
// The tarball comes from SCREENPOP_SUITECRM_TARBALL, else
// ../shared/crm/suitecrm-7.14.6-with-vendor.tar.gz beside the repository,
// else SuiteCRM's release zip from GitHub. When a CRM cannot start, Start
// skips the test saying what to install, or fails it when
// SCREENPOP_REQUIRE_CRM=1 (.ci/run sets it, as a missing browser fails CI).
package suitecrm

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/screenpop/screenpop/server/crm"
)

// The test CRM's fixed credentials: a test fixture on loopback, never a
// real CRM's.
const (
	AdminUser     = "admin"
	AdminPassword = "screenpop-admin-1"
)

// Version is the SuiteCRM release the harness installs.
const Version = "7.14.6"

// CRM is a running SuiteCRM.
type CRM struct {
	// BaseURL is the CRM's root, without a trailing slash:
	// http://127.0.0.1:PORT. Record pages are under BaseURL/index.php.
	BaseURL string
	// User and Password log in to the web UI and the API (the admin).
	User, Password string
	// Dir is the install folder: www/ (SuiteCRM), apache/ (its config
	// and error.log, php-error.log), mysql/ (its data and error.log),
	// install.log (what the install did).
	Dir string
	// Seeded are the records Seed made at install, in the order of
	// SeedRecords.
	Seeded []Record

	api *crm.V4Client
}

// Record is a seeded record: where it is and the number it stores.
type Record struct {
	Module string `json:"module"` // Contacts, Leads, Accounts
	ID     string `json:"id"`
	Name   string `json:"name"`  // as the record page shows it: "Alice Martin", "Martin SA"
	Field  string `json:"field"` // the phone field holding Number: phone_work, phone_office…
	Number string `json:"number"`
}

// RequireEnv is the variable that turns a CRM that cannot start from a
// skipped test into a failed one.
const RequireEnv = "SCREENPOP_REQUIRE_CRM"

// Required reports whether a CRM that cannot start must fail the test
// (SCREENPOP_REQUIRE_CRM is set, as in CI) rather than skip it.
func Required() bool { return os.Getenv(RequireEnv) != "" }

// The first Start of a test binary does the work; the others reuse its
// answer, so that every test of a package shares one check.
var (
	startOnce sync.Once
	started   *CRM
	startErr  error
)

// StartTimeout bounds a cold install (extracting 21,000 files, SuiteCRM's
// installer, the seed); a warm start takes a second or two.
const StartTimeout = 10 * time.Minute

// Start returns the run's SuiteCRM, installing or restarting it if
// needed. When it cannot, it skips t with what to install, or fails it
// when Required.
func Start(t testing.TB) *CRM {
	t.Helper()
	startOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), StartTimeout)
		defer cancel()
		started, startErr = Open(ctx, Options{Logf: t.Logf})
	})
	if startErr != nil {
		var missing *MissingError
		switch {
		case Required():
			t.Fatalf("SuiteCRM did not start and %s is set: %v", RequireEnv, startErr)
		case errors.As(startErr, &missing):
			t.Skipf("no SuiteCRM for this test: %v (set %s=1 to fail instead)", startErr, RequireEnv)
		default:
			t.Skipf("SuiteCRM did not start: %v (set %s=1 to fail instead)", startErr, RequireEnv)
		}
	}
	return started
}

// MissingError says that a tool or file the CRM needs is not on this
// machine, and how to get it.
type MissingError struct {
	What    string // "php8.2 (php)", "the SuiteCRM tarball"
	Install string // the command or step that provides it
}

func (e *MissingError) Error() string {
	return fmt.Sprintf("%s is missing: %s", e.What, e.Install)
}

// API returns a REST v4_1 client logged in as the admin.
func (c *CRM) API() *crm.V4Client { return c.api }

// Record returns the seeded record of that name, and fails t if there
// is none (a typo in a test).
func (c *CRM) Record(t testing.TB, name string) Record {
	t.Helper()
	for _, r := range c.Seeded {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("no seeded record named %q; the seeded ones are in suitecrm.SeedRecords", name)
	return Record{}
}

// RecordURL is the record's page in the classic UI.
func (c *CRM) RecordURL(r Record) string {
	return c.BaseURL + "/index.php?module=" + r.Module + "&action=DetailView&record=" + r.ID
}

// Browser returns an HTTP client logged in to the web UI as the admin,
// with its own cookie jar: for tests that read pages as an agent would.
func (c *CRM) Browser(ctx context.Context) (*http.Client, error) {
	h, landed, err := c.webLogin(ctx)
	if err == nil && landed.Query().Get("action") == "Wizard" {
		// A failed login of the admin (a test of wrong passwords) makes
		// SuiteCRM save its preferences without the wizard's mark: set
		// it again, and log in again.
		if err := adminPrefs(ctx, c.Dir, io.Discard); err != nil {
			return nil, err
		}
		h, landed, err = c.webLogin(ctx)
	}
	if err != nil {
		return nil, err
	}
	if a := landed.Query().Get("action"); a == "Login" || a == "Wizard" {
		return nil, fmt.Errorf("logging in to the web UI as %s landed on %s: read %s/www/suitecrm.log", c.User, landed, c.Dir)
	}
	return h, nil
}

// webLogin posts the login form and returns the client and the page it
// landed on.
func (c *CRM) webLogin(ctx context.Context) (*http.Client, *url.URL, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, nil, err
	}
	h := &http.Client{Jar: jar, Timeout: time.Minute}
	form := url.Values{
		"module": {"Users"}, "action": {"Authenticate"}, "return_module": {"Users"}, "return_action": {"Login"},
		"user_name": {c.User}, "username_password": {c.Password},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.BaseURL+"/index.php", strings.NewReader(form.Encode()))
	if err != nil {
		return nil, nil, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := h.Do(req)
	if err != nil {
		return nil, nil, fmt.Errorf("logging in to the web UI: %w", err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return h, resp.Request.URL, nil
}
