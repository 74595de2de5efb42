package relay

import (
	"bytes"
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/screenpop/screenpop/internal/stream"
	"github.com/screenpop/screenpop/server/store"
)

// The admin API, served on a loopback listener of its own (never on the
// agents' one), with a random token the relay writes to its data folder
// (readable by its user only). Agents never reach it; the CLI does:
//
//	GET  /admin/agents                 POST /admin/agents {"name","lines"}
//	POST /admin/agents/{name}/revoke   POST /admin/agents/{name}/rotate
//	PUT  /admin/agents/{name}/lines {"lines"}
//	GET  /admin/tokens                 POST /admin/tokens {TokenRequest}
//	POST /admin/tokens/remove {"value"}
//
// (A token's value never goes in a URL: URLs end up in logs.)

const maxAdminBody = 64 << 10

// AdminHandler serves the admin API over a, for callers presenting token
// as a Bearer. /healthz and /metrics are served on it too (from health
// and metrics), for monitoring on loopback only.
func AdminHandler(a Admin, token string, public http.Handler) http.Handler {
	mux := http.NewServeMux()
	handle := func(pattern string, h func(w http.ResponseWriter, req *http.Request) (any, error)) {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, req *http.Request) {
			got, _, _ := bearer(req)
			if token == "" || subtle.ConstantTimeCompare([]byte(got), []byte(token)) != 1 {
				writeError(w, errAdminAuth)
				return
			}
			v, err := h(w, req)
			if err != nil {
				writeError(w, adminError(err))
				return
			}
			writeJSON(w, http.StatusOK, v)
		})
	}
	decode := func(w http.ResponseWriter, req *http.Request, v any) error {
		if e := decodeLimited(w, req, v, maxAdminBody); e != nil {
			return e
		}
		return nil
	}
	type linesBody struct {
		Name  string   `json:"name,omitempty"`
		Lines []string `json:"lines"`
	}
	handle("GET /admin/agents", func(w http.ResponseWriter, req *http.Request) (any, error) {
		return a.ListAgents(req.Context())
	})
	handle("POST /admin/agents", func(w http.ResponseWriter, req *http.Request) (any, error) {
		var b linesBody
		if err := decode(w, req, &b); err != nil {
			return nil, err
		}
		return a.AddAgent(req.Context(), b.Name, b.Lines)
	})
	handle("POST /admin/agents/{name}/revoke", func(w http.ResponseWriter, req *http.Request) (any, error) {
		n, err := a.RevokeAgent(req.Context(), req.PathValue("name"))
		return map[string]int{"closed": n}, err
	})
	handle("POST /admin/agents/{name}/rotate", func(w http.ResponseWriter, req *http.Request) (any, error) {
		return a.RotateAgent(req.Context(), req.PathValue("name"))
	})
	handle("PUT /admin/agents/{name}/lines", func(w http.ResponseWriter, req *http.Request) (any, error) {
		var b linesBody
		if err := decode(w, req, &b); err != nil {
			return nil, err
		}
		return a.SetLines(req.Context(), req.PathValue("name"), b.Lines)
	})
	handle("GET /admin/tokens", func(w http.ResponseWriter, req *http.Request) (any, error) {
		return a.ListTokens(req.Context())
	})
	handle("POST /admin/tokens", func(w http.ResponseWriter, req *http.Request) (any, error) {
		var t TokenRequest
		if err := decode(w, req, &t); err != nil {
			return nil, err
		}
		return a.AddToken(req.Context(), t)
	})
	handle("POST /admin/tokens/remove", func(w http.ResponseWriter, req *http.Request) (any, error) {
		var b struct {
			Value string `json:"value"`
		}
		if err := decode(w, req, &b); err != nil {
			return nil, err
		}
		return map[string]bool{"removed": true}, a.RemoveToken(req.Context(), b.Value)
	})
	if public != nil {
		mux.Handle("GET /healthz", public)
		mux.Handle("GET /metrics", public)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		writeError(w, errNotFound.with("no such admin endpoint; see server/relay/admin_http.go"))
	})
	return mux
}

