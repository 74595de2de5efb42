package stdlite

import (
	"strconv"
	"time"
	"unicode/utf8"
)

// JSONEncoder writes JSON the way encoding/json does (same escaping, same
// time format), so that what the background writes, the pages read with
// encoding/json.
type JSONEncoder struct {
	b     []byte
	first bool // no member written yet in the current object
}

// Bytes returns what was written.
func (e *JSONEncoder) Bytes() []byte { return e.b }

// Begin opens an object, End closes it; Key writes a member's name.
func (e *JSONEncoder) Begin() { e.b, e.first = append(e.b, '{'), true }
func (e *JSONEncoder) End()   { e.b, e.first = append(e.b, '}'), false }

func (e *JSONEncoder) Key(k string) {
	if !e.first {
		e.b = append(e.b, ',')
	}
	e.first = false
	e.b = appendQuoted(e.b, k)
	e.b = append(e.b, ':')
}

// BeginArray opens an array, Next goes to its element i, EndArray closes it.
func (e *JSONEncoder) BeginArray() { e.b = append(e.b, '[') }
func (e *JSONEncoder) EndArray()   { e.b, e.first = append(e.b, ']'), false }

func (e *JSONEncoder) Next(i int) {
	if i > 0 {
		e.b = append(e.b, ',')
	}
}

func (e *JSONEncoder) String(s string) { e.b = appendQuoted(e.b, s) }
func (e *JSONEncoder) Bool(v bool)     { e.b = strconv.AppendBool(e.b, v) }
func (e *JSONEncoder) Int(v int64)     { e.b = strconv.AppendInt(e.b, v, 10) }
func (e *JSONEncoder) Uint(v uint64)   { e.b = strconv.AppendUint(e.b, v, 10) }
func (e *JSONEncoder) Null()           { e.b = append(e.b, "null"...) }

// Time writes t as encoding/json does: RFC 3339 with nanoseconds.
func (e *JSONEncoder) Time(t time.Time) {
	e.b = append(e.b, '"')
	e.b = AppendTime(e.b, t)
	e.b = append(e.b, '"')
}

// QuoteJSON returns s as a JSON string.
func QuoteJSON(s string) string { return string(appendQuoted(nil, s)) }

const hexDigits = "0123456789abcdef"

// appendQuoted appends s as a JSON string, escaped like encoding/json (<, > and &
// as \u003c…, U+2028 and U+2029 escaped, invalid UTF-8 as U+FFFD).
func appendQuoted(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c == '\b':
				b = append(b, '\\', 'b')
			case c == '\f':
				b = append(b, '\\', 'f')
			case c < ' ' || c == '<' || c == '>' || c == '&':
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&15])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hexDigits[r&15])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
