package pop

import (
	"testing"
	"time"

	"github.com/screenpop/screenpop/internal/call"
)

func BenchmarkExpand(b *testing.B) {
	tm, err := Compile("https://crm.example.com/index.php?module=Home&action=UnifiedSearch&query_string=*CALLING_LIKE*")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := tm.Expand(ringing); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkExpandTemplateString(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Expand("https://crm.example.com/#search/*CALLING_NSN*?modules=Contacts,Accounts,Leads", ringing); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkShouldPop(b *testing.B) {
	c := call.Call{Line: "0033972101010", LineName: "Accueil", ID: "c1", Direction: call.Inbound, State: call.Ringing}
	for _, bc := range []struct {
		name string
		r    Rules
	}{
		{"default", DefaultRules()},
		{"lines", Rules{Lines: []string{"0033972202020", "Support", "+33 9 72 10 10 10"}}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if ok, _ := bc.r.ShouldPop("start_ringing", c, caller, false); !ok {
					b.Fatal("no pop")
				}
			}
		})
	}
}

func BenchmarkCapAllow(b *testing.B) {
	var c Cap
	t0 := time.Unix(1_700_000_000, 0)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		c.Allow(t0.Add(time.Duration(i)*time.Second), 5)
		i++
	}
}
