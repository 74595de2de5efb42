package stdlite

// This file parses the web addresses the extension deals in — http,
// https, ws and wss URLs with a host — strictly, in a few hundred lines.
//
// It stands in for net/url, which brings fmt, reflect and net/netip along
// (dropping it, and fmt, took the background's wasm from 1,013 to 890 KB
// gzipped), for the handful of checks the extension needs: is this a CRM
// or relay address, on which host, with which origin. What it accepts,
// net/url accepts too, and reads the same way but for the case of the
// scheme and host, which it lowers (FuzzParseURL in url_test.go checks
// that on every input a fuzzer finds):
//
//	scheme "://" [ userinfo "@" ] host [ ":" port ] path [ "?" query ] [ "#" fragment ]
//
// It is strict where an address decides where a request goes, per RFC 3986:
//   - the scheme is http, https, ws or wss, in any case;
//   - userinfo is RFC 3986's (unreserved, %XX, sub-delims, ":");
//   - the host is a name of letters, digits, "-", ".", "_", "~" and
//     non-ASCII characters (an internationalised name, valid UTF-8), an IPv4
//     address, or an IPv6 address in brackets, without a zone; no %XX, no
//     sub-delims, and never a backslash, which browsers read as "/";
//   - the port is 1 to 5 digits, at most 65535.
//
// After the host it is as lenient as browsers and net/url about which
// characters appear ("|", "[", "é"…), and strict about two things only: no
// space or control character anywhere, and every % starts a %XX escape.
// The path, query and fragment are kept as written (escaped).
//
// Case is handled for ASCII only, as in hosts the browsers send us:
// package strings' Unicode case tables would weigh more than this parser.

import (
	"strings"
	"unicode/utf8"
)

// URL is a parsed web address. Its parts are as written in the address,
// except the scheme and the host, whose ASCII letters are in lower case.
type URL struct {
	Scheme   string // "http", "https", "ws" or "wss"
	User     string // the userinfo before "@", as written (HasUser says whether there was one)
	HasUser  bool
	Host     string // a name, an IPv4 address, or an IPv6 address in brackets ("[::1]")
	Port     string // the port's digits, "" when the address has none
	Path     string // "" or "/…", escaped as written
	RawQuery string // after "?", escaped as written
	Fragment string // after "#", escaped as written
}

// URLError codes: URLError.Code says what is wrong, for callers that
// explain it in their own words.
const (
	ErrURLNoScheme  = "no-scheme" // no scheme: "crm.example.com", "/path", "127.0.0.1:8080"
	ErrURLScheme    = "scheme"    // a scheme other than http, https, ws, wss; Text is it with its colon ("ftp:")
	ErrURLNoHost    = "no-host"   // no "//" after the scheme, or nothing before the port, path, query or fragment
	ErrURLUserinfo  = "userinfo"  // a character userinfo cannot hold
	ErrURLHost      = "host"      // a character a host cannot hold, or a malformed IPv6 address
	ErrURLPort      = "port"      // a port that is not 1 to 5 digits up to 65535; Text is it with its colon
	ErrURLCharacter = "character" // a space or control character
	ErrURLEscape    = "escape"    // a % not followed by two hexadecimal digits; Text is the three bytes or fewer
)

// URLError is why ParseURL refused an address.
type URLError struct {
	Code   string // one of the ErrURL… codes
	Offset int    // byte offset in the address where the problem is
	Text   string // the offending text (see the codes)
}

func (e *URLError) Error() string {
	msg, after := "invalid address", ""
	switch e.Code {
	case ErrURLNoScheme:
		return "missing scheme (http:// or https://)"
	case ErrURLNoHost:
		return "missing host"
	case ErrURLScheme:
		msg, after = "unsupported scheme ", " (not http, https, ws or wss)"
	case ErrURLUserinfo:
		msg, after = "invalid character ", " in user name or password"
	case ErrURLHost:
		msg = "invalid host "
	case ErrURLPort:
		msg, after = "invalid port ", " after host"
	case ErrURLCharacter:
		msg, after = "invalid character ", " at position "+itoa(e.Offset+1)
	case ErrURLEscape:
		msg = "invalid URL escape "
	default:
		return msg
	}
	return msg + Quote(e.Text) + after
}

func urlFail(code string, off int, text string) (*URL, error) {
	return nil, &URLError{Code: code, Offset: off, Text: text}
}

