package crm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// maxAnswer bounds what one call reads: a page of 200 records with their
// phone fields is under a megabyte; more is not an answer of the API.
const maxAnswer = 64 << 20

// crmClock is the CRM's clock as its answers' Date headers read it: the
// latest seen.
type crmClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *crmClock) observe(h http.Header) {
	t, err := http.ParseTime(h.Get("Date"))
	if err != nil {
		return
	}
	c.mu.Lock()
	if t.After(c.t) {
		c.t = t
	}
	c.mu.Unlock()
}

// now is the CRM's time at its latest answer (zero: none had a Date).
func (c *crmClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

// doHTTP sends one request and returns the body of a 2xx JSON answer,
// or an Error saying what the answer was instead and what to do. The
// answer's Date goes to clock.
func doHTTP(ctx context.Context, c *http.Client, clock *crmClock, method, url, contentType string, body io.Reader, header http.Header) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, body)
	if err != nil {
		return nil, fmt.Errorf("building the request to %s: %w", url, err)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	req.Header.Set("Accept", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := c.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, &Error{Kind: ErrTimeout, Err: fmt.Errorf("no answer from %s in time (%v): the CRM is slow or down; the sync retries at its next interval", url, ctx.Err())}
		}
		return nil, &Error{Kind: ErrUnreachable, Err: fmt.Errorf("cannot reach the CRM at %s: %v: check the CRM URL in the relay's config (crm-url) and that the CRM is up", url, err)}
	}
	defer resp.Body.Close()
	clock.observe(resp.Header)
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		if ctx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
			return nil, &Error{Kind: ErrTimeout, Err: fmt.Errorf("the answer of %s was cut by the deadline (%v): the CRM is slow; the sync retries at its next interval", url, err)}
		}
		return nil, &Error{Kind: ErrUnreachable, Err: fmt.Errorf("the answer of %s broke off: %v: the CRM or a proxy closed the connection; the sync retries at its next interval", url, err)}
	}
	switch {
	case resp.StatusCode >= 500:
		return nil, &Error{Kind: ErrServer, Err: fmt.Errorf("the CRM at %s answered %s: it is failing; read its logs (suitecrm.log, the web server's error log); the sync retries at its next interval", url, resp.Status)}
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return data, &statusError{code: resp.StatusCode, body: data, url: url}
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		return data, &statusError{code: resp.StatusCode, body: data, url: url}
	}
	if looksLikeHTML(data) {
		return nil, &Error{Kind: ErrAnswer, Err: fmt.Errorf("%s answered an HTML page instead of JSON (%s): check the CRM URL is the CRM's root and no proxy or login page stands in front of its API", url, snippet(data))}
	}
	return data, nil
}

// statusError is a 4xx answer, which each API reads its own way.
type statusError struct {
	code int
	body []byte
	url  string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("%s answered %d %s: %s", e.url, e.code, http.StatusText(e.code), snippet(e.body))
}

func looksLikeHTML(b []byte) bool {
	t := strings.ToLower(string(bytes.TrimSpace(b[:min(len(b), 512)])))
	return strings.HasPrefix(t, "<!doctype html") || strings.HasPrefix(t, "<html") || strings.HasPrefix(t, "<?xml") ||
		strings.HasPrefix(t, "<head") || strings.HasPrefix(t, "<body") || (strings.HasPrefix(t, "<") && strings.Contains(t, "<html"))
}
