package parse

import (
	"strconv"
	"testing"

	"github.com/nyaruka/phonenumbers"
)

// internationalInputs are spellings readInternational answers, or must
// hand to libphonenumber, beyond those of numberTests and storedNumbers: what OVH sends for
// many countries, and the traps of the 00 and + forms.
var internationalInputs = []struct{ raw, region string }{
	{"0033612345682", "FR"},
	{"0033972101010", "FR"},
	{"00390612345678", "FR"}, // Italian leading zero
	{"00390012345678", "FR"}, // several leading zeros
	{"00393471234567", "FR"}, // +39 is Italy and the Vatican
	{"00390669812345", "FR"}, // the Vatican's range
	{"0014155550184", "FR"},  // +1 is shared by 25 regions
	{"0016132345678", "FR"},  // Canada
	{"0018092345678", "FR"},  // Dominican Republic
	{"00447911123456", "FR"}, // +44 is GB, GG, IM, JE
	{"00441624123456", "FR"}, // Isle of Man
	{"0079123456789", "FR"},  // +7 is Russia and Kazakhstan
	{"0077012345678", "FR"},  // Kazakhstan
	{"0033 612345682", "FR"}, // a space: libphonenumber
	{"00330612345682", "FR"}, // national 0 after the code: libphonenumber
	{"+330612345682", "FR"},  // the same with +
	{"0044 01234 567890", "FR"},
	{"004418002012345", "FR"}, // GB's other national prefix, 180020
	{"0049301234567890", "FR"},
	{"004915112345678", "DE"},
	{"0034912345678", "ES"},
	{"0035227123456", "LU"},
	{"003225551212", "BE"},
	{"0041446681800", "CH"},
	{"0043123456789", "FR"},    // Austria: numbers of many lengths
	{"0031201234567", "FR"},    // Netherlands
	{"00351212345678", "FR"},   // Portugal
	{"0061212345678", "FR"},    // Australia, 3-digit trunk patterns
	{"0055119123456789", "FR"}, // Brazil, carrier codes
	{"0054911234567890", "FR"}, // Argentina, national prefix transform
	{"00521234567890", "FR"},   // Mexico
	{"0086 13812345678", "FR"}, // China
	{"008613812345678", "FR"},
	{"0081312345678", "FR"},  // Japan
	{"00800 12345678", "FR"}, // non-geographic
	{"0080012345678", "FR"},
	{"+80012345678", "001"}, // non-geographic in region 001
	{"+80012345678", "FR"},
	{"+88213012345", "FR"},
	{"0033612345682", "US"}, // US dials out with 011
	{"01133612345682", "US"},
	{"0033612345682", "AU"}, // Australia dials out with 0011
	{"0033612345682", "BR"}, // Brazil with carrier select codes
	{"0033612345682", ""},
	{"0033612345682", "XX"},
	{"0033612345682", "001"},
	{"00033612345682", "FR"}, // 000…
	{"+0033612345682", "FR"}, // + then 00
	{"+33", "FR"},
	{"+331", "FR"},
	{"+3312", "FR"},
	{"0033", "FR"},
	{"00331", "FR"},
	{"003312", "FR"},
	{"+999123456789", "FR"}, // no such code
	{"+2901234", "FR"},      // Saint Helena and Tristan da Cunha
	{"+262269123456", "FR"}, // Réunion and Mayotte
	{"+590590123456", "FR"}, // Guadeloupe, Saint Barthélemy, Saint Martin
	{"+5999123456", "FR"},   // Curaçao and Bonaire
	{"+4779123456", "FR"},   // Norway and Svalbard
	{"+35818123456", "FR"},  // Finland and Åland
	{"+212612345678", "FR"}, // Morocco and Western Sahara
	{"+61891621234", "FR"},  // Christmas Island
	{"+123456789012345678", "FR"},
	{"+33612345682123456789", "FR"},
}

// FuzzInternationalMatchesLibphonenumber checks that Number, reading
// OVH's spelling itself (readInternational), says exactly what
// libphonenumber alone says (libphonenumberNumber), whatever the input.
func FuzzInternationalMatchesLibphonenumber(f *testing.F) {
	addNumberSeeds(f)
	f.Fuzz(func(t *testing.T, raw, region string) {
		if got, want := Number(raw, region), libphonenumberNumber(raw, region); got != want {
			t.Fatalf("Number(%q, %q) =\n\t%+v\nlibphonenumber alone:\n\t%+v", raw, region, got, want)
		}
	})
}

