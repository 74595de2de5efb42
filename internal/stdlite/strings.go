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
		if !IsSpace(r) {
			break
		}
		s = s[n:]
	}
	for s != "" {
		r, n := utf8.DecodeLastRuneInString(s)
		if !IsSpace(r) {
			break
		}
		s = s[:len(s)-n]
	}
	return s
}

// IsSpace is unicode.IsSpace, without its tables.
func IsSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0x85, 0xA0, 0x1680, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
		return true
	}
	return 0x2000 <= r && r <= 0x200A
}

// ToUpperASCII is strings.ToUpper for ASCII letters: s with a to z in
// upper case, every other byte as it is. (strings.ToUpper and ToLower in
// their place cost the background's wasm 6.6 KB gzipped: Unicode's case
// tables.) The extension changes the case of schemes, hosts and
// placeholder names, which are ASCII.
func ToUpperASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'a' <= c && c <= 'z' {
			b[i] = c - 'a' + 'A'
		}
	}
	return string(b)
}

// ToLowerASCII is strings.ToLower for ASCII letters: s with A to Z in
// lower case, every other byte as it is.
func ToLowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c - 'A' + 'a'
		}
	}
	return string(b)
}

// IndexAnyASCII is strings.IndexAny for chars that are all ASCII: the
// index of the first byte of s that is one of chars, or -1.
// (strings.IndexAny in its place costs the background's wasm 2.8 KB
// gzipped: its UTF-8 and ASCII-set paths.)
func IndexAnyASCII(s, chars string) int {
	for i := 0; i < len(s); i++ {
		for j := 0; j < len(chars); j++ {
			if s[i] == chars[j] {
				return i
			}
		}
	}
	return -1
}
