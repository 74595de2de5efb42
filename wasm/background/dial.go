package background

import (
	"errors"
	"strconv"
	"strings"

	"github.com/screenpop/screenpop/internal/phone"
	"github.com/screenpop/screenpop/internal/settings"
	"github.com/screenpop/screenpop/internal/stdlite"
	"github.com/screenpop/screenpop/internal/stream"
	"github.com/screenpop/screenpop/wasm/view"
)

// Click-to-call: a phone number clicked in a CRM page (content.js) or
// "call back" on a call of the popup or side panel asks the background
// (RequestDial), which asks the relay (POST stream.PathDial) to have the
// agent's line call the number through OVH. The call then comes from the
// relay like any outbound call of the line. What is decided here is
// native and tested; dial_js.go does the request.

// RequestDial is the runtime message of a click-to-call:
//
//	{"type":"dial","number":"01 23 45 67 89"[,"line":"0033…"]}  a number of a page
//	{"type":"dial","line":"0033…","id":"<call id>"}             call that call's other party back
//
// The answer is {"ok":true,"number":"01 23 45 67 89","line":"0033…"}
// (the number as the relay read it) or {"ok":false,"error":"…","code":"…"}
// (code: the relay's stream.Code…, "" when it never answered).
const RequestDial = "dial"

// Dial errors decided before the relay is asked.
var (
	ErrDialNoNumber = errors.New("this call has no number to call back (withheld or internal caller)")
	ErrDialTest     = errors.New("the test call is not a real call: there is no one to call back")
)

// maxDialLen bounds what a page may send as a number: the longest sane
// spelling ("+33 (0)1 23 45 67 89") is far shorter, and the relay
// refuses longer ones anyway (its number parser stops at 64 bytes).
const maxDialLen = 64

// DialFor is the relay request for a RequestDial: the call line/id's
// other party from the line it came on (id set), or number from line
// (line "": the line the agent last had a call on, else none, and the
// relay takes the agent's only line).
func (st *Memory) DialFor(line, id, number string) (stream.Dial, error) {
	if id != "" {
		v := st.find(line + "|" + id)
		if v == nil {
			return stream.Dial{}, ErrNoCall
		}
		if v.Test {
			return stream.Dial{}, ErrDialTest
		}
		other := view.OtherParty(*v)
		if other.Kind != phone.Valid || other.Forms.E164 == "" {
			return stream.Dial{}, ErrDialNoNumber
		}
		d := stream.Dial{Number: other.Forms.E164}
		if !v.Call.Queue { // a queue cannot call: the relay picks the agent's line
			d.Line = v.Call.Line
		}
		return d, nil
	}
	number = strings.Join(strings.Fields(number), " ")
	if number == "" {
		return stream.Dial{}, errors.New("no number to call")
	}
	if len(number) > maxDialLen {
		return stream.Dial{}, errors.New(stdlite.Quote(number[:20]+"…") + " is not a phone number")
	}
	if line == "" {
		line = st.dialLine()
	}
	return stream.Dial{Line: line, Number: number}, nil
}

// dialLine is the line of the agent's latest call that can call (not a
// queue, not the test pop), "" when there is none: an agent with several
// lines calls from the one they last used.
func (st *Memory) dialLine() string {
	latest := func(vs []CallView, newestFirst bool) string {
		for i := range vs {
			v := &vs[i]
			if !newestFirst {
				v = &vs[len(vs)-1-i]
			}
			if !v.Test && !v.Call.Queue && v.Call.Line != "" && v.Call.Line != TestLine {
				return v.Call.Line
			}
		}
		return ""
	}
	if l := latest(st.Live, false); l != "" { // Live is oldest first
		return l
	}
	return latest(st.Recent, true)
}

// DialURL is the relay's click-to-call endpoint, from its address as the
// agent entered it (http or https, maybe with a path prefix).
func DialURL(relay string) (string, error) {
	return settings.APIURL(relay, stream.PathDial)
}

// dialBody is d as the relay reads it.
func dialBody(d stream.Dial) string {
	var e stdlite.JSONEncoder
	encodeStreamDial(&e, &d)
	return string(e.Bytes())
}

// RelayError is a refusal the relay explained: its code (stream.Code…)
// and its message, which says what to do.
type RelayError struct {
	Code    string
	Message string
}

func (e *RelayError) Error() string { return e.Message }

// relayAnswer reads the relay's answer to an agent API request: nil for
// a 2xx, else the relay's error, or one saying what came instead.
func relayAnswer(status int, body string) error {
	if status >= 200 && status < 300 {
		return nil
	}
	if m, err := decodeMessage([]byte(body)); err == nil && m.Error != nil && m.Error.Message != "" {
		return &RelayError{Code: m.Error.Code, Message: m.Error.Message}
	}
	if status == 404 {
		return &RelayError{Code: stream.CodeNotFound, Message: "this relay does not know the request (HTTP 404): it is older than the extension; ask its administrator to update it"}
	}
	return errors.New("the relay answered HTTP " + strconv.Itoa(status) + " without saying why; try again, or ask its administrator to look at its log")
}

// dialed reads the relay's answer to a click-to-call it accepted.
func dialed(body string) stream.Dialed {
	var d stream.Dialed
	if v, err := stdlite.ParseJSON(body); err == nil {
		decodeStreamDialed(&v, &d)
	}
	return d
}

// dialAnswer is what the page that asked for a dial is told: the number
// as the relay read it (grouped as its country writes it), or the
// error, with the relay's code when it gave one.
func dialAnswer(d stream.Dialed, asked string, err error) map[string]any {
	if err != nil {
		a := map[string]any{"ok": false, "error": err.Error(), "code": ""}
		var re *RelayError
		if errors.As(err, &re) {
			a["code"] = re.Code
		}
		return a
	}
	number := d.Number.Forms.Grouped
	if number == "" {
		number = asked
	}
	return map[string]any{"ok": true, "number": number, "line": d.Line}
}
