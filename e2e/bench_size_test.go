package e2e

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// BenchmarkExtensionSize (make bench-extension) prints the gzip size of
// each wasm in dist/chrome beside the floor, the minimal Go wasm service
// worker (syscall/js only, bench_floor_test.go) built with the same
// flags, and for each wasm its ten biggest packages.
//
// How the packages are sized: the wasm is built again, from the same
// source and with the same flags but without -s -w, into a temp dir, so
// that it keeps its "name" section (the function names; -s -w drops it,
// and DWARF, and nothing else). Each function body in the code section
// is given to the package its name starts with (import path up to the
// longest import path among the packages linked in that the name starts
// with; "type:…" are the compiler's generated equality and hash
// functions, names without a package the runtime's assembly). The data section (string and type data,
// pclntab, …) carries no names in a wasm binary and is shown as one
// unattributed line; `go tool nm` does not read wasm. Sizes are raw bytes
// of code, before gzip.
func BenchmarkExtensionSize(b *testing.B) {
	dir := extensionDir(b)
	floor := buildFloorExtension(b, dir)
	fraw, err := os.ReadFile(filepath.Join(floor, "floor.wasm"))
	if err != nil {
		b.Fatal(err)
	}
	fgz := gzipSize(fraw)
	t := &benchTable{title: "extension size (gzip -9); floor: a minimal Go wasm service worker (syscall/js, WebSocket, storage), same flags"}
	var breakdowns strings.Builder
	root, err := filepath.Abs("..")
	if err != nil {
		b.Fatal(err)
	}
	for _, w := range []struct{ file, pkg, key string }{
		{"background.wasm", "./wasm/cmd/background", "bg"},
		{"pages.wasm", "./wasm/cmd/pages", "pages"},
	} {
		raw, err := os.ReadFile(filepath.Join(dir, w.file))
		if err != nil {
			b.Fatal(err)
		}
		gz := gzipSize(raw)
		t.add(w.file+" gzip", kb(gz)+" ("+kb(len(raw))+" raw)", kb(fgz)+" ("+kb(len(fraw))+" raw)", x(float64(gz)/float64(fgz)), "", nil)
		b.ReportMetric(float64(gz)/1024, w.key+"-gzip-KB")

		// The unstripped copy, for the names.
		out := filepath.Join(b.TempDir(), w.file)
		cmd := exec.Command(goTool(), "build", "-trimpath", "-o", out, w.pkg)
		cmd.Dir = root
		cmd.Env = append(os.Environ(), "GOOS=js", "GOARCH=wasm")
		if msg, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("building %s without -s -w: %v\n%s", w.pkg, err, msg)
		}
		full, err := os.ReadFile(out)
		if err != nil {
			b.Fatal(err)
		}
		listCmd := exec.Command(goTool(), "list", "-deps", w.pkg)
		listCmd.Dir = root
		listCmd.Env = cmd.Env
		deps, err := listCmd.Output()
		if err != nil {
			b.Fatalf("go list -deps %s: %v", w.pkg, err)
		}
		pk, code, data, err := wasmPackageSizes(full, append(strings.Fields(string(deps)), "main"))
		if err != nil {
			b.Fatalf("%s: %v", w.file, err)
		}
		_, scode, _, _ := wasmSections(raw)
		type kv struct {
			pkg string
			n   int
		}
		var list []kv
		for p, n := range pk {
			list = append(list, kv{p, n})
		}
		slices.SortFunc(list, func(a, b kv) int { return b.n - a.n })
		fmt.Fprintf(&breakdowns, "\n%s: top ten packages by code size (of %s code, %s data; the dist file's code section is %s)\n",
			w.file, kb(code), kb(data), kb(scode))
		pw := 0
		for _, e := range list[:min(10, len(list))] {
			pw = max(pw, len(e.pkg))
		}
		for i, e := range list[:min(10, len(list))] {
			fmt.Fprintf(&breakdowns, "  %2d. %s  %8s  %4.1f%%\n", i+1, pad(e.pkg, pw), kb(e.n), 100*float64(e.n)/float64(code))
		}
		fmt.Fprintf(&breakdowns, "      %s  %8s  (data section: strings, types, pclntab; not attributed)\n", pad("data", pw), kb(data))
	}
	fmt.Print(t.String() + breakdowns.String())
}

