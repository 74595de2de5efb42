package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

func TestFor(t *testing.T) {
	src, err := os.ReadFile("../../extension/manifest.json")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		browser    string
		gone, kept []string
	}{
		{"chrome", []string{`"scripts"`, `"sidebar_action"`, `"browser_specific_settings"`}, []string{`"service_worker": "bg.js"`, `"side_panel"`, `"sidePanel"`, `"manifest_version": 3`}},
		{"firefox", []string{`"service_worker"`, `"side_panel"`, `"sidePanel"`, `"minimum_chrome_version"`}, []string{`"scripts"`, `"sidebar_action"`, `"gecko"`, `"data_collection_permissions"`, `"manifest_version": 3`}},
	} {
		t.Run(tc.browser, func(t *testing.T) {
			out, err := For(tc.browser, src)
			if err != nil {
				t.Fatal(err)
			}
			if !json.Valid(out) {
				t.Fatalf("not JSON: %s", out)
			}
			for _, k := range tc.gone {
				if strings.Contains(string(out), k) {
					t.Errorf("%s manifest still has %s", tc.browser, k)
				}
			}
			for _, k := range tc.kept {
				if !strings.Contains(string(out), k) {
					t.Errorf("%s manifest lost %s", tc.browser, k)
				}
			}
		})
	}
	if _, err := For("safari", src); err == nil {
		t.Error("an unknown browser was accepted")
	}
	if _, err := For("chrome", []byte("{")); err == nil {
		t.Error("broken JSON was accepted")
	}
}
