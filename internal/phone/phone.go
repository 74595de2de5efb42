// Package phone holds a phone number in every form a CRM search needs.
//
// It is deliberately free of dependencies: the extension's wasm imports it
// to read the forms the relay computed. Parsing (which needs libphonenumber's
// metadata, several megabytes) lives in the relay-only package phone/parse.
package phone

// Kind says what a raw caller string turned out to be. Only Valid numbers
// are ever searched for: a withheld caller or an internal extension must
// never produce a bogus CRM search.
type Kind string

const (
	Valid    Kind = "valid"    // a dialable public number; Forms are filled
	Withheld Kind = "withheld" // empty, "anonymous", "unknown", "Restricted", …
	Internal Kind = "internal" // a short internal extension (e.g. "201")
	Invalid  Kind = "invalid"  // garbage: not a number we can search for
)

// Number is a parsed number: the raw text as received, what kind it is,
// and (for Valid numbers) its forms.
type Number struct {
	Raw    string `json:"raw"`
	Kind   Kind   `json:"kind"`
	Region string `json:"region,omitempty"` // ISO 3166 region, e.g. "FR"
	Forms  Forms  `json:"forms,omitzero"`
}

// Forms are the spellings of one number that CRMs store or search.
// Example values are for the French mobile +33 6 12 34 56 82.
type Forms struct {
	E164   string `json:"e164,omitempty"`   // +33612345682
	Intl00 string `json:"intl00,omitempty"` // 0033612345682
	// National is compact, with the trunk prefix where the country dials
	// one: 0612345682; US 4155550184; Spain, Luxembourg, Italy just their
	// national digits.
	National string `json:"national,omitempty"`
	// Grouped is the national number as the country writes it
	// (libphonenumber's national format): 06 12 34 56 82, (415) 555-0184.
	Grouped string `json:"grouped,omitempty"`
	// Dotted is Grouped's digit groups joined by dots: 06.12.34.56.82,
	// 415.555.0184.
	Dotted string `json:"dotted,omitempty"`
	Digits string `json:"digits,omitempty"` // 33612345682 (E.164 digits only)
	NSN    string `json:"nsn,omitempty"`    // 612345682 (national significant number; Italy keeps its 0)
	// Like is one query for SugarCRM 6.5 / SuiteCRM 7 classic search, whose
	// matching is SQL LIKE 'q%' on the raw stored text: it finds the record
	// whichever format it was stored in. It is % before every digit of the
	// NSN (%6%1%2%3%4%5%6%8%2), so any prefix and punctuation match; in a
	// URL each % must be sent as %25.
	Like string `json:"like,omitempty"`
}
