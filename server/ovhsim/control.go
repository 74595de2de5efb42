package ovhsim

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"strings"
)

// The control API drives the emulator over HTTP, for the relay's demo mode
// and for tests not written in Go. Everything is JSON under /sim/; errors
// are {"error":"…"} with a 4xx status.
//
//	POST   /sim/call              Call as JSON        → {"callId":"…"}
//	POST   /sim/call/{id}/end                         → {"callId":"…","ended":true}
//	GET    /sim/fault                                 → {"fault":"…"}
//	POST   /sim/fault             {"fault":"5xx"}     → {"fault":"5xx"}
//	GET    /sim/order                                 → {"order":"ovh"}
//	POST   /sim/order             {"order":"legacy"}  → {"order":"legacy"}
//	GET    /sim/lines                                 → [LineInfo…]
//	POST   /sim/lines             LineInfo            → LineInfo
//	POST   /sim/token             {"scope","expiration"} → {"token":"…"}
//	DELETE /sim/token/{token}                         → {"revoked":true}
//	POST   /sim/register          {"line":"…"}        → {}
//	GET    /sim/stats                                 → Stats
//	GET    /sim/validate?ck=…     validates an OVH API consumer key (the
//	                              validationUrl of POST /1.0/auth/credential)
func (s *Sim) controlHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /sim/call", s.ctlRing)
	mux.HandleFunc("POST /sim/call/{id}/end", s.ctlEndCall)
	mux.HandleFunc("GET /sim/fault", s.ctlGetFault)
	mux.HandleFunc("POST /sim/fault", s.ctlSetFault)
	mux.HandleFunc("GET /sim/order", s.ctlGetOrder)
	mux.HandleFunc("POST /sim/order", s.ctlSetOrder)
	mux.HandleFunc("GET /sim/lines", s.ctlLines)
	mux.HandleFunc("POST /sim/lines", s.ctlAddLine)
	mux.HandleFunc("POST /sim/token", s.ctlNewToken)
	mux.HandleFunc("DELETE /sim/token/{token}", s.ctlRevokeToken)
	mux.HandleFunc("POST /sim/register", s.ctlRegister)
	mux.HandleFunc("GET /sim/stats", s.ctlStats)
	mux.HandleFunc("GET /sim/validate", s.ctlValidate)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Access-Control-Allow-Origin", "*")
		if r.Method == http.MethodOptions {
			h.Set("Access-Control-Allow-Methods", "GET, POST, DELETE, OPTIONS")
			h.Set("Access-Control-Allow-Headers", "Content-Type")
			w.WriteHeader(http.StatusNoContent)
			return
		}
		if _, pattern := mux.Handler(r); pattern == "" {
			ctlError(w, http.StatusNotFound, fmt.Sprintf("no control route %s %s", r.Method, r.URL.Path))
			return
		}
		mux.ServeHTTP(w, r)
	})
}

func ctlJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func ctlError(w http.ResponseWriter, status int, msg string) {
	ctlJSON(w, status, map[string]string{"error": msg})
}

// decodeBody decodes a JSON body strictly into v, or answers 400 and
// returns false.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		ctlError(w, http.StatusBadRequest, "reading body: "+err.Error())
		return false
	}
	if len(bytes.TrimSpace(b)) == 0 {
		ctlError(w, http.StatusBadRequest, "empty body: want a JSON object")
		return false
	}
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		ctlError(w, http.StatusBadRequest, "invalid JSON body: "+err.Error())
		return false
	}
	if d.More() {
		ctlError(w, http.StatusBadRequest, "invalid JSON body: data after the object")
		return false
	}
	return true
}

func (s *Sim) ctlRing(w http.ResponseWriter, r *http.Request) {
	var c Call
	if !decodeBody(w, r, &c) {
		return
	}
	id, err := s.Ring(c)
	if err != nil {
		ctlError(w, http.StatusBadRequest, strings.TrimPrefix(err.Error(), "ovhsim: "))
		return
	}
	ctlJSON(w, http.StatusOK, map[string]string{"callId": id})
}

func (s *Sim) ctlEndCall(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if !s.endCall(id) {
		ctlError(w, http.StatusNotFound, fmt.Sprintf("no call %q being played (finished, ended or never started)", id))
		return
	}
	ctlJSON(w, http.StatusOK, map[string]any{"callId": id, "ended": true})
}

func (s *Sim) ctlGetFault(w http.ResponseWriter, r *http.Request) {
	ctlJSON(w, http.StatusOK, map[string]Fault{"fault": s.CurrentFault()})
}

