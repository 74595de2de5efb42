package pop

import (
	"encoding/json"
	"testing"
	"testing/synctest"
	"time"
)

func TestCap(t *testing.T) {
	t0 := time.Date(2025, 3, 5, 12, 0, 0, 0, time.UTC)
	var c Cap
	for i := range 3 {
		if !c.Allow(t0.Add(time.Duration(i)*time.Second), 3) {
			t.Fatalf("pop %d refused", i)
		}
	}
	if c.Allow(t0.Add(10*time.Second), 3) {
		t.Fatal("fourth pop within a minute allowed")
	}
	if d := c.Next(t0.Add(10*time.Second), 3); d != 50*time.Second {
		t.Errorf("Next = %v, want 50s", d)
	}
	// The state survives a JSON round trip (extension storage).
	b, _ := json.Marshal(c)
	var d Cap
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	if d.Allow(t0.Add(59*time.Second), 3) {
		t.Error("restored cap forgot the pops")
	}
	if !d.Allow(t0.Add(60*time.Second), 3) {
		t.Error("pop refused once the first left the window")
	}
	if d.Allow(t0.Add(60*time.Second), 3) {
		t.Error("a second pop at 60s allowed")
	}
	if len(d.Pops) != 3 {
		t.Errorf("%d pops kept, want 3", len(d.Pops))
	}
	// No cap.
	for range 100 {
		if !d.Allow(t0, 0) {
			t.Fatal("perMinute 0 refused")
		}
	}
	if d.Next(t0, 0) != 0 {
		t.Error("Next with no cap")
	}
	// The clock went back an hour: the future pops are forgotten.
	if !d.Allow(t0.Add(-time.Hour), 3) {
		t.Error("clock going back blocks pops")
	}
	if len(d.Pops) != 1 {
		t.Errorf("%d pops kept after the clock went back", len(d.Pops))
	}
	var z Cap
	if z.Next(t0, 1) != 0 {
		t.Error("empty cap not open")
	}
}

// TestCapOnTheClock drives the cap as the extension does, with the time
// of each ring, in a synctest bubble: the wait Next announces is exactly
// when Allow lets the next pop through, and a minute of storm lets
// through perMinute pops, however the rings are spread.
func TestCapOnTheClock(t *testing.T) {
	for _, tt := range []struct {
		name      string
		perMinute int
		every     time.Duration // one ring every
		want      int           // pops allowed in the first minute
	}{
		{"a storm", 3, 100 * time.Millisecond, 3},
		{"one ring a second", 10, time.Second, 10},
		{"slower than the cap", 10, 7 * time.Second, 9}, // rings at 0, 7, … 56 s
		{"no cap", 0, time.Second, 60},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				var c Cap
				start := time.Now()
				allowed := 0
				for time.Since(start) < time.Minute {
					if c.Allow(time.Now(), tt.perMinute) {
						allowed++
					}
					time.Sleep(tt.every)
				}
				if allowed != tt.want {
					t.Errorf("%d pops allowed in a minute, want %d", allowed, tt.want)
				}
				if tt.perMinute <= 0 {
					return
				}
				// Capped now (or not): the announced wait is exact.
				for range 3 {
					c.Allow(time.Now(), tt.perMinute)
				}
				wait := c.Next(time.Now(), tt.perMinute)
				if wait > 0 {
					time.Sleep(wait - time.Millisecond)
					if c.Allow(time.Now(), tt.perMinute) {
						t.Fatalf("a pop allowed %v before the announced %v", time.Millisecond, wait)
					}
					time.Sleep(time.Millisecond)
				}
				if !c.Allow(time.Now(), tt.perMinute) {
					t.Errorf("no pop allowed after the announced wait %v", wait)
				}
			})
		})
	}
}
