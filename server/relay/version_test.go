package relay

import (
	"encoding/json"
	"os"
	"testing"
)

// TestVersionIsTheManifests: the relay reports the extension's version
// (extension/manifest.json), so that one number names a release.
func TestVersionIsTheManifests(t *testing.T) {
	b, err := os.ReadFile("../../extension/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	var m struct {
		Version string `json:"version"`
	}
	if err := json.Unmarshal(b, &m); err != nil || m.Version == "" {
		t.Fatalf("extension/manifest.json has no version: %v", err)
	}
	if Version != m.Version {
		t.Errorf("relay.Version is %q, extension/manifest.json says %q: release them as one (set both to the new version)", Version, m.Version)
	}
}
