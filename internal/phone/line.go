package phone

import (
	"unicode/utf8"

	"github.com/screenpop/screenpop/internal/stdlite"
)

// This file is the one "same line" rule: the relay's hub and agents, the
// store's agents, the pop rules and the call state machine all compare
// lines (and numbers) through LineKey and SameLine. It uses plain loops
// and unicode/utf8 (and stdlite's TrimSpace): the extension's wasm imports it.

// LineKey returns the key of a line as the administrator, the agent or
// OVH writes it: two spellings of one line have the same key, two lines
// have different keys, so that the key can index lines in a map.
//
// A line written as a number (IsNumber: digits, white space, and
// . - / ( ) +) keys as follows:
//
//   - International, after "+" or "00", or bare digits (at least 7, so
//     OVH's 33972101010 is the line, not an extension): its E.164 digits,
//     country code then national significant number, without a trunk 0
//     written after the country code. 0033972101010, +33972101010,
//     33 9 72 10 10 10, +33 (0)9 72 10 10 10 and +33 09 72 10 10 10 all
//     key as 33972101010 (and Italy's +39 06… as 396…).
//   - National, one leading 0 and at least 6 digits after it: the
//     national form, 0 then the national significant number:
//     09 72 10 10 10 and 09.72.10.10.10 key as 0972101010. Without a
//     country, a national number does not say which international line it
//     is, so its key is not an international one's; SameLine matches it
//     with the international number of any country whose national number
//     it is (0972101010 is +33 9 72 10 10 10 in France, +32 972 10 10 10
//     in Belgium). One key for both would have to drop the country code
//     from every key, and make +33 4 70 12 34 56 and +32 470 12 34 56 one
//     line where the relay decides which agent sees which line.
//   - Shorter (an internal extension, a short code): its digits as
//     written, an international prefix written as 00: 201, 0201 and 2001
//     are three lines, +201 and 00201 one.
//
// A line that is not a number (a queue's or account's name) keys as
// itself without its surrounding white space and with its Latin letters
// in lower case: "Queue-Sales " and "queue-sales" are one line, and
// "Équipe" is "ÉQUIPE". Keys of names never look like keys of numbers.
// A blank line keys as "", which is no line. A key is a spelling of its
// line: LineKey(LineKey(s)) == LineKey(s).
func LineKey(s string) string {
	t := stdlite.TrimSpace(s)
	if t == "" {
		return ""
	}
	var buf [32]byte
	d, ok := numberDigits(buf[:0], t)
	if !ok {
		return foldName(t)
	}
	var intl []byte
	switch {
	case t[0] == '+':
		intl = d
	case len(d) >= 2 && d[0] == '0' && d[1] == '0':
		intl = d[2:]
	case d[0] == '0':
		return string(d) // national (0, national significant number), or a short number
	case len(d) >= minInternationalLen:
		intl = d
	default:
		return string(d) // a short number
	}
	if len(intl) >= minInternationalLen && intl[0] != '0' {
		n := countryCodeLen(intl)
		key := append(append(make([]byte, 0, len(intl)), intl[:n]...), trimTrunk(intl[n:])...)
		if len(key) >= minInternationalLen {
			return string(key)
		}
	}
	return "00" + string(intl) // too short for a public number, or no country code starts with 0
}

// SameLine reports whether a and b are spellings of one line: their
// LineKeys are equal, or one is a national number (0972101010) and the
// other an international number whose national significant number it is,
// whatever the country (+33 9 72 10 10 10, but also +32 972 10 10 10): a
// national number carries no country, and the agent who writes one means
// the line of the country it is in. A blank line is the same as none.
func SameLine(a, b string) bool {
	ka, kb := LineKey(a), LineKey(b)
	if ka == "" || kb == "" {
		return false
	}
	if ka == kb {
		return true
	}
	return nationalOf(ka, kb) || nationalOf(kb, ka)
}

// IsNumber reports whether line is written as a phone number (digits and
// the punctuation LineKey ignores), not as a name.
func IsNumber(line string) bool {
	t := stdlite.TrimSpace(line)
	var buf [32]byte
	_, ok := numberDigits(buf[:0], t)
	return t != "" && ok
}

