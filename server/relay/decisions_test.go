package relay

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/screenpop/screenpop/internal/stream"
	"github.com/screenpop/screenpop/server/store"
)

// Table tests of the relay's decisions, plain functions over explicit state.

func TestFirstMessage(t *testing.T) {
	tests := []struct {
		name       string
		msg        string
		got        bool
		anonOK     bool
		wantSecret string
		wantAnon   bool
		wantCode   string
	}{
		{"secret", `{"type":"auth","secret":"sp_x"}`, true, false, "sp_x", false, ""},
		{"secret on an anonymous relay is still checked", `{"type":"auth","secret":"sp_x"}`, true, true, "sp_x", false, ""},
		{"empty secret, anonymous relay", `{"type":"auth","secret":""}`, true, true, "", true, ""},
		{"empty secret, closed relay", `{"type":"auth","secret":""}`, true, false, "", false, stream.CodeBadSecret},
		{"ping first (old extension), anonymous relay", `{"type":"ping"}`, true, true, "", true, ""},
		{"ping first, closed relay", `{"type":"ping"}`, true, false, "", false, stream.CodeNoAuth},
		{"silence, anonymous relay", "", false, true, "", true, ""},
		{"silence, closed relay", "", false, false, "", false, stream.CodeNoAuth},
		{"not JSON", `hello`, true, true, "", false, stream.CodeNoAuth},
		{"another type", `{"type":"subscribe"}`, true, true, "", false, stream.CodeNoAuth},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			secret, anon, e := firstMessage([]byte(tt.msg), tt.got, tt.anonOK)
			code := ""
			if e != nil {
				code = e.Code
			}
			if secret != tt.wantSecret || anon != tt.wantAnon || code != tt.wantCode {
				t.Errorf("= %q, %v, %q; want %q, %v, %q", secret, anon, code, tt.wantSecret, tt.wantAnon, tt.wantCode)
			}
		})
	}
}

func TestAgentSees(t *testing.T) {
	alice := Agent{Name: "alice", Lines: []string{"0033972101010", "queue-support"}}
	tests := []struct {
		agent Agent
		line  string
		want  bool
	}{
		{alice, "0033972101010", true},
		{alice, "+33972101010", true},
		{alice, "33972101010", true},
		{alice, "+33 9 72 10 10 10", true},
		{alice, "0033972101011", false},
		{alice, "queue-support", true},
		{alice, "queue-sales", false},
		{alice, "", false},
		{Agent{Name: "bob", Lines: []string{"+33972101011"}}, "0033972101011", true},
		{Agent{Name: "all", Lines: []string{store.AllLines}}, "0041225550000", true},
		{Agent{Name: "all", Lines: []string{store.AllLines}}, "", true},
		{anonymous, "0033972101010", true},
		{Agent{Name: "none"}, "0033972101010", false},
	}
	for _, tt := range tests {
		if got := tt.agent.Sees(tt.line); got != tt.want {
			t.Errorf("%s (%v) sees %q = %v, want %v", tt.agent.Name, tt.agent.Lines, tt.line, got, tt.want)
		}
	}
}

func TestLineForms(t *testing.T) {
	got := Agent{Name: "a", Lines: []string{"+33972101010", "q"}}.lineForms()
	want := []string{"+33972101010", "0033972101010", "33972101010", "q"}
	if !slices.Equal(got, want) {
		t.Errorf("lineForms = %q, want %q", got, want)
	}
	if (Agent{Name: "a", Lines: []string{"*"}}).lineForms() != nil || anonymous.lineForms() != nil {
		t.Error("every line must be the nil filter")
	}
	if f := (Agent{Name: "a"}).lineForms(); f == nil || len(f) != 0 {
		t.Error("no line must be an empty, non-nil filter (nothing)")
	}
}

