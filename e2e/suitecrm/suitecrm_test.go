package suitecrm

import (
	"context"
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