// wasmSections returns the raw sizes of a wasm binary's sections by id
// (custom sections by name), and of its code and data sections.
func wasmSections(bin []byte) (sections map[string][]byte, code, data int, err error) {
	if len(bin) < 8 || !bytes.Equal(bin[:4], []byte("\x00asm")) {
		return nil, 0, 0, errors.New("not a wasm binary")
	}
	sections = map[string][]byte{}
	r := bin[8:]
	for len(r) > 0 {
		id := r[0]
		n, k := binary.Uvarint(r[1:])
		if k <= 0 || uint64(len(r)-1-k) < n {
			return nil, 0, 0, errors.New("truncated section")
		}
		body := r[1+k : 1+k+int(n)]
		r = r[1+k+int(n):]
		name := fmt.Sprint(id)
		if id == 0 {
			l, k := binary.Uvarint(body)
			name, body = string(body[k:k+int(l)]), body[k+int(l):]
		}
		sections[name] = body
		switch id {
		case 10:
			code = int(n)
		case 11:
			data = int(n)
		}
	}
	return sections, code, data, nil
}

// wasmPackageSizes gives each function body's bytes to its package, by
// the names in the "name" section.
// The linker writes names with every character but letters, digits, _
// and . replaced by _ (cmd/link/internal/wasm: nameRegexp), so a name is
// matched against the packages linked in (go list -deps), mangled the
// same way, the longest first.
func wasmPackageSizes(bin []byte, pkgs []string) (map[string]int, int, int, error) {
	mangle := regexp.MustCompile(`[^\w.]`)
	type pm struct{ mangled, path string }
	var known []pm
	for _, p := range pkgs {
		known = append(known, pm{mangle.ReplaceAllString(p, "_") + ".", p})
	}
	slices.SortFunc(known, func(a, b pm) int { return len(b.mangled) - len(a.mangled) })
	packageOf := func(name string) string {
		for _, k := range known {
			if strings.HasPrefix(name, k.mangled) {
				return k.path
			}
		}
		switch {
		case strings.HasPrefix(name, "type_."):
			return "type: (generated eq/hash)"
		case strings.HasPrefix(name, "go_."):
			return "go: (generated)"
		case !strings.Contains(name, "."):
			return "runtime (assembly)"
		}
		return "(other)"
	}
	secs, code, data, err := wasmSections(bin)
	if err != nil {
		return nil, 0, 0, err
	}
	// Imported functions come first in the function index space.
	imports := 0
	if imp := secs["2"]; imp != nil {
		cnt, k := binary.Uvarint(imp)
		p := imp[k:]
		for range cnt {
			for range 2 { // module, field
				l, k := binary.Uvarint(p)
				p = p[k+int(l):]
			}
			kind := p[0]
			p = p[1:]
			switch kind {
			case 0: // func: type index
				_, k := binary.Uvarint(p)
				p = p[k:]
				imports++
			case 1: // table: reftype, limits
				p = p[1:]
				p = skipLimits(p)
			case 2: // memory: limits
				p = skipLimits(p)
			case 3: // global: valtype, mut
				p = p[2:]
			default:
				return nil, 0, 0, fmt.Errorf("import kind %d", kind)
			}
		}
	}
	names := map[uint64]string{}
	ns := secs["name"]
	if ns == nil {
		return nil, 0, 0, errors.New("no name section: built with -s?")
	}
	for len(ns) > 0 {
		id := ns[0]
		n, k := binary.Uvarint(ns[1:])
		sub := ns[1+k : 1+k+int(n)]
		ns = ns[1+k+int(n):]
		if id != 1 {
			continue
		}
		cnt, k := binary.Uvarint(sub)
		sub = sub[k:]
		for range cnt {
			idx, k := binary.Uvarint(sub)
			sub = sub[k:]
			l, k := binary.Uvarint(sub)
			names[idx] = string(sub[k : k+int(l)])
			sub = sub[k+int(l):]
		}
	}
	sizes := map[string]int{}
	c := secs["10"]
	cnt, k := binary.Uvarint(c)
	c = c[k:]
	for i := range cnt {
		n, k := binary.Uvarint(c)
		c = c[k+int(n):]
		sizes[packageOf(names[uint64(imports)+i])] += k + int(n)
	}
	return sizes, code, data, nil
}

func skipLimits(p []byte) []byte {
	flag := p[0]
	_, k := binary.Uvarint(p[1:])
	p = p[1+k:]
	if flag&1 != 0 {
		_, k := binary.Uvarint(p)
		p = p[k:]
	}
	return p
}
