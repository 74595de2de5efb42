package crm

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// This file is the REST v4_1 client of SugarCRM 6.5 and SuiteCRM 7
// (POST service/v4_1/rest.php, form fields method, input_type,
// response_type, rest_data): login, and calls with the session, logging
// in again when the CRM has dropped it.

// V4Path is where REST v4_1 answers, under the CRM's root.
const V4Path = "/service/v4_1/rest.php"

// V4Client talks REST v4_1 to one CRM as one API user. It is safe for
// concurrent use; calls share one session.
type V4Client struct {
	endpoint string // BaseURL + V4Path
	user     string
	md5Pass  string
	http     *http.Client
	pageSize int
	clock    crmClock

	mu      sync.Mutex
	session string
}

// V4Config is what a V4Client needs.
type V4Config struct {
	// BaseURL is the CRM's root, as in its record URLs:
	// https://crm.example.com (or …/suitecrm when it lives in a folder).
	BaseURL string
	// User and Password are the API user's; the password is sent as its
	// MD5, as v4_1 asks.
	User, Password string
	// HTTP is the client to use (http.DefaultClient when nil). Every call
	// takes its deadline from its context.
	HTTP *http.Client
	// PageSize is how many records one call lists (default PageSize).
	PageSize int
}

// NewV4Client checks the configuration and returns a client; it does not
// log in until the first call.
func NewV4Client(c V4Config) (*V4Client, error) {
	base, err := checkBaseURL(c.BaseURL)
	if err != nil {
		return nil, err
	}
	if err := checkUser(c.User, c.Password); err != nil {
		return nil, err
	}
	h := c.HTTP
	if h == nil {
		h = http.DefaultClient
	}
	sum := md5.Sum([]byte(c.Password))
	size := c.PageSize
	if size <= 0 {
		size = PageSize
	}
	return &V4Client{endpoint: base + V4Path, user: c.User, md5Pass: hex.EncodeToString(sum[:]), http: h, pageSize: size}, nil
}

// checkBaseURL returns the CRM's root without a trailing slash, or an
// error saying what a root looks like.
func checkBaseURL(s string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(s))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("crm: the CRM URL %q is not an http(s) address: give its root, e.g. https://crm.example.com", s)
	}
	if u.RawQuery != "" || u.Fragment != "" || strings.HasSuffix(u.Path, ".php") {
		return "", fmt.Errorf("crm: the CRM URL %q has a page or query in it: give only its root, e.g. https://crm.example.com", s)
	}
	return strings.TrimRight(u.Scheme+"://"+u.Host+u.Path, "/"), nil
}

// v4Fault is how v4_1 answers a refused call.
type v4Fault struct {
	Name        string          `json:"name"`
	Number      json.RawMessage `json:"number"`
	Description string          `json:"description"`
}

// The fault numbers the client acts on (SoapErrorDefinitions.php).
const (
	v4InvalidLogin   = "10"
	v4InvalidSession = "11"
	v4NoAccess       = "40"
)

// Call runs method with args (a struct whose fields, in order, are the
// method's parameters, the session first, left empty: Call fills it) and
// decodes the answer into out. It logs in first if needed, and once
// again if the CRM says the session is invalid.
func (c *V4Client) Call(ctx context.Context, method string, args SessionSetter, out any) error {
	for attempt := 0; ; attempt++ {
		session, err := c.sessionID(ctx)
		if err != nil {
			return err
		}
		args.SetSession(session)
		err = c.post(ctx, method, args, out)
		var f *FaultError
		if attempt == 0 && errors.As(err, &f) && f.Number == v4InvalidSession {
			c.dropSession(session)
			continue
		}
		return err
	}
}

// SessionSetter is the argument struct of a v4_1 call, which carries the
// session as its first parameter.
type SessionSetter interface{ SetSession(string) }

// Session is the first field of every call's arguments but login's.
type Session struct {
	Session string `json:"session"`
}

// SetSession sets the session.
func (s *Session) SetSession(id string) { s.Session = id }

