package view

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/phone"
	"github.com/screenpop/screenpop/internal/pop"
	"github.com/screenpop/screenpop/internal/stream"
)

var (
	cardCaller = phone.Number{Raw: "0033612345682", Kind: phone.Valid, Region: "FR", Forms: phone.Forms{E164: "+33612345682", Grouped: "06 12 34 56 82"}}
	cardLine   = phone.Number{Raw: "0033972101010", Kind: phone.Valid, Region: "FR", Forms: phone.Forms{Grouped: "09 72 10 10 10"}}
)

func cardView(target string, ms ...stream.Match) CallView {
	return CallView{Call: call.Call{Line: cardLine.Raw, LineName: "Accueil", Direction: call.Inbound, State: call.Ringing},
		Calling: cardCaller, Called: cardLine, Target: target,
		Card: stream.Card{OtherParty: cardCaller, Matches: ms}}
}

// trKey renders a message as key(args), so the tests see which message.
func trKey(key string, args ...string) string {
	if len(args) == 0 {
		return key
	}
	return key + "(" + strings.Join(args, ",") + ")"
}

func TestCallerOf(t *testing.T) {
	alice := stream.Match{Name: "Alice Martin", Module: "Contacts", ID: "1", URL: "https://crm.example.com/r/1"}
	lead := stream.Match{Name: "Bob Martin", Module: "Leads", ID: "2"}
	tests := []struct {
		name                string
		c                   CallView
		title, number, open string
		named, choose       bool
		kinds               []string
	}{
		{"unknown caller", cardView(pop.TargetSearch), "06 12 34 56 82", "06 12 34 56 82", "cardSearch", false, false, nil},
		{"one contact", cardView(pop.TargetRecord, alice), "Alice Martin", "06 12 34 56 82", "cardOpenRecord", true, false, []string{"recordContact"}},
		{"two, to choose", cardView(pop.TargetChoose, alice, lead), "06 12 34 56 82", "06 12 34 56 82", "cardSearch", false, true, []string{"recordContact", "recordLead"}},
		{"no match, new contact", cardView(pop.TargetNew), "06 12 34 56 82", "06 12 34 56 82", "cardNewContact", false, false, nil},
		{"another module as the CRM names it", cardView(pop.TargetRecord, stream.Match{Name: "ACME", Module: "Prospects", ID: "3"}), "ACME", "06 12 34 56 82", "cardOpenRecord", true, false, []string{"Prospects"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := CallerOf(tt.c)
			if got := k.Title.String(trKey); got != tt.title {
				t.Errorf("title %q, want %q", got, tt.title)
			}
			if got := k.Number.String(trKey); got != tt.number {
				t.Errorf("number %q, want %q", got, tt.number)
			}
			if k.Named != tt.named || k.Choose != tt.choose {
				t.Errorf("named %v choose %v, want %v %v", k.Named, k.Choose, tt.named, tt.choose)
			}
			if got := k.Open.String(trKey); got != tt.open {
				t.Errorf("open %q, want %q", got, tt.open)
			}
			if len(k.Records) != len(tt.kinds) {
				t.Fatalf("%d records, want %d", len(k.Records), len(tt.kinds))
			}
			for i, r := range k.Records {
				if r.Index != i || r.Kind.String(trKey) != tt.kinds[i] || r.Name != tt.c.Matches[i].Name || r.URL != tt.c.Matches[i].URL {
					t.Errorf("record %d = %+v", i, r)
				}
			}
			if k.Line != "Accueil" || k.Queue {
				t.Errorf("line %q queue %v", k.Line, k.Queue)
			}
		})
	}
}

func TestCallerQueue(t *testing.T) {
	c := cardView(pop.TargetSearch)
	c.Call.Queue, c.Call.RingAt = true, time.Unix(1_700_000_000, 0)
	k := CallerOf(c)
	if !k.Queue || !k.Joined.Equal(c.Call.RingAt) || k.Line != "Accueil" {
		t.Errorf("queue call: %+v", k)
	}
}

func TestHeadline(t *testing.T) {
	one := cardView(pop.TargetRecord, stream.Match{Name: "Alice Martin", Module: "Contacts", ID: "1"})
	if got := Headline(one, trKey); got != "Alice Martin" {
		t.Errorf("Headline = %q", got)
	}
	two := cardView(pop.TargetSearch, stream.Match{Name: "A", Module: "Contacts", ID: "1"}, stream.Match{Name: "B", Module: "Leads", ID: "2"})
	if got := Headline(two, trKey); got != "06 12 34 56 82" {
		t.Errorf("Headline of two matches = %q, want the number", got)
	}
}

// TestCardLabels: every message the caller card and the match options
// name is in both languages, with text.
func TestCardLabels(t *testing.T) {
	keys := append(RecordKeys(), "cardOwner", "cardQueue", "cardQueueSince", "cardChoose", "cardOpenOne",
		"optionsMatchTitle", "optionsMatchHint", "optionsOneMatch", "optionsOneRecord", "optionsOneSearch",
		"optionsManyMatches", "optionsManySearch", "optionsManyChoose", "optionsNoMatch", "optionsNoneSearch", "optionsNoneNew",
		"notifyChoose", "popupRecords", "cardMore", "optionsNoneNewSugar7")
	msgs := map[string]map[string]struct {
		Message string `json:"message"`
	}{}
	for _, lang := range []string{"en", "fr"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "extension", "_locales", lang, "messages.json"))
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]struct {
			Message string `json:"message"`
		}{}
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", lang, err)
		}
		msgs[lang] = m
	}
	want := map[string][2]string{ // a few, word for word
		"recordLead":     {"Lead", "Prospect"},
		"recordAccount":  {"Account", "Compte"},
		"cardNewContact": {"New contact", "Nouveau contact"},
		"cardOpenRecord": {"Open in CRM", "Ouvrir dans le CRM"},
	}
	for _, k := range keys {
		for i, lang := range []string{"en", "fr"} {
			m, ok := msgs[lang][k]
			if !ok || strings.TrimSpace(m.Message) == "" {
				t.Errorf("%s: no message %q", lang, k)
				continue
			}
			if w, ok := want[k]; ok && m.Message != w[i] {
				t.Errorf("%s %s = %q, want %q", lang, k, m.Message, w[i])
			}
		}
	}
}

// TestRowCard: a popup row names the caller as the card does: "name —
// company", the record type and owner, the number; several records say
// how many; a queue call names the queue.
func TestRowCard(t *testing.T) {
	alice := stream.Match{Name: "Alice Martin", Module: "Contacts", ID: "1", Company: "Martin SA", Owner: "Sarah Admin"}
	one := cardView(pop.TargetRecord, alice)
	one.Call.ID = "one"
	many := cardView(pop.TargetSearch, alice, stream.Match{Name: "Bob", Module: "Leads", ID: "2"})
	many.Call.ID, many.MatchCount = "many", 12
	queue := cardView(pop.TargetSearch)
	queue.Call.ID, queue.Call.Queue = "queue", true
	html := Lists(View{Live: []CallView{one, many, queue}}, Env{T: trKey})
	for _, want := range []string{
		`<span class="name">Alice Martin — Martin SA</span><span class="record">recordContact · cardOwner(Sarah Admin)</span><span class="number">06 12 34 56 82</span>`,
		`<span class="name">06 12 34 56 82</span><span class="record">popupRecords(12)</span>`,
		`<span class="meta">cardQueue(Accueil)</span>`,
	} {
		if !strings.Contains(html, want) {
			t.Errorf("the rows lack %s:\n%s", want, html)
		}
	}
}