func (s *Sim) ctlSetFault(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Fault *Fault `json:"fault"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	if body.Fault == nil {
		ctlError(w, http.StatusBadRequest, `missing "fault" (use "" to repair)`)
		return
	}
	if !body.Fault.Valid() {
		ctlError(w, http.StatusBadRequest, fmt.Sprintf("unknown fault %q: want one of %q", *body.Fault, Faults))
		return
	}
	s.SetFault(*body.Fault)
	ctlJSON(w, http.StatusOK, map[string]Fault{"fault": *body.Fault})
}

func (s *Sim) ctlGetOrder(w http.ResponseWriter, r *http.Request) {
	ctlJSON(w, http.StatusOK, map[string]Order{"order": s.CurrentOrder()})
}

// ctlSetOrder sets the order of calls rung from now on (the tolerance
// tests' legacy orders, or the service's).
func (s *Sim) ctlSetOrder(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Order *Order `json:"order"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	if body.Order == nil || *body.Order == "" || !body.Order.Valid() {
		got := "nothing"
		if body.Order != nil {
			got = fmt.Sprintf("%q", *body.Order)
		}
		ctlError(w, http.StatusBadRequest, fmt.Sprintf(`"order" is %s: want one of %q`, got, Orders))
		return
	}
	s.SetOrder(*body.Order)
	ctlJSON(w, http.StatusOK, map[string]Order{"order": *body.Order})
}

func (s *Sim) ctlLines(w http.ResponseWriter, r *http.Request) {
	ctlJSON(w, http.StatusOK, s.Lines())
}

func (s *Sim) ctlAddLine(w http.ResponseWriter, r *http.Request) {
	var l LineInfo
	if !decodeBody(w, r, &l) {
		return
	}
	switch {
	case l.BillingAccount == "":
		ctlError(w, http.StatusBadRequest, `missing "billingAccount"`)
		return
	case l.Line == "":
		ctlError(w, http.StatusBadRequest, `missing "line"`)
		return
	}
	switch l.Type {
	case "", KindLine:
		l.Type = KindLine
		s.AddLine(l.BillingAccount, l.Line, l.Description)
	case KindEasyHunting, KindCloudHunting:
		s.AddQueue(l.BillingAccount, l.Line, l.Description, l.Type)
	default:
		ctlError(w, http.StatusBadRequest, fmt.Sprintf("unknown type %q: want %q, %q or %q", l.Type, KindLine, KindEasyHunting, KindCloudHunting))
		return
	}
	ctlJSON(w, http.StatusOK, l)
}

func (s *Sim) ctlNewToken(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Scope      string `json:"scope"`
		Expiration string `json:"expiration"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	if body.Scope == "" {
		ctlError(w, http.StatusBadRequest, `missing "scope": a line or a billing account`)
		return
	}
	if body.Expiration == "" {
		body.Expiration = "1 day"
	}
	tok, err := s.NewToken(body.Scope, body.Expiration)
	if err != nil {
		ctlError(w, http.StatusBadRequest, strings.TrimPrefix(err.Error(), "ovhsim: "))
		return
	}
	ctlJSON(w, http.StatusOK, map[string]string{"token": tok})
}

func (s *Sim) ctlRevokeToken(w http.ResponseWriter, r *http.Request) {
	v := r.PathValue("token")
	s.mu.Lock()
	t := s.tokens[v]
	if t != nil {
		s.revokeLocked(t)
	}
	s.mu.Unlock()
	if t == nil {
		ctlError(w, http.StatusNotFound, fmt.Sprintf("no token %q", v))
		return
	}
	ctlJSON(w, http.StatusOK, map[string]bool{"revoked": true})
}

func (s *Sim) ctlRegister(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Line string `json:"line"`
	}
	if !decodeBody(w, r, &body) {
		return
	}
	if err := s.Register(body.Line); err != nil {
		ctlError(w, http.StatusBadRequest, strings.TrimPrefix(err.Error(), "ovhsim: "))
		return
	}
	ctlJSON(w, http.StatusOK, struct{}{})
}

func (s *Sim) ctlStats(w http.ResponseWriter, r *http.Request) {
	ctlJSON(w, http.StatusOK, s.Stats())
}

// ctlValidate is the page a user visits to validate a consumer key. It
// redirects to the credential's redirection when there is one.
func (s *Sim) ctlValidate(w http.ResponseWriter, r *http.Request) {
	ck := r.URL.Query().Get("ck")
	redirection, err := s.validateConsumerKey(ck)
	if err != nil {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprintf(w, "<!DOCTYPE html><title>ovhsim</title><p>%s</p>\n", html.EscapeString(err.Error()))
		return
	}
	if redirection != "" {
		http.Redirect(w, r, redirection, http.StatusFound)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	fmt.Fprintf(w, "<!DOCTYPE html><title>ovhsim</title><p>Consumer key %s validated.</p>\n", html.EscapeString(ck))
}

var errNoConsumerKey = errors.New("ovhsim: no such consumer key")
