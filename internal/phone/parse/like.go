package parse

import "strings"

// writeLike writes the query for SugarCRM 6.5 / SuiteCRM 7 classic search
// that finds the number whichever way it was stored.
//
// That search runs SQL `field LIKE '<q>%'` on the raw stored text and
// honours % as a wildcard. We send % followed by each digit of the national
// significant number, with % between every two digits: "%6%1%2%3%4%5%6%8%2"
// for +33 6 12 34 56 82.
//
//   - The leading % lets any country or trunk prefix come first:
//     "+33", "0033", "0", "+33 (0)".
//   - A % between every digit (not only between the country's usual groups)
//     lets any punctuation and any grouping come between them: the stored
//     "061 234 5682" has none of the French groups.
//   - The search itself appends %, so text after the number (an extension,
//     a note) does not matter.
//   - We use only digits and %: no _ (which would match any one character)
//     and nothing SQL or a URL would need escaped beyond % itself.
//
// The price is false positives: a field whose digits contain ours in order
// also matches. For two numbers of the same country and length, that needs
// help from outside the other number: our first digits found in its prefix
// (a French 03… number against a stored 0033 1 23 45 67 89), or our last
// digits in an extension stored after it ("01 23 45 67 89 ext. 12" for
// 01 23 45 67 81). The user then picks from a short list, which is far
// better than the nothing an exact search returns for a differently
// spelled number; putting % only between the country's usual groups would
// miss spellings grouped otherwise ("061 234 5682", Germany's
// "030 12345-0").
func writeLike(b *strings.Builder, nsn string) {
	for i := 0; i < len(nsn); i++ {
		b.WriteByte('%')
		b.WriteByte(nsn[i])
	}
}
