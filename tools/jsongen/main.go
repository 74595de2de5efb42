// Command jsongen writes the extension background's JSON codec from the
// struct declarations and their json tags, so that the wire schema is
// written once (internal/stream and the types it holds) and no list of
// field names is kept by hand.
//
// The background cannot afford encoding/json: it and the reflection it
// drags in make background.wasm 1,107 KB gzipped instead of 786 KB (+41%,
// measured with Go 1.26 on this tree), which every cold start of the
// service worker must compile. The generated code reads a parsed JSON tree
// (package stdlite) and writes with its encoder, the same way
// encoding/json does for these types: field order, omitempty and omitzero,
// nil slices as null, times in RFC 3339, map keys sorted.
//
// Usage, from the package that gets the codec (go generate does this):
//
//	go run ../../tools/jsongen -out wire_gen.go -decode 'stream.Message CallView' -encode 'Calls'
//
// A type is Name (this package) or importpath.Name; a package of this
// module may be named by its last element when it is imported by the
// package being generated. Each listed type gets decodeX or encodeX, and
// so does every struct type reachable from it.
//
// The declarations are read with go/parser, not go/types, so that a stale
// generated file (a field removed) never stops the generator from running.
package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
)

func main() {
	out := flag.String("out", "wire_gen.go", "file to write, in the current package")
	dec := flag.String("decode", "", "space-separated types to generate decoders for")
	enc := flag.String("encode", "", "space-separated types to generate encoders for")
	flag.Parse()
	src, err := Generate(".", strings.Fields(*dec), strings.Fields(*enc))
	if err != nil {
		fmt.Fprintln(os.Stderr, "jsongen:", err)
		os.Exit(1)
	}
	if err := os.WriteFile(*out, src, 0o644); err != nil {
		fmt.Fprintln(os.Stderr, "jsongen:", err)
		os.Exit(1)
	}
}

// kind is what a Go type is, as far as JSON goes.
type kind int

const (
	kString kind = iota
	kBool
	kInt
	kInt64
	kUint64
	kTime
	kStruct
	kPtr
	kSlice
	kMap // map[string]V
)

// typ is a Go type as the generated code uses it.
type typ struct {
	kind kind
	expr string // the type as written in the generated file: "string", "call.Direction", "stream.Event"
	elem *typ   // kPtr, kSlice, kMap
	st   *structType
}

type structType struct {
	name   string // the generated functions' suffix: StreamEvent, CallView
	expr   string
	fields []field
	done   bool // fields resolved
}

type field struct {
	goName    string
	jsonName  string
	omitEmpty bool
	omitZero  bool
	t         *typ
}

// pkg is one parsed package of the module.
type pkg struct {
	path  string // import path
	name  string // package name
	types map[string]*ast.TypeSpec
	files map[*ast.TypeSpec]*ast.File // where each type is declared, for its imports
}

type generator struct {
	modPath, modDir string
	self            *pkg
	pkgs            map[string]*pkg
	structs         map[string]*structType // by import path + "." + name
	order           []*structType
	imports         map[string]string // import path → package name, used by the output
	decode, encode  map[*structType]bool
}

// Generate returns the codec source for the package in dir.
func Generate(dir string, decode, encode []string) ([]byte, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	g := &generator{pkgs: map[string]*pkg{}, structs: map[string]*structType{}, imports: map[string]string{},
		decode: map[*structType]bool{}, encode: map[*structType]bool{}}
	if err := g.findModule(dir); err != nil {
		return nil, err
	}
	rel, err := filepath.Rel(g.modDir, dir)
	if err != nil {
		return nil, err
	}
	selfPath := g.modPath
	if rel != "." {
		selfPath += "/" + filepath.ToSlash(rel)
	}
	if g.self, err = g.load(selfPath); err != nil {
		return nil, err
	}
	for _, pass := range []struct {
		names []string
		mark  map[*structType]bool
	}{{decode, g.decode}, {encode, g.encode}} {
		for _, n := range pass.names {
			st, err := g.named(n)
			if err != nil {
				return nil, err
			}
			if err := g.reach(st, pass.mark); err != nil {
				return nil, err
			}
		}
	}
	return g.write()
}