func TestCanonicalLine(t *testing.T) {
	for in, want := range map[string]string{
		"0033972101010":     "0033972101010",
		"+33972101010":      "0033972101010",
		"+33 9 72 10 10 10": "0033972101010",
		"09 72 10 10 10":    "0033972101010", // national, region FR
		"*":                 "*",
		"queue-support":     "queue-support",
	} {
		if got := CanonicalLine(in, "FR"); got != want {
			t.Errorf("CanonicalLine(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestGapFor(t *testing.T) {
	// Log holds 10..20; 1..9 were trimmed: 4 on line A, 9 on line B.
	trimmed := map[string]uint64{"A": 4, "B": 9}
	seesA := func(l string) bool { return l == "A" }
	seesC := func(l string) bool { return l == "C" }
	all := func(string) bool { return true }
	tests := []struct {
		name                       string
		cursor, newest, oldest, lb uint64
		sees                       func(string) bool
		want                       string
	}{
		{"no event seen, all still here", 0, 20, 1, 1, all, ""},
		{"no event seen, some trimmed", 0, 20, 10, 1, all, "too-old"},
		{"up to date", 20, 20, 10, 1, all, ""},
		{"in the log", 12, 20, 10, 1, all, ""},
		{"right before the oldest", 9, 20, 10, 1, all, ""},
		{"from the future", 25, 20, 10, 1, all, "unknown-cursor"},
		{"too old, missed its line", 3, 20, 10, 1, seesA, "too-old"},
		{"too old, but its line's last trimmed event is older", 5, 20, 10, 1, seesA, ""},
		{"too old, only other lines trimmed", 2, 20, 10, 1, seesC, ""},
		{"lines unknown below lostBelow", 2, 20, 10, 5, seesC, "too-old"},
		{"empty log, everything trimmed", 2, 20, 0, 1, all, "too-old"},
		{"empty log, nothing of its lines trimmed", 2, 20, 0, 1, seesC, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := gapFor(tt.cursor, tt.newest, tt.oldest, tt.lb, trimmed, tt.sees)
			got := ""
			if g != nil {
				got = g.Reason
			}
			if got != tt.want {
				t.Errorf("gap = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestFailLimiter(t *testing.T) {
	l := newFailLimiter(3, time.Minute)
	t0 := time.Unix(1000, 0)
	for i := 0; i < 3; i++ {
		if ok, _ := l.allow("1.2.3.4", t0); !ok {
			t.Fatalf("refused after %d failures, burst is 3", i)
		}
		l.fail("1.2.3.4", t0)
	}
	ok, wait := l.allow("1.2.3.4", t0)
	if ok || wait <= 0 || wait > time.Minute {
		t.Errorf("after the burst: allow = %v, %v; want refused for up to a minute", ok, wait)
	}
	if ok, _ := l.allow("5.6.7.8", t0); !ok {
		t.Error("another address is limited too")
	}
	if ok, _ := l.allow("1.2.3.4", t0.Add(time.Minute)); !ok {
		t.Error("still refused after a token came back")
	}
	// Bounded memory.
	l.maxKeys = 10
	for i := 0; i < 100; i++ {
		l.fail(itoa(uint64(i)), t0)
	}
	if len(l.buckets) > 10 {
		t.Errorf("%d addresses remembered, want at most 10", len(l.buckets))
	}
}

func TestTokensToPoll(t *testing.T) {
	t0 := time.Unix(1000, 0)
	tok := func(v, scope, line string, age int) store.Token {
		return store.Token{Value: v, Scope: scope, BillingAccount: "ba", Line: line, Created: t0.Add(time.Duration(age) * time.Second)}
	}
	lineA1, lineA2 := tok("A1", store.ScopeLine, "L1", 1), tok("A2", store.ScopeLine, "L1", 2)
	acct := tok("B", store.ScopeBillingAccount, "", 1)
	acct2 := tok("B2", store.ScopeBillingAccount, "", 2)                                                               // B's renewal: same account, no line
	intl, spaced := tok("N1", store.ScopeLine, "0033972101010", 1), tok("N2", store.ScopeLine, "+33 9 72 10 10 10", 2) // one line, two spellings
	values := func(ts []store.Token) (out []string) {
		for _, t := range ts {
			out = append(out, t.Value)
		}
		return out
	}
	tests := []struct {
		name       string
		configured *store.Token
		saved      []store.Token
		want       []string
	}{
		{"nothing", nil, nil, nil},
		{"saved: newest per scope", nil, []store.Token{lineA1, lineA2, acct}, []string{"A2", "B"}},
		{"configured, unknown scope, plus saved", &store.Token{Value: "C"}, []store.Token{lineA1, acct}, []string{"C", "A1", "B"}},
		{"configured with a scope hides its saved renewals", &store.Token{Value: "C", Scope: store.ScopeLine, BillingAccount: "ba", Line: "L1"}, []store.Token{lineA1, lineA2, acct}, []string{"C", "B"}},
		{"configured and saved: once", &store.Token{Value: "A1"}, []store.Token{lineA1}, []string{"A1"}},
		{"two billing-account tokens of one account: the newest", nil, []store.Token{acct, acct2}, []string{"B2"}},
		{"one line in two spellings: the newest", nil, []store.Token{intl, spaced}, []string{"N2"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := values(tokensToPoll(tt.configured, tt.saved)); !slices.Equal(got, tt.want) {
				t.Errorf("= %q, want %q", got, tt.want)
			}
		})
	}
	// The configured token gets its scope from its saved record.
	if got := tokensToPoll(&store.Token{Value: "A1"}, []store.Token{lineA1}); got[0].Scope != store.ScopeLine {
		t.Errorf("scope not taken from the saved record: %+v", got[0])
	}
	// Alternates: newest first, never the rejected one nor one tried.
	if alt, ok := alternate(lineA1, "A1", []store.Token{lineA1, lineA2, acct}, map[string]bool{}); !ok || alt.Value != "A2" {
		t.Errorf("alternate = %v %v, want A2", alt.Value, ok)
	}
	if _, ok := alternate(lineA1, "A1", []store.Token{lineA1, lineA2}, map[string]bool{"A2": true}); ok {
		t.Error("an alternate already tried was offered again")
	}
}

func TestOriginAllowed(t *testing.T) {
	tests := []struct {
		origin  string
		allowed []string
		want    bool
	}{
		{"", nil, true},
		{"chrome-extension://abcdef", nil, true},
		{"moz-extension://1234-5678", nil, true},
		{"https://evil.example", nil, false},
		{"http://relay.test", nil, true}, // the relay's own pages
		{"null", nil, false},
		{"chrome-extension://abcdef", []string{"chrome-extension://abcdef"}, true},
		{"chrome-extension://other", []string{"chrome-extension://abcdef"}, false},
	}
	for _, tt := range tests {
		if got := originAllowed(tt.origin, "relay.test", tt.allowed); got != tt.want {
			t.Errorf("originAllowed(%q, %q) = %v, want %v", tt.origin, tt.allowed, got, tt.want)
		}
	}
}

func TestParseCursorAndBearer(t *testing.T) {
	for in, want := range map[string]uint64{"": 0, "0": 0, "42": 42, " 7 ": 7} {
		if got, e := parseCursor(in); e != nil || got != want {
			t.Errorf("parseCursor(%q) = %d, %v", in, got, e)
		}
	}
	for _, in := range []string{"-1", "abc", "1.5", "99999999999999999999999"} {
		if _, e := parseCursor(in); e == nil || e.Code != stream.CodeBadCursor {
			t.Errorf("parseCursor(%q) accepted", in)
		}
	}
	for h, want := range map[string]string{"Bearer sp_x": "sp_x", "bearer  sp_y ": "sp_y", "": ""} {
		req, _ := http.NewRequest("GET", "/", nil)
		req.Header.Set("Authorization", h)
		if got, _, e := bearer(req); e != nil || got != want {
			t.Errorf("bearer(%q) = %q, %v", h, got, e)
		}
	}
	req, _ := http.NewRequest("GET", "/", nil)
	req.Header.Set("Authorization", "Basic dXNlcjpwYXNz")
	if _, _, e := bearer(req); e == nil || e.Code != stream.CodeNoAuth {
		t.Error("a Basic header was taken for a Bearer")
	}
}

func TestMaskNumber(t *testing.T) {
	for in, want := range map[string]string{"0033612345682": "00336…82", "": "", "201": "…"} {
		if got := maskNumber(in); got != want {
			t.Errorf("maskNumber(%q) = %q, want %q", in, got, want)
		}
	}
}
