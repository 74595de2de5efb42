package store

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"time"

	bolt "go.etcd.io/bbolt"
)

// Token scopes: what an OVH event token was created for.
const (
	ScopeLine           = "line"           // one line (POST /telephony/{ba}/line/{sn}/eventToken)
	ScopeBillingAccount = "billingAccount" // every line of a billing account (POST /telephony/{ba}/eventToken)
)

// ErrNoToken matches (errors.Is) every "no such token" error.
var ErrNoToken = errors.New("no such token")

// Token is an OVH event token the relay created or was given.
//
// Value is a credential: whoever has it reads the lines' calls. It is
// stored as is (the relay must send it to OVH), but every way of printing
// a Token (fmt's verbs, String, GoString, slog's LogValue) shows only its
// first 4 characters. Read t.Value explicitly where the real value is
// needed.
type Token struct {
	Value          string    // the token itself: a credential
	Scope          string    // ScopeLine or ScopeBillingAccount
	BillingAccount string    // e.g. "ab12345-ovh-1"
	Line           string    // the line, for ScopeLine; "" otherwise
	Expiration     string    // as asked from OVH: "5 minutes", "1 hour", "1 day", "30 days", "unlimited"
	Created        time.Time // when it was created
	ExpiresAt      time.Time // when OVH stops honouring it; zero for "unlimited"
}

// String describes the token with its value masked.
func (t Token) String() string {
	s := fmt.Sprintf("token %s (%s %s", maskToken(t.Value), t.Scope, t.BillingAccount)
	if t.Line != "" {
		s += " line " + t.Line
	}
	if !t.ExpiresAt.IsZero() {
		s += ", expires " + t.ExpiresAt.UTC().Format(time.RFC3339)
	}
	return s + ")"
}

// GoString is String: %#v must not print the value either.
func (t Token) GoString() string { return t.String() }

// Format prints String for every verb, so that no verb (%d, %x on the
// struct…) falls back to printing the fields, Value included.
func (t Token) Format(f fmt.State, verb rune) { fmt.Fprint(f, t.String()) }

// LogValue logs the token's fields with its value masked.
func (t Token) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("value", maskToken(t.Value)),
		slog.String("scope", t.Scope),
		slog.String("billingAccount", t.BillingAccount),
		slog.String("line", t.Line),
		slog.String("expiration", t.Expiration),
		slog.Time("created", t.Created),
		slog.Time("expiresAt", t.ExpiresAt),
	)
}

// maskToken keeps the first 4 characters, like upstream.Mask in the
// poller's logs, so the same token looks the same in both.
func maskToken(v string) string {
	if len(v) <= 4 {
		return "…"
	}
	return v[:4] + "…"
}

// tokenRecord is a Token as stored. Token itself has no JSON form of its
// own, so that encoding one anywhere else is a deliberate choice.
type tokenRecord struct {
	Value          string    `json:"value"`
	Scope          string    `json:"scope"`
	BillingAccount string    `json:"billingAccount"`
	Line           string    `json:"line,omitempty"`
	Expiration     string    `json:"expiration"`
	Created        time.Time `json:"created"`
	ExpiresAt      time.Time `json:"expiresAt,omitzero"`
}

// PutToken saves a token, replacing one with the same value.
func (s *Store) PutToken(t Token) error {
	if err := t.validate(); err != nil {
		return err
	}
	v, err := json.Marshal(tokenRecord(t))
	if err != nil {
		return err
	}
	return s.db.Update(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketTokens).Put([]byte(t.Value), v)
	})
}

func (t Token) validate() error {
	switch {
	case t.Value == "":
		return errors.New("the token has no value; copy it from OVH's eventToken answer")
	case t.Scope != ScopeLine && t.Scope != ScopeBillingAccount:
		return fmt.Errorf("token %s: scope %q is neither %q nor %q", maskToken(t.Value), t.Scope, ScopeLine, ScopeBillingAccount)
	case t.BillingAccount == "":
		return fmt.Errorf("token %s: give the billing account it belongs to (e.g. ab12345-ovh-1)", maskToken(t.Value))
	case t.Scope == ScopeLine && t.Line == "":
		return fmt.Errorf("token %s: a line token needs its line (e.g. 0033972101010)", maskToken(t.Value))
	case t.Scope == ScopeBillingAccount && t.Line != "":
		return fmt.Errorf("token %s: a billing-account token covers every line; leave the line empty or use scope %q", maskToken(t.Value), ScopeLine)
	}
	return nil
}

// Tokens returns every token, oldest first.
func (s *Store) Tokens() ([]Token, error) {
	var out []Token
	err := s.db.View(func(tx *bolt.Tx) error {
		return tx.Bucket(bucketTokens).ForEach(func(k, v []byte) error {
			var rec tokenRecord
			if err := json.Unmarshal(v, &rec); err != nil {
				return fmt.Errorf("token %s: damaged record: %w", maskToken(string(k)), err)
			}
			out = append(out, Token(rec))
			return nil
		})
	})
	slices.SortFunc(out, func(a, b Token) int {
		return cmp.Or(a.Created.Compare(b.Created), cmp.Compare(a.Value, b.Value))
	})
	return out, err
}

// DeleteToken forgets a token. It does not revoke it at OVH.
func (s *Store) DeleteToken(value string) error {
	return s.db.Update(func(tx *bolt.Tx) error {
		b := tx.Bucket(bucketTokens)
		if b.Get([]byte(value)) == nil {
			return fmt.Errorf("%w: %s is not saved; list them with `screenpop-relay token list`", ErrNoToken, maskToken(value))
		}
		return b.Delete([]byte(value))
	})
}