// ParseURL parses an absolute web address. It does not trim white space.
func ParseURL(s string) (*URL, error) {
	// The scheme: letters, digits, + - . after a first letter, then ":".
	colon := -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		if isAlpha(c) || i > 0 && (isDigit(c) || c == '+' || c == '-' || c == '.') {
			continue
		}
		if c == ':' && i > 0 {
			colon = i
		}
		break
	}
	if colon < 0 {
		return urlFail(ErrURLNoScheme, 0, "")
	}
	u := &URL{Scheme: ToLowerASCII(s[:colon])}
	switch u.Scheme {
	case "http", "https", "ws", "wss":
	default:
		return urlFail(ErrURLScheme, 0, s[:colon+1])
	}
	// Nothing after the scheme may be a space or a control character.
	for i := colon + 1; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f {
			return urlFail(ErrURLCharacter, i, s[i:i+1])
		}
	}
	if !strings.HasPrefix(s[colon+1:], "//") {
		return urlFail(ErrURLNoHost, colon+1, "")
	}

	// The authority runs to the first / ? or #.
	start := colon + 3
	end := len(s)
	for i := start; i < len(s); i++ { // not strings.IndexAny, whose Unicode path the wasm can do without
		if s[i] == '/' || s[i] == '?' || s[i] == '#' {
			end = i
			break
		}
	}
	hostStart := start
	if at := strings.LastIndexByte(s[start:end], '@'); at >= 0 {
		u.User, u.HasUser = s[start:start+at], true
		if i, ok := scan(u.User, isUserinfo); !ok {
			return urlFail(ErrURLUserinfo, start+i, charAt(u.User, i))
		}
		hostStart = start + at + 1
	}
	if err := u.parseHostPort(s[hostStart:end], hostStart); err != nil {
		return nil, err
	}

	// Path, query and fragment, split as net/url and browsers do: the
	// fragment after the first #, the query after the first ? before it.
	rest := s[end:]
	restAt := end
	if i, ok := scan(rest, isRest); !ok {
		return urlFail(ErrURLEscape, restAt+i, escapeAt(rest, i))
	}
	rest, u.Fragment, _ = strings.Cut(rest, "#")
	u.Path, u.RawQuery, _ = strings.Cut(rest, "?")
	return u, nil
}

// parseHostPort parses host[:port]; at is its offset, for errors.
func (u *URL) parseHostPort(hp string, at int) error {
	host := hp
	if strings.HasPrefix(hp, "[") {
		end := strings.IndexByte(hp, ']')
		if end < 0 || !isIPv6(hp[1:end]) {
			return &URLError{Code: ErrURLHost, Offset: at, Text: hp}
		}
		host = hp[:end+1]
		if rest := hp[end+1:]; rest != "" && rest[0] != ':' {
			return &URLError{Code: ErrURLHost, Offset: at, Text: hp}
		}
	} else if i := strings.IndexByte(hp, ':'); i >= 0 {
		host = hp[:i]
	}
	if host == "" {
		return &URLError{Code: ErrURLNoHost, Offset: at}
	}
	if host[0] != '[' {
		if i, ok := scan(host, isHostByte); !ok {
			return &URLError{Code: ErrURLHost, Offset: at + i, Text: host}
		}
		if !utf8.ValidString(host) {
			return &URLError{Code: ErrURLHost, Offset: at, Text: host}
		}
	}
	u.Host = ToLowerASCII(host)
	if len(hp) > len(host) {
		port := hp[len(host)+1:]
		if !validPort(port) {
			return &URLError{Code: ErrURLPort, Offset: at + len(host), Text: hp[len(host):]}
		}
		u.Port = port
	}
	return nil
}

// digits is the value of a few decimal digits (no strconv.Atoi: its errors
// bring strconv.Quote into the wasm).
func digits(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		n = n*10 + int(s[i]-'0')
	}
	return n
}

// itoa writes a non-negative int in decimal.
func itoa(n int) string {
	var b [20]byte
	i := len(b)
	for {
		i--
		b[i] = byte('0' + n%10)
		n /= 10
		if n == 0 {
			return string(b[i:])
		}
	}
}

// validPort reports whether p is 1 to 5 digits, at most 65535.
func validPort(p string) bool {
	if p == "" || len(p) > 5 {
		return false
	}
	n := 0
	for i := 0; i < len(p); i++ {
		if !isDigit(p[i]) {
			return false
		}
		n = n*10 + int(p[i]-'0')
	}
	return n <= 65535
}

// scan checks every byte of s with ok, and that every % starts a %XX
// escape; it returns the offset of the first problem.
func scan(s string, ok func(byte) bool) (int, bool) {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' {
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return i, false
			}
			if !ok('%') {
				return i, false
			}
			i += 2
			continue
		}
		if !ok(c) {
			return i, false
		}
	}
	return len(s), true
}

func charAt(s string, i int) string {
	if i >= len(s) {
		return ""
	}
	return s[i : i+1]
}

