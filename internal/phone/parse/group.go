package parse

import (
	"regexp"

	"github.com/nyaruka/phonenumbers"
)

// numberFormat is one of a country's national formats, compiled once.
// libphonenumber's Format looks each of these patterns up in a locked
// cache, building the key by string concatenation, on every call.
type numberFormat struct {
	leading  *regexp.Regexp // the last (most precise) leading-digits pattern, anchored; nil if none
	whole    *regexp.Regexp // the pattern, anchored at both ends
	groups   *regexp.Regexp // the pattern as libphonenumber applies it, unanchored
	template string         // the format, with the national prefix rule folded in
}

func compileFormats(md *phonenumbers.PhoneMetadata) []numberFormat {
	var fs []numberFormat
	for _, f := range md.GetNumberFormat() {
		nf := numberFormat{
			whole:    regexp.MustCompile("^(?:" + f.GetPattern() + ")$"),
			groups:   regexp.MustCompile(f.GetPattern()),
			template: f.GetFormat(),
		}
		if ld := f.GetLeadingDigitsPattern(); len(ld) > 0 {
			nf.leading = regexp.MustCompile("^(?:" + ld[len(ld)-1] + ")")
		}
		// As formatNsnUsingPatternWithCarrier does for NATIONAL: the
		// first group reference becomes the national prefix formatting
		// rule ("0$1"), which puts the trunk prefix before that group.
		if rule := f.GetNationalPrefixFormattingRule(); rule != "" {
			done := false
			nf.template = phonenumbers.FIRST_GROUP_PATTERN.ReplaceAllStringFunc(nf.template, func(s string) string {
				if done {
					return s
				}
				done = true
				return rule
			})
		}
		fs = append(fs, nf)
	}
	return fs
}

// appendGrouped appends nsn as phonenumbers.Format(…, NATIONAL) writes it
// for a number of country c with no extension: the first format whose
// leading digits and pattern fit, applied with its national prefix rule,
// or nsn unchanged when none fits.
//
// It returns false in the one case it does not copy: a pattern whose first
// match does not cover the whole number, where libphonenumber's
// ReplaceAllString would go on to replace further matches.
func (c *country) appendGrouped(b []byte, nsn string) ([]byte, bool) {
	for _, f := range c.formats() {
		if f.leading != nil && !f.leading.MatchString(nsn) || !f.whole.MatchString(nsn) {
			continue
		}
		m := f.groups.FindStringSubmatchIndex(nsn)
		if len(m) < 2 || m[0] != 0 || m[1] != len(nsn) {
			return b, false
		}
		return f.groups.ExpandString(b, f.template, nsn, m), true
	}
	return append(b, nsn...), true
}
