// Package parse turns a caller string, as OVH sends it or as a CRM stores
// it, into a phone.Number with every form a CRM search needs.
//
// It wraps github.com/nyaruka/phonenumbers (libphonenumber), whose metadata
// weighs several megabytes and is loaded when the package initialises; that
// is why it is a relay-only package apart from phone, which the extension's
// wasm imports.
package parse

import (
	"fmt"
	"strings"

	"github.com/nyaruka/phonenumbers"
	"github.com/screenpop/screenpop/internal/phone"
)

// maxRawLen bounds the text we hand to libphonenumber. The longest sane
// spelling ("+33 (0)1 23 45 67 89 ext. 1234") is about 30 bytes; anything
// far longer is not a caller number, and refusing it early keeps a hostile
// or broken event from costing regex time.
const maxRawLen = 64

// A short all-digit caller is an extension of the customer's own PBX (a
// colleague calling from "201"). Public numbers reach us longer: with a
// country code, or with a trunk prefix and an area code. The one casualty
// is a Luxembourg number of 6 digits or fewer written nationally (no trunk
// prefix there), which OVH sends as 00352… anyway; searching the CRM for
// an extension would only find noise.
const (
	minInternalLen = 2
	maxInternalLen = 6
)

// withheldWords are what telephony systems put in the caller field when the
// caller hides their number (compared case-insensitively); "+" alone is an
// empty number with its international prefix.
var withheldWords = []string{
	"", "+",
	"anonymous", "anonyme", "unknown", "inconnu", "unavailable",
	"restricted", "private", "prive", "privé", "withheld",
	"masque", "masqué", "blocked", "unidentified",
}

// Number says what raw is and, for a real number, fills every form.
// defaultRegion (ISO 3166-1, e.g. "FR", any case) is the country of numbers
// written without a country code, such as "06 12 34 56 82".
//
// It never fails: a withheld caller, an internal extension or garbage gets
// Kind Withheld, Internal or Invalid and empty Forms, so callers only have
// to check Kind before searching.
func Number(raw, defaultRegion string) phone.Number {
	n, s, done := classify(raw)
	if done {
		return n
	}
	region := strings.ToUpper(defaultRegion)
	if n, ok := readInternational(raw, s, region); ok {
		return n
	}
	return libphonenumberParse(n, s, region)
}

// libphonenumberNumber is Number through libphonenumber alone, without
// readInternational: what Number did before it read OVH's spelling
// itself, kept as the reference readInternational is tested against.
func libphonenumberNumber(raw, defaultRegion string) phone.Number {
	n, s, done := classify(raw)
	if done {
		return n
	}
	return libphonenumberParse(n, s, strings.ToUpper(defaultRegion))
}

// classify settles the callers that need no parsing: withheld, internal,
// or too long to be a number. Otherwise it returns the text to parse, with
// any SIP URI and spaces around it removed, and done false.
func classify(raw string) (n phone.Number, s string, done bool) {
	n = phone.Number{Raw: raw}
	s = strings.TrimSpace(sipUser(strings.TrimSpace(raw)))
	switch {
	case isWithheld(s):
		n.Kind = phone.Withheld
	case isInternal(s):
		n.Kind = phone.Internal
	case len(s) > maxRawLen:
		n.Kind = phone.Invalid
	default:
		return n, s, false
	}
	return n, s, true
}

// libphonenumberParse fills n from s with libphonenumber. region must be upper case.
func libphonenumberParse(n phone.Number, s, region string) phone.Number {
	num, ok := parse(s, region)
	if !ok {
		n.Kind = phone.Invalid
		return n
	}
	n.Kind = phone.Valid
	n.Region = regionOf(num)
	n.Forms = forms(num)
	return n
}

