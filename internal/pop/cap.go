package pop

import "time"

// Cap limits pops per minute, against pop-up storms (a queue flooding the
// agent with calls). Its state is plain JSON so the extension can store it
// between service-worker restarts. The zero Cap allows everything up to
// the limit.
type Cap struct {
	// Pops are the times of the pops allowed in the last minute, in Unix
	// milliseconds, oldest first.
	Pops []int64 `json:"pops,omitempty"`
}

// capWindow is the window Cap.Allow counts over.
const capWindow = time.Minute

// Allow reports whether a pop at now stays within perMinute pops over the
// last minute (a sliding window), and if so records it. perMinute <= 0
// means no cap. Call it only once ShouldPop said yes. Pops recorded in the
// future of now (the clock went back) are forgotten.
func (c *Cap) Allow(now time.Time, perMinute int) bool {
	if perMinute <= 0 {
		return true
	}
	ms := now.UnixMilli()
	from := ms - capWindow.Milliseconds()
	kept := c.Pops[:0]
	for _, t := range c.Pops {
		if t > from && t <= ms {
			kept = append(kept, t)
		}
	}
	c.Pops = kept
	if len(c.Pops) >= perMinute {
		return false
	}
	c.Pops = append(c.Pops, ms)
	return true
}

// Next returns how long after now the next pop will be allowed: 0 when
// one is allowed now. For the status line ("capped: next pop in 12 s").
func (c *Cap) Next(now time.Time, perMinute int) time.Duration {
	if perMinute <= 0 {
		return 0
	}
	ms := now.UnixMilli()
	from := ms - capWindow.Milliseconds()
	n := 0
	for _, t := range c.Pops {
		if t > from && t <= ms {
			n++
		}
	}
	if n < perMinute {
		return 0
	}
	// The pop that must leave the window is the (n-perMinute+1)-th oldest
	// one still in it.
	skip := n - perMinute
	for _, t := range c.Pops {
		if t > from && t <= ms {
			if skip == 0 {
				return time.Duration(t-from) * time.Millisecond
			}
			skip--
		}
	}
	return 0
}
