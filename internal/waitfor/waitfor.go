// Package waitfor is how tests wait for something another goroutine, a
// server or a browser does: they poll a condition until it holds, and fail
// saying what they waited for when it never does.
//
// It replaces fixed sleeps (too short on a loaded machine, too long
// everywhere else) and the hand-written deadline loops each test used to
// carry. Timer-driven code is better tested in a testing/synctest bubble,
// where waiting costs nothing; Until works there too, on the bubble's clock.
package waitfor

import (
	"testing"
	"time"
)

// Timeout is how long Until waits before it fails. It is generous because
// it only costs time when a test is failing anyway, and the race detector
// on two shared cores is slow.
const Timeout = 20 * time.Second

// interval is how often Until checks: often enough not to slow a test
// down, rarely enough not to steal the CPU from what it waits for.
const interval = 5 * time.Millisecond

// Until calls cond until it returns true, and fails t (FailNow) if it has
// not after Timeout. what says what is waited for, for the failure message:
// "the poller's first poll", "alice's third connection". A test that wants
// to show more on failure logs it from cond.
func Until(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(Timeout)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", Timeout, what)
		}
		<-tick.C
	}
}
