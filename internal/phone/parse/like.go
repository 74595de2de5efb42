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
//
// The digits are the national significant number's, except where the
// country writes the number nationally with other digits than it has
// internationally: Argentina's mobiles drop the 9 and insert 15 after the
// area code (+54 9 11 2345-6789 is 011 15-2345-6789). There we send the
// longest run of digits, in order, that both spellings share, so the
// query still finds every form we produce.
func writeLike(b *strings.Builder, nsn string, grouped []byte) {
	var natBuf [48]byte
	national := natBuf[:0]
	for _, c := range grouped {
		if isDigit(c) && len(national) < len(natBuf) {
			national = append(national, c)
		}
	}
	digits := nsn
	var lcsBuf [48]byte
	if !isSubsequence(nsn, national) {
		digits = string(commonSubsequence(lcsBuf[:0], nsn, national))
	}
	for i := 0; i < len(digits); i++ {
		b.WriteByte('%')
		b.WriteByte(digits[i])
	}
}

// isSubsequence reports whether the bytes of a appear in b in order.
func isSubsequence(a string, b []byte) bool {
	j := 0
	for i := 0; i < len(b) && j < len(a); i++ {
		if b[i] == a[j] {
			j++
		}
	}
	return j == len(a)
}

// commonSubsequence appends to dst a longest common subsequence of a and
// b, both at most 47 bytes (a national significant number has at most 17
// digits; a national format a few more).
func commonSubsequence(dst []byte, a string, b []byte) []byte {
	const max = 48
	if len(a) >= max || len(b) >= max {
		return append(dst, a...)
	}
	// n[i][j] is the LCS length of a[i:] and b[j:].
	var n [max][max]uint8
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			switch {
			case a[i] == b[j]:
				n[i][j] = n[i+1][j+1] + 1
			case n[i+1][j] >= n[i][j+1]:
				n[i][j] = n[i+1][j]
			default:
				n[i][j] = n[i][j+1]
			}
		}
	}
	for i, j := 0, 0; i < len(a) && j < len(b); {
		switch {
		case a[i] == b[j]:
			dst = append(dst, a[i])
			i++
			j++
		case n[i+1][j] >= n[i][j+1]:
			i++
		default:
			j++
		}
	}
	return dst
}