// adminError maps an Admin error to its HTTP answer. The store's errors
// already say what to do; they are passed on as they are.
func adminError(err error) *apiError {
	var e *apiError
	switch {
	case errors.As(err, &e):
		return e
	case errors.Is(err, store.ErrNoAgent), errors.Is(err, store.ErrNoToken):
		return errNotFound.with("%v", err)
	case errors.Is(err, store.ErrAgentExists):
		return errConflict.with("%v", err)
	case errors.Is(err, errNoDataFile):
		return errNoStore.with("%v", err)
	}
	return errBadRequest.with("%v", err)
}

// AdminClient is Admin over a running relay's admin API.
type AdminClient struct {
	URL    string // e.g. http://127.0.0.1:41234
	Token  string
	Client *http.Client // default: one with a 30 s timeout
}

// AdminError is an error the relay's admin API answered.
type AdminError struct {
	Status  int
	Code    string // stream.Code*
	Message string
}

func (e *AdminError) Error() string { return e.Message }

// Is lets callers match the store's sentinels across the wire.
func (e *AdminError) Is(target error) bool {
	switch e.Code {
	case stream.CodeNotFound:
		return target == store.ErrNoAgent || target == store.ErrNoToken
	case stream.CodeConflict:
		return target == store.ErrAgentExists
	}
	return false
}

func (c AdminClient) do(ctx context.Context, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.URL+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.Token)
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	hc := c.Client
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	resp, err := hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		var m stream.Message
		if json.Unmarshal(b, &m) == nil && m.Error != nil {
			return &AdminError{Status: resp.StatusCode, Code: m.Error.Code, Message: m.Error.Message}
		}
		return fmt.Errorf("the relay's admin API answered HTTP %d: %q", resp.StatusCode, truncate(string(b), 200))
	}
	return json.Unmarshal(b, out)
}

func (c AdminClient) AddAgent(ctx context.Context, name string, lines []string) (NewSecret, error) {
	var out NewSecret
	err := c.do(ctx, http.MethodPost, "/admin/agents", map[string]any{"name": name, "lines": lines}, &out)
	return out, err
}

func (c AdminClient) ListAgents(ctx context.Context) ([]AgentInfo, error) {
	var out []AgentInfo
	err := c.do(ctx, http.MethodGet, "/admin/agents", nil, &out)
	return out, err
}

func (c AdminClient) RevokeAgent(ctx context.Context, name string) (int, error) {
	var out struct{ Closed int }
	err := c.do(ctx, http.MethodPost, "/admin/agents/"+url.PathEscape(name)+"/revoke", nil, &out)
	return out.Closed, err
}

func (c AdminClient) RotateAgent(ctx context.Context, name string) (NewSecret, error) {
	var out NewSecret
	err := c.do(ctx, http.MethodPost, "/admin/agents/"+url.PathEscape(name)+"/rotate", nil, &out)
	return out, err
}

func (c AdminClient) SetLines(ctx context.Context, name string, lines []string) (AgentInfo, error) {
	var out AgentInfo
	err := c.do(ctx, http.MethodPut, "/admin/agents/"+url.PathEscape(name)+"/lines", map[string]any{"lines": lines}, &out)
	return out, err
}

func (c AdminClient) AddToken(ctx context.Context, t TokenRequest) (TokenInfo, error) {
	var out TokenInfo
	err := c.do(ctx, http.MethodPost, "/admin/tokens", t, &out)
	return out, err
}

func (c AdminClient) ListTokens(ctx context.Context) ([]TokenInfo, error) {
	var out []TokenInfo
	err := c.do(ctx, http.MethodGet, "/admin/tokens", nil, &out)
	return out, err
}

func (c AdminClient) RemoveToken(ctx context.Context, value string) error {
	var out struct{ Removed bool }
	return c.do(ctx, http.MethodPost, "/admin/tokens/remove", map[string]string{"value": value}, &out)
}

// Interface checks.
var (
	_ Admin = (*Relay)(nil)
	_ Admin = StoreAdmin{}
	_ Admin = AdminClient{}
)