// The lengths that tell a public number from a short one: the shortest
// E.164 numbers have 7 digits (Niue's +683 4002); a national number is
// matched with an international one from 6 digits on, as the pop rules
// always did.
const (
	minInternationalLen = 7
	minNationalLen      = 6
)

// nationalOf reports whether nat is the key of a national number and
// intl that of an international number with the same national
// significant number.
func nationalOf(nat, intl string) bool {
	if len(nat) < 1+minNationalLen || nat[0] != '0' || nat[1] == '0' || !allDigits(nat) ||
		len(intl) < minInternationalLen || intl[0] == '0' || !allDigits(intl) {
		return false
	}
	return intl[countryCodeLen([]byte(intl)):] == nat[1:]
}

// numberDigits appends the digits of t to buf, and reports whether t is a
// number: only digits and punctuation, at least one digit.
func numberDigits(buf []byte, t string) ([]byte, bool) {
	for _, r := range t {
		switch {
		case '0' <= r && r <= '9':
			buf = append(buf, byte(r))
		case r == '+' || r == '.' || r == '-' || r == '/' || r == '(' || r == ')' || stdlite.IsSpace(r):
		default:
			return buf, false
		}
	}
	return buf, len(buf) > 0
}

// trimTrunk drops a trunk 0 written after the country code (0 then
// another digit: no national significant number starts with 00).
func trimTrunk(nsn []byte) []byte {
	if len(nsn) > 1 && nsn[0] == '0' && nsn[1] != '0' {
		return nsn[1:]
	}
	return nsn
}

// countryCodeLen is the length of the country code that international
// digits d start with. Country codes are a prefix code (ITU-T E.164):
// 1 and 7 are the one-digit codes, the two-digit ones are listed below,
// every other code has three digits. TestLineKeyEveryCountry in
// phone/parse checks it against libphonenumber's codes.
func countryCodeLen(d []byte) int {
	if len(d) < 2 {
		return len(d)
	}
	switch d[0] {
	case '1', '7':
		return 1
	}
	if twoDigitCodes[d[0]-'0']&(1<<(d[1]-'0')) != 0 {
		return 2
	}
	return min(3, len(d))
}

// twoDigitCodes[a] has bit b set when "ab" is a country code.
var twoDigitCodes = [10]uint16{
	2: 1<<0 | 1<<7,                                                  // 20 27
	3: 1<<0 | 1<<1 | 1<<2 | 1<<3 | 1<<4 | 1<<6 | 1<<9,               // 30–34 36 39
	4: 1<<0 | 1<<1 | 1<<3 | 1<<4 | 1<<5 | 1<<6 | 1<<7 | 1<<8 | 1<<9, // 40 41 43–49
	5: 1<<1 | 1<<2 | 1<<3 | 1<<4 | 1<<5 | 1<<6 | 1<<7 | 1<<8,        // 51–58
	6: 1<<0 | 1<<1 | 1<<2 | 1<<3 | 1<<4 | 1<<5 | 1<<6,               // 60–66
	8: 1<<1 | 1<<2 | 1<<4 | 1<<6,                                    // 81 82 84 86
	9: 1<<0 | 1<<1 | 1<<2 | 1<<3 | 1<<4 | 1<<5 | 1<<8,               // 90–95 98
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// foldName is a name's key: its Latin letters (ASCII, Latin-1 and Latin
// Extended-A) in lower case, as line names are written here, without the
// Unicode tables of package strings, which would weigh in the wasm.
func foldName(s string) string {
	b := make([]byte, 0, len(s))
	for _, r := range s {
		b = utf8.AppendRune(b, lowerLatin(r))
	}
	return string(b)
}

// lowerLatin is the lower case of a Latin capital letter, else r itself.
func lowerLatin(r rune) rune {
	switch {
	case 'A' <= r && r <= 'Z', 0xC0 <= r && r <= 0xDE && r != 0xD7: // ASCII, À–Þ but ×
		return r + 32
	case 0x100 <= r && r <= 0x12F, 0x132 <= r && r <= 0x137, 0x14A <= r && r <= 0x177: // Ā ā … pairs from an even code
		return r | 1
	case 0x139 <= r && r <= 0x148, 0x179 <= r && r <= 0x17E: // Ĺ ĺ … pairs from an odd code
		if r&1 == 1 {
			return r + 1
		}
	case r == 0x178: // Ÿ
		return 0xFF
	}
	return r
}
