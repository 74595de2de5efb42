// Package procstat reads a process's CPU time and memory from Linux's
// /proc: the relay exposes its own in /metrics, and the bench reads the
// relay it started. One parser, so that both count the same thing.
// Elsewhere (no /proc) every read fails, and callers do without.
package procstat

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// ClockTick is USER_HZ, the unit of /proc/<pid>/stat times: 100 on every
// Linux architecture Go supports.
const ClockTick = 10 * time.Millisecond

// CPU is the user and system CPU time (utime, stime) of pid, a number or
// "self", from /proc/<pid>/stat.
func CPU(pid string) (user, sys time.Duration, err error) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return 0, 0, err
	}
	return parseStat(b, pid)
}

func parseStat(b []byte, pid string) (user, sys time.Duration, err error) {
	// The command name (field 2) may contain spaces: fields count from the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, errors.New("/proc/" + pid + "/stat: no ')'")
	}
	f := strings.Fields(string(b[i+1:])) // f[0] is field 3 (state)
	if len(f) < 13 {
		return 0, 0, errors.New("/proc/" + pid + "/stat: too few fields")
	}
	utime, err1 := strconv.ParseInt(f[14-3], 10, 64)
	stime, err2 := strconv.ParseInt(f[15-3], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, fmt.Errorf("/proc/%s/stat: utime %q stime %q", pid, f[14-3], f[15-3])
	}
	return time.Duration(utime) * ClockTick, time.Duration(stime) * ClockTick, nil
}

// StatusKiB is a field of /proc/<pid>/status given in kB, such as
// "VmRSS:" (resident memory) or "VmHWM:" (its peak), in KiB.
func StatusKiB(pid, field string) (int64, error) {
	b, err := os.ReadFile("/proc/" + pid + "/status")
	if err != nil {
		return 0, err
	}
	return parseStatus(b, pid, field)
}

func parseStatus(b []byte, pid, field string) (int64, error) {
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			f := strings.Fields(rest) // "123456 kB"
			if len(f) == 2 && f[1] == "kB" {
				return strconv.ParseInt(f[0], 10, 64)
			}
		}
	}
	return 0, fmt.Errorf("/proc/%s/status has no %s", pid, field)
}
