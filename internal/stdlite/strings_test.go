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
		if IsSpace(r) != unicode.IsSpace(r) {
			t.Fatalf("IsSpace(%U) = %v", r, IsSpace(r))
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

// FuzzCaseASCII: ToUpperASCII and ToLowerASCII are strings.ToUpper and
// strings.ToLower on ASCII text, and leave every other byte as it is.
func FuzzCaseASCII(f *testing.F) {
	for _, s := range []string{"", "HTTPS", "https", "*caller*", "Mixed-Case_09", "ÉQUIPE é", "\xffA\x80z", "ſK"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		up, low := ToUpperASCII(s), ToLowerASCII(s)
		ascii := true
		for i := 0; i < len(s); i++ {
			if s[i] >= utf8.RuneSelf {
				ascii = false
				if up[i] != s[i] || low[i] != s[i] {
					t.Fatalf("ToUpperASCII(%q) = %q, ToLowerASCII = %q: byte %d changed", s, up, low, i)
				}
			}
		}
		if len(up) != len(s) || len(low) != len(s) {
			t.Fatalf("ToUpperASCII(%q) = %q, ToLowerASCII = %q: length changed", s, up, low)
		}
		if ascii && (up != strings.ToUpper(s) || low != strings.ToLower(s)) {
			t.Fatalf("ToUpperASCII(%q) = %q, ToLowerASCII = %q; strings: %q, %q", s, up, low, strings.ToUpper(s), strings.ToLower(s))
		}
	})
}

// FuzzIndexAnyASCII: IndexAnyASCII is strings.IndexAny when chars are
// ASCII, on any s, UTF-8 or not.
func FuzzIndexAnyASCII(f *testing.F) {
	for _, c := range []struct{ s, chars string }{
		{"https://crm/x?y#z", "/?#"}, {"ftp", "/?#*."}, {"", "a"}, {"a", ""}, {"é\xff*", "*"}, {"crm.example", "/?#*."},
	} {
		f.Add(c.s, c.chars)
	}
	f.Fuzz(func(t *testing.T, s, chars string) {
		ascii := make([]byte, 0, len(chars))
		for i := 0; i < len(chars); i++ {
			if chars[i] < utf8.RuneSelf {
				ascii = append(ascii, chars[i])
			}
		}
		chars = string(ascii)
		if got, want := IndexAnyASCII(s, chars), strings.IndexAny(s, chars); got != want {
			t.Fatalf("IndexAnyASCII(%q, %q) = %d, strings.IndexAny %d", s, chars, got, want)
		}
	})
}
