package stdlite

import (
	"errors"
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// A JSON parser and encoder for the extension's background, which cannot
// afford encoding/json (with the reflection it brings, +320 KB gzipped on
// background.wasm, 786 → 1,107 KB, measured with Go 1.26: every cold
// start of the service worker compiles those bytes). The codecs of the
// types the background reads and writes are generated from their json
// tags by tools/jsongen onto this parser and encoder; json_test.go fuzzes
// both against encoding/json.

// JSONValue kinds.
const (
	JSONNull   = 0 // null, or a member that is absent
	JSONObject = 'o'
	JSONArray  = 'a'
	JSONString = 's'
	JSONNumber = 'n'
	JSONTrue   = 't'
	JSONFalse  = 'f'
)

// maxDepth is how many objects and arrays may be open at once:
// encoding/json's own limit, so that what it accepts, this parser accepts.
const maxDepth = 10000

// JSONValue is a parsed JSON value.
type JSONValue struct {
	Kind   byte   // JSONNull (null or absent), JSONObject, JSONArray, JSONString, JSONNumber, JSONTrue, JSONFalse
	Text   string // a string's value, a number's text
	Array  []JSONValue
	Object []JSONMember
}

type JSONMember struct {
	Key   string
	Value JSONValue
}

var null JSONValue

// Get returns member k of an object (null when absent).
func (v *JSONValue) Get(k string) *JSONValue {
	for i := range v.Object {
		if v.Object[i].Key == k {
			return &v.Object[i].Value
		}
	}
	return &null
}

func (v *JSONValue) Has(k string) bool { return v.Get(k).Kind != 0 }

// Uint is a number of plain digits (as strconv.ParseUint reads it, which
// the wasm does without: its errors bring strconv.Quote): 0 for anything
// else, math.MaxUint64 when it overflows.
func (v *JSONValue) Uint() uint64 {
	s := v.Text
	if s == "" {
		return 0
	}
	var n uint64
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return 0
		}
		if n > (math.MaxUint64-uint64(c-'0'))/10 {
			return math.MaxUint64
		}
		n = n*10 + uint64(c-'0')
	}
	return n
}

// Int is a number's integer part (0 when v is not a number), read without
// strconv, whose ParseFloat costs the wasm 5 KB gzipped and whose parse
// errors bring strconv.Quote: up to 19 significant digits, scaled by the
// exponent (JSON.stringify writes 1e21), truncated toward zero, saturated
// at the int64 bounds.
func (v *JSONValue) Int() int64 {
	if v.Kind != JSONNumber {
		return 0
	}
	s, neg := v.Text, false
	if s != "" && s[0] == '-' {
		s, neg = s[1:], true
	}
	var mant uint64
	digits, scale := 0, 0 // significant digits kept; power of ten to apply to mant
	point := false
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '.':
			point = true
			continue
		case c < '0' || c > '9':
		case digits < 19:
			if mant > 0 || c != '0' {
				mant = mant*10 + uint64(c-'0')
				digits++
			}
			if point {
				scale--
			}
			continue
		default:
			if !point {
				scale++ // a digit beyond what mant holds
			}
			continue
		}
		break
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		sign := 1
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			if s[i] == '-' {
				sign = -1
			}
			i++
		}
		e := 0
		for ; i < len(s) && '0' <= s[i] && s[i] <= '9'; i++ {
			if e < 400 {
				e = e*10 + int(s[i]-'0')
			}
		}
		scale += sign * min(e, 400)
	}
	for ; scale < 0 && mant > 0; scale++ {
		mant /= 10
	}
	for ; scale > 0 && mant > 0 && mant <= math.MaxInt64/10; scale-- {
		mant *= 10
	}
	if scale > 0 && mant > 0 || mant > math.MaxInt64 {
		if neg {
			return math.MinInt64
		}
		return math.MaxInt64
	}
	if neg {
		return -int64(mant)
	}
	return int64(mant)
}

// ParseJSON parses one JSON document.
func ParseJSON(s string) (JSONValue, error) {
	p := parser{s: s}
	v, err := p.value(0)
	if err != nil {
		return null, err
	}
	p.space()
	if p.i != len(s) {
		return null, p.fail("text after the end")
	}
	return v, nil
}

type parser struct {
	s string
	i int
}

func (p *parser) fail(what string) error {
	return errors.New("not valid JSON: " + what + " at offset " + strconv.Itoa(p.i))
}

