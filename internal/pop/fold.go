package pop

import "unicode/utf8"

// Strings without the Unicode paths of package strings, which would weigh
// more in the extension's wasm than the rest of this package: the
// addresses' and placeholders' case is ASCII, line names are compared with
// sameName, and the characters looked for are ASCII.

// upperASCII returns s with its ASCII letters in upper case.
func upperASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// lowerASCII returns s with its ASCII letters in lower case.
func lowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c - 'A' + 'a'
		}
	}
	return string(b)
}

// sameName reports whether two names are equal ignoring the case of Latin
// letters (ASCII, Latin-1 and Latin Extended-A: "ÉQUIPE" is "équipe",
// "ŒUVRE" is "œuvre"), as line names are written here.
func sameName(a, b string) bool {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if lowerLatin(ra) != lowerLatin(rb) {
			return false
		}
		a, b = a[na:], b[nb:]
	}
	return a == b
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

// indexAny is strings.IndexAny for ASCII chars.
func indexAny(s, chars string) int {
	for i := 0; i < len(s); i++ {
		for j := 0; j < len(chars); j++ {
			if s[i] == chars[j] {
				return i
			}
		}
	}
	return -1
}

// join is strings.Join, which would bring strings.Builder's Unicode path.
func join(list []string, sep string) string {
	out := ""
	for i, s := range list {
		if i > 0 {
			out += sep
		}
		out += s
	}
	return out
}
