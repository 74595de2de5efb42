package main

import (
	"archive/zip"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestPack(t *testing.T) {
	dir := t.TempDir()
	for name, body := range map[string]string{
		"manifest.json":       `{"manifest_version":3}`,
		"a.js":                "1",
		"icons/icon16.png":    "png",
		".DS_Store":           "junk",
		".git/config":         "junk",
		"icons/.hidden":       "junk",
		"_locales/en/x.json~": "junk",
	} {
		p := filepath.Join(dir, name)
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "x.zip")
	if err := pack(dir, out); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(out)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	if want := []string{"manifest.json", "a.js", "icons/icon16.png"}; !slices.Equal(names, want) {
		t.Errorf("zip holds %q, want %q", names, want)
	}
	if err := pack(t.TempDir(), out); err == nil {
		t.Error("a folder without manifest.json was packed")
	}
}