// TestOVHSpellingReadInternational checks that what OVH sends is read by
// readInternational, not libphonenumber's parser: the relay's budget for
// a new caller counts on it.
func TestOVHSpellingReadInternational(t *testing.T) {
	for _, in := range []struct{ raw, region string }{
		{"0033612345682", "FR"},
		{"0033972101010", "FR"},
		{"+33612345682", "FR"},
		{"00390612345678", "FR"},
		{"003225551212", "BE"},
		{"0041446681800", "FR"},
		{"0035227123456", "FR"},
		{"0034612345678", "FR"},
		{"00493012345678", "FR"},
		{"00442079460018", "FR"},
		{"0014155550184", "FR"},
		{"+14155550184", "US"},
	} {
		if _, ok := readInternational(in.raw, in.raw, in.region); !ok {
			t.Errorf("readInternational(%q, %q) left it to libphonenumber", in.raw, in.region)
		}
	}
}

// TestGroupedMatchesFormat checks the national grouping against
// libphonenumber's Format for every national format of every country: a
// number built from each format's example lengths.
func TestGroupedMatchesFormat(t *testing.T) {
	for cc, c := range tables().countries {
		for _, nsn := range sampleNumbers(c) {
			num := phoneNumber(cc, nsn)
			want := phonenumbers.Format(num, phonenumbers.NATIONAL)
			got, ok := c.appendGrouped(nil, nsn)
			if ok && string(got) != want {
				t.Errorf("+%d %s grouped as %q, libphonenumber %q", cc, nsn, got, want)
			}
		}
	}
}

// sampleNumbers are example numbers of c's metadata, one of each type.
func sampleNumbers(c *country) []string {
	md := c.md
	var out []string
	for _, d := range []*phonenumbers.PhoneNumberDesc{
		md.GetFixedLine(), md.GetMobile(), md.GetTollFree(), md.GetPremiumRate(), md.GetSharedCost(),
		md.GetPersonalNumber(), md.GetVoip(), md.GetPager(), md.GetUan(), md.GetVoicemail(),
	} {
		if e := d.GetExampleNumber(); e != "" {
			out = append(out, e)
		}
	}
	return out
}

// FuzzGrouped checks the national grouping against libphonenumber's Format
// for any country code and national digits.
func FuzzGrouped(f *testing.F) {
	for cc, c := range tables().countries {
		for _, nsn := range sampleNumbers(c) {
			f.Add(uint16(cc), nsn)
		}
	}
	f.Fuzz(func(t *testing.T, code uint16, nsn string) {
		cc := int32(code)
		c := tables().countries[cc]
		if c == nil || !allDigits(nsn) || len(nsn) > phonenumbers.MAX_LENGTH_FOR_NSN {
			return
		}
		want := phonenumbers.Format(phoneNumber(cc, nsn), phonenumbers.NATIONAL)
		if got, ok := c.appendGrouped(nil, nsn); ok && string(got) != want {
			t.Fatalf("+%d %s grouped as %q, libphonenumber %q", cc, nsn, got, want)
		}
	})
}

// TestInternationalMatchesLibphonenumberEveryCountry compares Number with
// libphonenumberNumber on the example numbers of every region
// libphonenumber knows, written the two ways readInternational reads, and spoilt the ways it must not misread: a
// trunk 0 after the code, a digit too many or too few. (The default regions
// where readInternational steps aside, such as US for 00 or 001 for +, are in
// internationalInputs.)
func TestInternationalMatchesLibphonenumberEveryCountry(t *testing.T) {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		t.Fatal(err)
	}
	for _, md := range coll.GetMetadata() {
		cc := strconv.Itoa(int(md.GetCountryCode()))
		for _, nsn := range sampleNumbers(&country{md: md}) {
			for _, v := range []string{nsn, "0" + nsn, nsn[:len(nsn)-1], nsn + "1"} {
				for _, raw := range []string{"+" + cc + v, "00" + cc + v} {
					if got, want := Number(raw, "FR"), libphonenumberNumber(raw, "FR"); got != want {
						t.Errorf("Number(%q, FR) =\n\t%+v\nlibphonenumber alone:\n\t%+v", raw, got, want)
					}
				}
			}
		}
	}
}
