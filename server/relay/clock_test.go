package relay

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	"github.com/screenpop/screenpop/internal/memhttp"
	"github.com/screenpop/screenpop/internal/ovhevent"
	"github.com/screenpop/screenpop/internal/stream"
)

// The tests here are about time: how long a long-poll is held, how old
// an event may be and still be replayed. They run in a synctest bubble,
// on its fake clock, with a relay in memory (no store, anonymous agents)
// served over memhttp, so a 20 s hold takes no time and is exact.

// clockRelay is a relay without a store or pollers, and a client for it.
type clockRelay struct {
	relay *Relay
	srv   *memhttp.Server
}

func newClockRelay(t *testing.T, cfg Config) *clockRelay {
	t.Helper()
	cfg.AllowAnonymous = true
	cfg.Log = quiet(t)
	r, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	srv := memhttp.NewServer(t, r.Handler())
	t.Cleanup(r.Shutdown) // cleanups run last first: the clients leave before the server closes
	return &clockRelay{relay: r, srv: srv}
}

// ring publishes a call ringing on testLine, as if OVH had sent it.
func (c *clockRelay) ring(id string) {
	c.relay.HandleEvents([]ovhevent.Event{{Event: ovhevent.StartRinging, Ressource: testLine,
		Data: ovhevent.Data{CallId: id, Calling: "0033612345682", Called: testLine, Dialed: testLine}}})
}

// poll is GET /v1/poll with query, and how long its answer took.
func (c *clockRelay) poll(t *testing.T, query string) (stream.Poll, time.Duration) {
	t.Helper()
	start := time.Now()
	resp, err := c.srv.Client.Get(c.srv.URL + stream.PathPoll + query)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("poll%s: %s %s", query, resp.Status, b)
	}
	var p stream.Poll
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatalf("poll%s: %v in %s", query, err, b)
	}
	return p, time.Since(start)
}

func TestLongPollHold(t *testing.T) {
	for _, tt := range []struct {
		name  string
		query string // after the cursor
		held  time.Duration
	}{
		{"wait given", "&wait=3", 3 * time.Second},
		{"the relay's PollWait by default", "", 20 * time.Second},
		{"at most MaxPollWait", "&wait=3600", stream.MaxPollWait},
		{"wait=0 answers at once", "&wait=0", 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				c := newClockRelay(t, Config{PollWait: 20 * time.Second})
				hello, _ := c.poll(t, "")
				p, took := c.poll(t, "?cursor="+itoa(hello.Cursor)+tt.query)
				if len(p.Messages) != 0 || p.Cursor != hello.Cursor || took != tt.held {
					t.Errorf("empty poll = %+v after %v, want no message, cursor %d, after %v", p, took, hello.Cursor, tt.held)
				}
			})
		})
	}
}

// TestLongPollWokenByEvent: an event on the agent's lines ends the hold
// at once.
func TestLongPollWokenByEvent(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newClockRelay(t, Config{})
		hello, _ := c.poll(t, "")
		type answer struct {
			p    stream.Poll
			took time.Duration
		}
		done := make(chan answer)
		go func() {
			p, took := c.poll(t, "?cursor="+itoa(hello.Cursor)+"&wait=10")
			done <- answer{p, took}
		}()
		time.Sleep(time.Second)
		synctest.Wait() // the poll is held, not answered
		select {
		case a := <-done:
			t.Fatalf("the poll was answered before any event: %+v", a.p)
		default:
		}
		c.ring("woken")
		a := <-done
		if len(a.p.Messages) != 1 || a.took != time.Second {
			t.Errorf("poll woken by an event = %+v after %v, want the event after 1s", a.p, a.took)
		}
	})
}

func TestReplayAge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		c := newClockRelay(t, Config{ReplayAge: time.Hour})
		hello, _ := c.poll(t, "")
		c.ring("old")
		time.Sleep(59 * time.Minute)
		c.ring("recent")
		// Both are younger than an hour: both are replayed.
		if p, _ := c.poll(t, "?cursor="+itoa(hello.Cursor)); len(p.Messages) != 2 {
			t.Fatalf("replay after 59 min = %+v, want both calls", p)
		}
		time.Sleep(2 * time.Minute)
		c.ring("new") // publishing trims what is older than ReplayAge
		p, _ := c.poll(t, "?cursor="+itoa(hello.Cursor))
		var got []string
		for _, m := range p.Messages {
			switch {
			case m.Type == stream.TypeGap:
				got = append(got, "gap")
			case m.Event != nil:
				got = append(got, m.Event.Call.ID)
			}
		}
		if len(got) != 3 || got[0] != "gap" {
			t.Errorf("replay after 61 min = %v, want a gap, then the two calls younger than an hour", got)
		}
	})
}
