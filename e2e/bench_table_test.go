package e2e

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// benchTable is what `make bench-extension` prints: each figure a user
// feels beside its floor, measured in the same run, and their ratio. The
// machines these run on are noisy, so the budget is a ratio to the floor,
// not an absolute time.
type benchTable struct {
	title string
	rows  [][6]string // measure, value, floor, ratio, budget, verdict
}

// add appends a row; ok nil means no budget (verdict "—").
func (t *benchTable) add(measure, value, floor, ratio, budget string, ok *bool) {
	verdict := "—"
	if ok != nil {
		verdict = "ok"
		if !*ok {
			verdict = "OVER"
		}
	}
	if budget == "" {
		budget = "—"
	}
	if floor == "" {
		floor = "—"
	}
	if ratio == "" {
		ratio = "—"
	}
	t.rows = append(t.rows, [6]string{measure, value, floor, ratio, budget, verdict})
}

func (t *benchTable) String() string {
	head := [6]string{"measure", "value", "floor", "ratio", "budget", "verdict"}
	var w [6]int
	for _, r := range append([][6]string{head}, t.rows...) {
		for i := range w {
			w[i] = max(w[i], len([]rune(r[i])))
		}
	}
	var out strings.Builder
	fmt.Fprintf(&out, "\n%s\n", t.title)
	line := func(r [6]string) {
		out.WriteString("| ")
		for i := range r {
			out.WriteString(pad(r[i], w[i]))
			out.WriteString(" |")
			if i < len(r)-1 {
				out.WriteString(" ")
			}
		}
		out.WriteString("\n")
	}
	line(head)
	var sep [6]string
	for i := range sep {
		sep[i] = strings.Repeat("-", w[i])
	}
	line(sep)
	for _, r := range t.rows {
		line(r)
	}
	return out.String()
}

// sample is a sorted set of durations.
type sample []time.Duration

func sorted(d []time.Duration) sample {
	s := slices.Clone(d)
	slices.Sort(s)
	return s
}

func (s sample) p50() time.Duration { return quantile(s, 0.5) }
func (s sample) p99() time.Duration { return quantile(s, 0.99) }
func (s sample) max() time.Duration { return s[len(s)-1] }

// pctl is "p50 …, p99 … (n=…)".
func (s sample) pctl() string {
	return fmt.Sprintf("p50 %s, p99 %s (n=%d)", ms(s.p50()), ms(s.p99()), len(s))
}

func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func x(r float64) string { return fmt.Sprintf("%.2f×", r) }

// pctlRatio is "p50 a×, p99 b×" of value against floor.
func pctlRatio(v, f sample) string {
	return "p50 " + x(ratio(v.p50(), f.p50())) + ", p99 " + x(ratio(v.p99(), f.p99()))
}

func okp(ok bool) *bool { return &ok }

// reportMS reports d as the benchmark's metric unit, in milliseconds.
func reportMS(b *testing.B, d time.Duration, unit string) {
	b.ReportMetric(float64(d)/float64(time.Millisecond), unit)
}
