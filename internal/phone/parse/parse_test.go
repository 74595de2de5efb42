package parse

import (
	"strings"
	"testing"

	"github.com/screenpop/screenpop/internal/phone"
)

// numberTests are spellings met in OVH events and CRM databases, with the
// number each one denotes. wantE164 is empty for anything that is not a
// Valid number.
var numberTests = []struct {
	name     string
	raw      string
	region   string
	wantKind phone.Kind
	wantE164 string
}{
	// The mixed database of docs/sugarcrm.md, read with the default FR.
	{"doc E.164 spaced", "+33 1 23 45 67 89", "FR", phone.Valid, "+33123456789"},
	{"doc 00", "0033123456780", "FR", phone.Valid, "+33123456780"},
	{"doc national spaced", "01 23 45 67 81", "FR", phone.Valid, "+33123456781"},
	{"doc E.164", "+33612345682", "FR", phone.Valid, "+33612345682"},
	{"doc dotted", "06.12.34.56.83", "FR", phone.Valid, "+33612345683"},
	{"doc US from FR", "+1 (415) 555-0184", "FR", phone.Valid, "+14155550184"},

	// What OVH sends: 00 international, whatever the default region.
	{"OVH FR mobile", "0033612345682", "FR", phone.Valid, "+33612345682"},
	{"OVH test line", "0033972101010", "FR", phone.Valid, "+33972101010"},
	{"OVH BE", "003225551212", "FR", phone.Valid, "+3225551212"},
	{"OVH CH", "0041446681800", "FR", phone.Valid, "+41446681800"},
	{"OVH 00 with default US", "0033612345682", "US", phone.Valid, "+33612345682"},
	{"OVH US with default US", "0014155550184", "US", phone.Valid, "+14155550184"},
	{"00 with no region", "0033612345682", "", phone.Valid, "+33612345682"},
	{"padded", "  0033612345682\n", "FR", phone.Valid, "+33612345682"},
	{"SIP URI", "sip:0033612345682@10.0.0.1;user=phone", "FR", phone.Valid, "+33612345682"},
	{"tel URI", "tel:+33612345682", "FR", phone.Valid, "+33612345682"},

	// France, as CRMs store it.
	{"FR trunk in parentheses", "+33 (0)1 23 45 67 89", "FR", phone.Valid, "+33123456789"},
	{"FR 00 and (0)", "0033 (0)6 12 34 56 82", "FR", phone.Valid, "+33612345682"},
	{"FR dashes", "06-12-34-56-82", "FR", phone.Valid, "+33612345682"},
	{"FR odd grouping", "061 234 5682", "FR", phone.Valid, "+33612345682"},
	{"FR area in parentheses", "(01) 23 45 67 89", "FR", phone.Valid, "+33123456789"},
	{"FR extension", "+33 1 23 45 67 89 ext. 12", "FR", phone.Valid, "+33123456789"},
	{"FR lower-case region", "06 12 34 56 82", "fr", phone.Valid, "+33612345682"},
	{"FR from BE", "+33 6 12 34 56 82", "BE", phone.Valid, "+33612345682"},
	// libphonenumber reads the default region's own code without a +.
	{"FR country code without prefix", "33612345682", "FR", phone.Valid, "+33612345682"},

	// Belgium.
	{"BE national", "02 555 12 12", "BE", phone.Valid, "+3225551212"},
	{"BE slash and dots", "02/555.12.12", "BE", phone.Valid, "+3225551212"},
	{"BE mobile (0)", "+32 (0)470 12 34 56", "FR", phone.Valid, "+32470123456"},

	// Switzerland.
	{"CH national", "044 668 18 00", "CH", phone.Valid, "+41446681800"},
	{"CH (0)", "+41 (0)79 123 45 67", "FR", phone.Valid, "+41791234567"},

	// Luxembourg: no trunk prefix, numbers of several lengths.
	{"LU fixed", "00352 27 12 34 56", "FR", phone.Valid, "+35227123456"},
	{"LU national", "27 12 34 56", "LU", phone.Valid, "+35227123456"},
	{"LU mobile", "+352 621 123 456", "FR", phone.Valid, "+352621123456"},

	// Spain: no trunk prefix.
	{"ES fixed", "0034 912 34 56 78", "FR", phone.Valid, "+34912345678"},
	{"ES national mobile", "612 34 56 78", "ES", phone.Valid, "+34612345678"},

	// Germany.
	{"DE national slash", "030/12345678", "DE", phone.Valid, "+493012345678"},
	{"DE (0)", "+49 (0)30 12345678", "FR", phone.Valid, "+493012345678"},
	{"DE mobile", "0049 1511 2345678", "FR", phone.Valid, "+4915112345678"},

	// Italy: the leading 0 of landlines is part of the number.
	{"IT landline", "+39 06 1234 5678", "FR", phone.Valid, "+390612345678"},
	{"IT landline 00", "00390612345678", "FR", phone.Valid, "+390612345678"},
	{"IT national", "06 1234 5678", "IT", phone.Valid, "+390612345678"},
	{"IT mobile", "347 123 4567", "IT", phone.Valid, "+393471234567"},

	// United Kingdom.
	{"GB national", "020 7946 0018", "GB", phone.Valid, "+442079460018"},
	{"GB (0)", "+44 (0)20 7946 0018", "FR", phone.Valid, "+442079460018"},

	// North America.
	{"US national", "(415) 555-0184", "US", phone.Valid, "+14155550184"},
	{"US dotted", "415.555.0184", "US", phone.Valid, "+14155550184"},
	{"US with trunk 1", "1-415-555-0184", "US", phone.Valid, "+14155550184"},
	{"US dials 011", "011 33 6 12 34 56 82", "US", phone.Valid, "+33612345682"},
	{"CA", "+1 613 555 0100", "FR", phone.Valid, "+16135550100"},
	{"CA national", "613-234-5678", "CA", phone.Valid, "+16132345678"},

	// Withheld callers.
	{"empty", "", "FR", phone.Withheld, ""},
	{"blank", "  ", "FR", phone.Withheld, ""},
	{"anonymous", "anonymous", "FR", phone.Withheld, ""},
	{"Anonymous", "Anonymous", "FR", phone.Withheld, ""},
	{"ANONYMOUS", "ANONYMOUS", "FR", phone.Withheld, ""},
	{"unknown", "unknown", "FR", phone.Withheld, ""},
	{"Restricted", "Restricted", "FR", phone.Withheld, ""},
	{"private", "private", "FR", phone.Withheld, ""},
	{"withheld", "withheld", "FR", phone.Withheld, ""},
	{"plus alone", "+", "FR", phone.Withheld, ""},
	{"SIP anonymous", "sip:anonymous@anonymous.invalid", "FR", phone.Withheld, ""},

	// Internal extensions.
	{"extension 201", "201", "FR", phone.Internal, ""},
	{"extension 1002", "1002", "FR", phone.Internal, ""},
	{"extension 2 digits", "12", "FR", phone.Internal, ""},
	{"extension 6 digits", "123456", "FR", phone.Internal, ""},
	{"extension with trunk-like 0", "0201", "FR", phone.Internal, ""},
	{"SIP extension", "sip:201@pbx.example", "FR", phone.Internal, ""},

	// Garbage.
	{"letters", "abc", "FR", phone.Invalid, ""},
	{"00 cut off", "0033", "FR", phone.Invalid, ""},
	{"double plus cut off", "++33", "FR", phone.Invalid, ""},
	{"one digit", "1", "FR", phone.Invalid, ""},
	{"7 digits FR", "1234567", "FR", phone.Invalid, ""},
	{"too long FR", "061234568299", "FR", phone.Invalid, ""},
	{"absurdly long", strings.Repeat("0612345682", 20), "FR", phone.Invalid, ""},
	{"long text", "+33 6 12 34 56 82, ask for Marie at the front desk please", "FR", phone.Invalid, ""},
	{"no country code +0", "+0612345682", "FR", phone.Invalid, ""},
	{"unknown country code", "+999 123456789", "FR", phone.Invalid, ""},
	{"US local only", "555-0184", "US", phone.Invalid, ""},
	{"outside US plan", "0612345682", "US", phone.Invalid, ""},
	{"national without region", "06 12 34 56 82", "", phone.Invalid, ""},
	{"national with bad region", "06 12 34 56 82", "XX", phone.Invalid, ""},
	{"punctuation", "-", "FR", phone.Invalid, ""},
}