// Login logs in now (Call logs in by itself): a way to check the
// credentials at start.
func (c *V4Client) Login(ctx context.Context) error {
	_, err := c.sessionID(ctx)
	return err
}

func (c *V4Client) sessionID(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.session != "" {
		return c.session, nil
	}
	args := struct {
		UserAuth struct {
			UserName string `json:"user_name"`
			Password string `json:"password"`
		} `json:"user_auth"`
		ApplicationName string `json:"application_name"`
		NameValueList   []any  `json:"name_value_list"`
	}{ApplicationName: "screenpop", NameValueList: []any{}}
	args.UserAuth.UserName, args.UserAuth.Password = c.user, c.md5Pass
	var out struct {
		ID string `json:"id"`
	}
	if err := c.post(ctx, "login", args, &out); err != nil {
		var f *FaultError
		if errors.As(err, &f) && f.Number == v4InvalidLogin {
			return "", &Error{Kind: ErrCredentials, Err: fmt.Errorf("the CRM refused the login of %q (%s): check the API user's name and password in the relay's config (crm-user, and SCREENPOP_CRM_PASSWORD or crm-password-file)", c.user, f.Description)}
		}
		return "", err
	}
	if out.ID == "" {
		return "", &Error{Kind: ErrAnswer, Err: fmt.Errorf("the CRM's login answer holds no session id: is %s a SugarCRM 6.5 / SuiteCRM 7 REST v4_1 endpoint?", c.endpoint)}
	}
	c.session = out.ID
	return c.session, nil
}

// dropSession forgets session, unless another call already replaced it.
func (c *V4Client) dropSession(session string) {
	c.mu.Lock()
	if c.session == session {
		c.session = ""
	}
	c.mu.Unlock()
}

// post sends one v4_1 call and decodes its answer.
func (c *V4Client) post(ctx context.Context, method string, args, out any) error {
	data, err := json.Marshal(args)
	if err != nil {
		return fmt.Errorf("crm: %s: encoding the arguments: %w", method, err)
	}
	form := url.Values{
		"method":        {method},
		"input_type":    {"JSON"},
		"response_type": {"JSON"},
		"rest_data":     {string(data)},
	}
	body, err := doHTTP(ctx, c.http, &c.clock, http.MethodPost, c.endpoint, "application/x-www-form-urlencoded", strings.NewReader(form.Encode()), nil)
	if err != nil {
		return fmt.Errorf("crm: %s: %w", method, err)
	}
	trimmed := strings.TrimSpace(string(body))
	if trimmed == "" || trimmed == "null" {
		// What v4_1 answers when the method refused without a fault
		// (an unknown module, a query its SQL check rejects).
		return &Error{Kind: ErrAnswer, Err: fmt.Errorf("%s: the CRM answered nothing: check the API user can read Contacts, Leads and Accounts, and the CRM's suitecrm.log", method)}
	}
	var f v4Fault
	if json.Unmarshal(body, &f) == nil && f.Name != "" && len(f.Number) > 0 && f.Description != "" {
		return &FaultError{Method: method, Name: f.Name, Number: strings.Trim(string(f.Number), `"`), Description: f.Description}
	}
	if err := json.Unmarshal(body, out); err != nil {
		return &Error{Kind: ErrAnswer, Err: fmt.Errorf("%s: the CRM's answer is not the JSON expected (%v): %s", method, err, snippet(body))}
	}
	return nil
}

// FaultError is a call the CRM refused with a v4_1 fault.
type FaultError struct {
	Method      string
	Name        string // "Invalid Session ID"
	Number      string // "11"
	Description string
}

func (e *FaultError) Error() string {
	what := "check the CRM's suitecrm.log"
	switch e.Number {
	case v4NoAccess:
		what = "give the API user read access to Contacts, Leads and Accounts"
	case v4InvalidSession:
		what = "the CRM dropped the session twice in a row: check its session settings"
	}
	return fmt.Sprintf("crm: %s: the CRM refused it: %s (fault %s: %s): %s", e.Method, e.Name, e.Number, e.Description, what)
}