func (g *generator) findModule(dir string) error {
	for d := dir; ; d = filepath.Dir(d) {
		b, err := os.ReadFile(filepath.Join(d, "go.mod"))
		if err == nil {
			for _, line := range strings.Split(string(b), "\n") {
				if rest, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
					g.modPath, g.modDir = strings.Trim(strings.TrimSpace(rest), `"`), d
					return nil
				}
			}
			return errors.New(filepath.Join(d, "go.mod") + " has no module line")
		}
		if filepath.Dir(d) == d {
			return errors.New("no go.mod above " + dir + ": run jsongen inside the module")
		}
	}
}

// load parses the package at import path p (of this module).
func (g *generator) load(p string) (*pkg, error) {
	if pk, ok := g.pkgs[p]; ok {
		return pk, nil
	}
	rel, ok := strings.CutPrefix(p, g.modPath)
	if !ok || (rel != "" && rel[0] != '/') {
		return nil, fmt.Errorf("package %s is not in module %s: jsongen reads only this module's types (and time.Time)", p, g.modPath)
	}
	dir := filepath.Join(g.modDir, filepath.FromSlash(strings.TrimPrefix(rel, "/")))
	fset := token.NewFileSet()
	names, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	pk := &pkg{path: p, types: map[string]*ast.TypeSpec{}, files: map[*ast.TypeSpec]*ast.File{}}
	for _, name := range names {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		pk.name = f.Name.Name
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok || gd.Tok != token.TYPE {
				continue
			}
			for _, s := range gd.Specs {
				ts := s.(*ast.TypeSpec)
				pk.types[ts.Name.Name] = ts
				pk.files[ts] = f
			}
		}
	}
	if pk.name == "" {
		return nil, fmt.Errorf("no Go files in %s (package %s)", dir, p)
	}
	g.pkgs[p] = pk
	return pk, nil
}

// named resolves a type named on the command line.
func (g *generator) named(n string) (*structType, error) {
	i := strings.LastIndex(n, ".")
	if i < 0 {
		return g.structOf(g.self, n)
	}
	path, name := n[:i], n[i+1:]
	if !strings.Contains(path, "/") { // a package name: find it among the module's packages the generated package imports
		for _, f := range g.self.files {
			if p := importOf(f, path); p != "" {
				path = p
				break
			}
		}
	}
	pk, err := g.load(path)
	if err != nil {
		return nil, err
	}
	return g.structOf(pk, name)
}

// importOf returns the import path file f refers to by name, or "".
func importOf(f *ast.File, name string) string {
	for _, im := range f.Imports {
		p, _ := strconv.Unquote(im.Path.Value)
		n := p[strings.LastIndex(p, "/")+1:]
		if im.Name != nil {
			n = im.Name.Name
		}
		if n == name {
			return p
		}
	}
	return ""
}

func (g *generator) structOf(pk *pkg, name string) (*structType, error) {
	t, err := g.resolve(pk, &ast.Ident{Name: name}, nil)
	if err != nil {
		return nil, err
	}
	if t.kind != kStruct {
		return nil, fmt.Errorf("%s.%s is not a struct type", pk.path, name)
	}
	return t.st, nil
}

