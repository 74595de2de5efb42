// Package quoted puts text in double quotes for a message, the way
// strconv.Quote does for the text people type: the extension's wasm does
// without strconv.Quote and the parsers whose errors use it, whose
// Unicode printability tables and escaping cost it about 9 KB gzipped.
package quoted

import "unicode/utf8"

// String returns s in double quotes, as a Go string literal that
// strconv.Unquote turns back into s: a quote, a backslash, a control
// character or a byte that is not UTF-8 is escaped; any other character,
// non-ASCII letters included, is written as it is.
func String(s string) string {
	const hex = "0123456789abcdef"
	b := make([]byte, 0, len(s)+2)
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 || r == 0x2028 || r == 0x2029 || 0x80 <= r && r < 0xa0 || r == 0xfeff {
				for j := i; j < i+n; j++ {
					b = append(b, '\\', 'x', hex[s[j]>>4], hex[s[j]&15])
				}
			} else {
				b = append(b, s[i:i+n]...)
			}
			i += n
			continue
		}
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\t':
			b = append(b, '\\', 't')
		case '\r':
			b = append(b, '\\', 'r')
		default:
			if c < ' ' || c == 0x7f {
				b = append(b, '\\', 'x', hex[c>>4], hex[c&15])
			} else {
				b = append(b, c)
			}
		}
		i++
	}
	return string(append(b, '"'))
}
