package parse

import (
	"strconv"
	"strings"

	"github.com/nyaruka/phonenumbers"
	"github.com/screenpop/screenpop/internal/phone"
)

// forms computes every spelling of num. num must be a possible number with
// a real country code (see parse).
//
// The grouping comes from libphonenumber's national format, the only part
// that needs its per-country rules.
func forms(num *phonenumbers.PhoneNumber) phone.Forms {
	var nsn [40]byte // MAX_LENGTH_FOR_NSN leading zeros + a uint64
	return buildForms(num.GetCountryCode(), string(appendNSN(nsn[:0], num)), []byte(nationalFormat(num)))
}

// buildForms builds every form from the country code, the national
// significant number and the national format (grouped). They are written
// into one buffer and the forms are slices of that one string: a pop costs
// a single allocation here instead of one per form.
func buildForms(cc int32, nsn string, grouped []byte) phone.Forms {
	var ccBuf [4]byte // country codes have at most 3 digits
	code := strconv.AppendInt(ccBuf[:0], int64(cc), 10)

	// Layout: +<cc><nsn> 00<cc><nsn> <national> <grouped> <dotted> <like>
	var b strings.Builder
	b.Grow(2*(len(code)+len(nsn)) + 3 + 3*len(grouped) + 2*len(nsn))
	b.WriteByte('+')
	b.Write(code)
	b.WriteString(nsn)
	e164End := b.Len()
	b.WriteString("00")
	b.Write(code)
	b.WriteString(nsn)
	intlEnd := b.Len()
	writeDigits(&b, grouped)
	nationalEnd := b.Len()
	b.Write(grouped)
	groupedEnd := b.Len()
	writeDotted(&b, grouped)
	dottedEnd := b.Len()
	writeLike(&b, nsn, grouped)
	s := b.String()

	return phone.Forms{
		E164:     s[:e164End],
		Intl00:   s[e164End:intlEnd],
		National: s[intlEnd:nationalEnd],
		Grouped:  s[nationalEnd:groupedEnd],
		Dotted:   s[groupedEnd:dottedEnd],
		Digits:   s[1:e164End],
		NSN:      s[e164End-len(nsn) : e164End],
		Like:     s[dottedEnd:],
	}
}

// nationalFormat returns num as its country writes it for national calls
// ("06 12 34 56 82", "(415) 555-0184", "030 123456"), trunk prefix
// included where the country uses one for that number. An extension is
// left out: no CRM field we search stores one after a number in a way a
// search could use, and it would leak into the digit forms.
func nationalFormat(num *phonenumbers.PhoneNumber) string {
	if num.Extension != nil {
		bare := &phonenumbers.PhoneNumber{
			CountryCode:          num.CountryCode,
			NationalNumber:       num.NationalNumber,
			ItalianLeadingZero:   num.ItalianLeadingZero,
			NumberOfLeadingZeros: num.NumberOfLeadingZeros,
		}
		num = bare
	}
	return phonenumbers.Format(num, phonenumbers.NATIONAL)
}

// appendNSN appends num's national significant number: the national number
// after the leading zeros that are part of it (Italy's 06…, written with
// its 0 even from abroad). It does what GetNationalSignificantNumber does,
// without that function's two allocations.
func appendNSN(b []byte, num *phonenumbers.PhoneNumber) []byte {
	if num.GetItalianLeadingZero() {
		for range min(max(num.GetNumberOfLeadingZeros(), 0), phonenumbers.MAX_LENGTH_FOR_NSN) {
			b = append(b, '0')
		}
	}
	return strconv.AppendUint(b, num.GetNationalNumber(), 10)
}

// writeDigits writes the ASCII digits of s: the compact national form
// ("0612345682"; "4155550184" for the US, whose national format carries no
// trunk 1; just the national digits in Spain, Luxembourg or Italy, which
// have no trunk prefix).
func writeDigits(b *strings.Builder, s []byte) {
	for i := 0; i < len(s); i++ {
		if isDigit(s[i]) {
			b.WriteByte(s[i])
		}
	}
}

// writeDotted writes the digit groups of the national format joined by
// dots. That is the French habit ("06.12.34.56.82"); elsewhere it gives the
// country's own grouping with dots ("030.123456"), and for North America
// the common "415.555.0184" rather than a dotted "(415) 555-0184".
func writeDotted(b *strings.Builder, grouped []byte) {
	inGroup, first := false, true
	for i := 0; i < len(grouped); i++ {
		c := grouped[i]
		if !isDigit(c) {
			inGroup = false
			continue
		}
		if !inGroup && !first {
			b.WriteByte('.')
		}
		inGroup, first = true, false
		b.WriteByte(c)
	}
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// allDigits reports whether s is one or more ASCII digits.
func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return len(s) > 0
}
