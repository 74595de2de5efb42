package parse

import (
	"strings"
	"testing"

	"github.com/screenpop/screenpop/internal/phone"
)

// FuzzNumber checks that Number never panics and that whatever it calls
// Valid is safe to search for: every form present and well-formed, the
// Like query finding every form we produce, and the E.164 form reading
// back as the same number.
func FuzzNumber(f *testing.F) {
	addNumberSeeds(f)
	f.Fuzz(func(t *testing.T, raw, region string) {
		n := Number(raw, region)
		if n.Raw != raw {
			t.Fatalf("Raw = %q, want %q", n.Raw, raw)
		}
		switch n.Kind {
		case phone.Withheld, phone.Internal, phone.Invalid:
			if n.Forms != (phone.Forms{}) || n.Region != "" {
				t.Fatalf("Number(%q, %q) is %s but has region %q and forms %+v", raw, region, n.Kind, n.Region, n.Forms)
			}
			return
		case phone.Valid:
		default:
			t.Fatalf("Number(%q, %q).Kind = %q", raw, region, n.Kind)
		}

		got := n.Forms
		if n.Region == "" {
			t.Errorf("Number(%q, %q): no region", raw, region)
		}
		for name, v := range map[string]string{
			"E164": got.E164, "Intl00": got.Intl00, "National": got.National, "Grouped": got.Grouped,
			"Dotted": got.Dotted, "Digits": got.Digits, "NSN": got.NSN, "Like": got.Like,
		} {
			if v == "" {
				t.Errorf("Number(%q, %q): empty %s in %+v", raw, region, name, got)
			}
		}
		if !strings.HasPrefix(got.E164, "+") || !allDigits(got.E164[1:]) {
			t.Errorf("E164 %q is not + and digits", got.E164)
		}
		if got.Digits != got.E164[1:] || got.Intl00 != "00"+got.Digits || !strings.HasSuffix(got.Digits, got.NSN) {
			t.Errorf("inconsistent forms %+v", got)
		}
		if !allDigits(got.National) || !allDigits(got.NSN) {
			t.Errorf("National %q or NSN %q is not digits", got.National, got.NSN)
		}
		if strings.Trim(got.Like, "0123456789%") != "" || !strings.HasPrefix(got.Like, "%") {
			t.Errorf("Like %q is not %% and digits", got.Like)
		}
		for _, s := range []string{got.E164, got.Intl00, got.National, got.Grouped, got.Dotted, got.Digits, got.NSN} {
			if !crmFinds(got.Like, s) {
				t.Errorf("search %q misses our own form %q", got.Like, s)
			}
		}
		if again := Number(got.E164, ""); again.Kind != phone.Valid || again.Forms != got {
			t.Errorf("Number(%q, %q) = %+v, but its E.164 form reads back as %s %+v", raw, region, got, again.Kind, again.Forms)
		}
	})
}

// addNumberSeeds seeds a fuzz target taking (raw, region) with every
// spelling the package's tests know.
func addNumberSeeds(f *testing.F) {
	for _, in := range internationalInputs {
		f.Add(in.raw, in.region)
	}
	for _, tt := range numberTests {
		f.Add(tt.raw, tt.region)
	}
	for _, sn := range storedNumbers {
		for _, s := range sn.spellings {
			f.Add(s, "FR")
		}
	}
}
