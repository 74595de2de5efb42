package store_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/screenpop/screenpop/server/store"
)

// FuzzAuthenticate feeds Authenticate arbitrary secrets: it must never
// panic, and must answer ErrBadSecret to everything but the one real
// secret.
func FuzzAuthenticate(f *testing.F) {
	s, _ := newStore(f)
	secret, err := s.AddAgent("alice", []string{"*"})
	if err != nil {
		f.Fatal(err)
	}
	for _, seed := range []string{
		"", "sp_", "sp__", secret, secret[:len(secret)-1], secret + "x",
		"sp_" + secret[3:19] + "_", "sp_" + strings.Repeat("_", store.SecretLen-3),
		"sp_0123456789abcdef_" + strings.Repeat("A", 43), "\xff\xfe" + secret[2:],
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		id, ok := store.ParseSecret(in)
		if ok && (len(in) != store.SecretLen || !strings.HasPrefix(in, "sp_"+id+"_")) {
			t.Fatalf("ParseSecret(%q) = %q, true: not a well-formed secret", in, id)
		}
		a, err := s.Authenticate(in)
		switch {
		case in == secret:
			if err != nil || a.Name != "alice" {
				t.Fatalf("Authenticate(the real secret) = %+v, %v", a, err)
			}
		case !errors.Is(err, store.ErrBadSecret):
			t.Fatalf("Authenticate(%q) = %+v, %v; want ErrBadSecret", in, a, err)
		}
	})
}
