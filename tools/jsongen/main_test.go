package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGeneratedFilesAreCurrent regenerates every codec made by jsongen
// (each //go:generate line that runs it) and compares it with the file
// checked in: a type changed without go generate fails here.
func TestGeneratedFilesAreCurrent(t *testing.T) {
	for _, dir := range []string{"../../wasm/background"} {
		src, err := os.ReadFile(filepath.Join(dir, "codec.go"))
		if err != nil {
			t.Fatal(err)
		}
		var line string
		for _, l := range strings.Split(string(src), "\n") {
			if strings.HasPrefix(l, "//go:generate go run ../../tools/jsongen ") {
				line = l
			}
		}
		if line == "" {
			t.Fatalf("%s/codec.go has no //go:generate line running jsongen", dir)
		}
		out, decode, encode := flagsOf(t, line)
		got, err := Generate(dir, decode, encode)
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(dir, out))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s/%s is stale: run go generate ./%s", dir, out, strings.TrimPrefix(dir, "../../"))
		}
	}
}

// flagsOf reads -out, -decode and -encode from a go:generate line (values
// in double quotes).
func flagsOf(t *testing.T, line string) (out string, decode, encode []string) {
	for _, f := range []string{"-out", "-decode", "-encode"} {
		i := strings.Index(line, f+" ")
		if i < 0 {
			t.Fatalf("no %s in %q", f, line)
		}
		v := line[i+len(f)+1:]
		if v, ok := strings.CutPrefix(v, `"`); ok {
			v = v[:strings.Index(v, `"`)]
			switch f {
			case "-decode":
				decode = strings.Fields(v)
			case "-encode":
				encode = strings.Fields(v)
			}
			continue
		}
		out = strings.Fields(v)[0]
	}
	return out, decode, encode
}

func TestGenerateErrors(t *testing.T) {
	for _, tc := range []struct {
		types []string
		want  string
	}{
		{[]string{"NoSuchType"}, "not found"},
		{[]string{"stream.NoSuch"}, "not found"},
		{[]string{"example.com/other.T"}, "not in module"},
	} {
		_, err := Generate("../../wasm/background", tc.types, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Generate(%v) = %v, want an error saying %q", tc.types, err, tc.want)
		}
	}
}
