package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestMakeRunHint: `make run` tells the relay URL to set in the
// extension's options with the LISTEN it was given (loopback for every
// interface), and says nothing to change with the default. It runs the
// Makefile's run target in a folder without a relay binary, its
// prerequisites taken as built (-o): the hint is printed, then starting
// the relay fails.
func TestMakeRunHint(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("no make")
	}
	mk, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "Makefile"), mk, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		listen string // "": the default
		want   []string
		not    string
	}{
		{"", []string{"A fresh install already points at http://127.0.0.1:8080"}, "This relay listens"},
		{"127.0.0.1:9090", []string{"listens on 127.0.0.1:9090", "relay URL http://127.0.0.1:9090", "http://127.0.0.1:9090/demo-crm/"}, "URL http://127.0.0.1:8080"},
		{"0.0.0.0:8088", []string{"listens on 0.0.0.0:8088", "relay URL http://127.0.0.1:8088"}, "http://0.0.0.0"},
		{"[::]:8088", []string{"relay URL http://127.0.0.1:8088"}, "http://[::]"},
		{"192.0.2.7:8080", []string{"relay URL http://192.0.2.7:8080"}, "A fresh install already"},
	} {
		t.Run(tt.listen, func(t *testing.T) {
			args := []string{"-s", "-C", dir, "-o", "extension", "-o", "relay", "GO=true", "run"}
			if tt.listen != "" {
				args = append(args, "LISTEN="+tt.listen)
			}
			cmd := exec.Command("make", args...)
			for _, kv := range os.Environ() { // neither the caller's LISTEN nor a parent make's flags
				if k, _, _ := strings.Cut(kv, "="); k != "LISTEN" && k != "MAKEFLAGS" && k != "MFLAGS" && k != "MAKELEVEL" {
					cmd.Env = append(cmd.Env, kv)
				}
			}
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("make run started a relay in %s:\n%s", dir, out)
			}
			for _, w := range tt.want {
				if !strings.Contains(string(out), w) {
					t.Errorf("make run printed:\n%s\nwant %q", out, w)
				}
			}
			if strings.Contains(string(out), tt.not) {
				t.Errorf("make run printed:\n%s\nwant no %q", out, tt.not)
			}
		})
	}
}
