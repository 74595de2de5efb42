package ovhsim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"
)

// apiError is an OVH API error: JSON {"message","class"} with an HTTP
// status (go-ovh turns it into *ovh.APIError). Authentication errors also
// carry OVH's errorCode and httpCode, as the real API does.
type apiError struct {
	Status    int    `json:"-"`
	Class     string `json:"class"`
	Message   string `json:"message"`
	ErrorCode string `json:"errorCode,omitempty"`
	HTTPCode  string `json:"httpCode,omitempty"`
}

func (e *apiError) Error() string { return e.Message }

func authError(status int, code, message string) *apiError {
	class := "Client::Forbidden"
	switch status {
	case http.StatusBadRequest:
		class = "Client::BadRequest"
	case http.StatusUnauthorized:
		class = "Client::Unauthorized"
	}
	return &apiError{
		Status: status, Class: class, Message: message, ErrorCode: code,
		HTTPCode: strconv.Itoa(status) + " " + http.StatusText(status),
	}
}

// Authentication errors, with the real API's codes and messages.
var (
	errNotAuthenticated = authError(http.StatusUnauthorized, "NOT_AUTHENTICATED", "You must login first")
	errInvalidKey       = authError(http.StatusForbidden, "INVALID_KEY", "This application key is invalid")
	// An unknown consumer key is NOT_CREDENTIAL, one the user has not
	// validated yet INVALID_CREDENTIAL (python-ovh maps each to its own
	// exception, so swapping them breaks its callers).
	errNoCredential     = authError(http.StatusForbidden, "NOT_CREDENTIAL", "This credential does not exist")
	errNotValidated     = authError(http.StatusForbidden, "INVALID_CREDENTIAL", "This credential is not valid")
	errQueryTime        = authError(http.StatusBadRequest, "QUERY_TIME_OUT", "Query out of time")
	errInvalidSignature = authError(http.StatusBadRequest, "INVALID_SIGNATURE", "Invalid signature")
	errNotGranted       = authError(http.StatusForbidden, "NOT_GRANTED_CALL", "This call has not been granted")
)

func badRequest(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusBadRequest, Class: "Client::BadRequest", Message: fmt.Sprintf(format, args...)}
}

func notFound(format string, args ...any) *apiError {
	return &apiError{Status: http.StatusNotFound, Class: "Client::NotFound", Message: fmt.Sprintf(format, args...)}
}

var (
	errNoRoute   = notFound("Got an invalid (or empty) URL")
	errNoMethod  = &apiError{Status: http.StatusMethodNotAllowed, Class: "Client::MethodNotAllowed", Message: "Method not allowed"}
	errNoAppKey  = authError(http.StatusForbidden, "INVALID_KEY", "Invalid application key")
	errTooLarge  = &apiError{Status: http.StatusRequestEntityTooLarge, Class: "Client::RequestEntityTooLarge", Message: "Request body too large"}
	maxBodyBytes = int64(1 << 20)
)

// apiRequest is a /1.0 call being served.
type apiRequest struct {
	r    *http.Request
	path string   // under /1.0, e.g. /telephony/ab12345-ovh-1/service
	segs []string // path split on "/"
	body []byte
}

// decode reads the JSON body strictly into v.
func (q *apiRequest) decode(v any) *apiError {
	if len(bytes.TrimSpace(q.body)) == 0 {
		return badRequest("Request body is empty: a JSON object is expected")
	}
	d := json.NewDecoder(bytes.NewReader(q.body))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return badRequest("Invalid JSON in request body: %v", err)
	}
	return nil
}

// apiRoute is one /1.0 route: a path shape ("{}" matches one segment), the
// handlers by method, and whether calls are signed.
type apiRoute struct {
	shape    []string
	methods  map[string]func(*apiRequest) (any, *apiError)
	unsigned bool
}

