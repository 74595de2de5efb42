package parse

import (
	"regexp"
	"sync"

	"github.com/nyaruka/phonenumbers"
)

// inPlan reports whether nsn fits the numbering plan of country code cc:
// the digits it may start with and the lengths it may have, across every
// region sharing the code (+1 is the US, Canada and more; +7 Russia and
// Kazakhstan). This is libphonenumber's "general description" of the
// region, the union of all its number types.
//
// It sits between libphonenumber's two checks. IsPossibleNumber only counts
// digits, so with the default region US it takes "0612345682" (a French
// national number) for a US number that cannot exist. IsValidNumber matches
// the number against the ranges allocated today, so a new mobile block or
// an operator's test range would not pop until the metadata is updated.
func inPlan(cc int32, nsn string) bool {
	for _, re := range plans()[cc] {
		if re.MatchString(nsn) {
			return true
		}
	}
	return false
}

// plans holds, for each country code, the anchored general-description
// patterns of its regions. libphonenumber exports its metadata but not this
// lookup; compiling the 250-odd patterns takes a few milliseconds, once,
// on the first number parsed.
var plans = sync.OnceValue(func() map[int32][]*regexp.Regexp {
	coll, err := phonenumbers.MetadataCollection()
	if err != nil {
		// Cannot happen: libphonenumber decoded the same embedded
		// metadata when it initialised, and panics if it cannot.
		panic("phone/parse: libphonenumber metadata: " + err.Error())
	}
	m := make(map[int32][]*regexp.Regexp)
	for _, md := range coll.GetMetadata() {
		p := md.GetGeneralDesc().GetNationalNumberPattern()
		if p == "" {
			continue
		}
		cc := md.GetCountryCode()
		m[cc] = append(m[cc], regexp.MustCompile("^(?:"+p+")$"))
	}
	return m
})
