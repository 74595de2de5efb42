package parse

import (
	"testing"

	"github.com/screenpop/screenpop/internal/phone"
	"github.com/screenpop/screenpop/server/democrm"
)

// sqlLike is the demo CRM's SQL LIKE (% any run, _ one character, the
// whole of s must match), the one its search and the e2e tests use.
func sqlLike(s, p string) bool { return democrm.Like(s, p) }

// crmFinds reports whether SugarCRM 6.5 / SuiteCRM 7 classic search for q
// finds a field holding stored: it runs `field LIKE 'q%'`.
func crmFinds(q, stored string) bool { return sqlLike(stored, q+"%") }

func TestSQLLike(t *testing.T) {
	tests := []struct {
		s, p string
		want bool
	}{
		{"", "", true},
		{"", "%", true},
		{"abc", "abc", true},
		{"abc", "ab", false},
		{"abc", "ab%", true},
		{"abc", "%c", true},
		{"abc", "%b", false},
		{"abc", "a_c", true},
		{"ac", "a_c", false},
		{"abc", "a%%c", true},
		{"a1b2c", "%1%2%", true},
		{"a2b1c", "%1%2%", false},
		{"+33612345682", "+33612345682%", true},
		{"+33 6 12 34 56 82", "+33612345682%", false}, // measured: exact search misses it
	}
	for _, tt := range tests {
		if got := sqlLike(tt.s, tt.p); got != tt.want {
			t.Errorf("sqlLike(%q, %q) = %v, want %v", tt.s, tt.p, got, tt.want)
		}
	}
}

// storedNumbers are the numbers of docs/sugarcrm.md's mixed database, each
// with the spelling the doc shows first and then other spellings seen in
// CRMs. The forms we compute are added by the tests.
var storedNumbers = []struct {
	spellings []string
	// trailing are spellings with text after the number. Their own query
	// must find them, but as the search is a prefix match, the digits of
	// an extension can also complete another number's query (see
	// TestLikeKnownFalsePositives), so they are left out of the check that
	// other numbers' queries miss them.
	trailing []string
}{
	{spellings: []string{"+33 1 23 45 67 89", "+33 (0)1 23 45 67 89", "0033 1 23 45 67 89", "01.23.45.67.89", "012 345 6789", "33123456789"},
		trailing: []string{"+33 1 23 45 67 89 ext. 12", "01 23 45 67 89 (standard)"}},
	{spellings: []string{"0033123456780", "+33 1 23 45 67 80", "01 23 45 67 80", "01-23-45-67-80", "(01) 23 45 67 80"}},
	{spellings: []string{"01 23 45 67 81", "+33123456781", "0123456781", "+33 (0) 1 23 45 67 81", "0033-1-23-45-67-81"}},
	{spellings: []string{"+33612345682", "06 12 34 56 82", "061 234 5682", "+33 (0)6 12 34 56 82", "0033 6 12 34 56 82", "06.12.34.56.82", "+33 6 12 34 56 82"}},
	{spellings: []string{"06.12.34.56.83", "+33 6 12 34 56 83", "0612345683", "6 12 34 56 83"},
		trailing: []string{"06 12 34 56 83 (mobile)"}},
	{spellings: []string{"+1 (415) 555-0184", "415.555.0184", "(415) 555-0184", "1-415-555-0184", "+1 415 555 0184", "0014155550184", "4155550184"},
		trailing: []string{"415-555-0184 x22"}},
}

// TestLikeFindsEverySpelling proves, with SQL LIKE semantics, that the one
// Like query of each number in the doc finds it in every stored spelling
// and finds none of the doc's other numbers in any of theirs.
func TestLikeFindsEverySpelling(t *testing.T) {
	type stored struct {
		e164      string
		spellings []string
	}
	var all []stored
	for _, sn := range storedNumbers {
		n := Number(sn.spellings[0], "FR")
		if n.Kind != phone.Valid {
			t.Fatalf("Number(%q) is %s", sn.spellings[0], n.Kind)
		}
		f := n.Forms
		spellings := append([]string{f.E164, f.Intl00, f.National, f.Grouped, f.Dotted, f.Digits, f.NSN}, sn.spellings...)
		all = append(all, stored{f.E164, spellings})

		for _, s := range append(spellings, sn.trailing...) {
			if !crmFinds(f.Like, s) {
				t.Errorf("%s: search %q misses stored %q", f.E164, f.Like, s)
			}
		}
	}
	for _, sn := range storedNumbers {
		f := Number(sn.spellings[0], "FR").Forms
		for _, other := range all {
			if other.e164 == f.E164 {
				continue
			}
			for _, s := range other.spellings {
				if crmFinds(f.Like, s) {
					t.Errorf("%s: search %q finds %q, which is %s", f.E164, f.Like, s, other.e164)
				}
			}
		}
	}
}

// TestLikeKnownFalsePositives documents the price of % before every digit
// (see writeLike), so that a change in it is noticed. The user then picks
// from a short list.
func TestLikeKnownFalsePositives(t *testing.T) {
	tests := []struct{ number, stored, why string }{
		{"+33 3 12 34 56 78", "0033 1 23 45 67 89", "the 3 of the country code stands in for the first digit"},
		{"+33 1 23 45 67 81", "+33 1 23 45 67 89 ext. 12", "the extension supplies the last digit"},
	}
	for _, tt := range tests {
		q := Number(tt.number, "FR").Forms.Like
		if !crmFinds(q, tt.stored) {
			t.Errorf("search %q for %s no longer finds %q (%s): update writeLike's comment and this test", q, tt.number, tt.stored, tt.why)
		}
	}
}

// TestLikeNationalDigitsDiffer: an Argentine mobile is written nationally
// with other digits than internationally (the 9 dropped, 15 inserted after
// the area code); the query must still find every form we give.
//
// libphonenumber's Go port formats it as "09 15-2345-6789" where the
// original library gives "011 15-2345-6789": it puts the mobile 9 where
// the area code belongs. So a CRM record stored in the real national
// spelling is not found yet; the international spellings are.
func TestLikeNationalDigitsDiffer(t *testing.T) {
	n := Number("+54 9 11 2345-6789", "AR")
	if n.Kind != phone.Valid {
		t.Fatalf("Number is %s", n.Kind)
	}
	f := n.Forms
	if isSubsequence(f.NSN, []byte(f.National)) {
		t.Fatalf("National %q holds NSN %q: Argentine mobiles are no longer rewritten and this test proves nothing now", f.National, f.NSN)
	}
	for _, s := range []string{f.E164, f.Intl00, f.National, f.Grouped, f.Dotted, f.Digits, f.NSN, "+54 9 11 2345 6789", "0054 9 11 2345-6789"} {
		if !crmFinds(f.Like, s) {
			t.Errorf("search %q misses %q", f.Like, s)
		}
	}
}

func TestCommonSubsequence(t *testing.T) {
	for _, tt := range []struct{ a, b, want string }{
		{"", "", ""},
		{"123", "123", "123"},
		{"91123456789", "01115" + "23456789", "1123456789"},
		{"abc", "xyz", ""},
		{"abcde", "aXcYe", "ace"},
	} {
		if got := string(commonSubsequence(nil, tt.a, []byte(tt.b))); got != tt.want {
			t.Errorf("commonSubsequence(%q, %q) = %q, want %q", tt.a, tt.b, got, tt.want)
		}
	}
}