func (s *Sim) apiRoutes() []apiRoute {
	return []apiRoute{
		{shape: []string{"auth", "time"}, unsigned: true, methods: map[string]func(*apiRequest) (any, *apiError){
			"GET": s.apiTime}},
		{shape: []string{"auth", "credential"}, unsigned: true, methods: map[string]func(*apiRequest) (any, *apiError){
			"POST": s.apiCredential}},
		{shape: []string{"telephony"}, methods: map[string]func(*apiRequest) (any, *apiError){
			"GET": s.apiBillingAccounts}},
		{shape: []string{"me"}, methods: map[string]func(*apiRequest) (any, *apiError){
			"GET": s.apiMe}},
		{shape: []string{"telephony", "{}", "service"}, methods: map[string]func(*apiRequest) (any, *apiError){
			"GET": s.apiServices}},
		{shape: []string{"telephony", "{}", "line"}, methods: map[string]func(*apiRequest) (any, *apiError){
			"GET": s.apiLines}},
		{shape: []string{"telephony", "{}", "eventToken"}, methods: map[string]func(*apiRequest) (any, *apiError){
			"GET": s.apiGetToken, "POST": s.apiNewToken, "DELETE": s.apiDeleteToken}},
		{shape: []string{"telephony", "{}", "service", "{}", "eventToken"}, methods: map[string]func(*apiRequest) (any, *apiError){
			"GET": s.apiGetToken, "POST": s.apiNewToken, "DELETE": s.apiDeleteToken}},
		{shape: []string{"telephony", "{}", "line", "{}", "click2Call"}, methods: map[string]func(*apiRequest) (any, *apiError){
			"POST": s.apiClick2Call}},
	}
}

func (rt *apiRoute) matches(segs []string) bool {
	if len(segs) != len(rt.shape) {
		return false
	}
	for i, want := range rt.shape {
		if segs[i] == "" || want != "{}" && want != segs[i] {
			return false
		}
	}
	return true
}

// serveAPI serves the OVH API subset under /1.0.
func (s *Sim) serveAPI(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.stats.APICalls++
	s.mu.Unlock()
	q := &apiRequest{r: r, path: strings.TrimPrefix(r.URL.Path, "/1.0")}
	q.segs = strings.Split(strings.TrimPrefix(q.path, "/"), "/")
	result, aerr := s.routeAPI(w, q)
	if aerr != nil {
		s.mu.Lock()
		s.stats.APIRejected++
		s.mu.Unlock()
		s.logf("API %s %s: %d %s", r.Method, r.URL.Path, aerr.Status, aerr.Message)
		writeAPI(w, aerr.Status, aerr)
		return
	}
	writeAPI(w, http.StatusOK, result)
}

// routeAPI checks credentials before routes, as OVH does: an unsigned or
// ungranted request gets the auth error whether its path exists or not
// (only /auth/time and /auth/credential are served unsigned).
func (s *Sim) routeAPI(w http.ResponseWriter, q *apiRequest) (any, *apiError) {
	var route *apiRoute
	routes := s.apiRoutes()
	for i := range routes {
		if routes[i].matches(q.segs) {
			route = &routes[i]
			break
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, q.r.Body, maxBodyBytes))
	if err != nil {
		return nil, errTooLarge
	}
	q.body = body
	if route == nil || !route.unsigned {
		if aerr := s.authenticate(q.r, q.path, body); aerr != nil {
			return nil, aerr
		}
	}
	if route == nil {
		return nil, errNoRoute
	}
	handle := route.methods[q.r.Method]
	if handle == nil {
		return nil, errNoMethod
	}
	return handle(q)
}

