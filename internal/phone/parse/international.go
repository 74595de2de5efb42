package parse

import (
	"regexp"
	"slices"
	"strconv"
	"sync"

	"github.com/nyaruka/phonenumbers"
	"github.com/screenpop/screenpop/internal/phone"
)

// This file reads an international number written as OVH writes it ("+"
// or "00", then digits only) straight from tables built once from
// libphonenumber's metadata, instead of through libphonenumber's parser.

// readInternational reads s the way libphonenumber does
// (libphonenumberNumber), when s is an international number in the
// spelling OVH uses: "+" or "00", then digits only, such as
// "0033612345682". Parsing that with libphonenumber
// costs most of a new caller's event (tens of microseconds, some sixty
// allocations, nearly all in regular expressions and string builders that
// have nothing to do for a string of digits); here it is a few table
// look-ups and the country's formatting pattern.
//
// It answers only when it is sure to give what libphonenumberNumber
// gives, and returns false otherwise: for anything but + or 00 and
// digits, for a 00 the default region does not dial out with, for a
// national number written after the country code ("0033 0612…", whose
// trunk 0 libphonenumber strips), and for any number libphonenumberNumber
// would refuse.
// FuzzInternationalMatchesLibphonenumber holds it to that.
func readInternational(raw, s, region string) (phone.Number, bool) {
	t := tables()
	var digits string
	switch {
	case len(s) > 1 && s[0] == '+':
		// A non-geographic code (+800, +882…) in the default region "001"
		// is read with no metadata at all by libphonenumber; leave that
		// oddity to it.
		if region == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY {
			return phone.Number{}, false
		}
		digits = s[1:]
	case len(s) > 2 && s[0] == '0' && s[1] == '0' && t.dialsOut00[region]:
		// libphonenumber reads 00 as the way out of the default region
		// only when that region dials out with exactly 00. It reads 000…
		// as a national number; no country code starts with 0, so
		// splitCountryCode finds none and libphonenumber takes it.
		digits = s[2:]
	default:
		return phone.Number{}, false
	}
	if len(digits) <= phonenumbers.MIN_LENGTH_FOR_NSN || !allDigits(digits) {
		return phone.Number{}, false
	}
	// nsn, an Italian leading zero included, is what libphonenumber's
	// GetNationalSignificantNumber gives back for the number it parses.
	cc, nsn := splitCountryCode(digits)
	c := t.countries[cc]
	if c == nil || len(nsn) < phonenumbers.MIN_LENGTH_FOR_NSN || len(nsn) > phonenumbers.MAX_LENGTH_FOR_NSN {
		return phone.Number{}, false
	}
	// After the country code, libphonenumber strips a national prefix if
	// one is there ("0033 0612…"), under conditions we do not copy.
	if c.nationalPrefix != nil && c.nationalPrefix.MatchString(nsn) {
		return phone.Number{}, false
	}
	// What dialable checks, on the same metadata.
	if !c.possible(len(nsn)) || !inPlan(cc, nsn) {
		return phone.Number{}, false
	}
	var buf [80]byte
	grouped, ok := c.appendGrouped(buf[:0], nsn)
	if !ok {
		grouped = append(buf[:0], phonenumbers.Format(phoneNumber(cc, nsn), phonenumbers.NATIONAL)...)
	}
	return phone.Number{
		Raw:    raw,
		Kind:   phone.Valid,
		Region: c.regionOf(cc, nsn),
		Forms:  buildForms(cc, nsn, grouped),
	}, true
}

// splitCountryCode splits digits after an international prefix into the
// country code and the national significant number as libphonenumber does:
// the code is the shortest prefix (up to 3 digits) that is a known code. It
// returns 0 when there is none.
func splitCountryCode(digits string) (int32, string) {
	if digits[0] == '0' {
		return 0, ""
	}
	cc := 0
	for i := 0; i < phonenumbers.MAX_LENGTH_COUNTRY_CODE && i < len(digits); i++ {
		cc = cc*10 + int(digits[i]-'0')
		if len(phonenumbers.GetRegionCodesForCountryCode(cc)) > 0 {
			return int32(cc), digits[i+1:]
		}
	}
	return 0, ""
}