// resolve turns a type expression, written in file f of package pk, into a typ.
func (g *generator) resolve(pk *pkg, e ast.Expr, f *ast.File) (*typ, error) {
	switch e := e.(type) {
	case *ast.Ident:
		switch e.Name {
		case "string":
			return &typ{kind: kString, expr: "string"}, nil
		case "bool":
			return &typ{kind: kBool, expr: "bool"}, nil
		case "int":
			return &typ{kind: kInt, expr: "int"}, nil
		case "int64":
			return &typ{kind: kInt64, expr: "int64"}, nil
		case "uint64":
			return &typ{kind: kUint64, expr: "uint64"}, nil
		}
		ts, ok := pk.types[e.Name]
		if !ok {
			return nil, fmt.Errorf("type %s not found in %s (jsongen handles string, bool, int, int64, uint64, time.Time, structs, pointers to structs, slices and map[string]V)", e.Name, pk.path)
		}
		return g.declared(pk, ts)
	case *ast.SelectorExpr:
		x, ok := e.X.(*ast.Ident)
		if !ok {
			return nil, fmt.Errorf("unsupported type expression in %s", pk.path)
		}
		path := importOf(f, x.Name)
		if path == "" {
			return nil, fmt.Errorf("%s.%s: package %s not imported in %s", x.Name, e.Sel.Name, x.Name, pk.path)
		}
		if path == "time" && e.Sel.Name == "Time" {
			g.imports["time"] = "time"
			return &typ{kind: kTime, expr: "time.Time"}, nil
		}
		other, err := g.load(path)
		if err != nil {
			return nil, err
		}
		ts, ok := other.types[e.Sel.Name]
		if !ok {
			return nil, fmt.Errorf("type %s not found in %s", e.Sel.Name, path)
		}
		return g.declared(other, ts)
	case *ast.StarExpr:
		elem, err := g.resolve(pk, e.X, f)
		if err != nil {
			return nil, err
		}
		if elem.kind != kStruct {
			return nil, fmt.Errorf("pointer to %s: jsongen handles pointers to structs only", elem.expr)
		}
		return &typ{kind: kPtr, expr: "*" + elem.expr, elem: elem}, nil
	case *ast.ArrayType:
		if e.Len != nil {
			return nil, fmt.Errorf("array type in %s: use a slice", pk.path)
		}
		elem, err := g.resolve(pk, e.Elt, f)
		if err != nil {
			return nil, err
		}
		return &typ{kind: kSlice, expr: "[]" + elem.expr, elem: elem}, nil
	case *ast.MapType:
		if k, ok := e.Key.(*ast.Ident); !ok || k.Name != "string" {
			return nil, fmt.Errorf("map type in %s: jsongen handles map[string]V only", pk.path)
		}
		elem, err := g.resolve(pk, e.Value, f)
		if err != nil {
			return nil, err
		}
		return &typ{kind: kMap, expr: "map[string]" + elem.expr, elem: elem}, nil
	}
	return nil, fmt.Errorf("unsupported type expression %T in %s", e, pk.path)
}

