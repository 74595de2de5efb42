//go:build !js

package ovhevent

// A hand-rolled decoder for the long-poll answer (Answer, Event, Data,
// Details). The relay decodes every answer OVH sends, and encoding/json's
// reflection plus the UnmarshalJSON round trips cost about ten times more
// than the rest of an event's journey, so this file reads the schema
// directly.
//
// The answer is converted to a string once and every field value is a
// substring of it: a string with no escapes and valid UTF-8 costs nothing.
// A string with escapes costs one allocation; one with invalid UTF-8 or a
// surrogate escape is handed to encoding/json, so that the replacements
// (U+FFFD) are exactly its own.
//
// The semantics are encoding/json's (v1), and FuzzDecodeMatchesStd checks
// it against the encoding/json reference in decode_std_test.go:
//   - keys match field names case-insensitively (Unicode simple folding,
//     as encoding/json does), and the last duplicate key wins; a duplicate
//     object or array decodes into what the first one left (merging);
//   - unknown keys are skipped, but their values must still be valid JSON,
//     nested at most 10000 deep;
//   - null leaves a string, object or event unchanged; "Events": null gives
//     a nil slice and "Events": [] an empty one; on Seconds, Nanos and Text
//     null gives zero, as their UnmarshalJSON methods do;
//   - a value of the wrong type is an error (a string field given a number,
//     Data given an array…), and so is anything after the top-level object.

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxDepth is encoding/json's nesting limit: the top-level object counts
// as 1, and an answer nested deeper than this is rejected.
const maxDepth = 10000

// maxEventsHint caps the capacity Events reserves, from the size of the
// first event, for the ones that seem to follow, so that a malformed answer
// cannot make the decoder allocate much before it finds the error. Longer
// answers grow the slice as they go.
const maxEventsHint = 64

// maxFieldName is the length of the longest field name
// (QueueMemberCIDNumber); a longer key cannot name a field.
const maxFieldName = 20

// decoder reads one answer. Every method starts at d.i, on the first byte
// of what it reads (whitespace already skipped), and leaves d.i just past it.
type decoder struct {
	s      string
	i      int
	fold   [maxFieldName + 4]byte // the current key, folded for field lookup
	member int                    // in members: the length of the current key in fold; 0 when it names no field
}

// decodeError says what is wrong, where in the answer, and in which field.
type decodeError struct {
	path string // Events[0].Data.Ts; the keys as the answer spells them
	msg  string
	off  int // byte offset in the (trimmed) answer
}

func (e *decodeError) Error() string {
	if e.path == "" {
		return fmt.Sprintf("%s (at byte %d)", e.msg, e.off)
	}
	return fmt.Sprintf("%s: %s (at byte %d)", e.path, e.msg, e.off)
}

// within prefixes err's path with the field or index it happened in.
func within(err error, seg string) error {
	if e, ok := err.(*decodeError); ok {
		if e.path == "" || e.path[0] == '[' {
			e.path = seg + e.path
		} else {
			e.path = seg + "." + e.path
		}
	}
	return err
}

func (d *decoder) errorf(format string, args ...any) error {
	return &decodeError{msg: fmt.Sprintf(format, args...), off: d.i}
}

// unexpected reports the byte at d.i (or the end of input) as a syntax error.
func (d *decoder) unexpected(context string) error {
	if d.i >= len(d.s) {
		return &decodeError{msg: "unexpected end of JSON input", off: d.i}
	}
	return d.errorf("invalid character %s %s", quoteChar(d.s[d.i]), context)
}

// quoteChar formats c as encoding/json's syntax errors do, except that a
// non-ASCII byte is shown as a byte.
func quoteChar(c byte) string {
	switch {
	case c == '\'':
		return `'\''`
	case c == '"':
		return `'"'`
	case c >= utf8.RuneSelf:
		return fmt.Sprintf(`'\x%02x'`, c) // a byte, not the rune U+00xx
	}
	s := strconv.Quote(string(rune(c)))
	return "'" + s[1:len(s)-1] + "'"
}

