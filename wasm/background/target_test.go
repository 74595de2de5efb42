package background

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/pop"
	"github.com/screenpop/screenpop/internal/settings"
	"github.com/screenpop/screenpop/internal/stream"
)

const crmBase = "http://127.0.0.1:8081/suitecrm"

// suite is an agent on SuiteCRM 7's preset, with the CRM address their
// browser uses.
func suite(f func(*settings.Settings)) settings.Settings {
	return with(func(s *settings.Settings) {
		s.Preset, s.CRMBase = pop.PresetSugar6, crmBase
		s.Template, _ = pop.PresetURL(pop.PresetSugar6, crmBase)
		if f != nil {
			f(s)
		}
	})
}

var (
	alice = stream.Match{Name: "Alice Martin", Module: "Contacts", ID: "c-alice", Company: "Martin SA", URL: "http://crm.internal/index.php?module=Contacts&action=DetailView&record=c-alice"}
	bob   = stream.Match{Name: "Bob Martin", Module: "Leads", ID: "l-bob", URL: "http://crm.internal/index.php?module=Leads&action=DetailView&record=l-bob"}
)

// cardMsg is a ringing event whose card the relay filled with matches.
func cardMsg(t *testing.T, id uint64, callID, from string, name string, ms ...stream.Match) []byte {
	t.Helper()
	ev := &stream.Event{Name: "start_ringing", Call: callOf(callID, call.Ringing, from, "start_ringing"), Calling: caller(from), Called: lineNumber,
		Card: stream.Card{OtherParty: caller(from), CallerName: name, Matches: ms}}
	b, err := json.Marshal(stream.Message{Type: stream.TypeEvent, ID: id, Event: ev})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPopTarget(t *testing.T) {
	const from = "0033612345682"
	record := func(m stream.Match) string {
		return crmBase + "/index.php?module=" + m.Module + "&action=DetailView&record=" + m.ID
	}
	tests := []struct {
		name    string
		s       settings.Settings
		matches []stream.Match
		dir     string // the relay directory's answer (Card.Directory)
		kind    string // the pop's action
		url     string
		target  string
	}{
		{"one match opens the record, on the agent's own CRM address", suite(nil), []stream.Match{alice}, "", ActionOpenTab, record(alice), pop.TargetRecord},
		{"one match, the agent wants the search", suite(func(s *settings.Settings) { s.OneMatch = pop.OneSearch }), []stream.Match{alice}, "", ActionOpenTab, "", pop.TargetSearch},
		{"several matches open the search", suite(nil), []stream.Match{alice, bob}, "", ActionOpenTab, "", pop.TargetSearch},
		{"several matches, choose: the side panel", suite(func(s *settings.Settings) { s.ManyMatches = pop.ManyChoose }), []stream.Match{alice, bob}, "", ActionSidePanel, "", pop.TargetChoose},
		{"several matches, choose, in the CRM tab: the side panel", suite(func(s *settings.Settings) {
			s.ManyMatches, s.Mode = pop.ManyChoose, settings.ModeReuseTab
		}), []stream.Match{alice, bob}, "", ActionSidePanel, "", pop.TargetChoose},
		{"several matches, choose, in-page: the card lists them", suite(func(s *settings.Settings) {
			s.ManyMatches, s.Mode = pop.ManyChoose, settings.ModeInPage
		}), []stream.Match{alice, bob}, "", ActionInPage, "", pop.TargetChoose},
		{"no match from a relay without a CRM: the search, even with new contact", suite(func(s *settings.Settings) { s.NoMatch = pop.NoneNew }), nil, "", ActionOpenTab, "", pop.TargetSearch},
		{"custom preset: the relay's record URL", with(func(s *settings.Settings) { s.Preset = pop.PresetCustom }), []stream.Match{alice}, "", ActionOpenTab, alice.URL, pop.TargetRecord},
		{"a match without ID on the custom preset and a javascript: URL: the search", with(func(s *settings.Settings) { s.Preset = pop.PresetCustom }),
			[]stream.Match{{Name: "X", Module: "Contacts", URL: "javascript:alert(1)"}}, "", ActionOpenTab, "", pop.TargetSearch},
		{name: "no match, the directory does not know the number: the new contact", s: suite(func(s *settings.Settings) { s.NoMatch = pop.NoneNew }), dir: stream.DirectoryUnknown,
			kind: ActionOpenTab, url: crmBase + "/index.php?module=Contacts&action=EditView&phone_work=06%2012%2034%2056%2082", target: pop.TargetNew},
		{name: "no match, the relay still asks the CRM: the new contact, not held back", s: suite(func(s *settings.Settings) { s.NoMatch = pop.NoneNew }), dir: stream.DirectoryLooking,
			kind: ActionOpenTab, url: crmBase + "/index.php?module=Contacts&action=EditView&phone_work=06%2012%2034%2056%2082", target: pop.TargetNew},
		{name: "no match by default: the search", s: suite(nil), dir: stream.DirectoryUnknown, kind: ActionOpenTab, target: pop.TargetSearch},
		{name: "no match, new contact, custom preset (no form): the search", s: with(func(s *settings.Settings) { s.Preset, s.NoMatch = pop.PresetCustom, pop.NoneNew }),
			dir: stream.DirectoryUnknown, kind: ActionOpenTab, target: pop.TargetSearch},
		{"reuse-tab mode navigates the CRM tab to the record", suite(func(s *settings.Settings) { s.Mode = settings.ModeReuseTab }), []stream.Match{alice}, "", ActionReuseTab, record(alice), pop.TargetRecord},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var st Memory
			handle(t, &st, helloMsg(t, 0), env(tt.s))
			msg := cardMsg(t, 1, "c1", from, "", tt.matches...)
			if tt.dir != "" {
				var m stream.Message
				json.Unmarshal(msg, &m)
				m.Event.Directory = tt.dir
				msg, _ = json.Marshal(m)
			}
			acts := handle(t, &st, msg, env(tt.s))
			p := pops(acts)
			if len(p) != 1 || p[0].Kind != tt.kind {
				t.Fatalf("pops %v, want one %s", kinds(acts), tt.kind)
			}
			want := tt.url
			if want == "" && tt.target != pop.TargetRecord {
				want, _ = pop.Expand(tt.s.Template, pop.ValuesFor("start_ringing", callOf("c1", call.Ringing, from, "start_ringing"), caller(from), lineNumber))
			}
			if p[0].URL != want && tt.kind != ActionSidePanel {
				t.Errorf("pop URL %s, want %s", p[0].URL, want)
			}
			v := st.View().Current
			if v == nil || v.Target != tt.target {
				t.Fatalf("view target %+v, want %s", v, tt.target)
			}
			if n := notes(acts); tt.kind == ActionSidePanel && (len(n) != 1 || n[0].Message != "notifyChoose:2|06 12 34 56 82") {
				t.Errorf("choosing in the side panel: notifications %+v, want one saying to choose among 2", n)
			}
			for i, m := range v.Matches {
				if tt.s.Preset == pop.PresetSugar6 && m.URL != record(tt.matches[i]) {
					t.Errorf("match %d URL %s, want the agent's own %s", i, m.URL, record(tt.matches[i]))
				}
				if m.URL != "" && !pop.SafeURL(m.URL) {
					t.Errorf("match %d keeps an unsafe URL %q", i, m.URL)
				}
			}
		})
	}
}