// phoneNumber is the PhoneNumber libphonenumber's parser makes of country
// code cc and national digits nsn: a leading 0 is an "Italian" leading
// zero, kept apart from the integer national number.
func phoneNumber(cc int32, nsn string) *phonenumbers.PhoneNumber {
	national, _ := strconv.ParseUint(nsn, 10, 64) // at most 17 digits
	num := &phonenumbers.PhoneNumber{CountryCode: &cc, NationalNumber: &national}
	if len(nsn) >= 2 && nsn[0] == '0' {
		yes := true
		num.ItalianLeadingZero = &yes
		// As setItalianLeadingZerosForPhoneNumber: an all-zero number
		// keeps its last 0 in the integer.
		zeros := int32(1)
		for int(zeros) < len(nsn)-1 && nsn[zeros] == '0' {
			zeros++
		}
		if zeros != 1 {
			num.NumberOfLeadingZeros = &zeros
		}
	}
	return num
}

// country is what readInternational needs about one country code, prepared
// from libphonenumber's metadata.
type country struct {
	// md is the metadata libphonenumber checks lengths and formats +cc
	// numbers with: that of the code's main region (US for +1), or of the
	// non-geographic entity (+800).
	md *phonenumbers.PhoneMetadata
	// region is the one region using the code, "" when several share it.
	region string
	// nationalPrefix matches a national prefix for parsing at the start of
	// a number; nil where the country has none.
	nationalPrefix *regexp.Regexp
	// formats are md's national formats, compiled on first use: a few
	// hundred patterns in all, of which a relay meets a handful.
	formats func() []numberFormat
	// shared are the regions sharing the code, compiled on first use (nil
	// if one lacks metadata); unset when region is set.
	shared func() []sharedRegion
}

// possible reports whether a national significant number of n digits is
// possible for c, as libphonenumber's IsPossibleNumberWithReason returning
// IS_POSSIBLE: a possible length of the general description that is not a
// local-only one.
func (c *country) possible(n int) bool {
	desc := c.md.GetGeneralDesc()
	if desc.GetNationalNumberPattern() == "" {
		return n >= phonenumbers.MIN_LENGTH_FOR_NSN && n <= phonenumbers.MAX_LENGTH_FOR_NSN
	}
	lengths := desc.GetPossibleLength()
	if len(lengths) == 0 || lengths[0] == -1 {
		return false
	}
	for _, l := range desc.GetPossibleLengthLocalOnly() {
		if int(l) == n {
			return false
		}
	}
	for _, l := range lengths {
		if int(l) == n {
			return true
		}
	}
	return false
}

// regionOf is the package's regionOf for a number with country code cc and
// national significant number nsn.
func (c *country) regionOf(cc int32, nsn string) string {
	if c.region != "" {
		return c.region
	}
	// As libphonenumber's GetRegionCodeForNumber: the first region whose
	// leading digits start the number or, for a region without leading
	// digits, whose numbering plan knows the number.
	shared := c.shared()
	if shared == nil {
		return regionOf(phoneNumber(cc, nsn))
	}
	for _, r := range shared {
		if r.leading != nil && r.leading.MatchString(nsn) || r.leading == nil && r.knows(nsn) {
			return r.id
		}
	}
	return phonenumbers.GetRegionCodeForCountryCode(int(cc))
}

// sharedRegion is one of the regions sharing a country code, prepared to
// tell whether a number is theirs.
type sharedRegion struct {
	id      string
	leading *regexp.Regexp // the region's leading digits, anchored; nil if it has none
	general numberDesc
	types   []numberDesc // every type of number, in libphonenumber's order
	mobile  *numberDesc  // nil when mobile numbers look like fixed-line ones
}

// knows reports whether libphonenumber's GetNumberType would give nsn a
// type (not UNKNOWN) in region r.
func (r *sharedRegion) knows(nsn string) bool {
	if !r.general.matches(nsn) {
		return false
	}
	for i := range r.types {
		if r.types[i].matches(nsn) {
			return true
		}
	}
	return r.mobile != nil && r.mobile.matches(nsn)
}

