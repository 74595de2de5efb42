package parse

import "github.com/screenpop/screenpop/internal/phone"

// Cache remembers parsed numbers. Parsing costs a microsecond or two for
// what OVH sends, and tens of microseconds and dozens of allocations for
// spellings only libphonenumber reads, while every call repeats the same
// two numbers in each of its events (caller and line), so the relay parses
// each number once. It is explicit state the owner passes around
// (and locks: it is not safe for concurrent use), not a process global.
type Cache struct {
	// Max bounds the entries (default 4096). When full, the cache is
	// emptied at once: simpler than LRU bookkeeping on every hit, and a
	// refill costs one parse per number in the calls going on.
	Max int
	m   map[cacheKey]phone.Number
}

type cacheKey struct{ raw, region string }

// Number is Number(raw, region), from the cache when it can.
func (c *Cache) Number(raw, region string) phone.Number {
	k := cacheKey{raw, region}
	if n, ok := c.m[k]; ok {
		return n
	}
	n := Number(raw, region)
	max := c.Max
	if max <= 0 {
		max = 4096
	}
	if c.m == nil || len(c.m) >= max {
		c.m = make(map[cacheKey]phone.Number, min(max, 256))
	}
	c.m[k] = n
	return n
}

// Len returns the number of cached entries.
func (c *Cache) Len() int { return len(c.m) }
