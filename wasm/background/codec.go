package background

import (
	"errors"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/lean"
	"github.com/screenpop/screenpop/internal/phone"
	"github.com/screenpop/screenpop/internal/pop"
	"github.com/screenpop/screenpop/internal/settings"
	"github.com/screenpop/screenpop/internal/stream"
)

// The background's JSON, without encoding/json: encoding/json and the
// reflection it drags in cost the wasm about 200 KB gzipped, a third of
// its budget. The messages are few and fixed, so they are read and written
// field by field here. codec_test.go checks every field of every type
// against encoding/json, so a field added to stream, call, phone or
// settings without being added here fails the tests rather than being
// silently dropped.

// jsonValue is a parsed JSON value.
type jsonValue struct {
	kind byte   // 0 (null or absent), 'o', 'a', 's', 'n' (number), 't', 'f'
	str  string // a string's value, a number's text
	arr  []jsonValue
	obj  []jsonMember
}

type jsonMember struct {
	key string
	val jsonValue
}

var null jsonValue

// get returns member k of an object (null when absent). Not inlined: it
// is called for every field, and inlined copies cost the wasm kilobytes.
//
//go:noinline
func (v *jsonValue) get(k string) *jsonValue {
	for i := range v.obj {
		if v.obj[i].key == k {
			return &v.obj[i].val
		}
	}
	return &null
}

func (v *jsonValue) has(k string) bool { return v.get(k).kind != 0 }

func (v *jsonValue) String() string {
	if v.kind == 's' {
		return v.str
	}
	return ""
}