// parse returns the number s denotes, and whether it is one we can search
// for. defaultRegion must be upper case.
func parse(s, defaultRegion string) (*phonenumbers.PhoneNumber, bool) {
	num := &phonenumbers.PhoneNumber{}
	err := phonenumbers.ParseToNumber(s, defaultRegion, num)
	if err == nil && dialable(num) {
		return num, true
	}
	// OVH, like the rest of Europe, writes international numbers with the
	// 00 prefix. libphonenumber only understands 00 when it is the default
	// region's international prefix (not for US or CA, which dial 011), so
	// read it as "+" when the default region's reading did not work. Trying
	// the region first keeps prefixes that merely start with 00, such as
	// Australia's 0011, working.
	if strings.HasPrefix(s, "00") {
		num.Reset()
		err = phonenumbers.ParseToNumber("+"+s[2:], defaultRegion, num)
		if err == nil && dialable(num) {
			return num, true
		}
	}
	return nil, false
}

// dialable reports whether num is a public number worth a CRM search: its
// country code exists, its length is one that country uses, and it fits
// the country's numbering plan (see inPlan).
//
// We deliberately do not require libphonenumber's IsValidNumber, which also
// checks the number against the ranges allocated when the metadata was
// built: a pop for an unusual but real range (a block allocated since, a
// carrier's special range the metadata lags on) is worth far more than the
// rare search for a well-formed number nobody owns, which just finds
// nothing. Withheld callers, extensions and garbage never get this far.
//
// A number possible only for local dialling (the US 555-0184 without its
// area code) is refused: its E.164 form would be wrong.
func dialable(num *phonenumbers.PhoneNumber) bool {
	if phonenumbers.IsPossibleNumberWithReason(num) != phonenumbers.IS_POSSIBLE {
		return false
	}
	var buf [40]byte
	return inPlan(num.GetCountryCode(), string(appendNSN(buf[:0], num)))
}

// regionOf returns the ISO region of num. For a possible but not valid number
// whose country code several regions share (+1, +44, +7),
// libphonenumber cannot tell which region it is, so we name the code's main
// region (US, GB, RU), which is what formatting used anyway.
func regionOf(num *phonenumbers.PhoneNumber) string {
	if r := phonenumbers.GetRegionCodeForNumber(num); r != "" && r != phonenumbers.UNKNOWN_REGION {
		return r
	}
	return phonenumbers.GetRegionCodeForCountryCode(int(num.GetCountryCode()))
}

// sipUser returns the user part of a SIP URI ("sip:0033612345682@host" or
// RFC 3323's "sip:anonymous@anonymous.invalid"), which SIP-based systems
// may put in caller fields, and s itself otherwise.
func sipUser(s string) string {
	var rest string
	switch {
	case hasPrefixFold(s, "sip:"):
		rest = s[len("sip:"):]
	case hasPrefixFold(s, "sips:"):
		rest = s[len("sips:"):]
	default:
		return s
	}
	if i := strings.IndexAny(rest, "@;"); i >= 0 {
		rest = rest[:i]
	}
	return rest
}

func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}

func isWithheld(s string) bool {
	for _, w := range withheldWords {
		if strings.EqualFold(s, w) {
			return true
		}
	}
	return false
}

// isInternal reports whether s is a short extension: 2 to 6 ASCII digits.
// "00" followed by digits is an international prefix with its number cut
// off ("0033"), which is garbage rather than an extension.
func isInternal(s string) bool {
	if len(s) < minInternalLen || len(s) > maxInternalLen || strings.HasPrefix(s, "00") {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ValidRegion checks a configured default region, so that a typo is
// reported at start-up rather than as every national number turning
// Invalid. It accepts any case, as Number does.
func ValidRegion(region string) error {
	const hint = `use a two-letter ISO 3166-1 code such as "FR", "BE", "CH" or "US"`
	r := strings.ToUpper(region)
	switch {
	case r == "":
		return fmt.Errorf("phone: the default region is empty; it is the country of numbers written without a country code: %s", hint)
	case r == "UK":
		return fmt.Errorf(`phone: default region %q is not an ISO 3166-1 code: the United Kingdom is "GB"`, region)
	case !phonenumbers.GetSupportedRegions()[r]:
		return fmt.Errorf("phone: default region %q is not a region libphonenumber knows; %s", region, hint)
	}
	return nil
}