func TestNumber(t *testing.T) {
	for _, tt := range numberTests {
		t.Run(tt.name, func(t *testing.T) {
			got := Number(tt.raw, tt.region)
			if got.Raw != tt.raw {
				t.Errorf("Raw = %q, want %q", got.Raw, tt.raw)
			}
			if got.Kind != tt.wantKind || got.Forms.E164 != tt.wantE164 {
				t.Fatalf("Number(%q, %q) = %s %q, want %s %q", tt.raw, tt.region, got.Kind, got.Forms.E164, tt.wantKind, tt.wantE164)
			}
			if got.Kind != phone.Valid && (got.Forms != phone.Forms{} || got.Region != "") {
				t.Errorf("Number(%q) is %s but has region %q and forms %+v", tt.raw, got.Kind, got.Region, got.Forms)
			}
		})
	}
}

func TestValidRegion(t *testing.T) {
	for _, r := range []string{"FR", "BE", "CH", "LU", "ES", "DE", "IT", "GB", "US", "CA", "fr", "Fr"} {
		if err := ValidRegion(r); err != nil {
			t.Errorf("ValidRegion(%q) = %v, want nil", r, err)
		}
	}
	for _, tt := range []struct{ region, wantInErr string }{
		{"", "empty"},
		{"UK", `"GB"`},
		{"XX", `"XX" is not a region`},
		{"FRA", `"FRA" is not a region`},
		{" FR", `" FR" is not a region`},
		{"001", `"001" is not a region`}, // libphonenumber's "world", not a country
	} {
		err := ValidRegion(tt.region)
		if err == nil || !strings.Contains(err.Error(), tt.wantInErr) {
			t.Errorf("ValidRegion(%q) = %v, want an error containing %q", tt.region, err, tt.wantInErr)
		}
	}
}

// benchInputs are what the relay parses most: OVH's 00 form, a foreign
// caller, and the callers that must be rejected cheaply.
var benchInputs = []struct{ name, raw string }{
	{"OVH_FR", "0033612345682"},
	{"OVH_IT", "00390612345678"},
	{"E164_US", "+1 (415) 555-0184"},
	{"national_dotted", "06.12.34.56.83"},
	{"anonymous", "anonymous"},
	{"extension", "201"},
	{"garbage", "0033"},
}

func BenchmarkNumber(b *testing.B) {
	for _, in := range benchInputs {
		b.Run(in.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				Number(in.raw, "FR")
			}
		})
	}
}