// numberDesc is a PhoneNumberDesc compiled: the lengths it allows (any if
// none are listed) and its pattern, anchored.
type numberDesc struct {
	lengths []int32
	pattern *regexp.Regexp
}

func compileDesc(d *phonenumbers.PhoneNumberDesc) numberDesc {
	return numberDesc{d.GetPossibleLength(), regexp.MustCompile("^(?:" + d.GetNationalNumberPattern() + ")$")}
}

// matches is libphonenumber's isNumberMatchingDesc.
func (d *numberDesc) matches(nsn string) bool {
	if len(d.lengths) > 0 && !slices.Contains(d.lengths, int32(len(nsn))) {
		return false
	}
	return d.pattern.MatchString(nsn)
}

// compileShared prepares the regions of a shared country code, in
// libphonenumber's order, or returns nil if one lacks metadata.
func compileShared(regions []string, byRegion map[string]*phonenumbers.PhoneMetadata) []sharedRegion {
	out := make([]sharedRegion, 0, len(regions))
	for _, id := range regions {
		md := byRegion[id]
		if md == nil {
			return nil
		}
		r := sharedRegion{id: id}
		if ld := md.GetLeadingDigits(); ld != "" {
			r.leading = regexp.MustCompile("^(?:" + ld + ")")
			out = append(out, r)
			continue
		}
		r.general = compileDesc(md.GetGeneralDesc())
		// getNumberTypeHelper's order; fixed-line numbers count as known
		// whatever their mobile pattern says.
		for _, d := range []*phonenumbers.PhoneNumberDesc{
			md.GetPremiumRate(), md.GetTollFree(), md.GetSharedCost(), md.GetVoip(),
			md.GetPersonalNumber(), md.GetPager(), md.GetUan(), md.GetVoicemail(), md.GetFixedLine(),
		} {
			r.types = append(r.types, compileDesc(d))
		}
		if !md.GetSameMobileAndFixedLinePattern() {
			m := compileDesc(md.GetMobile())
			r.mobile = &m
		}
		out = append(out, r)
	}
	return out
}

// parseTables are readInternational's look-ups, built once.
type parseTables struct {
	countries map[int32]*country
	// dialsOut00 holds the regions whose international prefix is exactly
	// 00, where libphonenumber reads "0033…" as +33.
	dialsOut00 map[string]bool
}

var tables = sync.OnceValue(func() *parseTables {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		// Cannot happen: libphonenumber decoded the same embedded
		// metadata when it initialised, and panics if it cannot.
		panic("phone/parse: libphonenumber metadata: " + err.Error())
	}
	supported := phonenumbers.GetSupportedRegions()
	t := &parseTables{countries: make(map[int32]*country), dialsOut00: make(map[string]bool)}
	byRegion := make(map[string]*phonenumbers.PhoneMetadata)
	nonGeo := make(map[int32]*phonenumbers.PhoneMetadata)
	for _, md := range coll.GetMetadata() {
		if md.GetId() == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY {
			nonGeo[md.GetCountryCode()] = md
			continue
		}
		byRegion[md.GetId()] = md
		if supported[md.GetId()] && md.GetInternationalPrefix() == "00" {
			t.dialsOut00[md.GetId()] = true
		}
	}
	for code := range phonenumbers.GetSupportedCallingCodes() {
		regions := phonenumbers.GetRegionCodesForCountryCode(code)
		if len(regions) == 0 {
			continue
		}
		cc := int32(code)
		md := byRegion[regions[0]]
		if regions[0] == phonenumbers.REGION_CODE_FOR_NON_GEO_ENTITY {
			md = nonGeo[cc]
		}
		if md == nil || md.GetGeneralDesc() == nil {
			continue // libphonenumber copes, or fails, as it always did
		}
		c := &country{md: md}
		if len(regions) == 1 {
			c.region = regions[0]
		} else {
			c.shared = sync.OnceValue(func() []sharedRegion { return compileShared(regions, byRegion) })
		}
		if p := md.GetNationalPrefixForParsing(); p != "" {
			c.nationalPrefix = regexp.MustCompile("^(?:" + p + ")")
		}
		c.formats = sync.OnceValue(func() []numberFormat { return compileFormats(md) })
		t.countries[cc] = c
	}
	return t
})
