package suitecrm

import (
	"context"
	"errors"
	"html"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestStart installs (or reuses) the CRM and checks what tests rely on:
// the installer locked, every seeded record readable with its number.
func TestStart(t *testing.T) {
	c := Start(t)
	cfg, err := os.ReadFile(filepath.Join(c.Dir, "www/config.php"))
	if err != nil || !strings.Contains(string(cfg), "'installer_locked' => true") {
		t.Fatalf("config.php is not locked after the install (%v)", err)
	}
	if len(c.Seeded) != len(SeedRecords) {
		t.Fatalf("%d seeded records, want %d", len(c.Seeded), len(SeedRecords))
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	for _, r := range c.Seeded {
		fields, err := c.Entry(ctx, r.Module, r.ID, r.Field)
		if err != nil {
			t.Fatalf("%s %s: %v", r.Module, r.Name, err)
		}
		if got := fields[r.Field]; got != r.Number {
			t.Errorf("%s %s: %s is %q, want %q", r.Module, r.Name, r.Field, got, r.Number)
		}
	}
}

// TestRecordPages: each seeded record's page, opened by a logged-in
// browser, shows the record's name (not the first-login wizard).
func TestRecordPages(t *testing.T) {
	c := Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	h, err := c.Browser(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range c.Seeded {
		resp, err := h.Get(c.RecordURL(r))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), html.EscapeString(r.Name)) {
			t.Errorf("%s: %s answered %s without the name (%d bytes)", r.Name, c.RecordURL(r), resp.Status, len(body))
		}
	}
}

// TestOpenShared: test binaries opening the CRM at once (here two
// goroutines, each with its own lock file handle, as two processes have)
// get the one install.
func TestOpenShared(t *testing.T) {
	c := Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), StartTimeout)
	defer cancel()
	got := make(chan string, 2)
	for range 2 {
		go func() {
			o, err := Open(ctx, Options{})
			if err != nil {
				got <- err.Error()
				return
			}
			got <- o.BaseURL
		}()
	}
	for range 2 {
		if url := <-got; url != c.BaseURL {
			t.Errorf("a concurrent Open gave %q, want the run's CRM %s", url, c.BaseURL)
		}
	}
}

// TestBadSetup: what the harness cannot use says what to do.
func TestBadSetup(t *testing.T) {
	if checkTools() != nil {
		t.Skip("the server packages are missing, which TestStart reports")
	}
	_, err := Open(context.Background(), Options{Tarball: "/nonexistent/suitecrm.tar.gz"})
	var missing *MissingError
	if !errors.As(err, &missing) || !strings.Contains(err.Error(), TarballEnv) {
		t.Errorf("a missing tarball: %v, want a MissingError naming %s", err, TarballEnv)
	}
	if msg := (&MissingError{What: "apache2", Install: "apt-get install -y " + Packages}).Error(); !strings.Contains(msg, "apt-get install -y php8.2-cli") {
		t.Errorf("a missing package's message %q does not say what to install", msg)
	}
}

// TestUnderTop: extraction strips the archive's top folder and refuses
// names that would leave the install folder.
func TestUnderTop(t *testing.T) {
	tests := []struct {
		name string
		want string
		ok   bool
	}{
		{"SuiteCRM-7.14.6/index.php", "index.php", true},
		{"./SuiteCRM-7.14.6/modules/Contacts/Contact.php", "modules/Contacts/Contact.php", true},
		{"SuiteCRM-7.14.6/", "", false},
		{"SuiteCRM-7.14.6", "", false},
		{"SuiteCRM-7.14.6/../../etc/passwd", "", false},
		{"SuiteCRM-7.14.6/a/../../x", "", false},
	}
	for _, tt := range tests {
		got, ok := underTop(tt.name)
		if got != tt.want || ok != tt.ok {
			t.Errorf("underTop(%q) = %q, %v; want %q, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}
