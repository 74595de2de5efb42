package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/screenpop/screenpop/internal/settings"
	"github.com/screenpop/screenpop/server/ovhsim"
)

// need finds a tool for a browser test, or skips — except in CI
// (SCREENPOP_REQUIRE_BROWSER=1), where a missing tool fails the test.
func need(t *testing.T, what, install string, candidates ...string) string {
	t.Helper()
	for _, p := range candidates {
		if p == "" {
			continue
		}
		if found, err := exec.LookPath(p); err == nil {
			return found
		}
	}
	if os.Getenv("SCREENPOP_REQUIRE_BROWSER") != "" {
		t.Fatalf("%s is missing and SCREENPOP_REQUIRE_BROWSER is set: %s", what, install)
	}
	t.Skipf("%s is missing (%s); skipping", what, install)
	return ""
}

// firefoxRun runs test/firefox/pop.mjs: Firefox ESR with the extension
// at ext and settings st; it rings caller when the script is ready and
// returns the script's "popped" or "card" answer.
func firefoxRun(t *testing.T, s *stack, ext string, st settings.Settings, caller string) (kind, value string) {
	t.Helper()
	firefox := need(t, "Firefox ESR", "apt-get install -y firefox-esr", os.Getenv("SCREENPOP_FIREFOX"), "/usr/bin/firefox-esr", "firefox-esr", "firefox")
	node := need(t, "node", "apt-get install -y nodejs npm", "node")
	tools, _ := filepath.Abs("../test/firefox")
	if _, err := os.Stat(filepath.Join(tools, "node_modules", "puppeteer-core")); err != nil {
		if os.Getenv("SCREENPOP_REQUIRE_BROWSER") != "" {
			t.Fatalf("puppeteer-core is not installed: run `make test-e2e` (or `cd test/firefox && npm ci`)")
		}
		t.Skip("puppeteer-core is not installed: cd test/firefox && npm ci")
	}
	raw, _ := json.Marshal(st)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "pop.mjs", ext, s.crm.URL, string(raw))
	cmd.Dir = tools
	cmd.Env = append(os.Environ(), "SCREENPOP_FIREFOX="+firefox)
	cmd.Stderr = testWriter{t}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting node: %v", err)
	}
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		l := lines.Text()
		switch k, v, _ := strings.Cut(l, " "); k {
		case "ready":
			if _, err := s.sim.Ring(ovhsim.Call{Line: line, Calling: caller, Scenario: "ringing"}); err != nil {
				t.Fatal(err)
			}
		case "popped", "card":
			kind, value = k, v
		default:
			t.Log(l)
		}
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the Firefox run failed: %v (its stderr is above)", err)
	}
	return kind, value
}

// firefoxDir is the built Firefox package.
func firefoxDir(t *testing.T) string {
	ext, _ := filepath.Abs("../dist/firefox")
	if _, err := os.Stat(filepath.Join(ext, "background.wasm")); err != nil {
		t.Fatalf("the Firefox package is not built (%v): run `make extension`", err)
	}
	return ext
}

// TestFirefoxPop installs dist/firefox in Firefox ESR (driven by
// test/firefox/pop.mjs through puppeteer-core over WebDriver BiDi), points
// it at a relay, rings once, and expects a tab on the CRM's search for the
// caller, in the default pop mode (the CRM tab that follows the calls).
func TestFirefoxPop(t *testing.T) {
	s := startStack(t)
	st := inPageSettings(s)
	st.Mode = settings.Default().Mode
	kind, popped := firefoxRun(t, s, firefoxDir(t), st, "0033612345682")
	u, err := url.Parse(popped)
	if kind != "popped" || err != nil || u.Query().Get("query_string") != "+33612345682" {
		t.Fatalf("Firefox opened %q, want the CRM search for +33612345682", popped)
	}
	searches := 0
	for _, q := range s.fake.Queries() {
		if q == "+33612345682" {
			searches++
		}
	}
	if searches != 1 {
		t.Errorf("the fake CRM was asked %q, want one search for +33612345682", s.fake.Queries())
	}
}

// TestFirefoxInPage: in Firefox too, the caller card shows inside the CRM
// page already open (scripting.registerContentScripts, the card iframe).
func TestFirefoxInPage(t *testing.T) {
	s := startStack(t)
	ext := withHostAccess(t, firefoxDir(t), "http://127.0.0.1/*")
	kind, number := firefoxRun(t, s, ext, inPageSettings(s), "0033123456780")
	if kind != "card" || number != "01 23 45 67 80" {
		t.Fatalf("Firefox answered %s %q, want the card with 01 23 45 67 80", kind, number)
	}
}

// testWriter sends a child's output to the test log.
type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	for _, l := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		w.t.Log(l)
	}
	return len(p), nil
}
