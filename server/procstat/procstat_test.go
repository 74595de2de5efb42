package procstat

import (
	"runtime"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	// A command name with spaces and a ')' of its own: fields count from the last ')'.
	stat := []byte("4242 (my (relay) x) S 1 4242 4242 0 -1 4194560 900 0 0 0 250 37 0 0 20 0 9 0 123 456 789\n")
	user, sys, err := parseStat(stat, "4242")
	if err != nil || user != 2500*time.Millisecond || sys != 370*time.Millisecond {
		t.Errorf("parseStat = %v, %v, %v; want 2.5s, 370ms", user, sys, err)
	}
	for _, bad := range []string{"4242 (x S 1", "4242 (x) S 1 2 3", "4242 (x) S 1 4242 4242 0 -1 4194560 900 0 0 0 u s 0 0 20"} {
		if _, _, err := parseStat([]byte(bad), "4242"); err == nil {
			t.Errorf("parseStat(%q): no error", bad)
		}
	}
}

func TestParseStatus(t *testing.T) {
	status := []byte("Name:\trelay\nVmHWM:\t   20480 kB\nVmRSS:\t   10240 kB\nThreads:\t9\n")
	for field, want := range map[string]int64{"VmRSS:": 10240, "VmHWM:": 20480} {
		if got, err := parseStatus(status, "1", field); err != nil || got != want {
			t.Errorf("parseStatus(%s) = %d, %v; want %d", field, got, err, want)
		}
	}
	if _, err := parseStatus(status, "1", "VmSwap:"); err == nil {
		t.Error("parseStatus(VmSwap:): no error for a missing field")
	}
}

// This process, read for real where there is a /proc.
func TestSelf(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc/self is Linux's")
	}
	for i := 0; i < 1e7; i++ { // some CPU time to count
		_ = i * i
	}
	if _, _, err := CPU("self"); err != nil {
		t.Error(err)
	}
	if rss, err := StatusKiB("self", "VmRSS:"); err != nil || rss <= 0 {
		t.Errorf("VmRSS = %d, %v", rss, err)
	}
}
