package stdlite

import (
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestQuote(t *testing.T) {
	for in, want := range map[string]string{
		"":                      `""`,
		"https://crm.example":   `"https://crm.example"`,
		`say "hi"\now`:          `"say \"hi\"\\now"`,
		"a\nb\tc\rd\x00\x7f":    `"a\nb\tc\rd\x00\x7f"`,
		"Équipe réception ☎":    `"Équipe réception ☎"`,
		"bad \xff\xfe utf8":     `"bad \xff\xfe utf8"`,
		"line\u2028sep\u0085nl": `"line\xe2\x80\xa8sep\xc2\x85nl"`,
	} {
		if got := Quote(in); got != want {
			t.Errorf("Quote(%q) = %s, want %s", in, got, want)
		}
	}
}

// FuzzQuote: Quote is a Go string literal of s, and it is strconv.Quote's
// whenever s is printable text.
func FuzzQuote(f *testing.F) {
	for _, s := range []string{"", "ftp:", `a"b\c`, "é\x00\n", "\xff", "\u00a0\u200b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Quote(s)
		back, err := strconv.Unquote(got)
		if err != nil || back != s {
			t.Fatalf("Quote(%q) = %s, which unquotes to %q, %v", s, got, back, err)
		}
		printable := utf8.ValidString(s)
		for _, r := range s {
			if !unicode.IsPrint(r) && r != ' ' || r == '\u00a0' {
				printable = false
			}
		}
		if printable && got != strconv.Quote(s) {
			t.Fatalf("Quote(%q) = %s, strconv.Quote gives %s", s, got, strconv.Quote(s))
		}
	})
}

func TestIsSpace(t *testing.T) {
	for r := rune(0); r <= unicode.MaxRune; r++ {
		if isSpace(r) != unicode.IsSpace(r) {
			t.Fatalf("isSpace(%U) = %v", r, isSpace(r))
		}
	}
}

// FuzzTrimSpace: TrimSpace is strings.TrimSpace.
func FuzzTrimSpace(f *testing.F) {
	for _, s := range []string{"", " a ", "\u00a0https://crm\u3000", "\t\n", "\xffa\x85", "a\u200bb"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := TrimSpace(s), strings.TrimSpace(s); got != want {
			t.Fatalf("TrimSpace(%q) = %q, want %q", s, got, want)
		}
	})
}
