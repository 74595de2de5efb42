package call

import (
	"testing"

	"github.com/screenpop/screenpop/internal/ovhevent"
	"github.com/screenpop/screenpop/internal/phone"
)

// TestCallingIsTheLine: the spellings of OVH's numbers the state machine
// tells an outbound call by (Calling is the line: phone.SameLine).
func TestCallingIsTheLine(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{"0033972101010", "0033972101010", true},
		{"0033972101010", "+33972101010", true},
		{"0033972101010", "33972101010", true},
		{"0033972101010", "0972101010", true},
		{"09 72 10 10 10", "+33 9 72 10 10 10", true},
		{"0033972101010", "0033972101011", false},
		{"0033972101010", "", false},
		{"", "", false},
		{"201", "0033972100201", false}, // a short extension is not the line
		{"0201", "0033972100201", false},
		{"anonymous", "0033972101010", false},
		{"anonymous", "anonymous", true}, // (never a line number)
		{"00339721010101234567890123456789", "0033972101010", false},
	} {
		if got := phone.SameLine(tc.a, tc.b); got != tc.same {
			t.Errorf("SameLine(%q, %q) = %v", tc.a, tc.b, got)
		}
		if got := phone.SameLine(tc.b, tc.a); got != tc.same {
			t.Errorf("SameLine(%q, %q) = %v", tc.b, tc.a, got)
		}
	}
}

func TestSortByTime(t *testing.T) {
	// One long-poll answer, shuffled: the end of ringing stamped like the
	// answer and delivered first, an untimed event after it.
	evs := []ovhevent.Event{
		*lineEv("end_ringing", lineA, "c1", caller, 4),
		*lineEv("end_calling", lineA, "c2", caller, noTs),
		*lineEv("start_calling", lineA, "c1", caller, 4),
		*lineEv("start_ringing", lineA, "c1", caller, 0),
	}
	SortByTime(evs)
	var got []string
	for i := range evs {
		got = append(got, evs[i].Name()+"/"+evs[i].Data.CallId)
	}
	want := []string{"start_ringing/c1", "start_calling/c1", "end_ringing/c1", "end_calling/c2"}
	if len(got) != len(want) {
		t.Fatalf("got %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("order %v, want %v", got, want)
		}
	}
	b := NewBook()
	for i := range evs {
		b.Apply(&evs[i], at(10))
	}
	if c := mustGet(t, b, lineA, "c1"); c.State != Answered {
		t.Errorf("after sorting, c1 is %s, want answered", c.State)
	}
	SortByTime(nil)
	SortByTime(evs[:1])
}