// Uint is a number of plain digits (as strconv.ParseUint reads it, which
// the wasm does without: its errors bring strconv.Quote): 0 for anything
// else, math.MaxUint64 when it overflows.
func (v *jsonValue) Uint() uint64 {
	s := v.str
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
func (v *jsonValue) Int() int64 {
	if v.kind != 'n' {
		return 0
	}
	s, neg := v.str, false
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

func (v *jsonValue) Bool() bool { return v.kind == 't' }

func (v *jsonValue) Strings() []string {
	if v.kind != 'a' {
		return nil
	}
	out := make([]string, 0, len(v.arr))
	for i := range v.arr {
		out = append(out, v.arr[i].String())
	}
	return out
}

func (v *jsonValue) Time() time.Time {
	t, _ := parseTime(v.String())
	return t
}

// parseJSON parses one JSON document.
func parseJSON(s string) (jsonValue, error) {
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

func (p *parser) value(depth int) (jsonValue, error) {
	if depth > 64 {
		return null, p.fail("nesting too deep")
	}
	p.space()
	if p.i >= len(p.s) {
		return null, p.fail("unexpected end")
	}
	switch c := p.s[p.i]; {
	case c == '{':
		p.i++
		v := jsonValue{kind: 'o', obj: []jsonMember{}}
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
			v.obj = append(v.obj, jsonMember{k, m})
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
		v := jsonValue{kind: 'a', arr: []jsonValue{}}
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
			v.arr = append(v.arr, e)
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
		return jsonValue{kind: 's', str: s}, err
	case c == 't' || c == 'f' || c == 'n':
		for _, w := range [...]string{"true", "false", "null"} {
			if len(p.s)-p.i >= len(w) && p.s[p.i:p.i+len(w)] == w {
				p.i += len(w)
				switch w[0] {
				case 't':
					return jsonValue{kind: 't'}, nil
				case 'f':
					return jsonValue{kind: 'f'}, nil
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
		return jsonValue{kind: 'n', str: num}, nil
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

// parseTime reads an RFC 3339 time as encoding/json writes it
// (2006-01-02T15:04:05.999999999Z07:00), in UTC.
func parseTime(s string) (time.Time, error) {
	bad := errors.New("not an RFC 3339 time: " + lean.Quote(s))
	num := func(from, n int) (int, bool) {
		if from+n > len(s) {
			return 0, false
		}
		v := 0
		for _, c := range []byte(s[from : from+n]) {
			if c < '0' || c > '9' {
				return 0, false
			}
			v = v*10 + int(c-'0')
		}
		return v, true
	}
	if len(s) < 20 || s[4] != '-' || s[7] != '-' || s[10] != 'T' && s[10] != 't' || s[13] != ':' || s[16] != ':' {
		return time.Time{}, bad
	}
	y, ok1 := num(0, 4)
	mo, ok2 := num(5, 2)
	d, ok3 := num(8, 2)
	h, ok4 := num(11, 2)
	mi, ok5 := num(14, 2)
	sec, ok6 := num(17, 2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, mo) || h > 23 || mi > 59 || sec > 59 {
		return time.Time{}, bad
	}
	i, ns := 19, 0
	if i < len(s) && s[i] == '.' {
		i++
		digits := 0
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			if digits < 9 {
				ns = ns*10 + int(s[i]-'0')
				digits++
			}
			i++
		}
		if digits == 0 {
			return time.Time{}, bad
		}
		for ; digits < 9; digits++ {
			ns *= 10
		}
	}
	unix := daysFromCivil(y, mo, d)*86400 + int64(h*3600+mi*60+sec)
	switch {
	case i < len(s) && (s[i] == 'Z' || s[i] == 'z') && i+1 == len(s):
	case i+6 == len(s) && (s[i] == '+' || s[i] == '-') && s[i+3] == ':':
		oh, ok1 := num(i+1, 2)
		om, ok2 := num(i+4, 2)
		if !ok1 || !ok2 {
			return time.Time{}, bad
		}
		off := int64(oh*3600 + om*60)
		if s[i] == '+' {
			off = -off
		}
		unix += off
	default:
		return time.Time{}, bad
	}
	return time.Unix(unix, int64(ns)).UTC(), nil
}

// Dates without time.Date and Time.Date, which bring the time zone
// database code into the wasm (about 10 KB gzipped): Howard Hinnant's
// conversions between proleptic Gregorian dates and days since 1970-01-01.

// daysFromCivil is the number of days from 1970-01-01 to y-m-d.
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := floorDiv(int64(y), 400)
	yoe := int64(y) - era*400                       // [0, 399]
	doy := (153*int64((m+9)%12)+2)/5 + int64(d) - 1 // [0, 365]
	doe := yoe*365 + yoe/4 - yoe/100 + doy          // [0, 146096]
	return era*146097 + doe - 719468
}

// civilFromDays is the date days after 1970-01-01.
func civilFromDays(days int64) (y, m, d int) {
	z := days + 719468
	era := floorDiv(z, 146097)
	doe := z - era*146097                                  // [0, 146096]
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365 // [0, 399]
	doy := doe - (365*yoe + yoe/4 - yoe/100)               // [0, 365]
	mp := (5*doy + 2) / 153                                // [0, 11], from March
	d = int(doy - (153*mp+2)/5 + 1)
	m = int(mp + 3)
	if m > 12 {
		m -= 12
	}
	y = int(yoe + era*400)
	if m <= 2 {
		y++
	}
	return y, m, d
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}

// daysIn is the number of days of month m of year y.
func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// message is a stream.Message plus what this extension reads beyond it.
type message struct {
	stream.Message
	// CallerName is the caller's name for an event, when the relay sends
	// one as event.callerName (a queue's QueueMemberCIDName; not sent yet).
	CallerName string
}

func decodeMessage(raw []byte) (message, error) {
	v, err := parseJSON(string(raw))
	if err != nil {
		return message{}, errors.New("the relay sent a message that is " + err.Error() + "; update the relay and the extension to matching versions")
	}
	var m message
	m.Type = v.get("type").String()
	m.ID = v.get("id").Uint()
	if e := v.get("event"); e.kind == 'o' {
		m.Event = &stream.Event{
			Name: e.get("name").String(), Call: decodeCall(e.get("call")),
			Calling: decodeNumber(e.get("calling")), Called: decodeNumber(e.get("called")),
			Duplicate: e.get("duplicate").Bool(), Received: e.get("received").Time(),
		}
		m.CallerName = e.get("callerName").String()
	}
	if h := v.get("hello"); h.kind == 'o' {
		m.Hello = &stream.Hello{Relay: h.get("relay").String(), Cursor: h.get("cursor").Uint(),
			Agent: h.get("agent").String(), Lines: h.get("lines").Strings()}
		for _, l := range h.get("live").arr {
			m.Hello.Live = append(m.Hello.Live, stream.LiveCall{Call: decodeCall(l.get("call")),
				Calling: decodeNumber(l.get("calling")), Called: decodeNumber(l.get("called"))})
		}
	}
	if g := v.get("gap"); g.kind == 'o' {
		m.Gap = &stream.Gap{From: g.get("from").Uint(), Oldest: g.get("oldest").Uint(), Reason: g.get("reason").String()}
	}
	if e := v.get("error"); e.kind == 'o' {
		m.Error = &stream.Error{Code: e.get("code").String(), Message: e.get("message").String()}
	}
	return m, nil
}

// Field setters: each sets *to[i] from the member named by the i-th word
// of keys, when present with the right type (absent members keep what the
// destination holds, as with encoding/json). One loop for many fields
// keeps the wasm small.

// next returns the first word of *keys and removes it.
func next(keys *string) string {
	k := *keys
	for i := 0; i < len(k); i++ {
		if k[i] == ' ' {
			*keys = k[i+1:]
			return k[:i]
		}
	}
	*keys = ""
	return k
}

//go:noinline
func (v *jsonValue) strs(keys string, to ...*string) {
	for _, p := range to {
		if m := v.get(next(&keys)); m.kind == 's' {
			*p = m.str
		}
	}
}

//go:noinline
func (v *jsonValue) bools(keys string, to ...*bool) {
	for _, p := range to {
		if m := v.get(next(&keys)); m.kind == 't' || m.kind == 'f' {
			*p = m.kind == 't'
		}
	}
}

//go:noinline
func (v *jsonValue) ints(keys string, to ...*int) {
	for _, p := range to {
		if m := v.get(next(&keys)); m.kind == 'n' {
			*p = int(m.Int())
		}
	}
}

//go:noinline
func (v *jsonValue) times(keys string, to ...*time.Time) {
	for _, p := range to {
		if m := v.get(next(&keys)); m.kind == 's' {
			*p, _ = parseTime(m.str)
		}
	}
}

func decodeCall(v *jsonValue) (c call.Call) {
	v.strs("line lineName id direction state calling called dialed agent offeredTo lastEvent",
		&c.Line, &c.LineName, &c.ID, (*string)(&c.Direction), (*string)(&c.State), &c.Calling, &c.Called,
		&c.Dialed, &c.Agent, &c.OfferedTo, &c.LastEvent)
	v.bools("queue", &c.Queue)
	v.times("ringAt answerAt endAt", &c.RingAt, &c.AnswerAt, &c.EndAt)
	return c
}

func decodeNumber(v *jsonValue) (n phone.Number) {
	v.strs("raw kind region", &n.Raw, (*string)(&n.Kind), &n.Region)
	f := &n.Forms
	v.get("forms").strs("e164 intl00 national grouped dotted digits nsn like",
		&f.E164, &f.Intl00, &f.National, &f.Grouped, &f.Dotted, &f.Digits, &f.NSN, &f.Like)
	return n
}

// decodeSettings reads stored settings over s (the defaults): a member
// absent keeps its default, as with encoding/json.
func decodeSettings(raw string, s *settings.Settings) error {
	v, err := parseJSON(raw)
	if err != nil {
		return err
	}
	v.strs("relayUrl secret preset crmBase template mode", &s.RelayURL, &s.Secret, &s.Preset, &s.CRMBase, &s.Template, &s.Mode)
	v.ints("windowWidth windowHeight capPerMinute", &s.WindowWidth, &s.WindowHeight, &s.CapPerMinute)
	v.bools("paused notify", &s.Paused, &s.Notify)
	if r := v.get("rules"); r.kind == 'o' {
		s.Rules = pop.Rules{Events: r.get("events").Strings(), Lines: r.get("lines").Strings()}
		r.bools("outbound withheld internal", &s.Rules.Outbound, &s.Rules.Withheld, &s.Rules.Internal)
	}
	return nil
}

func decodeView(v *jsonValue) CallView {
	cv := CallView{Call: decodeCall(v.get("call")), Calling: decodeNumber(v.get("calling")), Called: decodeNumber(v.get("called")),
		Since: v.get("since").Int()}
	v.strs("url name reason error", &cv.URL, &cv.Name, (*string)(&cv.Reason), &cv.Error)
	v.bools("popped seen missed test notified", &cv.Popped, &cv.Seen, &cv.Missed, &cv.Test, &cv.Notified)
	for i := range v.get("matches").arr {
		var m Match
		v.get("matches").arr[i].strs("name module url", &m.Name, &m.Module, &m.URL)
		cv.Matches = append(cv.Matches, m)
	}
	return cv
}

func decodeViews(v *jsonValue) []CallView {
	var out []CallView
	for i := range v.arr {
		out = append(out, decodeView(&v.arr[i]))
	}
	return out
}

// decodeState reads the state saved by encodeState, and the calls going on
// and ended from the Calls view saved with it (encodeCalls; calls may be
// ""). A state saved by an older version holds these calls itself. When
// only the calls are damaged, the state comes back without them, with the
// error: what popped must not be forgotten for a damaged history.
func decodeState(raw, calls string) (State, error) {
	v, err := parseJSON(raw)
	if err != nil {
		return State{}, err
	}
	st := State{Relay: v.get("relay").String(), Cursor: v.get("cursor").Uint(),
		Tab: int(v.get("tab").Int()), Window: int(v.get("window").Int()), Refused: v.get("refused").String()}
	lists, callsErr := &v, error(nil)
	if !v.has("live") && !v.has("recent") && calls != "" {
		c, err := parseJSON(calls)
		if err != nil {
			callsErr = errors.New("the saved calls are damaged: " + err.Error())
		}
		lists = &c
	}
	st.Live, st.Recent = decodeViews(lists.get("live")), decodeViews(lists.get("recent"))
	if p := v.get("popped"); p.kind == 'o' {
		st.Popped = make(map[string]int64, len(p.obj))
		for _, m := range p.obj {
			st.Popped[m.key] = m.val.Int()
		}
	}
	if l := v.get("last"); l.kind == 'o' {
		last := decodeView(l)
		st.Last = &last
	}
	for _, t := range v.get("cap").get("pops").arr {
		st.Cap.Pops = append(st.Cap.Pops, t.Int())
	}
	return st, callsErr
}

// PoppingKey is the storage key of the calls a pop is being asked for,
// written before the pop instead of the whole state (see worker.do): an
// object of call keys to the time they popped (Unix milliseconds).
const PoppingKey = "popping"

// popping returns, of the calls acts are about, those that popped, with
// when (st.Popped): what must be saved before their pops are asked for.
func (st *State) popping(acts []Action) map[string]int64 {
	var out map[string]int64
	for _, a := range acts {
		if t, ok := st.Popped[a.Key]; ok && a.Key != "" {
			if out == nil {
				out = map[string]int64{}
			}
			out[a.Key] = t
		}
	}
	return out
}

// encodePopping writes the calls popping for PoppingKey.
func encodePopping(popped map[string]int64) string {
	var e encoder
	e.begin()
	for k, t := range popped {
		e.int(k, t)
	}
	e.end()
	return string(e.b)
}

// mergePopping adds the calls of a saved PoppingKey record to st.Popped:
// a worker stopped after asking for a pop and before saving its whole
// state knows from them that those calls popped.
func mergePopping(st *State, raw string) error {
	v, err := parseJSON(raw)
	if err != nil {
		return err
	}
	if v.kind != 'o' {
		return errors.New("the saved pops going on are not an object")
	}
	st.init()
	for _, m := range v.obj {
		if _, ok := st.Popped[m.key]; !ok {
			st.Popped[m.key] = m.val.Int()
		}
	}
	return nil
}

// encoder writes JSON the way encoding/json does (same escaping, same
// time format), so the pages can read it with encoding/json.
type encoder struct {
	b     []byte
	first bool // no member written yet in the current object
}

func (e *encoder) begin() { e.b, e.first = append(e.b, '{'), true }
func (e *encoder) end()   { e.b, e.first = append(e.b, '}'), false }

func (e *encoder) key(k string) {
	if !e.first {
		e.b = append(e.b, ',')
	}
	e.first = false
	e.quote(k)
	e.b = append(e.b, ':')
}

func (e *encoder) str(k, v string) { e.key(k); e.quote(v) }

func (e *encoder) strOmit(k, v string) {
	if v != "" {
		e.str(k, v)
	}
}

func (e *encoder) int(k string, v int64) { e.key(k); e.b = strconv.AppendInt(e.b, v, 10) }

func (e *encoder) intOmit(k string, v int64) {
	if v != 0 {
		e.int(k, v)
	}
}

func (e *encoder) boolean(k string, v bool) { e.key(k); e.b = strconv.AppendBool(e.b, v) }

func (e *encoder) boolOmit(k string, v bool) {
	if v {
		e.boolean(k, v)
	}
}

// timeOmit writes t (omitzero) in RFC 3339 with nanoseconds, in UTC.
func (e *encoder) timeOmit(k string, t time.Time) {
	if t.IsZero() {
		return
	}
	e.key(k)
	e.b = append(e.b, '"')
	e.b = appendTime(e.b, t)
	e.b = append(e.b, '"')
}

func appendTime(b []byte, t time.Time) []byte {
	unix := t.Unix()
	y, mo, d := civilFromDays(floorDiv(unix, 86400))
	secs := int(unix - floorDiv(unix, 86400)*86400)
	h, mi, s := secs/3600, secs/60%60, secs%60
	b = appendPadded(b, y, 4)
	b = append(b, '-')
	b = appendPadded(b, mo, 2)
	b = append(b, '-')
	b = appendPadded(b, d, 2)
	b = append(b, 'T')
	b = appendPadded(b, h, 2)
	b = append(b, ':')
	b = appendPadded(b, mi, 2)
	b = append(b, ':')
	b = appendPadded(b, s, 2)
	if ns := t.Nanosecond(); ns > 0 {
		digits := 9
		for ns%10 == 0 {
			ns /= 10
			digits--
		}
		b = append(b, '.')
		b = appendPadded(b, ns, digits)
	}
	return append(b, 'Z')
}

// appendPadded appends v in decimal, zero-padded to width digits.
//
//go:noinline
func appendPadded(b []byte, v, width int) []byte {
	var buf [12]byte
	i := len(buf)
	for ; width > 0 || v > 0; width-- {
		i--
		buf[i] = byte('0' + v%10)
		v /= 10
	}
	return append(b, buf[i:]...)
}

const hexDigits = "0123456789abcdef"

// quote writes s as a JSON string, escaped like encoding/json (<, > and &
// as \u003c…, U+2028 and U+2029 escaped, invalid UTF-8 as U+FFFD).
func (e *encoder) quote(s string) {
	b := append(e.b, '"')
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
	e.b = append(b, '"')
}

func (e *encoder) strings(k string, v []string) {
	e.key(k)
	if v == nil {
		e.b = append(e.b, "null"...)
		return
	}
	e.b = append(e.b, '[')
	for i, s := range v {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.quote(s)
	}
	e.b = append(e.b, ']')
}

func (e *encoder) call(k string, c *call.Call) {
	e.key(k)
	e.begin()
	e.str("line", c.Line)
	e.strOmit("lineName", c.LineName)
	e.str("id", c.ID)
	e.boolOmit("queue", c.Queue)
	e.str("direction", string(c.Direction))
	e.str("state", string(c.State))
	e.str("calling", c.Calling)
	e.str("called", c.Called)
	e.strOmit("dialed", c.Dialed)
	e.strOmit("agent", c.Agent)
	e.strOmit("offeredTo", c.OfferedTo)
	e.timeOmit("ringAt", c.RingAt)
	e.timeOmit("answerAt", c.AnswerAt)
	e.timeOmit("endAt", c.EndAt)
	e.str("lastEvent", c.LastEvent)
	e.end()
}

func (e *encoder) number(k string, n *phone.Number) {
	e.key(k)
	e.begin()
	e.str("raw", n.Raw)
	e.str("kind", string(n.Kind))
	e.strOmit("region", n.Region)
	if f := &n.Forms; *f != (phone.Forms{}) {
		e.key("forms")
		e.begin()
		e.strOmit("e164", f.E164)
		e.strOmit("intl00", f.Intl00)
		e.strOmit("national", f.National)
		e.strOmit("grouped", f.Grouped)
		e.strOmit("dotted", f.Dotted)
		e.strOmit("digits", f.Digits)
		e.strOmit("nsn", f.NSN)
		e.strOmit("like", f.Like)
		e.end()
	}
	e.end()
}

// view writes a CallView as an object value (no key).
func (e *encoder) view(v *CallView) {
	e.begin()
	e.call("call", &v.Call)
	e.number("calling", &v.Calling)
	e.number("called", &v.Called)
	e.strOmit("url", v.URL)
	e.boolOmit("popped", v.Popped)
	e.boolOmit("seen", v.Seen)
	if len(v.Matches) > 0 {
		e.key("matches")
		e.b = append(e.b, '[')
		for i, m := range v.Matches {
			if i > 0 {
				e.b = append(e.b, ',')
			}
			e.begin()
			e.str("name", m.Name)
			e.str("module", m.Module)
			e.str("url", m.URL)
			e.end()
		}
		e.b = append(e.b, ']')
	}
	e.strOmit("name", v.Name)
	e.boolOmit("missed", v.Missed)
	e.strOmit("reason", string(v.Reason))
	e.strOmit("error", v.Error)
	e.boolOmit("test", v.Test)
	e.intOmit("since", v.Since)
	e.boolOmit("notified", v.Notified)
	e.end()
}

func (e *encoder) views(k string, vs []CallView) {
	e.key(k)
	if vs == nil {
		e.b = append(e.b, "null"...)
		return
	}
	e.b = append(e.b, '[')
	for i := range vs {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.view(&vs[i])
	}
	e.b = append(e.b, ']')
}

// encodeCalls writes the Calls view.
func encodeCalls(c *Calls) string {
	var e encoder
	e.begin()
	e.views("live", c.Live)
	e.views("recent", c.Recent)
	e.int("unseenMissed", int64(c.UnseenMissed))
	if c.Current != nil {
		e.key("current")
		e.view(c.Current)
	}
	e.end()
	return string(e.b)
}

// encodeStatus writes a Status.
func encodeStatus(s *Status) string {
	var e encoder
	e.begin()
	e.str("state", s.State)
	e.str("message", s.Message)
	e.str("relay", s.Relay)
	e.int("at", s.At)
	e.strOmit("popError", s.PopError)
	e.intOmit("popErrorAt", s.PopErrorAt)
	e.end()
	return string(e.b)
}

// encodeInPageCard writes an InPageCard.
func encodeInPageCard(c *InPageCard) string {
	var e encoder
	e.begin()
	e.str("origin", c.Origin)
	e.str("url", c.URL)
	e.key("view")
	e.view(&c.View)
	e.int("at", c.At)
	e.end()
	return string(e.b)
}

// encodeState writes the state for decodeState, without the calls going
// on and ended: they are saved once, in the Calls view (encodeCalls), so
// that the state written before a pop stays small (see worker.do).
func encodeState(st *State) string {
	var e encoder
	e.begin()
	e.str("relay", st.Relay)
	e.int("cursor", int64(st.Cursor))
	e.key("popped")
	e.begin()
	keys := make([]string, 0, len(st.Popped))
	for k := range st.Popped {
		keys = append(keys, k)
	}
	sortStrings(keys, func(a, b string) bool { return a < b })
	for _, k := range keys {
		e.int(k, st.Popped[k])
	}
	e.end()
	if st.Last != nil {
		e.key("last")
		e.view(st.Last)
	}
	e.key("cap")
	e.begin()
	e.key("pops")
	e.b = append(e.b, '[')
	for i, t := range st.Cap.Pops {
		if i > 0 {
			e.b = append(e.b, ',')
		}
		e.b = strconv.AppendInt(e.b, t, 10)
	}
	e.b = append(e.b, ']')
	e.end()
	e.intOmit("tab", int64(st.Tab))
	e.intOmit("window", int64(st.Window))
	e.strOmit("refused", st.Refused)
	e.end()
	return string(e.b)
}

// sortStrings sorts s by less: a heap sort, O(n log n) and a few hundred
// bytes of wasm where package slices' pdqsort costs 6 KB gzipped.
func sortStrings(s []string, less func(a, b string) bool) {
	sift := func(root, end int) {
		for {
			child := 2*root + 1
			if child >= end {
				return
			}
			if child+1 < end && less(s[child], s[child+1]) {
				child++
			}
			if !less(s[root], s[child]) {
				return
			}
			s[root], s[child] = s[child], s[root]
			root = child
		}
	}
	for i := len(s)/2 - 1; i >= 0; i-- {
		sift(i, len(s))
	}
	for end := len(s) - 1; end > 0; end-- {
		s[0], s[end] = s[end], s[0]
		sift(0, end)
	}
}

// quoteJSON returns s as a JSON string.
func quoteJSON(s string) string {
	var e encoder
	e.quote(s)
	return string(e.b)
}
