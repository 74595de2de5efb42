package stdlite

import "unicode/utf8"

// Quote returns s in double quotes, as a Go string literal that
// strconv.Unquote turns back into s: a quote, a backslash, a control
// character or a byte that is not UTF-8 is escaped; any other character,
// non-ASCII letters included, is written as it is.
func Quote(s string) string {
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

// TrimSpace is strings.TrimSpace: s without its leading and trailing
// white space (Unicode's White_Space, as unicode.IsSpace).
func TrimSpace(s string) string {
	for s != "" {
		r, n := utf8.DecodeRuneInString(s)
		if !isSpace(r) {
			break
		}
		s = s[n:]
	}
	for s != "" {
		r, n := utf8.DecodeLastRuneInString(s)
		if !isSpace(r) {
			break
		}
		s = s[:len(s)-n]
	}
	return s
}

// isSpace is unicode.IsSpace.
func isSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
		return true
	}
	return 0x2000 <= r && r <= 0x200A
}
