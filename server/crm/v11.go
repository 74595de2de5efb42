package crm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"
)

// This file is the REST v11 client of Sugar 7 and later (Sell, Serve,
// Enterprise): OAuth2's password grant on a platform of its own (one
// session per platform: logging in as "base" would log the API user out
// of the web UI), the access token sent as OAuth-Token, refreshed with
// the refresh token when it expires, and a fresh login when that fails.

// V11Path is where REST v11 answers, under the CRM's root.
const V11Path = "/rest/v11"

// DefaultPlatform is the OAuth2 platform the relay logs in on. Sugar
// 7.9 and later accept only the platforms an admin declared: Admin →
// Configure API Platforms → add "screenpop".
const DefaultPlatform = "screenpop"

// V11Client talks REST v11 to one Sugar instance as one API user. It is
// safe for concurrent use.
type V11Client struct {
	base     string // BaseURL + V11Path
	user     string
	password string
	platform string
	clientID string
	secret   string
	http     *http.Client
	pageSize int
	now      func() time.Time
	clock    crmClock

	mu      sync.Mutex
	access  string
	refresh string
	expires time.Time
}

// V11Config is what a V11Client needs.
type V11Config struct {
	BaseURL        string // the CRM's root: https://acme.sugarondemand.com
	User, Password string
	// Platform is the OAuth2 platform (DefaultPlatform when empty).
	Platform string
	// ClientID and ClientSecret are the OAuth2 client (Sugar's own
	// "sugar" with no secret when empty).
	ClientID, ClientSecret string
	HTTP                   *http.Client
	PageSize               int              // default PageSize
	Now                    func() time.Time // the clock of token expiry (time.Now)
}

// NewV11Client checks the configuration and returns a client; it logs in
// at the first call.
func NewV11Client(c V11Config) (*V11Client, error) {
	base, err := checkBaseURL(c.BaseURL)
	if err != nil {
		return nil, err
	}
	if err := checkUser(c.User, c.Password); err != nil {
		return nil, err
	}
	v := &V11Client{base: base + V11Path, user: c.User, password: c.Password, platform: c.Platform,
		clientID: c.ClientID, secret: c.ClientSecret, http: c.HTTP, pageSize: c.PageSize, now: c.Now}
	if v.platform == "" {
		v.platform = DefaultPlatform
	}
	if v.platform == "base" || v.platform == "mobile" || v.platform == "portal" {
		return nil, fmt.Errorf("crm: the OAuth2 platform %q is one of Sugar's own apps: logging in on it logs the API user out of that app; use a platform of your own (%q), declared in Admin → Configure API Platforms", v.platform, DefaultPlatform)
	}
	if v.clientID == "" {
		v.clientID = "sugar"
	}
	if v.http == nil {
		v.http = http.DefaultClient
	}
	if v.pageSize <= 0 {
		v.pageSize = PageSize
	}
	if v.now == nil {
		v.now = time.Now
	}
	return v, nil
}

