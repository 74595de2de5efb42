package main

import (
	"context"
	"log/slog"
	"slices"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"
)

// TestDemoRingsLessOnceSeen: the demo line rings every demo-every until a
// call has reached an agent, then five times less often, so that a
// person filling in the options is not interrupted every 8 s.
func TestDemoRingsLessOnceSeen(t *testing.T) {
	const every = 8 * time.Second
	for _, tt := range []struct {
		name    string
		reachAt int             // the ring (from 1) whose call reaches an agent; 0: none does
		want    []time.Duration // when the first six rings come
	}{
		{"nobody connected", 0, []time.Duration{8, 16, 24, 32, 40, 48}},
		{"the first call reaches an agent", 1, []time.Duration{8, 48, 88, 128, 168, 208}},
		{"the third does", 3, []time.Duration{8, 16, 24, 64, 104, 144}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				for i := range tt.want {
					tt.want[i] *= time.Second
				}
				ctx, cancel := context.WithCancel(t.Context())
				start := time.Now()
				var reached atomic.Uint64
				var rings []time.Duration
				done := make(chan struct{})
				go func() {
					defer close(done)
					ringDemo(ctx, slog.New(slog.DiscardHandler), every, reached.Load, func(i int) error {
						if i != len(rings) {
							t.Errorf("ring %d rang demo caller %d", len(rings), i)
						}
						rings = append(rings, time.Since(start))
						if len(rings) == tt.reachAt {
							reached.Add(1) // the call reached an agent
						}
						if len(rings) == len(tt.want) {
							cancel()
						}
						return nil
					})
				}()
				<-done
				if !slices.Equal(rings, tt.want) {
					t.Errorf("rings at %v, want %v", rings, tt.want)
				}
			})
		})
	}
}
