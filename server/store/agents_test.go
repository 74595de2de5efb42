package store_test

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/screenpop/screenpop/server/store"
)

var secretShape = regexp.MustCompile(`^sp_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$`)

func TestAddAgent(t *testing.T) {
	tests := []struct {
		name      string
		agent     string
		lines     []string
		wantLines []string
		wantErr   string
	}{
		{"one line", "alice", []string{"0033972101010"}, []string{"0033972101010"}, ""},
		{"all lines", "bob", []string{"*"}, []string{"*"}, ""},
		{"repeats dropped", "carol", []string{"0033972101010", "0033972101011", "0033972101010"}, []string{"0033972101010", "0033972101011"}, ""},
		{"dots, digits, _ and -", "front-desk.2_b", []string{"0033972101010"}, []string{"0033972101010"}, ""},
		{"64 characters", strings.Repeat("a", 64), []string{"*"}, []string{"*"}, ""},
		{"empty name", "", []string{"*"}, nil, "use 1 to 64 letters"},
		{"65 characters", strings.Repeat("a", 65), []string{"*"}, nil, "use 1 to 64 letters"},
		{"space in name", "alice smith", []string{"*"}, nil, "use 1 to 64 letters"},
		{"slash in name", "a/b", []string{"*"}, nil, "use 1 to 64 letters"},
		{"non-ASCII name", "andré", []string{"*"}, nil, "use 1 to 64 letters"},
		{"no lines", "dave", nil, nil, "at least one line"},
		{"empty lines", "dave", []string{}, nil, "at least one line"},
		{"* and a line", "dave", []string{"*", "0033972101010"}, nil, "either * alone"},
		{"empty line", "dave", []string{""}, nil, "is not an OVH line number"},
		{"line with NUL", "dave", []string{"0033\x00972"}, nil, "is not an OVH line number"},
		{"line with space", "dave", []string{"00 33 9"}, nil, "is not an OVH line number"},
	}
	s, _ := newStore(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := time.Now()
			secret, err := s.AddAgent(tt.agent, tt.lines)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("AddAgent(%q, %q) = %v, want an error containing %q", tt.agent, tt.lines, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !secretShape.MatchString(secret) {
				t.Errorf("secret %q does not have the shape sp_<16 hex>_<43 base64url>", secret)
			}
			a, err := s.GetAgent(tt.agent)
			if err != nil {
				t.Fatal(err)
			}
			if a.Name != tt.agent || !slices.Equal(a.Lines, tt.wantLines) || a.Created.Before(before.Add(-time.Second)) || !a.Rotated.Equal(a.Created) {
				t.Errorf("GetAgent = %+v, want lines %q created now", a, tt.wantLines)
			}
			if !strings.HasPrefix(secret, "sp_"+a.ID+"_") {
				t.Errorf("secret %q does not carry the agent id %s", secret, a.ID)
			}
		})
	}
}

func TestAgentErrors(t *testing.T) {
	s, _ := newStore(t)
	if _, err := s.AddAgent("alice", []string{"*"}); err != nil {
		t.Fatal(err)
	}
	_, err := s.AddAgent("alice", []string{"*"})
	if !errors.Is(err, store.ErrAgentExists) || !strings.Contains(err.Error(), "screenpop-relay agent rotate alice") {
		t.Errorf("adding alice twice: %v", err)
	}
	const hint = `no agent named "zoe"; list them with ` + "`screenpop-relay agent list`"
	for name, err := range map[string]error{
		"GetAgent":     second(s.GetAgent("zoe")),
		"RevokeAgent":  s.RevokeAgent("zoe"),
		"RotateSecret": second(s.RotateSecret("zoe")),
		"SetLines":     s.SetLines("zoe", []string{"*"}),
		"MarkSeen":     s.MarkSeen("zoe", "0033972101010", "c1"),
		"MissedCalls":  second(s.MissedCalls("zoe", nil, true, 0)),
	} {
		if !errors.Is(err, store.ErrNoAgent) || err.Error() != hint {
			t.Errorf("%s(zoe) = %v, want %s", name, err, hint)
		}
	}
}

func second[T any](_ T, err error) error { return err }