func writeAPI(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("X-Ovh-QueryID", "EU.ext-sim."+randomAlnum(8)+"."+randomAlnum(12))
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"class":"Server::InternalServerError","message":"ovhsim: cannot encode answer"}`)
	}
	h.Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	w.Write(b)
}

// GET /auth/time: the server's Unix time, a bare integer.
func (s *Sim) apiTime(q *apiRequest) (any, *apiError) {
	return s.now().Unix(), nil
}

// POST /auth/credential: a pending consumer key for an application.
func (s *Sim) apiCredential(q *apiRequest) (any, *apiError) {
	appKey := q.r.Header.Get("X-Ovh-Application")
	s.mu.Lock()
	_, ok := s.apps[appKey]
	s.mu.Unlock()
	if !ok {
		return nil, errNoAppKey
	}
	var body struct {
		AccessRules []AccessRule `json:"accessRules"`
		Redirection string       `json:"redirection"`
	}
	if err := q.decode(&body); err != nil {
		return nil, err
	}
	if len(body.AccessRules) == 0 {
		return nil, badRequest("[accessRules] Property is mandatory: at least one rule is needed")
	}
	for i, rule := range body.AccessRules {
		switch rule.Method {
		case "GET", "POST", "PUT", "DELETE":
		default:
			return nil, badRequest("[accessRules.%d.method] Given data (%s) does not belong to the http.MethodEnum enumeration", i, rule.Method)
		}
		if !strings.HasPrefix(rule.Path, "/") {
			return nil, badRequest("[accessRules.%d.path] Path must start with /: %q", i, rule.Path)
		}
	}
	s.mu.Lock()
	ck := s.newConsumerKeyLocked(appKey, body.AccessRules, body.Redirection)
	s.mu.Unlock()
	return map[string]string{
		"consumerKey":   ck.key,
		"state":         "pendingValidation",
		"validationUrl": s.baseURL(q.r) + "/sim/validate?ck=" + ck.key,
	}, nil
}

// GET /telephony: the billing accounts.
func (s *Sim) apiBillingAccounts(q *apiRequest) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.accounts))
	for name := range s.accounts {
		out = append(out, name)
	}
	sort.Strings(out)
	return out, nil
}

func (s *Sim) accountLocked(name string) (*account, *apiError) {
	ba := s.accounts[name]
	if ba == nil {
		return nil, notFound("This service does not exist")
	}
	return ba, nil
}

// GET /telephony/{ba}/service: the lines and queues of a billing account.
func (s *Sim) apiServices(q *apiRequest) (any, *apiError) {
	return s.servicesOf(q.segs[1], func(*line) bool { return true })
}

// GET /telephony/{ba}/line: the SIP lines of a billing account (its
// queues are services, not lines).
func (s *Sim) apiLines(q *apiRequest) (any, *apiError) {
	return s.servicesOf(q.segs[1], func(l *line) bool { return !l.isQueue() })
}

// servicesOf lists, sorted, the numbers of billing account name's lines
// that keep accepts.
func (s *Sim) servicesOf(name string, keep func(*line) bool) ([]string, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	ba, aerr := s.accountLocked(name)
	if aerr != nil {
		return nil, aerr
	}
	out := []string{}
	for _, l := range s.lines {
		if l.account == ba && keep(l) {
			out = append(out, l.number)
		}
	}
	sort.Strings(out)
	return out, nil
}

// me is the account GET /me answers: the fields OVH's nichandle object
// has that a client may read (nichandle, names, country, currency, …).
type me struct {
	Nichandle     string   `json:"nichandle"`
	CustomerCode  string   `json:"customerCode"`
	Email         string   `json:"email"`
	Firstname     string   `json:"firstname"`
	Name          string   `json:"name"`
	Organisation  string   `json:"organisation"`
	Legalform     string   `json:"legalform"`
	Country       string   `json:"country"`
	Language      string   `json:"language"`
	OvhCompany    string   `json:"ovhCompany"`
	OvhSubsidiary string   `json:"ovhSubsidiary"`
	State         string   `json:"state"`
	Currency      currency `json:"currency"`
}

type currency struct {
	Code   string `json:"code"`
	Symbol string `json:"symbol"`
}

// GET /me: the account the consumer key belongs to.
func (s *Sim) apiMe(q *apiRequest) (any, *apiError) {
	return me{
		Nichandle:    s.cfg.Nichandle,
		CustomerCode: "1234-5678-90",
		Email:        "contact@example.com",
		Firstname:    "Jeanne", Name: "Martin", Organisation: "Exemple SARL",
		Legalform: "corporation", Country: "FR", Language: "fr_FR",
		OvhCompany: "ovh", OvhSubsidiary: "FR", State: "complete",
		Currency: currency{Code: "EUR", Symbol: "EURO"},
	}, nil
}

// tokenScopeLocked is the scope of a …/eventToken call: the billing account
// (segs[1]) or its service (segs[3]).
func (s *Sim) tokenScopeLocked(q *apiRequest) (string, *apiError) {
	ba, aerr := s.accountLocked(q.segs[1])
	if aerr != nil {
		return "", aerr
	}
	if len(q.segs) == 3 {
		return ba.name, nil
	}
	l := s.lines[q.segs[3]]
	if l == nil || l.account != ba {
		return "", notFound("The requested object (serviceName = %s) does not exist", q.segs[3])
	}
	return l.number, nil
}

func (s *Sim) apiNewToken(q *apiRequest) (any, *apiError) {
	var body struct {
		Expiration *string `json:"expiration"`
	}
	if aerr := q.decode(&body); aerr != nil {
		return nil, aerr
	}
	if body.Expiration == nil {
		return nil, badRequest("[expiration] Property is mandatory")
	}
	if _, ok := Expirations[*body.Expiration]; !ok {
		return nil, badRequest("[expiration] Given data (%s) does not belong to the telephony.TokenExpirationEnum enumeration", *body.Expiration)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	scope, aerr := s.tokenScopeLocked(q)
	if aerr != nil {
		return nil, aerr
	}
	tok, err := s.newTokenLocked(scope, *body.Expiration)
	if err != nil {
		return nil, badRequest("%s", strings.TrimPrefix(err.Error(), "ovhsim: "))
	}
	return tok, nil
}

func (s *Sim) apiGetToken(q *apiRequest) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	scope, aerr := s.tokenScopeLocked(q)
	if aerr != nil {
		return nil, aerr
	}
	t := s.currentTokenLocked(scope)
	if t == nil {
		return nil, notFound("The requested object (eventToken) does not exist")
	}
	return map[string]string{"token": t.value}, nil
}

// DELETE …/eventToken revokes the token GET …/eventToken shows (the
// scope's newest), not the scope's other tokens: each may be held by
// another client. It answers JSON null, as OVH does (python-ovh fails on
// an empty body).
func (s *Sim) apiDeleteToken(q *apiRequest) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	scope, aerr := s.tokenScopeLocked(q)
	if aerr != nil {
		return nil, aerr
	}
	t := s.currentTokenLocked(scope)
	if t == nil {
		return nil, notFound("The requested object (eventToken) does not exist")
	}
	s.revokeLocked(t)
	return nil, nil
}

// POST /telephony/{ba}/line/{sn}/click2Call: the line calls calledNumber.
// The emulator plays it as an outbound call on the line.
func (s *Sim) apiClick2Call(q *apiRequest) (any, *apiError) {
	var body struct {
		CalledNumber  *string `json:"calledNumber"`
		CallingNumber string  `json:"callingNumber"`
		Intercom      bool    `json:"intercom"`
	}
	if aerr := q.decode(&body); aerr != nil {
		return nil, aerr
	}
	if body.CalledNumber == nil || *body.CalledNumber == "" {
		return nil, badRequest("[calledNumber] Property is mandatory")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ba, aerr := s.accountLocked(q.segs[1])
	if aerr != nil {
		return nil, aerr
	}
	l := s.lines[q.segs[3]]
	if l == nil || l.account != ba || l.isQueue() {
		return nil, notFound("The requested object (serviceName = %s) does not exist", q.segs[3])
	}
	if _, err := s.ringLocked(Call{Line: l.number, Called: *body.CalledNumber, Scenario: Outbound}); err != nil {
		return nil, &apiError{Status: http.StatusServiceUnavailable, Class: "Server::ServiceUnavailable", Message: err.Error()}
	}
	return nil, nil
}
