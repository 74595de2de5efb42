package pages

import (
	"encoding/json"
	"github.com/screenpop/screenpop/wasm/view"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/screenpop/screenpop/internal/call"
)

// message is one entry of a _locales messages.json.
type message struct {
	Message      string                       `json:"message"`
	Placeholders map[string]map[string]string `json:"placeholders"`
}

func loadMessages(t *testing.T, lang string) map[string]message {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "extension", "_locales", lang, "messages.json"))
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]message
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s/messages.json: %v", lang, err)
	}
	return m
}

// keyArgs says which arguments of the pages' functions are message keys.
var keyArgs = map[string][]int{
	"t": {0}, "msg": {0}, "setTitle": {0}, "section": {0},
	"field": {1, 2}, "checkbox": {1},
}

// usedKeys finds every message key the pages' code names: the literal
// key arguments of keyArgs' functions, literals assigned to …Key
// variables or fields, and the keys computed from tables.
func usedKeys(t *testing.T) map[string]bool {
	t.Helper()
	keys := map[string]bool{}
	lit := func(e ast.Expr) (string, bool) {
		bl, ok := e.(*ast.BasicLit)
		if !ok || bl.Kind != token.STRING {
			return "", false
		}
		s, err := strconv.Unquote(bl.Value)
		return s, err == nil && s != ""
	}
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") || f == "card_js.go" {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CallExpr:
				if id, ok := n.Fun.(*ast.Ident); ok {
					for _, i := range keyArgs[id.Name] {
						if i < len(n.Args) {
							if s, ok := lit(n.Args[i]); ok {
								keys[s] = true
							}
						}
					}
				}
			case *ast.AssignStmt:
				for i, l := range n.Lhs {
					if id, ok := l.(*ast.Ident); ok && strings.HasSuffix(strings.ToLower(id.Name), "key") && i < len(n.Rhs) {
						if s, ok := lit(n.Rhs[i]); ok {
							keys[s] = true
						}
					}
				}
			case *ast.KeyValueExpr:
				if id, ok := n.Key.(*ast.Ident); ok && slices.Contains([]string{"Headline", "Advice", "LabelKey"}, id.Name) {
					if s, ok := lit(n.Value); ok {
						keys[s] = true
					}
				}
			}
			return true
		})
	}
	for _, m := range []map[string]string{modeKeys, presetKeys} {
		for _, k := range m {
			keys[k] = true
		}
	}
	for _, k := range modeKeys {
		keys[k+"Hint"] = true
	}
	for _, k := range presetKeys {
		keys[k+"Help"] = true
	}
	for _, k := range reasonKeys {
		keys[k] = true
	}
	for _, k := range eventKeys {
		keys[k] = true
	}
	for _, s := range []call.State{call.Ringing, call.Answered, call.Ended, call.Missed, call.Abandoned, call.Dialing, "?"} {
		keys[view.StateKey(s)] = true
	}
	for _, s := range []string{"connected", "connecting", "down", "settings", ""} {
		rs := relayStateFor(s)
		keys[rs.Headline] = true
		if rs.Advice != "" {
			keys[rs.Advice] = true
		}
	}
	for _, f := range numberForms(mobile) {
		keys[f.LabelKey] = true
	}
	return keys
}

var argRef = regexp.MustCompile(`\$[A-Za-z0-9_]+\$`)

// args returns the positional substitutions ($1, $2) a message uses.
func args(m message) []string {
	var out []string
	for _, ref := range argRef.FindAllString(m.Message, -1) {
		name := strings.ToLower(strings.Trim(ref, "$"))
		if p, ok := m.Placeholders[name]; ok {
			out = append(out, p["content"])
		} else {
			out = append(out, "?"+name)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Strings that are the same in English and French on purpose.
var sameInBoth = map[string]bool{
	"popupTitle": true, "openShort": true, "presetSuite8": true, "formE164": true, "formGrouped": true,
	"formNational": true, "optionsPixels": true,
}

func TestMessages(t *testing.T) {
	en, fr := loadMessages(t, "en"), loadMessages(t, "fr")
	keys := usedKeys(t)
	if len(keys) < 100 {
		t.Fatalf("found only %d keys in the code: is the scan broken?", len(keys))
	}
	for k := range keys {
		e, okE := en[k]
		f, okF := fr[k]
		if !okE || !okF {
			t.Errorf("key %q: in en %v, in fr %v", k, okE, okF)
			continue
		}
		if strings.TrimSpace(e.Message) == "" || strings.TrimSpace(f.Message) == "" {
			t.Errorf("key %q has an empty message", k)
		}
		if a, b := args(e), args(f); !slices.Equal(a, b) {
			t.Errorf("key %q: en substitutes %v, fr %v", k, a, b)
		}
		for _, a := range args(e) {
			if !regexp.MustCompile(`^\$[1-9]$`).MatchString(a) {
				t.Errorf("key %q: placeholder content %q is not $1…$9", k, a)
			}
		}
		if e.Message == f.Message && !sameInBoth[k] {
			t.Errorf("key %q is not translated: %q", k, f.Message)
		}
	}
	// Chrome compares message names ignoring case.
	for _, m := range []map[string]message{en, fr} {
		seen := map[string]string{}
		for k := range m {
			if o, dup := seen[strings.ToLower(k)]; dup {
				t.Errorf("keys %q and %q differ only in case", k, o)
			}
			seen[strings.ToLower(k)] = k
			if !regexp.MustCompile(`^[A-Za-z0-9_@]+$`).MatchString(k) {
				t.Errorf("key %q has characters chrome.i18n refuses", k)
			}
		}
	}
	for k := range en {
		if _, ok := fr[k]; !ok {
			t.Errorf("key %q is in en but not in fr", k)
		}
	}
}
