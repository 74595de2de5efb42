package phone

import (
	"strings"
	"testing"
)

func TestLineKey(t *testing.T) {
	for _, tc := range []struct {
		key      string
		spelling []string
	}{
		{"33972101010", []string{"0033972101010", "+33972101010", "33972101010", "+33 9 72 10 10 10", "0033 9 72 10 10 10",
			"+33 (0)9 72 10 10 10", "+33 09 72 10 10 10", " +33-9-72-10-10-10\t", "+33\u00a09\u00a072\u00a010\u00a010\u00a010"}},
		{"0972101010", []string{"0972101010", "09 72 10 10 10", "09.72.10.10.10", "(0)9 72 10 10 10"}},
		{"3225551212", []string{"0032 2 555 12 12", "+32 (0)2 555 12 12", "3225551212"}},
		{"14155550184", []string{"+1 (415) 555-0184", "0014155550184", "1 415 555 0184"}},
		{"39612345678", []string{"+39 06 1234 5678", "00390612345678"}},
		{"201", []string{"201", " 201 "}},
		{"0201", []string{"0201"}},
		{"00201", []string{"+201", "00201"}},
		{"queue-sales", []string{"queue-sales", "Queue-Sales", "  QUEUE-SALES "}},
		{"équipe 2", []string{"Équipe 2", "ÉQUIPE 2"}},
		{"anonymous", []string{"anonymous", "Anonymous"}},
		{"*", []string{"*"}},
		{"+", []string{"+"}},
		{"", []string{"", " ", "\t\u00a0"}},
	} {
		for _, s := range tc.spelling {
			if got := LineKey(s); got != tc.key {
				t.Errorf("LineKey(%q) = %q, want %q", s, got, tc.key)
			}
		}
	}
}

func TestSameLine(t *testing.T) {
	same := [][2]string{
		{"0033972101010", "+33972101010"},
		{"0033972101010", "+33 9 72 10 10 10"},
		{"0033972101010", "33972101010"},
		{"0033972101010", "0972101010"},
		{"09 72 10 10 10", "+33 9 72 10 10 10"},
		{"09.72.10.10.10", "+33 (0)9 72 10 10 10"},
		{"0032 2 555 12 12", "02 555 12 12"},
		{"0972101010", "+32 972 10 10 10"},   // a national number, whatever the country
		{"06 1234 5678", "+39 06 1234 5678"}, // Italy's 0 is part of the number
		{"+1 (415) 555-0184", "0014155550184"},
		{"201", "201"},
		{"queue-support", "Queue-Support"},
		{"anonymous", "anonymous"},
	}
	for _, p := range same {
		if !SameLine(p[0], p[1]) || !SameLine(p[1], p[0]) {
			t.Errorf("SameLine(%q, %q) = false", p[0], p[1])
		}
	}
	differ := [][2]string{
		{"0033972101010", "0033972101011"},
		{"0033972101010", "0032972101010"},
		{"0972101010", "0872101010"},
		{"0972101010", "1234972101010"}, // 1 is the country code: 234972101010 is not 972101010
		{"201", "0201"},
		{"201", "2001"},
		{"201", "0033972100201"}, // a short extension is not the line
		{"0201", "0033972100201"},
		{"anonymous", "0033972101010"},
		{"00339721010101234567890123456789", "0033972101010"},
		{"queue-1", "1"},
		{"", ""},
		{" ", ""},
	}
	for _, p := range differ {
		if SameLine(p[0], p[1]) || SameLine(p[1], p[0]) {
			t.Errorf("SameLine(%q, %q) = true", p[0], p[1])
		}
	}
}

func TestIsNumber(t *testing.T) {
	for s, want := range map[string]bool{"0033972101010": true, "+33 (0)9 72 10 10 10": true, "201": true,
		"queue-1": false, "": false, "+": false, "*": false, "tel:0972101010": false} {
		if got := IsNumber(s); got != want {
			t.Errorf("IsNumber(%q) = %v", s, got)
		}
	}
}

