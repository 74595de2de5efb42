package store_test

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/screenpop/screenpop/server/store"
)

const tokenValue = "1738D072-E7C8-4742-85C5-B22DA3D8BD8F"

func lineToken() store.Token {
	return store.Token{Value: tokenValue, Scope: store.ScopeLine, BillingAccount: "ab12345-ovh-1", Line: lineA,
		Expiration: "1 day", Created: c0, ExpiresAt: c0.Add(24 * time.Hour)}
}

func TestTokens(t *testing.T) {
	s, _ := newStore(t)
	account := store.Token{Value: "AAAA0000-0000-0000-0000-000000000000", Scope: store.ScopeBillingAccount,
		BillingAccount: "ab12345-ovh-1", Expiration: "unlimited", Created: c0.Add(time.Hour)}
	for _, tok := range []store.Token{account, lineToken()} {
		if err := s.PutToken(tok); err != nil {
			t.Fatal(err)
		}
	}
	toks, err := s.Tokens()
	if err != nil {
		t.Fatal(err)
	}
	if len(toks) != 2 || toks[0] != lineToken() && !(toks[0].Value == tokenValue && toks[0].Created.Equal(c0) && toks[0].ExpiresAt.Equal(c0.Add(24*time.Hour))) || toks[1].Value != account.Value || !toks[1].ExpiresAt.IsZero() {
		t.Errorf("Tokens = %#v, want the line token then the account token", toks)
	}
	// Saving the same value again replaces it.
	renewed := lineToken()
	renewed.Expiration = "30 days"
	if err := s.PutToken(renewed); err != nil {
		t.Fatal(err)
	}
	if toks, _ := s.Tokens(); len(toks) != 2 || toks[0].Expiration != "30 days" {
		t.Errorf("after replacing: %v", toks)
	}
	if err := s.DeleteToken(tokenValue); err != nil {
		t.Fatal(err)
	}
	err = s.DeleteToken(tokenValue)
	if !errors.Is(err, store.ErrNoToken) || strings.Contains(err.Error(), tokenValue) || !strings.Contains(err.Error(), "1738…") {
		t.Errorf("deleting it again: %v", err)
	}
	if toks, _ := s.Tokens(); len(toks) != 1 || toks[0].Value != account.Value {
		t.Errorf("after deleting: %v", toks)
	}
}

func TestPutTokenValidation(t *testing.T) {
	s, _ := newStore(t)
	tests := []struct {
		name   string
		change func(*store.Token)
		want   string
	}{
		{"no value", func(t *store.Token) { t.Value = "" }, "has no value"},
		{"bad scope", func(t *store.Token) { t.Scope = "queue" }, `scope "queue"`},
		{"no billing account", func(t *store.Token) { t.BillingAccount = "" }, "billing account"},
		{"line token without line", func(t *store.Token) { t.Line = "" }, "needs its line"},
		{"account token with a line", func(t *store.Token) { t.Scope = store.ScopeBillingAccount }, "leave the line empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tok := lineToken()
			tt.change(&tok)
			err := s.PutToken(tok)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("PutToken = %v, want an error containing %q", err, tt.want)
			}
			if strings.Contains(err.Error(), tokenValue) {
				t.Errorf("the error shows the token: %v", err)
			}
		})
	}
}

// TestTokenMasked prints a token every way a log line might.
func TestTokenMasked(t *testing.T) {
	tok := lineToken()
	var text, js bytes.Buffer
	slog.New(slog.NewTextHandler(&text, nil)).Info("token", "token", tok)
	slog.New(slog.NewJSONHandler(&js, nil)).Info("token", "token", tok, "ptr", &tok)
	outputs := map[string]string{
		"String":    tok.String(),
		"%v":        fmt.Sprintf("%v", tok),
		"%+v":       fmt.Sprintf("%+v", tok),
		"%#v":       fmt.Sprintf("%#v", tok),
		"%s":        fmt.Sprintf("%s", tok),
		"%q":        fmt.Sprintf("%q", tok),
		"%x":        fmt.Sprintf("%x", tok),
		"%d":        fmt.Sprintf("%d", tok),
		"pointer":   fmt.Sprintf("%v", &tok),
		"slice":     fmt.Sprint([]store.Token{tok}),
		"slog text": text.String(),
		"slog JSON": js.String(),
	}
	for how, out := range outputs {
		if strings.Contains(out, tokenValue[4:8]) {
			t.Errorf("%s shows the token: %s", how, out)
		}
		if !strings.Contains(out, "1738…") {
			t.Errorf("%s does not show the masked token: %s", how, out)
		}
	}
	if want := "token 1738… (line ab12345-ovh-1 line 0033972101010, expires 2026-03-03T09:00:00Z)"; tok.String() != want {
		t.Errorf("String = %s\nwant      %s", tok.String(), want)
	}
	if !strings.Contains(text.String(), "token.scope=line") {
		t.Errorf("slog text lacks the scope: %s", text.String())
	}
}