// v11Token is the token endpoint's answer.
type v11Token struct {
	AccessToken  string `json:"access_token"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
}

// v11Error is how v11 answers a refusal.
type v11Error struct {
	Error   string `json:"error"`
	Message string `json:"error_message"`
}

// tokenMargin renews a token this long before it expires, so that a call
// does not start with a token about to die.
const tokenMargin = 30 * time.Second

// Login logs in now (calls log in by themselves): a way to check the
// credentials at start.
func (v *V11Client) Login(ctx context.Context) error {
	_, err := v.token(ctx, "")
	return err
}

// token returns a valid access token. stale, when not empty, is a token
// the CRM just refused: it is renewed even if it looks unexpired.
func (v *V11Client) token(ctx context.Context, stale string) (string, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.access != "" && v.access != stale && v.now().Before(v.expires.Add(-tokenMargin)) {
		return v.access, nil
	}
	if v.refresh != "" {
		tok, err := v.grant(ctx, map[string]string{"grant_type": "refresh_token", "refresh_token": v.refresh})
		if err == nil {
			return v.keep(tok), nil
		}
		if k := KindOf(err); k != ErrCredentials {
			return "", err // the CRM is down: a login would fail too
		}
		// The refresh token expired or was revoked: log in again.
	}
	tok, err := v.grant(ctx, map[string]string{"grant_type": "password", "username": v.user, "password": v.password})
	if err != nil {
		return "", err
	}
	return v.keep(tok), nil
}

func (v *V11Client) keep(t v11Token) string {
	v.access, v.refresh = t.AccessToken, t.RefreshToken
	v.expires = v.now().Add(time.Duration(t.ExpiresIn) * time.Second)
	return v.access
}

// grant posts to the token endpoint.
func (v *V11Client) grant(ctx context.Context, fields map[string]string) (v11Token, error) {
	fields["client_id"], fields["client_secret"], fields["platform"] = v.clientID, v.secret, v.platform
	body, _ := json.Marshal(fields)
	data, err := doHTTP(ctx, v.http, &v.clock, http.MethodPost, v.base+"/oauth2/token", "application/json", bytes.NewReader(body), nil)
	var se *statusError
	if errors.As(err, &se) {
		var e v11Error
		json.Unmarshal(se.body, &e)
		msg := e.Message
		if msg == "" {
			msg = e.Error
		}
		switch {
		case strings.Contains(strings.ToLower(msg), "platform"):
			return v11Token{}, &Error{Kind: ErrCredentials, Err: fmt.Errorf("Sugar refused the OAuth2 platform %q (%s): an admin must declare it in Admin → Configure API Platforms", v.platform, msg)}
		case e.Error == "invalid_client":
			return v11Token{}, &Error{Kind: ErrCredentials, Err: fmt.Errorf("Sugar refused the OAuth2 client %q (%s): check the client id and secret in the relay's config (Admin → OAuth Keys)", v.clientID, msg)}
		case e.Error == "invalid_grant" && fields["grant_type"] == "refresh_token":
			return v11Token{}, &Error{Kind: ErrCredentials, Err: fmt.Errorf("Sugar refused the refresh token (%s)", msg)}
		case e.Error == "invalid_grant" || e.Error == "need_login" || se.code == http.StatusUnauthorized:
			return v11Token{}, &Error{Kind: ErrCredentials, Err: fmt.Errorf("Sugar refused the login of %q (%s): check the API user's name and password in the relay's config (crm-user, and SCREENPOP_CRM_PASSWORD or crm-password-file)", v.user, msg)}
		}
		return v11Token{}, &Error{Kind: ErrAnswer, Err: fmt.Errorf("Sugar's token endpoint: %v", se)}
	}
	if err != nil {
		return v11Token{}, fmt.Errorf("crm: logging in to Sugar: %w", err)
	}
	var t v11Token
	if err := json.Unmarshal(data, &t); err != nil || t.AccessToken == "" {
		return v11Token{}, &Error{Kind: ErrAnswer, Err: fmt.Errorf("%s/oauth2/token gave no access token (%s): is this a Sugar 7+ REST v11 endpoint?", v.base, snippet(data))}
	}
	return t, nil
}

// Call sends one API request (path under /rest/v11, e.g.
// "/Contacts/filter") with an access token, renewing it once if the CRM
// says it expired, and decodes the JSON answer into out.
func (v *V11Client) Call(ctx context.Context, method, path string, in, out any) error {
	var body []byte
	if in != nil {
		var err error
		if body, err = json.Marshal(in); err != nil {
			return fmt.Errorf("crm: %s: encoding the request: %w", path, err)
		}
	}
	stale := ""
	for attempt := 0; ; attempt++ {
		tok, err := v.token(ctx, stale)
		if err != nil {
			return err
		}
		data, err := doHTTP(ctx, v.http, &v.clock, method, v.base+path, "application/json", bytes.NewReader(body), http.Header{"Oauth-Token": {tok}})
		var se *statusError
		if errors.As(err, &se) {
			var e v11Error
			json.Unmarshal(se.body, &e)
			if se.code == http.StatusUnauthorized && attempt == 0 {
				stale = tok
				continue
			}
			switch {
			case se.code == http.StatusUnauthorized:
				return &Error{Kind: ErrCredentials, Err: fmt.Errorf("%s: Sugar refused a fresh token (%s %s): check the API user is active", path, e.Error, e.Message)}
			case se.code == http.StatusForbidden:
				return &Error{Kind: ErrCredentials, Err: fmt.Errorf("%s: Sugar refused access (%s %s): give the API user read access to Contacts, Leads and Accounts", path, e.Error, e.Message)}
			}
			return &Error{Kind: ErrAnswer, Err: fmt.Errorf("%s: %v", path, se)}
		}
		if err != nil {
			return fmt.Errorf("crm: %s: %w", path, err)
		}
		if err := json.Unmarshal(data, out); err != nil {
			return &Error{Kind: ErrAnswer, Err: fmt.Errorf("%s: Sugar's answer is not the JSON expected (%v): %s", path, err, snippet(data))}
		}
		return nil
	}
}