func escapeAt(s string, i int) string {
	return s[i:min(i+3, len(s))]
}

func isAlpha(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isHex(c byte) bool   { return isDigit(c) || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F' }

func isUnreserved(c byte) bool {
	return isAlpha(c) || isDigit(c) || c == '-' || c == '.' || c == '_' || c == '~'
}

func isSubDelim(c byte) bool {
	switch c {
	case '!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=':
		return true
	}
	return false
}

// isUserinfo: RFC 3986's userinfo (% is checked by scan).
func isUserinfo(c byte) bool { return isUnreserved(c) || isSubDelim(c) || c == ':' || c == '%' }

// isHostByte: a host name's bytes, non-ASCII included; no %.
func isHostByte(c byte) bool { return isUnreserved(c) || c >= 0x80 }

// isRest: any byte after the host (spaces and controls were refused
// before; % is checked by scan).
func isRest(byte) bool { return true }

// isIPv6 reports whether s is an IPv6 address as RFC 3986 writes one
// (IPv6address): eight groups of 1 to 4 hex digits, "::" once for one or
// more groups of zeros, the last two groups possibly a dotted IPv4
// address. No zone.
func isIPv6(s string) bool {
	groups, ellipsis := 0, false
	i := 0
	if strings.HasPrefix(s, "::") {
		ellipsis, i = true, 2
		if i == len(s) {
			return true
		}
	}
	for i < len(s) {
		// A group, or a dotted IPv4 address at the end.
		j := i
		for j < len(s) && j-i < 5 && isHex(s[j]) {
			j++
		}
		if j < len(s) && s[j] == '.' {
			if !isIPv4(s[i:]) {
				return false
			}
			groups += 2
			break
		}
		if j == i || j-i > 4 {
			return false
		}
		groups++
		i = j
		if i == len(s) {
			break
		}
		if s[i] != ':' {
			return false
		}
		i++
		if i < len(s) && s[i] == ':' {
			if ellipsis {
				return false
			}
			ellipsis = true
			i++
			if i == len(s) {
				break
			}
		} else if i == len(s) {
			return false // a trailing single colon
		}
	}
	if ellipsis {
		return groups <= 7
	}
	return groups == 8
}

// isIPv4 reports whether s is a dotted IPv4 address as RFC 3986 writes one:
// four decimal numbers up to 255, without leading zeros.
func isIPv4(s string) bool {
	for n := 0; n < 4; n++ {
		if n > 0 {
			if s == "" || s[0] != '.' {
				return false
			}
			s = s[1:]
		}
		j := 0
		for j < len(s) && j < 4 && isDigit(s[j]) {
			j++
		}
		if j == 0 || j > 3 || j > 1 && s[0] == '0' {
			return false
		}
		if v := digits(s[:j]); v > 255 {
			return false
		}
		s = s[j:]
	}
	return s == ""
}

// Hostname is the host without the brackets of an IPv6 address.
func (u *URL) Hostname() string {
	if strings.HasPrefix(u.Host, "[") {
		return u.Host[1 : len(u.Host)-1]
	}
	return u.Host
}

// HostPort is host[:port] as written (net/url's URL.Host).
func (u *URL) HostPort() string {
	if u.Port == "" {
		return u.Host
	}
	return u.Host + ":" + u.Port
}

// Origin is the address's origin as browsers write it (location.origin):
// scheme://host[:port], without the port when it is the scheme's default
// (80 for http and ws, 443 for https and wss).
func (u *URL) Origin() string {
	o := u.Scheme + "://" + u.Host
	if u.Port == "" {
		return o
	}
	port := digits(u.Port)
	switch {
	case port == 80 && (u.Scheme == "http" || u.Scheme == "ws"),
		port == 443 && (u.Scheme == "https" || u.Scheme == "wss"):
		return o
	}
	return o + ":" + itoa(port)
}

// PathUnescape is net/url's PathUnescape: s with each %XX escape replaced
// by the byte it stands for, "+" left as it is. A % that does not start a
// %XX escape is an error (ErrURLEscape).
func PathUnescape(s string) (string, error) {
	i, ok := scan(s, isRest)
	if !ok {
		return "", &URLError{Code: ErrURLEscape, Offset: i, Text: escapeAt(s, i)}
	}
	n := strings.Count(s, "%")
	if n == 0 {
		return s, nil
	}
	b := make([]byte, 0, len(s)-2*n)
	for i := 0; i < len(s); i++ {
		if s[i] == '%' {
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		b = append(b, s[i])
	}
	return string(b), nil
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c <= 'F':
		return c - 'A' + 10
	}
	return c - 'a' + 10
}
