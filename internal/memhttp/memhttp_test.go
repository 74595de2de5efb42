package memhttp

import (
	"io"
	"net/http"
	"testing"
	"testing/synctest"
	"time"
)

// TestHeldRequestOnTheFakeClock: a handler that holds its answer for a
// minute answers, in a bubble, after exactly a minute of fake time: the
// bubble's clock runs while the request waits on the in-memory connection.
func TestHeldRequestOnTheFakeClock(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := NewServer(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(time.Minute)
			io.WriteString(w, "late")
		}))
		start := time.Now()
		resp, err := srv.Client.Get(srv.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "late" || time.Since(start) != time.Minute {
			t.Errorf("got %q after %v, want \"late\" after 1m", b, time.Since(start))
		}
	})
}

// TestClosedServerRefuses: once closed, a dial fails instead of hanging.
func TestClosedServerRefuses(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := NewServer(t, http.NotFoundHandler())
		srv.Close()
		if _, err := srv.Client.Get(srv.URL + "/"); err == nil {
			t.Error("a closed server answered")
		}
	})
}