// declared turns a declared type into a typ.
func (g *generator) declared(pk *pkg, ts *ast.TypeSpec) (*typ, error) {
	qual := ts.Name.Name
	if pk != g.self {
		g.imports[pk.path] = pk.name
		qual = pk.name + "." + qual
	}
	f := pk.files[ts]
	if ts.Assign.IsValid() { // an alias: the type it names
		return g.resolve(pk, ts.Type, f)
	}
	if st, ok := ts.Type.(*ast.StructType); ok {
		key := pk.path + "." + ts.Name.Name
		if s, ok := g.structs[key]; ok {
			return &typ{kind: kStruct, expr: s.expr, st: s}, nil
		}
		name := ts.Name.Name
		if pk != g.self {
			name = strings.ToUpper(pk.name[:1]) + pk.name[1:] + name
		}
		s := &structType{name: name, expr: qual}
		g.structs[key] = s
		g.order = append(g.order, s)
		for _, fl := range st.Fields.List {
			tag := ""
			if fl.Tag != nil {
				raw, _ := strconv.Unquote(fl.Tag.Value)
				tag = reflect.StructTag(raw).Get("json")
			}
			if len(fl.Names) == 0 { // embedded: its fields are promoted, as encoding/json does
				t, err := g.resolve(pk, fl.Type, f)
				if err != nil {
					return nil, fmt.Errorf("%s: embedded field: %w", qual, err)
				}
				if t.kind != kStruct || !t.st.done || tag != "" {
					return nil, fmt.Errorf("%s: embedded field %s: jsongen promotes the fields of an untagged embedded struct only", qual, t.expr)
				}
				embedded := t.expr[strings.LastIndex(t.expr, ".")+1:]
				for _, ef := range t.st.fields {
					ef.goName = embedded + "." + ef.goName
					s.fields = append(s.fields, ef)
				}
				continue
			}
			for _, n := range fl.Names {
				if !n.IsExported() || tag == "-" {
					continue
				}
				name, opts, _ := strings.Cut(tag, ",")
				if name == "" {
					name = n.Name
				}
				t, err := g.resolve(pk, fl.Type, f)
				if err != nil {
					return nil, fmt.Errorf("%s.%s: %w", qual, n.Name, err)
				}
				fd := field{goName: n.Name, jsonName: name, t: t}
				for _, o := range strings.Split(opts, ",") {
					fd.omitEmpty = fd.omitEmpty || o == "omitempty"
					fd.omitZero = fd.omitZero || o == "omitzero"
				}
				s.fields = append(s.fields, fd)
			}
		}
		seen := map[string]bool{}
		for _, fd := range s.fields {
			if seen[fd.jsonName] {
				return nil, fmt.Errorf("%s: two fields are named %q in JSON: rename one (jsongen does not apply encoding/json's precedence rules)", qual, fd.jsonName)
			}
			seen[fd.jsonName] = true
		}
		s.done = true
		return &typ{kind: kStruct, expr: qual, st: s}, nil
	}
	under, err := g.resolve(pk, ts.Type, f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", qual, err)
	}
	switch under.kind {
	case kString, kBool, kInt, kInt64, kUint64:
		return &typ{kind: under.kind, expr: qual}, nil
	}
	return nil, fmt.Errorf("%s: named %s types are not handled; use the type itself", qual, under.expr)
}

