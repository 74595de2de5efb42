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

// Checks start a millisecond apart and slow down to maxInterval: what
// comes soon is seen soon, and a long wait (a browser, a condition that
// asks it over CDP) does not steal the CPU from what it waits for.
const (
	firstInterval = time.Millisecond
	maxInterval   = 50 * time.Millisecond
)

// Until calls cond until it returns true, and fails t (FailNow) if it has
// not after Timeout. what says what is waited for, for the failure message:
// "the poller's first poll", "alice's third connection". A test that wants
// to show more on failure logs it from cond.
func Until(t testing.TB, what string, cond func() bool) {
	t.Helper()
	Within(t, Timeout, what, cond)
}

// Within is Until with its own timeout, for what takes longer than
// Timeout by design (a browser stopping an idle service worker after
// 30 s) or must happen within a bound (the badge while a call rings).
func Within(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for pause := firstInterval; !cond(); pause = min(2*pause, maxInterval) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(pause)
	}
}