func TestAuthenticate(t *testing.T) {
	s, _ := newStore(t)
	secret, err := s.AddAgent("alice", []string{"0033972101010"})
	if err != nil {
		t.Fatal(err)
	}
	other, err := s.AddAgent("bob", []string{"*"})
	if err != nil {
		t.Fatal(err)
	}
	a, err := s.Authenticate(secret)
	if err != nil || a.Name != "alice" {
		t.Fatalf("Authenticate(alice's secret) = %+v, %v", a, err)
	}
	if b, err := s.Authenticate(other); err != nil || b.Name != "bob" {
		t.Fatalf("Authenticate(bob's secret) = %+v, %v", b, err)
	}

	revoked, err := s.AddAgent("carol", []string{"*"})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeAgent("carol"); err != nil {
		t.Fatal(err)
	}
	rotatedAway, err := s.AddAgent("dave", []string{"*"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RotateSecret("dave"); err != nil {
		t.Fatal(err)
	}

	id := secret[3:19]
	random := secret[20:]
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	tests := []struct{ name, secret string }{
		{"empty", ""},
		{"prefix only", "sp_"},
		{"wrong prefix", "xx_" + id + "_" + random},
		{"upper-case prefix", "SP_" + id + "_" + random},
		{"no prefix", id + "_" + random},
		{"upper-case id", "sp_" + strings.ToUpper(id) + "_" + random},
		{"short", secret[:len(secret)-1]},
		{"long", secret + "A"},
		{"padded", secret + "="},
		{"space around", " " + secret},
		{"newline after", secret + "\n"},
		{"unknown id", "sp_0000000000000000_" + random},
		{"right id, wrong secret", flip(secret, len(secret)-1)},
		{"right id, other agent's random", "sp_" + id + "_" + other[20:]},
		{"other id, right random", "sp_" + other[3:19] + "_" + random},
		{"revoked", revoked},
		{"rotated away", rotatedAway},
		{"no separator", "sp_" + id + "-" + random},
		{"standard base64", "sp_" + id + "_" + strings.Repeat("+", 43)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, err := s.Authenticate(tt.secret)
			if !errors.Is(err, store.ErrBadSecret) {
				t.Errorf("Authenticate(%q) = %+v, %v; want ErrBadSecret", tt.secret, a, err)
			}
			if a.Name != "" {
				t.Errorf("Authenticate(%q) returned agent %q with its error", tt.secret, a.Name)
			}
		})
	}
}

// TestRotateSecret runs on synctest's clock, so that the rotation time
// is later than the creation without waiting for the real clock to move.
func TestRotateSecret(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, _ := newStore(t)
		old, err := s.AddAgent("alice", []string{"0033972101010"})
		if err != nil {
			t.Fatal(err)
		}
		before, _ := s.GetAgent("alice")
		time.Sleep(time.Millisecond) // on the bubble's clock: the rotation is later
		secret, err := s.RotateSecret("alice")
		if err != nil {
			t.Fatal(err)
		}
		if secret == old || !secretShape.MatchString(secret) {
			t.Fatalf("RotateSecret = %q (old %q)", secret, old)
		}
		if _, err := s.Authenticate(old); !errors.Is(err, store.ErrBadSecret) {
			t.Errorf("the old secret still works: %v", err)
		}
		a, err := s.Authenticate(secret)
		if err != nil {
			t.Fatal(err)
		}
		if a.ID != before.ID || !a.Created.Equal(before.Created) || !a.Rotated.After(before.Rotated) || !slices.Equal(a.Lines, before.Lines) {
			t.Errorf("after rotation %+v, before %+v: want same id, created and lines, later rotated", a, before)
		}
	})
}

func TestRevokeAgent(t *testing.T) {
	s, _ := newStore(t)
	if _, err := s.AddAgent("alice", []string{"0033972101010"}); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	if err := s.PutCall(testCall("0033972101010", "c1", "missed", t0)); err != nil {
		t.Fatal(err)
	}
	if err := s.MarkSeen("alice", "0033972101010", "c1"); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeAgent("alice"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.GetAgent("alice"); !errors.Is(err, store.ErrNoAgent) {
		t.Errorf("GetAgent after revoke: %v", err)
	}
	// A new alice starts afresh: the old one's seen marks are gone.
	secret, err := s.AddAgent("alice", []string{"0033972101010"})
	if err != nil {
		t.Fatalf("re-adding a revoked name: %v", err)
	}
	if _, err := s.Authenticate(secret); err != nil {
		t.Error(err)
	}
	if n, err := s.UnseenMissedCount("alice", nil); n != 1 || err != nil {
		t.Errorf("new alice's unseen missed calls = %d, %v; want 1", n, err)
	}
}

func TestSetLinesAndList(t *testing.T) {
	s, _ := newStore(t)
	for _, name := range []string{"carol", "alice", "bob"} {
		if _, err := s.AddAgent(name, []string{"0033972101010"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.SetLines("bob", []string{"0033972101011", "0033972101012"}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetLines("bob", []string{"bad line"}); err == nil {
		t.Error("SetLines accepted a bad line")
	}
	agents, err := s.ListAgents()
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, a := range agents {
		names = append(names, a.Name)
	}
	if !slices.Equal(names, []string{"alice", "bob", "carol"}) {
		t.Errorf("ListAgents names = %q, want them sorted", names)
	}
	bob := agents[1]
	if !slices.Equal(bob.Lines, []string{"0033972101011", "0033972101012"}) || !bob.Sees("0033972101012") || bob.Sees("0033972101010") {
		t.Errorf("bob = %+v after SetLines", bob)
	}
	if !(store.Agent{Lines: []string{"*"}}).Sees("0033972101010") {
		t.Error("an agent with * does not see every line")
	}
}

func BenchmarkAuthenticate(b *testing.B) {
	s, _ := newStore(b)
	secret, err := s.AddAgent("alice", []string{"0033972101010", "0033972101011"})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.Authenticate(secret); err != nil {
			b.Fatal(err)
		}
	}
}

// TestAgentSeesSpellings: an agent sees its lines whatever their
// spelling (phone.LineKey), and its lines keep one spelling of each.
func TestAgentSeesSpellings(t *testing.T) {
	a := store.Agent{Lines: []string{"0033972101010", "Queue-Sales"}}
	for line, want := range map[string]bool{
		"0033972101010": true, "+33972101010": true, "33972101010": true, "+33 9 72 10 10 10": true,
		"queue-sales": true, "QUEUE-SALES": true,
		"0033972101011": false, "queue-support": false, "": false, "*": false,
	} {
		if got := a.Sees(line); got != want {
			t.Errorf("agent with %q sees %q = %v", a.Lines, line, got)
		}
	}
	s, _ := newStore(t)
	if _, err := s.AddAgent("alice", []string{"0033972101010", "+33972101010", "queue-sales", "Queue-Sales", "0033972101011"}); err != nil {
		t.Fatal(err)
	}
	alice, err := s.GetAgent("alice")
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"0033972101010", "queue-sales", "0033972101011"}; !slices.Equal(alice.Lines, want) {
		t.Errorf("alice's lines = %q, want %q", alice.Lines, want)
	}
}
