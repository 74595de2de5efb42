package parse

import (
	"fmt"
	"testing"
)

func TestCache(t *testing.T) {
	var c Cache
	c.Max = 3
	a := c.Number("0033612345682", "FR")
	if a != Number("0033612345682", "FR") {
		t.Fatalf("cached %+v", a)
	}
	if b := c.Number("0033612345682", "FR"); b != a || c.Len() != 1 {
		t.Errorf("second lookup %+v, %d entries", b, c.Len())
	}
	// The region is part of the key: a national number means different
	// things in different regions.
	if fr, be := c.Number("0612345682", "FR"), c.Number("0612345682", "BE"); fr.Forms.E164 == be.Forms.E164 {
		t.Errorf("FR and BE readings share %q", fr.Forms.E164)
	}
	for i := 0; i < 10; i++ {
		c.Number(fmt.Sprintf("00336123456%02d", i), "FR")
	}
	if c.Len() > 3 {
		t.Errorf("%d entries, max 3", c.Len())
	}
}

func BenchmarkCacheHit(b *testing.B) {
	var c Cache
	c.Number("0033612345682", "FR")
	b.ReportAllocs()
	for b.Loop() {
		c.Number("0033612345682", "FR")
	}
}