// FuzzLineKey: every spelling of one line gives its key, and different
// lines give different keys. A line is international digits d (a country
// code and a national significant number without a leading 0), its
// national form 0 and that number, or a name.
func FuzzLineKey(f *testing.F) {
	f.Add("33972101010", "33972101011", ". ", "Accueil")
	f.Add("3225551212", "325551212", "-", "Queue-1")
	f.Add("14155550184", "74951234567", "() ", "ÉQUIPE")
	f.Fuzz(func(t *testing.T, a, b, punct, name string) {
		a, b = digitsOf(a), digitsOf(b)
		if !public(a) {
			return
		}
		cc := a[:countryCodeLen([]byte(a))]
		nsn := a[len(cc):]
		sep := func(i int) string { // punctuation between digits
			if punct == "" {
				return ""
			}
			c := punct[i%len(punct)]
			if strings.IndexByte(" .-/()", c) < 0 {
				return ""
			}
			return string(c)
		}
		spell := func(prefix, digits string) string {
			var s strings.Builder
			s.WriteString(prefix)
			for i := 0; i < len(digits); i++ {
				s.WriteByte(digits[i])
				s.WriteString(sep(i))
			}
			return s.String()
		}
		for _, s := range []string{a, "+" + a, "00" + a, spell("+", a), spell("00", a), spell("", a),
			"+" + cc + " (0)" + nsn, "+" + cc + " 0" + nsn, " " + spell("+", cc) + " " + spell("", nsn) + " "} {
			if got := LineKey(s); got != a {
				t.Fatalf("LineKey(%q) = %q, want %q", s, got, a)
			}
			if !SameLine(s, a) {
				t.Fatalf("SameLine(%q, %q) = false", s, a)
			}
		}
		national := spell("0", nsn)
		if len(nsn) >= minNationalLen {
			if got := LineKey(national); got != "0"+nsn {
				t.Fatalf("LineKey(%q) = %q, want %q", national, got, "0"+nsn)
			}
			if !SameLine(national, "+"+a) || !SameLine("00"+a, national) {
				t.Fatalf("national %q is not the line %q", national, a)
			}
		}
		if public(b) && b != a {
			if ka, kb := LineKey("+"+a), LineKey(spell("00", b)); ka == kb {
				t.Fatalf("+%s and 00%s: one key %q", a, b, ka)
			}
			if SameLine(a, b) {
				t.Fatalf("SameLine(%q, %q) = true", a, b)
			}
		}
		// A name is never a number, and its key does not care for case.
		if !IsNumber(name) {
			k := LineKey(name)
			if k != LineKey(strings.ToUpper(name)) && isLatin(name) {
				t.Fatalf("LineKey(%q) = %q, of its upper case %q", name, k, LineKey(strings.ToUpper(name)))
			}
			if k != "" && (k == LineKey(a) || k == LineKey(national)) {
				t.Fatalf("name %q keys as the number %q", name, a)
			}
		}
	})
}

// FuzzLineKeyAny: whatever the input, LineKey is idempotent (a key is a
// spelling of its line), SameLine is symmetric and follows the keys.
func FuzzLineKeyAny(f *testing.F) {
	for _, s := range []string{"0033972101010", "09 72 10 10 10", "+33 (0)9", "201", "00", "+", "Queue-1", "Équipe", "(0)", "0"} {
		f.Add(s, "+33972101010")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		ka := LineKey(a)
		if LineKey(ka) != ka {
			t.Fatalf("LineKey(%q) = %q, whose key is %q", a, ka, LineKey(ka))
		}
		if SameLine(a, b) != SameLine(b, a) {
			t.Fatalf("SameLine(%q, %q) is not symmetric", a, b)
		}
		if ka != "" && ka == LineKey(b) && !SameLine(a, b) {
			t.Fatalf("%q and %q: one key %q, not SameLine", a, b, ka)
		}
		if ka == "" && SameLine(a, b) {
			t.Fatalf("blank %q is the line %q", a, b)
		}
	})
}

// digitsOf keeps s's digits, at most 15 (E.164's longest).
func digitsOf(s string) string {
	var b []byte
	for i := 0; i < len(s) && len(b) < 15; i++ {
		if '0' <= s[i] && s[i] <= '9' {
			b = append(b, s[i])
		}
	}
	return string(b)
}

// public reports whether d are the digits of a public international
// number as LineKey keys it: no leading 0, no 0 after the country code.
func public(d string) bool {
	if len(d) < minInternationalLen || d[0] == '0' {
		return false
	}
	n := countryCodeLen([]byte(d))
	return d[n] != '0'
}

// isLatin reports whether s's letters are all ones foldName folds like
// strings.ToUpper unfolds them (ASCII).
func isLatin(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// TestFoldName: names key alike exactly when strings.EqualFold says so,
// on Latin letters, and never where it does not.
func TestFoldName(t *testing.T) {
	skip := map[rune]bool{0xB5: true, 0xDF: true, 0x130: true, 0x131: true, 0x17F: true} // µ, ß, İ, ı, ſ fold outside Latin
	for a := rune(0); a < 0x250; a++ {
		for b := rune(0); b < 0x250; b++ {
			sa, sb := "x"+string(a)+"y", "X"+string(b)+"Y"
			got, want := foldName(sa) == foldName(sb), strings.EqualFold(sa, sb)
			if got && !want || a < 0x180 && b < 0x180 && !skip[a] && !skip[b] && got != want {
				t.Fatalf("foldName(%q) == foldName(%q) is %v, EqualFold says %v", sa, sb, got, want)
			}
		}
	}
	for _, tc := range []struct {
		a, b string
		want bool
	}{{"Accueil", "ACCUEIL", true}, {"Équipe", "éQUIPE", true}, {"ŒUVRE", "œuvre", true}, {"Accueil", "Accueil 2", false}} {
		if got := SameLine(tc.a, tc.b); got != tc.want {
			t.Errorf("SameLine(%q, %q) = %v", tc.a, tc.b, got)
		}
	}
}