func (p *parser) space() {
	for p.i < len(p.s) {
		switch p.s[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) value(depth int) (JSONValue, error) {
	p.space()
	if p.i >= len(p.s) {
		return null, p.fail("unexpected end")
	}
	switch c := p.s[p.i]; {
	case (c == '{' || c == '[') && depth >= maxDepth:
		return null, p.fail("nesting too deep")
	case c == '{':
		p.i++
		v := JSONValue{Kind: JSONObject, Object: []JSONMember{}}
		p.space()
		if p.i < len(p.s) && p.s[p.i] == '}' {
			p.i++
			return v, nil
		}
		for {
			p.space()
			if p.i >= len(p.s) || p.s[p.i] != '"' {
				return null, p.fail("expected a member name")
			}
			k, err := p.string()
			if err != nil {
				return null, err
			}
			p.space()
			if p.i >= len(p.s) || p.s[p.i] != ':' {
				return null, p.fail("expected :")
			}
			p.i++
			m, err := p.value(depth + 1)
			if err != nil {
				return null, err
			}
			v.Object = append(v.Object, JSONMember{Key: k, Value: m})
			p.space()
			if p.i < len(p.s) && p.s[p.i] == ',' {
				p.i++
				continue
			}
			if p.i < len(p.s) && p.s[p.i] == '}' {
				p.i++
				return v, nil
			}
			return null, p.fail("expected , or }")
		}
	case c == '[':
		p.i++
		v := JSONValue{Kind: JSONArray, Array: []JSONValue{}}
		p.space()
		if p.i < len(p.s) && p.s[p.i] == ']' {
			p.i++
			return v, nil
		}
		for {
			e, err := p.value(depth + 1)
			if err != nil {
				return null, err
			}
			v.Array = append(v.Array, e)
			p.space()
			if p.i < len(p.s) && p.s[p.i] == ',' {
				p.i++
				continue
			}
			if p.i < len(p.s) && p.s[p.i] == ']' {
				p.i++
				return v, nil
			}
			return null, p.fail("expected , or ]")
		}
	case c == '"':
		s, err := p.string()
		return JSONValue{Kind: JSONString, Text: s}, err
	case c == 't' || c == 'f' || c == 'n':
		for _, w := range [...]string{"true", "false", "null"} {
			if len(p.s)-p.i >= len(w) && p.s[p.i:p.i+len(w)] == w {
				p.i += len(w)
				switch w[0] {
				case 't':
					return JSONValue{Kind: JSONTrue}, nil
				case 'f':
					return JSONValue{Kind: JSONFalse}, nil
				}
				return null, nil
			}
		}
	case c == '-' || '0' <= c && c <= '9':
		start := p.i
		p.i++
		for p.i < len(p.s) {
			c := p.s[p.i]
			if '0' <= c && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '+' || c == '-' {
				p.i++
				continue
			}
			break
		}
		num := p.s[start:p.i]
		if !validNumber(num) {
			return null, p.fail("bad number")
		}
		return JSONValue{Kind: JSONNumber, Text: num}, nil
	}
	return null, p.fail("unexpected character")
}

// validNumber checks JSON's number grammar: -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?
func validNumber(s string) bool {
	i := 0
	digits := func() bool {
		start := i
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		return i > start
	}
	if i < len(s) && s[i] == '-' {
		i++
	}
	if i < len(s) && s[i] == '0' {
		i++
	} else if !digits() {
		return false
	}
	if i < len(s) && s[i] == '.' {
		i++
		if !digits() {
			return false
		}
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if !digits() {
			return false
		}
	}
	return i == len(s)
}

// string reads a quoted string at p.i.
func (p *parser) string() (string, error) {
	p.i++ // "
	start := p.i
	for p.i < len(p.s) && p.s[p.i] != '"' && p.s[p.i] != '\\' && p.s[p.i] >= ' ' {
		p.i++
	}
	if p.i < len(p.s) && p.s[p.i] == '"' {
		p.i++
		return p.s[start : p.i-1], nil // the common case: no escapes
	}
	b := []byte(p.s[start:p.i])
	for p.i < len(p.s) {
		c := p.s[p.i]
		switch {
		case c == '"':
			p.i++
			return string(b), nil
		case c < ' ':
			return "", p.fail("control character in a string")
		case c != '\\':
			b = append(b, c)
			p.i++
			continue
		}
		p.i++
		if p.i >= len(p.s) {
			break
		}
		e := p.s[p.i]
		p.i++
		switch e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return "", p.fail("bad \\u escape")
			}
			if 0xD800 <= r && r < 0xDC00 { // a surrogate pair
				if p.i+1 < len(p.s) && p.s[p.i] == '\\' && p.s[p.i+1] == 'u' {
					save := p.i
					p.i += 2
					if r2, ok := p.hex4(); ok && 0xDC00 <= r2 && r2 < 0xE000 {
						r = 0x10000 + (r-0xD800)<<10 + (r2 - 0xDC00)
					} else {
						p.i = save
						r = utf8.RuneError
					}
				} else {
					r = utf8.RuneError
				}
			} else if 0xDC00 <= r && r < 0xE000 {
				r = utf8.RuneError
			}
			b = utf8.AppendRune(b, r)
		default:
			return "", p.fail("bad escape")
		}
	}
	return "", p.fail("unterminated string")
}

func (p *parser) hex4() (rune, bool) {
	if len(p.s)-p.i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range []byte(p.s[p.i : p.i+4]) {
		r <<= 4
		switch {
		case '0' <= c && c <= '9':
			r |= rune(c - '0')
		case 'a' <= c && c <= 'f':
			r |= rune(c - 'a' + 10)
		case 'A' <= c && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	p.i += 4
	return r, true
}

// The Read methods set *p from v when v is of the right JSON type, and
// leave *p as it is otherwise, as encoding/json leaves a field whose
// member is absent. The generated decoders call them member by member.

func (v *JSONValue) ReadString(p *string) {
	if v.Kind == JSONString {
		*p = v.Text
	}
}

func (v *JSONValue) ReadBool(p *bool) {
	if v.Kind == JSONTrue || v.Kind == JSONFalse {
		*p = v.Kind == JSONTrue
	}
}

func (v *JSONValue) ReadInt(p *int) {
	if v.Kind == JSONNumber {
		*p = int(v.Int())
	}
}

func (v *JSONValue) ReadInt64(p *int64) {
	if v.Kind == JSONNumber {
		*p = v.Int()
	}
}

func (v *JSONValue) ReadUint64(p *uint64) {
	if v.Kind == JSONNumber {
		*p = v.Uint()
	}
}

// ReadTime reads an RFC 3339 string; a string that is not one gives the
// zero time.
func (v *JSONValue) ReadTime(p *time.Time) {
	if v.Kind == JSONString {
		*p, _ = ParseTime(v.Text)
	}
}
