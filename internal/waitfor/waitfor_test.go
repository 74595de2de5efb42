package waitfor

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// failRecorder is a testing.TB whose Fatalf records the message and ends
// the goroutine, as the real one does.
type failRecorder struct {
	testing.TB
	msg string
}

func (r *failRecorder) Helper() {}

func (r *failRecorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// until runs Until with a recorder in its own goroutine and returns its
// failure message ("" if it returned) and how long it took.
func until(cond func() bool) (string, time.Duration) {
	r := &failRecorder{}
	start := time.Now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		Until(r, "the thing", cond)
	}()
	<-done
	return r.msg, time.Since(start)
}

func TestUntil(t *testing.T) {
	for _, tt := range []struct {
		name     string
		holdsAt  time.Duration // when cond starts holding; < 0: never
		wantFail bool
	}{
		{"already true", 0, false},
		{"true later", 3 * time.Second, false},
		{"never", -1, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			// On synctest's clock: the 20 s timeout takes no time.
			synctest.Test(t, func(t *testing.T) {
				start := time.Now()
				msg, took := until(func() bool { return tt.holdsAt >= 0 && time.Since(start) >= tt.holdsAt })
				switch {
				case tt.wantFail && !strings.Contains(msg, "waiting for the thing"):
					t.Errorf("failure message %q does not say what was waited for", msg)
				case tt.wantFail && took < Timeout:
					t.Errorf("gave up after %v, want %v", took, Timeout)
				case !tt.wantFail && msg != "":
					t.Errorf("failed: %s", msg)
				case !tt.wantFail && took > tt.holdsAt+maxInterval:
					t.Errorf("returned %v after the condition held, want within %v", took-tt.holdsAt, maxInterval)
				}
			})
		})
	}
}