// reach marks st and every struct reachable from it.
func (g *generator) reach(st *structType, mark map[*structType]bool) error {
	if mark[st] {
		return nil
	}
	mark[st] = true
	for _, f := range st.fields {
		for t := f.t; t != nil; t = t.elem {
			if t.kind == kStruct {
				if err := g.reach(t.st, mark); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

func (g *generator) write() ([]byte, error) {
	var body bytes.Buffer
	for _, st := range g.order {
		if g.decode[st] {
			g.writeDecode(&body, st)
		}
		if g.encode[st] {
			g.writeEncode(&body, st)
		}
	}
	var b bytes.Buffer
	b.WriteString("// Code generated by tools/jsongen from the types' json tags; DO NOT EDIT.\n")
	b.WriteString("// Run go generate after changing a type the background reads or writes.\n\n")
	fmt.Fprintf(&b, "package %s\n\n", g.self.name)
	paths := []string{g.modPath + "/internal/stdlite"}
	for p, name := range g.imports {
		if bytes.Contains(body.Bytes(), []byte(name+".")) { // a type only reached through others needs no import
			paths = append(paths, p)
		}
	}
	slices.Sort(paths)
	b.WriteString("import (\n")
	for _, p := range paths {
		fmt.Fprintf(&b, "\t%q\n", p)
	}
	b.WriteString(")\n")
	b.Write(body.Bytes())
	src, err := format.Source(b.Bytes())
	if err != nil {
		return nil, fmt.Errorf("generated code does not parse (a jsongen bug): %w\n%s", err, b.Bytes())
	}
	return src, nil
}

func (g *generator) writeDecode(b *bytes.Buffer, st *structType) {
	fmt.Fprintf(b, "\n// decode%s reads v into x, member by member: a member absent or of\n// another JSON type leaves x's field as it is.\n", st.name)
	fmt.Fprintf(b, "func decode%s(v *stdlite.JSONValue, x *%s) {\n", st.name, st.expr)
	b.WriteString("\tfor i := range v.Object {\n\t\tm := &v.Object[i].Value\n\t\tswitch v.Object[i].Key {\n")
	for _, f := range st.fields {
		fmt.Fprintf(b, "\t\tcase %q:\n", f.jsonName)
		decodeInto(b, "m", "x."+f.goName, f.t, 3)
	}
	b.WriteString("\t\t}\n\t}\n}\n")
}

// decodeInto writes the statements that read JSON value v into Go place dst.
func decodeInto(b *bytes.Buffer, v, dst string, t *typ, depth int) {
	ind := strings.Repeat("\t", depth)
	cast := func(base string) string {
		if t.expr == base {
			return "&" + dst
		}
		return "(*" + base + ")(&" + dst + ")"
	}
	switch t.kind {
	case kString:
		fmt.Fprintf(b, "%s%s.ReadString(%s)\n", ind, v, cast("string"))
	case kBool:
		fmt.Fprintf(b, "%s%s.ReadBool(%s)\n", ind, v, cast("bool"))
	case kInt:
		fmt.Fprintf(b, "%s%s.ReadInt(%s)\n", ind, v, cast("int"))
	case kInt64:
		fmt.Fprintf(b, "%s%s.ReadInt64(%s)\n", ind, v, cast("int64"))
	case kUint64:
		fmt.Fprintf(b, "%s%s.ReadUint64(%s)\n", ind, v, cast("uint64"))
	case kTime:
		fmt.Fprintf(b, "%s%s.ReadTime(&%s)\n", ind, v, dst)
	case kStruct:
		fmt.Fprintf(b, "%sdecode%s(%s, &%s)\n", ind, t.st.name, v, dst)
	case kPtr:
		fmt.Fprintf(b, "%sswitch %s.Kind {\n%scase stdlite.JSONNull:\n%s\t%s = nil\n%scase stdlite.JSONObject:\n", ind, v, ind, ind, dst, ind)
		fmt.Fprintf(b, "%s\tif %s == nil {\n%s\t\t%s = new(%s)\n%s\t}\n", ind, dst, ind, dst, t.elem.expr, ind)
		fmt.Fprintf(b, "%s\tdecode%s(%s, %s)\n%s}\n", ind, t.elem.st.name, v, dst, ind)
	case kSlice:
		n := fmt.Sprintf("e%d", depth)
		fmt.Fprintf(b, "%sswitch %s.Kind {\n%scase stdlite.JSONNull:\n%s\t%s = nil\n%scase stdlite.JSONArray:\n", ind, v, ind, ind, dst, ind)
		fmt.Fprintf(b, "%s\t%s = make(%s, len(%s.Array))\n", ind, dst, t.expr, v)
		fmt.Fprintf(b, "%s\tfor %s := range %s.Array {\n", ind, n, v)
		decodeInto(b, "(&"+v+".Array["+n+"])", dst+"["+n+"]", t.elem, depth+2)
		fmt.Fprintf(b, "%s\t}\n%s}\n", ind, ind)
	case kMap:
		n := fmt.Sprintf("e%d", depth)
		fmt.Fprintf(b, "%sswitch %s.Kind {\n%scase stdlite.JSONNull:\n%s\t%s = nil\n%scase stdlite.JSONObject:\n", ind, v, ind, ind, dst, ind)
		fmt.Fprintf(b, "%s\t%s = make(%s, len(%s.Object))\n", ind, dst, t.expr, v)
		fmt.Fprintf(b, "%s\tfor %s := range %s.Object {\n", ind, n, v)
		fmt.Fprintf(b, "%s\t\tvar el %s\n", ind, t.elem.expr)
		decodeInto(b, "(&"+v+".Object["+n+"].Value)", "el", t.elem, depth+2)
		fmt.Fprintf(b, "%s\t\t%s[%s.Object[%s].Key] = el\n%s\t}\n%s}\n", ind, dst, v, n, ind, ind)
	}
}

func (g *generator) writeEncode(b *bytes.Buffer, st *structType) {
	fmt.Fprintf(b, "\n// encode%s writes x as encoding/json does.\n", st.name)
	fmt.Fprintf(b, "func encode%s(e *stdlite.JSONEncoder, x *%s) {\n\te.Begin()\n", st.name, st.expr)
	for _, f := range st.fields {
		src := "x." + f.goName
		cond := omitCond(f, src)
		ind := "\t"
		if cond != "" {
			fmt.Fprintf(b, "\tif %s {\n", cond)
			ind = "\t\t"
		}
		fmt.Fprintf(b, "%se.Key(%q)\n", ind, f.jsonName)
		encodeValue(b, src, f.t, len(ind))
		if cond != "" {
			b.WriteString("\t}\n")
		}
	}
	b.WriteString("\te.End()\n}\n")
}

// omitCond is the condition under which field f is written, "" for always.
// omitempty and omitzero agree on scalars; they differ on slices and maps
// (empty vs nil), and only omitzero omits a zero time or struct.
func omitCond(f field, src string) string {
	t := f.t
	if !f.omitEmpty && !f.omitZero {
		return ""
	}
	switch t.kind {
	case kString:
		return src + ` != ""`
	case kBool:
		return src
	case kInt, kInt64, kUint64:
		return src + " != 0"
	case kPtr:
		return src + " != nil"
	case kSlice, kMap:
		if f.omitEmpty {
			return "len(" + src + ") > 0"
		}
		return src + " != nil"
	case kTime:
		if f.omitZero {
			return "!" + src + ".IsZero()"
		}
	case kStruct:
		if f.omitZero {
			return src + " != (" + t.expr + "{})"
		}
	}
	return ""
}

// encodeValue writes the statements that write Go value src.
func encodeValue(b *bytes.Buffer, src string, t *typ, depth int) {
	ind := strings.Repeat("\t", depth)
	conv := func(base string) string {
		if t.expr == base {
			return src
		}
		return base + "(" + src + ")"
	}
	switch t.kind {
	case kString:
		fmt.Fprintf(b, "%se.String(%s)\n", ind, conv("string"))
	case kBool:
		fmt.Fprintf(b, "%se.Bool(%s)\n", ind, conv("bool"))
	case kInt, kInt64:
		fmt.Fprintf(b, "%se.Int(int64(%s))\n", ind, src)
	case kUint64:
		fmt.Fprintf(b, "%se.Uint(uint64(%s))\n", ind, src)
	case kTime:
		fmt.Fprintf(b, "%se.Time(%s)\n", ind, src)
	case kStruct:
		fmt.Fprintf(b, "%sencode%s(e, &%s)\n", ind, t.st.name, src)
	case kPtr:
		fmt.Fprintf(b, "%sif %s == nil {\n%s\te.Null()\n%s} else {\n%s\tencode%s(e, %s)\n%s}\n", ind, src, ind, ind, ind, t.elem.st.name, src, ind)
	case kSlice:
		n := fmt.Sprintf("i%d", depth)
		fmt.Fprintf(b, "%sif %s == nil {\n%s\te.Null()\n%s} else {\n", ind, src, ind, ind)
		fmt.Fprintf(b, "%s\te.BeginArray()\n%s\tfor %s := range %s {\n%s\t\te.Next(%s)\n", ind, ind, n, src, ind, n)
		encodeValue(b, src+"["+n+"]", t.elem, depth+2)
		fmt.Fprintf(b, "%s\t}\n%s\te.EndArray()\n%s}\n", ind, ind, ind)
	case kMap:
		n := fmt.Sprintf("k%d", depth)
		fmt.Fprintf(b, "%sif %s == nil {\n%s\te.Null()\n%s} else {\n", ind, src, ind, ind)
		fmt.Fprintf(b, "%s\te.Begin()\n%s\tfor _, %s := range stdlite.SortedKeys(%s) {\n%s\t\te.Key(%s)\n", ind, ind, n, src, ind, n)
		encodeValue(b, src+"["+n+"]", t.elem, depth+2)
		fmt.Fprintf(b, "%s\t}\n%s\te.End()\n%s}\n", ind, ind, ind)
	}
}