// A follow-up card (the relay's live lookup) for a call already popped:
// the card and the notification name the caller, nothing pops again, and
// "open in CRM" opens the record now.
func TestFollowUpCard(t *testing.T) {
	const from = "0033612345699"
	s := suite(func(s *settings.Settings) { s.Notify = true })
	var st Memory
	handle(t, &st, helloMsg(t, 0), env(s))
	acts := handle(t, &st, cardMsg(t, 1, "c1", from, ""), env(s))
	if p := pops(acts); len(p) != 1 || !strings.Contains(p[0].URL, "UnifiedSearch") {
		t.Fatalf("first pop %v, want the search", acts)
	}
	acts = handle(t, &st, cardMsg(t, 2, "c1", from, "Alice Martin", alice), env(s))
	if p := pops(acts); len(p) != 0 {
		t.Fatalf("the follow-up popped again: %v", p)
	}
	n := notes(acts)
	if len(n) != 1 || !strings.Contains(n[0].Title, "Alice Martin — Martin SA") || !strings.Contains(n[0].Message, "06 12 34 56 99") {
		t.Fatalf("the follow-up's notification %+v, want one naming Alice Martin — Martin SA, the number on its second line", n)
	}
	v := st.View().Current
	if v.Target != pop.TargetRecord || !strings.Contains(v.URL, "record=c-alice") || len(v.Matches) != 1 {
		t.Fatalf("view after the follow-up: target %s URL %s matches %v", v.Target, v.URL, v.Matches)
	}
	// The same card again changes nothing.
	if acts = handle(t, &st, cardMsg(t, 3, "c1", from, "Alice Martin", alice), env(s)); len(notes(acts)) != 0 || len(pops(acts)) != 0 {
		t.Fatalf("the same card again: %v", kinds(acts))
	}
}

// A live call in the hello carries its card: the pop of a call that
// rang while the worker slept opens the record too.
func TestHelloCard(t *testing.T) {
	s := suite(nil)
	var st Memory
	c := callOf("c1", call.Ringing, "0033612345682", "start_ringing")
	h := &stream.Hello{Cursor: 5, Live: []stream.LiveCall{{Call: c, Calling: caller(c.Calling), Called: lineNumber,
		Card: stream.Card{OtherParty: caller(c.Calling), CallerName: "Alice Martin", Matches: []stream.Match{alice}}}}}
	raw, _ := json.Marshal(stream.Message{Type: stream.TypeHello, Hello: h})
	p := pops(handle(t, &st, raw, env(s)))
	if len(p) != 1 || p[0].URL != crmBase+"/index.php?module=Contacts&action=DetailView&record=c-alice" {
		t.Fatalf("hello pop %+v, want the record", p)
	}
}