// typeError reports the value at d.i as not what the field holds.
func (d *decoder) typeError(want string) error {
	var got string
	switch c := d.s[d.i]; {
	case c == '"':
		got = "a string"
	case c == '{':
		got = "an object"
	case c == '[':
		got = "an array"
	case c == 't' || c == 'f':
		got = "a boolean"
	case c == 'n':
		got = "null"
	case c == '-' || '0' <= c && c <= '9':
		got = "a number"
	default:
		return d.unexpected("looking for beginning of value")
	}
	return d.errorf("expected %s, got %s", want, got)
}

// ws skips JSON whitespace.
func (d *decoder) ws() {
	for d.i < len(d.s) {
		switch d.s[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// begin is called just past '{' or '['; it reports whether the container
// holds anything, i.e. is not closed at once by end.
func (d *decoder) begin(end byte) (bool, error) {
	d.ws()
	if d.i >= len(d.s) {
		return false, d.unexpected("")
	}
	if d.s[d.i] == end {
		d.i++
		return false, nil
	}
	return true, nil
}

// next is called after a member or element; it reports whether another
// one follows (a comma) or the container ends.
func (d *decoder) next(end byte) (bool, error) {
	d.ws()
	if d.i < len(d.s) {
		switch d.s[d.i] {
		case ',':
			d.i++
			d.ws()
			if d.i < len(d.s) && (end == ']' || d.s[d.i] == '"') {
				return true, nil
			}
			if end == ']' {
				return false, d.unexpected("")
			}
			return false, d.unexpected("looking for beginning of object key string")
		case end:
			d.i++
			return false, nil
		}
	}
	if end == '}' {
		return false, d.unexpected("after object key:value pair")
	}
	return false, d.unexpected("after array element")
}

// key reads an object key and the colon after it. It returns the key as
// written (for error paths) and folds it into d.fold for field lookup,
// as encoding/json does; folded is nil when the key can name no field.
func (d *decoder) key() (raw string, folded []byte, err error) {
	if d.i >= len(d.s) || d.s[d.i] != '"' {
		return "", nil, d.unexpected("looking for beginning of object key string")
	}
	raw, err = d.str()
	if err != nil {
		return "", nil, err
	}
	d.ws()
	if d.i >= len(d.s) || d.s[d.i] != ':' {
		return "", nil, d.unexpected("after object key")
	}
	d.i++
	d.ws()
	if d.i >= len(d.s) {
		return "", nil, within(d.unexpected(""), raw)
	}
	return raw, foldKey(d.fold[:0], raw), nil
}

// foldKey is encoding/json's foldName: ASCII letters upper-cased, other
// runes replaced by the smallest rune of their Unicode fold set (so "ſ"
// folds to "S" and the Kelvin sign to "K"). It gives up (nil) once the
// result is longer than any field name.
func foldKey(out []byte, key string) []byte {
	if len(key) <= maxFieldName && len(key) <= cap(out) {
		if folded, ok := foldASCII(out[:len(key)], key); ok {
			return folded
		}
	}
	for i := 0; i < len(key); {
		if len(out) > maxFieldName {
			return nil
		}
		if c := key[i]; c < utf8.RuneSelf {
			if 'a' <= c && c <= 'z' {
				c -= 'a' - 'A'
			}
			out = append(out, c)
			i++
			continue
		}
		r, n := utf8.DecodeRuneInString(key[i:])
		out = utf8.AppendRune(out, foldRune(r))
		i += n
	}
	return out
}

// foldASCII folds an ASCII key into out, which has its length; it reports
// false if the key is not ASCII.
func foldASCII(out []byte, key string) ([]byte, bool) {
	for i := range out {
		c := key[i]
		if c >= utf8.RuneSelf {
			return nil, false
		}
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		out[i] = c
	}
	return out, true
}

// foldRune returns the smallest rune of r's fold set (encoding/json's).
func foldRune(r rune) rune {
	for {
		r2 := unicode.SimpleFold(r)
		if r2 <= r {
			return r2
		}
		r = r2
	}
}

// plain[c] is true for the bytes a string can hold that need no further
// look: printable ASCII other than '"' and '\\'.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// str reads a string literal. Without escapes and with valid UTF-8 it
// returns a substring of the answer; otherwise it unquotes it.
func (d *decoder) str() (string, error) {
	s := d.s
	start := d.i + 1
	i := start
	for i < len(s) && plain[s[i]] {
		i++
	}
	if i < len(s) && s[i] == '"' {
		d.i = i + 1
		return s[start:i], nil
	}
	// Escapes, non-ASCII bytes, control characters or the end of input.
	escaped := false
	for i < len(s) {
		switch c := s[i]; {
		case c == '"':
			d.i = i + 1
			raw := s[start:i]
			if !escaped && utf8.ValidString(raw) {
				return raw, nil
			}
			return unquote(s[start-1 : i+1]), nil
		case c == '\\':
			d.i = i
			n, err := d.escape()
			if err != nil {
				return "", err
			}
			escaped = true
			i += n
		case c < 0x20:
			d.i = i
			return "", d.unexpected("in string literal")
		default:
			i++
		}
	}
	d.i = i
	return "", d.unexpected("")
}

// escape checks the escape sequence at d.i and returns its length.
func (d *decoder) escape() (int, error) {
	s, i := d.s, d.i
	if i+1 >= len(s) {
		d.i = len(s)
		return 0, d.unexpected("")
	}
	switch s[i+1] {
	case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
		return 2, nil
	case 'u':
		for j := i + 2; j < i+6; j++ {
			if j >= len(s) {
				d.i = j
				return 0, d.unexpected("")
			}
			if unhex(s[j]) < 0 {
				d.i = j
				return 0, d.unexpected("in \\u hexadecimal character escape")
			}
		}
		return 6, nil
	}
	d.i = i + 1
	return 0, d.unexpected("in string escape code")
}

func unhex(c byte) rune {
	switch {
	case '0' <= c && c <= '9':
		return rune(c - '0')
	case 'a' <= c && c <= 'f':
		return rune(c - 'a' + 10)
	case 'A' <= c && c <= 'F':
		return rune(c - 'A' + 10)
	}
	return -1
}

// unquote unquotes a valid string literal (quotes included) that has
// escapes or non-UTF-8 bytes. Common escapes are decoded here; surrogate
// escapes and invalid UTF-8 go to encoding/json, whose replacements
// (U+FFFD for each bad byte, for a lone surrogate…) are the reference.
func unquote(lit string) string {
	if v, ok := unescape(lit[1 : len(lit)-1]); ok {
		return v
	}
	var v string
	if err := json.Unmarshal([]byte(lit), &v); err != nil {
		// Cannot happen: str validated the literal.
		panic("ovhevent: unquote of a validated string failed: " + err.Error())
	}
	return v
}

// unescape decodes the escapes of raw, whose escapes are known to be
// well-formed. It reports false when raw holds invalid UTF-8 or a surrogate
// escape, which encoding/json must handle.
func unescape(raw string) (string, bool) {
	var b strings.Builder
	b.Grow(len(raw))
	for i := 0; i < len(raw); {
		c := raw[i]
		switch {
		case c == '\\':
			switch e := raw[i+1]; e {
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				r := unhex(raw[i+2])<<12 | unhex(raw[i+3])<<8 | unhex(raw[i+4])<<4 | unhex(raw[i+5])
				if 0xD800 <= r && r < 0xE000 {
					return "", false
				}
				b.WriteRune(r)
				i += 6
				continue
			default: // '"', '\\', '/'
				b.WriteByte(e)
			}
			i += 2
		case c < utf8.RuneSelf:
			b.WriteByte(c)
			i++
		default:
			r, n := utf8.DecodeRuneInString(raw[i:])
			if r == utf8.RuneError && n == 1 {
				return "", false
			}
			b.WriteString(raw[i : i+n])
			i += n
		}
	}
	return b.String(), true
}

// literal reads true, false or null.
func (d *decoder) literal(word string) error {
	for j := 0; j < len(word); j++ {
		if d.i >= len(d.s) || d.s[d.i] != word[j] {
			return d.unexpected("in literal " + word)
		}
		d.i++
	}
	return nil
}

// number reads a number literal and returns its text.
func (d *decoder) number() (string, error) {
	s, start := d.s, d.i
	i := start
	if s[i] == '-' {
		i++
	}
	switch {
	case i < len(s) && s[i] == '0':
		i++
	case i < len(s) && '1' <= s[i] && s[i] <= '9':
		i = digits(s, i)
	default:
		d.i = i
		return "", d.unexpected("in numeric literal")
	}
	if i < len(s) && s[i] == '.' {
		if i++; i >= len(s) || s[i] < '0' || s[i] > '9' {
			d.i = i
			return "", d.unexpected("after decimal point in numeric literal")
		}
		i = digits(s, i)
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if i >= len(s) || s[i] < '0' || s[i] > '9' {
			d.i = i
			return "", d.unexpected("in exponent of numeric literal")
		}
		i = digits(s, i)
	}
	d.i = i
	return s[start:i], nil
}

// digits returns the index of the first non-digit at or after i.
func digits(s string, i int) int {
	for i < len(s) && '0' <= s[i] && s[i] <= '9' {
		i++
	}
	return i
}

// skip reads and discards any value, checking that it is valid JSON.
// depth is the nesting depth of the container the value is in.
func (d *decoder) skip(depth int) error {
	c := d.s[d.i]
	switch c {
	case '"':
		_, err := d.str()
		return err
	case 't':
		return d.literal("true")
	case 'f':
		return d.literal("false")
	case 'n':
		return d.literal("null")
	case '{', '[':
		if depth >= maxDepth {
			return d.errorf("exceeded max depth (%d nested objects and arrays)", maxDepth)
		}
		end := byte('}')
		if c == '[' {
			end = ']'
		}
		d.i++
		more, err := d.begin(end)
		for more {
			if end == '}' {
				if _, _, err := d.key(); err != nil {
					return err
				}
			}
			if err := d.skip(depth + 1); err != nil {
				return err
			}
			more, err = d.next(end)
		}
		return err
	}
	if c == '-' || '0' <= c && c <= '9' {
		_, err := d.number()
		return err
	}
	return d.unexpected("looking for beginning of value")
}

// The values of the fields. Each starts on the value's first byte.

func (d *decoder) stringValue(dst *string) error {
	switch d.s[d.i] {
	case '"':
		v, err := d.str()
		if err != nil {
			return err
		}
		*dst = v
		return nil
	case 'n':
		return d.literal("null")
	}
	return d.typeError("a string")
}

// textValue reads a Text: like Text.UnmarshalJSON, a string, a number or a
// boolean gives its text and null gives "".
func (d *decoder) textValue(dst *Text) error {
	var v string
	var err error
	switch c := d.s[d.i]; c {
	case '"':
		v, err = d.str()
	case 'n':
		err = d.literal("null")
	case 't':
		v, err = "true", d.literal("true")
	case 'f':
		v, err = "false", d.literal("false")
	case '{', '[':
		return d.typeError("a string or number")
	default:
		if c != '-' && (c < '0' || c > '9') {
			return d.unexpected("looking for beginning of value")
		}
		v, err = d.number()
	}
	if err != nil {
		return err
	}
	*dst = Text(v)
	return nil
}

// flexValue reads a Seconds or Nanos and returns the text to parse, as
// flexNumber does: a number's text, a string's trimmed content, "0" for
// null and "".
func (d *decoder) flexValue() (string, error) {
	switch c := d.s[d.i]; c {
	case '"':
		v, err := d.str()
		return flexString(v), err
	case 'n':
		return "0", d.literal("null")
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return d.number()
	}
	return "", d.typeError("a number or a string holding one")
}

func (d *decoder) secondsValue(dst *Seconds) error {
	start := d.i
	v, err := d.flexValue()
	if err != nil {
		return err
	}
	f, err := parseSeconds(v)
	if err != nil {
		d.i = start
		return d.errorf("%v", err)
	}
	*dst = f
	return nil
}

func (d *decoder) nanosValue(dst *Nanos) error {
	start := d.i
	v, err := d.flexValue()
	if err != nil {
		return err
	}
	n, err := parseNanos(v)
	if err != nil {
		d.i = start
		return d.errorf("%v", err)
	}
	*dst = n
	return nil
}

// The schema. Field names are matched folded (upper-case).

// answer reads the whole (trimmed) answer, which starts with '{'.
func (d *decoder) answer(a *Answer) error {
	d.i = 1
	more, err := d.begin('}')
	err = d.members(more, err, func() error {
		switch string(d.fold[:d.member]) {
		case "SESSION":
			return d.stringValue(&a.Session)
		case "MESSAGE":
			return d.stringValue(&a.Message)
		case "EVENTS":
			return d.events(a)
		default:
			return d.skip(1)
		}
	})
	if err != nil {
		return err
	}
	d.ws()
	if d.i < len(d.s) {
		return d.unexpected("after top-level value")
	}
	return nil
}

// events reads the Events array into a.Events the way encoding/json fills
// a slice: elements are decoded into the slice's existing elements (which
// matters only for a duplicate "Events" key), the length is cut to the
// array's, [] gives an empty slice and null a nil one.
func (d *decoder) events(a *Answer) error {
	switch d.s[d.i] {
	case 'n':
		if err := d.literal("null"); err != nil {
			return err
		}
		a.Events = nil
		return nil
	case '[':
	default:
		return d.typeError("an array of events or null")
	}
	d.i++
	more, err := d.begin(']')
	if !more {
		if err == nil {
			a.Events = []Event{}
		}
		return err
	}
	evs := a.Events
	n := 0
	if cap(evs) == 0 {
		// The usual case: size the slice once, from the first event's
		// length and what is left of the answer.
		var first Event
		start := d.i
		if err := d.element(&first); err != nil {
			return within(err, "[0]")
		}
		evs = make([]Event, 1, 1+eventsAfter(d.i-start, len(d.s)-d.i))
		evs[0] = first
		n = 1
		more, err = d.next(']')
	}
	for more && err == nil {
		if n == len(evs) {
			if n < cap(evs) {
				evs = evs[:n+1] // what a previous "Events" left there, as encoding/json does
			} else {
				evs = append(evs, Event{})
			}
		}
		if err := d.element(&evs[n]); err != nil {
			return within(err, fmt.Sprintf("[%d]", n))
		}
		n++
		more, err = d.next(']')
	}
	if err != nil {
		return err
	}
	a.Events = evs[:n]
	return nil
}

// eventsAfter guesses how many events follow one of size bytes, from the
// rest of the answer; events vary in size, so it guesses high (by a third)
// unless what is left is clearly less than an event.
func eventsAfter(size, rest int) int {
	if rest < size/2 {
		return 0
	}
	return min((rest*4/3+size-1)/size, maxEventsHint)
}

// element reads one element of Events: an event, or null, which leaves e
// as it is.
func (d *decoder) element(e *Event) error {
	switch d.s[d.i] {
	case '{':
		return d.event(e)
	case 'n':
		return d.literal("null")
	}
	return d.typeError("an event object")
}

// objectInto checks that the value at d.i is an object (or null, which
// leaves the destination unchanged) and steps into it.
func (d *decoder) objectInto(what string) (bool, error) {
	switch d.s[d.i] {
	case '{':
		d.i++
		return d.begin('}')
	case 'n':
		return false, d.literal("null")
	}
	return false, d.typeError(what)
}

func (d *decoder) event(e *Event) error {
	d.i++
	more, err := d.begin('}')
	return d.members(more, err, func() error {
		switch string(d.fold[:d.member]) {
		case "EVENT":
			return d.stringValue(&e.Event)
		case "TOKEN":
			return d.stringValue(&e.Token)
		case "SERVICE":
			return d.stringValue(&e.Service)
		case "RESSOURCE":
			return d.stringValue(&e.Ressource)
		case "TIMESTAMP":
			return d.nanosValue(&e.Timestamp)
		case "DATE":
			return d.stringValue(&e.Date)
		case "DATA":
			return d.data(&e.Data)
		case "DETAILS":
			return d.details(&e.Details)
		default:
			return d.skip(3)
		}
	})
}

func (d *decoder) data(x *Data) error {
	more, err := d.objectInto("an object (Data)")
	return d.members(more, err, func() error {
		switch string(d.fold[:d.member]) {
		case "BILLING":
			return d.stringValue(&x.Billing)
		case "BODY":
			return d.stringValue(&x.Body)
		case "CALLID":
			return d.stringValue(&x.CallId)
		case "CALLED":
			return d.stringValue(&x.Called)
		case "CALLING":
			return d.stringValue(&x.Calling)
		case "CSEQ":
			return d.stringValue(&x.Cseq)
		case "DIALED":
			return d.stringValue(&x.Dialed)
		case "EVENT":
			return d.stringValue(&x.Event)
		case "PROTOCOL":
			return d.stringValue(&x.Protocol)
		case "RELEVANTINFO":
			return d.stringValue(&x.RelevantInfo)
		case "TS":
			return d.secondsValue(&x.Ts)
		case "TSGET":
			return d.nanosValue(&x.TsGet)
		case "ACTION":
			return d.stringValue(&x.Action)
		case "AGENT":
			return d.textValue(&x.Agent)
		case "COUNT":
			return d.textValue(&x.Count)
		case "QUEUE":
			return d.textValue(&x.Queue)
		case "QUEUEAGENT":
			return d.textValue(&x.QueueAgent)
		case "QUEUEMEMBERCIDNUMBER":
			return d.stringValue(&x.QueueMemberCIDNumber)
		case "QUEUEMEMBERCIDNAME":
			return d.stringValue(&x.QueueMemberCIDName)
		case "QUEUEMEMBERUUID":
			return d.stringValue(&x.QueueMemberUUID)
		case "QUEUECAUSE":
			return d.stringValue(&x.QueueCause)
		default:
			return d.skip(4)
		}
	})
}

func (d *decoder) details(x *Details) error {
	more, err := d.objectInto("an object (Details)")
	return d.members(more, err, func() error {
		switch string(d.fold[:d.member]) {
		case "DESCRIPTION":
			return d.stringValue(&x.Description)
		case "ID":
			return d.textValue(&x.Id)
		case "IDBILLINGACCOUNT":
			return d.textValue(&x.IdBillingAccount)
		case "SIMULTANEOUSLINE":
			return d.textValue(&x.SimultaneousLine)
		case "TYPE":
			return d.stringValue(&x.Type)
		default:
			return d.skip(4)
		}
	})
}

// members reads the members of the object d has stepped into (more and
// err are what begin or objectInto said), calling field for each one with
// its key folded in d.fold[:d.member] and d.i at its value: field reads or
// skips the value. An error in a value is reported within its key.
//
// The key is left in d rather than handed to field: an argument of a
// function value escapes, and with it the decoder it points into, which
// would cost an allocation per Decode.
func (d *decoder) members(more bool, err error, field func() error) error {
	for more {
		raw, folded, kerr := d.key()
		if kerr != nil {
			return kerr
		}
		d.member = len(folded) // 0 when it names no field
		if err := field(); err != nil {
			return within(err, raw)
		}
		more, err = d.next('}')
	}
	return err
}
