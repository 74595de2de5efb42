package directory

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/screenpop/screenpop/internal/phone"
	"github.com/screenpop/screenpop/internal/phone/parse"
)

// benchRecords are n contacts as a CRM holds them: a name, a company,
// an owner, a UUID, two numbers in mixed formats (one in three with a
// second number), every number distinct.
func benchRecords(n int) []Record {
	formats := []string{"+33 6 %02d %02d %02d %02d", "06.%02d.%02d.%02d.%02d", "00336%02d%02d%02d%02d", "06 %02d %02d %02d %02d"}
	rs := make([]Record, n)
	for i := range rs {
		a, b, c, d := i/1000000%100, i/10000%100, i/100%100, i%100
		rs[i] = Record{
			Module:  "Contacts",
			ID:      fmt.Sprintf("%08x-1c2d-4e5f-8a9b-%012x", i, i*7919),
			Name:    fmt.Sprintf("Contact %d Lastname", i),
			Company: fmt.Sprintf("Company %d SA", i%5000),
			Owner:   "Sally Sales",
			Phones:  []Phone{{"phone_mobile", fmt.Sprintf(formats[i%len(formats)], a, b, c, d)}},
		}
		if i%3 == 0 {
			rs[i].Phones = append(rs[i].Phones, Phone{"phone_work", fmt.Sprintf("+33 1 %02d %02d %02d %02d", a, b, c, d)})
		}
	}
	return rs
}

const benchSize = 100_000

// BenchmarkLookup is the lookup per ring at 100,000 records: the
// caller, as the relay has it (parsed once for the call), looked up in
// the directory, beside its floor measured in the same run, alternating
// in rounds: a bare map[string]int lookup of the same keys. The target:
// under 5 µs. Metrics: ns/lookup, floor-ns/lookup and x-floor (the
// ratio); ns/op covers both.
func BenchmarkLookup(b *testing.B) {
	d := newDir(b, benchRecords(benchSize)...)
	callers := make([]phone.Number, 1000)
	floor := make(map[string]int, benchSize)
	for i, r := range benchRecords(benchSize) {
		key, _ := Key(r.Phones[0].Number, "FR")
		floor[key] = i
	}
	for i := range callers {
		// As OVH sends them: 0033…, spread over the directory.
		callers[i] = parse.Number(fmt.Sprintf("00336%08d", (i*7919)%benchSize), "FR")
	}
	keys := make([]string, len(callers))
	for i, c := range callers {
		keys[i] = c.Forms.E164
	}
	found, sink := 0, 0
	alternate(b, len(callers), func(i int) { found += len(d.Lookup(callers[i])) }, func(i int) { sink += floor[keys[i]] })
	if found != b.N {
		b.Fatalf("%d matches for %d lookups, want one each", found, b.N)
	}
	_ = sink
}

// BenchmarkLookupRaw is the lookup of a raw OVH string, parsed on the
// way (what a caller without parsed forms pays), beside the same floor.
func BenchmarkLookupRaw(b *testing.B) {
	d := newDir(b, benchRecords(benchSize)...)
	raws := make([]string, 1000)
	floor := make(map[string]int, benchSize)
	for i, r := range benchRecords(benchSize) {
		key, _ := Key(r.Phones[0].Number, "FR")
		floor[key] = i
	}
	keys := make([]string, len(raws))
	for i := range raws {
		raws[i] = fmt.Sprintf("00336%08d", (i*7919)%benchSize)
		keys[i] = "+336" + raws[i][5:]
	}
	found, sink := 0, 0
	alternate(b, len(raws), func(i int) { found += len(d.LookupRaw(raws[i])) }, func(i int) { sink += floor[keys[i]] })
	if found != b.N {
		b.Fatalf("%d matches for %d lookups, want one each", found, b.N)
	}
	_ = sink
}

// alternate runs b.N lookups by lookup(i) and b.N by floor(i), in
// rounds of rounds, i cycling over [0, rounds), and reports the
// per-lookup times and their ratio.
func alternate(b *testing.B, rounds int, lookup, floor func(i int)) {
	b.ReportAllocs()
	b.ResetTimer()
	var got, base time.Duration
	for done := 0; done < b.N; {
		n := min(rounds, b.N-done)
		t0 := time.Now()
		for i := range n {
			lookup(i)
		}
		t1 := time.Now()
		for i := range n {
			floor(i)
		}
		base += time.Since(t1)
		got += t1.Sub(t0)
		done += n
	}
	reportRatio(b, "lookup", got, base)
}

func reportRatio(b *testing.B, what string, got, floor time.Duration) {
	per := float64(got.Nanoseconds()) / float64(b.N)
	perFloor := float64(floor.Nanoseconds()) / float64(b.N)
	b.ReportMetric(per, "ns/"+what)
	b.ReportMetric(perFloor, "floor-ns/"+what)
	if perFloor > 0 {
		b.ReportMetric(per/perFloor, "x-floor")
	}
}

// BenchmarkMemory is the directory's memory for 100,000 records, in
// bytes per record, beside its floor: the same records in a bare slice
// (what the data weighs with no index). Metrics: bytes/record,
// floor-bytes/record, x-floor.
func BenchmarkMemory(b *testing.B) {
	var dirBytes, floorBytes uint64
	for range b.N {
		base := heap()
		floor := benchRecords(benchSize)
		floorBytes += heap() - base
		runtime.KeepAlive(floor)
		floor = nil

		base = heap()
		rs := benchRecords(benchSize)
		d := newDir(b, rs...)
		rs = nil
		dirBytes += heap() - base
		if d.Stats().Records != benchSize {
			b.Fatal("records lost")
		}
		runtime.KeepAlive(d)
	}
	per := float64(dirBytes) / float64(b.N) / benchSize
	perFloor := float64(floorBytes) / float64(b.N) / benchSize
	b.ReportMetric(per, "bytes/record")
	b.ReportMetric(perFloor, "floor-bytes/record")
	b.ReportMetric(per/perFloor, "x-floor")
}

// heap is the live heap after a full collection.
func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkApplyFull is a full sync's apply of 100,000 records (the
// parsing of every number included).
func BenchmarkApplyFull(b *testing.B) {
	rs := benchRecords(benchSize)
	d := newDir(b)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		d.Apply(Sync{Full: true, Upserts: rs})
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchSize, "ns/record")
}
