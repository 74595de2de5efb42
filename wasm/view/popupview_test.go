package view

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/screenpop/screenpop/internal/call"
	"github.com/screenpop/screenpop/internal/phone"
	"github.com/screenpop/screenpop/internal/pop"
	"github.com/screenpop/screenpop/internal/stream"
)

// tr stands for chrome.i18n: the key, then its substitutions.
func tr(key string, subs ...string) string {
	if len(subs) == 0 {
		return "[" + key + "]"
	}
	return "[" + key + ":" + strings.Join(subs, ",") + "]"
}

var now = time.Date(2026, 12, 7, 14, 0, 0, 0, time.UTC)

func env(at time.Time) Env {
	return Env{T: tr, When: func(t time.Time) string { return t.UTC().Format("15:04") }, Now: at}
}

func fr(raw, e164, grouped string) phone.Number {
	return phone.Number{Raw: raw, Kind: phone.Valid, Region: "FR", Forms: phone.Forms{E164: e164, Grouped: grouped}}
}

var lineNum = fr("0033972101010", "+33972101010", "09 72 10 10 10")

func inbound(id string, calling phone.Number, c call.Call) CallView {
	c.Line, c.LineName, c.ID, c.Direction = "0033972101010", "Accueil", id, call.Inbound
	return CallView{Call: c, Calling: calling, Called: lineNum}
}

func TestLists(t *testing.T) {
	jeanne := fr("0033612345682", "+33612345682", "06 12 34 56 82")
	hostile := inbound("x\"><script>", jeanne, call.Call{State: call.Ringing, RingAt: now.Add(-42 * time.Second)})
	hostile.Card = stream.Card{CallerName: `<img src=x onerror="alert(1)">&'`}
	ringing := inbound("ring-1", jeanne, call.Call{State: call.Ringing, RingAt: now.Add(-42 * time.Second)})
	missed := inbound("miss-1", jeanne, call.Call{State: call.Missed, Missed: true, RingAt: now.Add(-time.Hour), EndAt: now.Add(-time.Hour + 25*time.Second)})
	missed.Reason = pop.ReasonCapped
	withheld := inbound("anon-1", phone.Number{Raw: "anonymous", Kind: phone.Withheld}, call.Call{State: call.Missed, Missed: true, RingAt: now.Add(-3 * time.Hour), EndAt: now.Add(-3*time.Hour + 10*time.Second)})
	withheld.Seen = true

	for _, tc := range []struct {
		name      string
		view      View
		at        time.Time
		want, not []string
	}{{
		name: "empty",
		view: View{},
		want: []string{
			`<section class="calls-section" hidden><h2 id="live-title">[popupLive] <span class="count">0</span>`,
			`<p id="empty" class="empty"><strong>[popupEmpty]</strong><span>[popupEmptyHint]</span></p>`,
			`<span id="missed-count" class="missed-count" hidden></span>`,
			`class="link" hidden>[popupMarkSeen]</button>`,
		},
		not: []string{"<li"},
	}, {
		name: "hostile caller name",
		view: View{Live: []CallView{hostile}},
		at:   now,
		want: []string{
			`<span class="name">&lt;img src=x onerror=&#34;alert(1)&#34;&gt;&amp;&#39;</span>`,
			`aria-label="[openCallInCRM:&lt;img src=x onerror=&#34;alert(1)&#34;&gt;&amp;&#39;]"`,
			`data-id="x&#34;&gt;&lt;script&gt;"`,
		},
		not: []string{"<img", "<script", `onerror="`},
	}, {
		name: "live, at paint (no now): the timer is left to the page",
		view: View{Live: []CallView{ringing}},
		want: []string{
			`<section class="calls-section"><h2 id="live-title">[popupLive] <span class="count">1</span>`,
			`<li class="call" data-state="ringing" data-id="ring-1"><span class="dir" data-dir="in" title="[callInbound]" role="img" aria-label="[callInbound]">↙</span>`,
			`<span class="name">06 12 34 56 82</span><span class="meta">Accueil · 13:59</span>`,
			`<span class="chip" data-state="ringing">[stateRinging]</span>`,
			`<span class="timer" data-since="` + itoa(now.Add(-42*time.Second).UnixMilli()) + `" role="timer"></span>`,
			`<button type="button" class="open" data-action="open" data-line="0033972101010" data-id="ring-1" title="[openInCRM]" aria-label="[openCallInCRM:06 12 34 56 82]">[openShort]</button>`,
			`<p id="empty" class="empty" hidden>`,
		},
	}, {
		name: "live, in the page: the timer runs",
		view: View{Live: []CallView{ringing}},
		at:   now,
		want: []string{`" role="timer">0:42</span>`},
	}, {
		name: "recent: missed unseen, withheld seen",
		view: View{Recent: []CallView{missed, withheld}, UnseenMissed: 1},
		at:   now,
		want: []string{
			`<section class="calls-section" hidden>`,
			`<li class="call" data-state="missed" data-id="miss-1" data-unseen="true">`,
			`<span class="meta">Accueil · 13:00</span><span class="why">[reasonCapped]</span>`,
			`<span class="chip" data-state="missed">[stateMissed]</span><span class="timer">0:25</span>`,
			`<li class="call" data-state="missed" data-id="anon-1"><span`,
			`<span class="name">[numberWithheld]</span>`,
			`<span id="missed-count" class="missed-count">[popupMissed:1]</span><button id="mark-seen" type="button" class="link">[popupMarkSeen]</button>`,
			`<p id="empty" class="empty" hidden>`,
		},
		not: []string{`data-id="anon-1" data-unseen`, `data-action="open" data-line="0033972101010" data-id="anon-1"`},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			got := Lists(tc.view, env(tc.at))
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("lacks %s\nin %s", w, got)
				}
			}
			for _, n := range tc.not {
				if strings.Contains(got, n) {
					t.Errorf("has %s\nin %s", n, got)
				}
			}
		})
	}
}

func TestPage(t *testing.T) {
	v := View{Live: []CallView{inbound("ring-1", fr("0033612345682", "+33612345682", "06 12 34 56 82"), call.Call{State: call.Ringing, RingAt: now})}}
	on := Page(v, env(time.Time{}))
	for _, w := range []string{
		`<div><header class="bar"><h1><span class="logo" aria-hidden="true"></span>[popupTitle]</h1>`,
		`aria-checked="true" data-paused="false" aria-label="[popupPopsSwitch]">`,
		`<span class="switch-label">[popupPopsOn]</span>`,
		`<p id="paused-banner" class="banner" hidden>[popupPausedBanner]</p>`,
		`<div id="lists">` + Lists(v, env(time.Time{})) + `</div>`,
		`<footer class="bar foot"><button id="open-options" type="button" class="ghost">[openSettings]</button></footer></div>`,
	} {
		if !strings.Contains(on, w) {
			t.Errorf("lacks %s\nin %s", w, on)
		}
	}
	v.Paused = true
	e := env(time.Time{})
	e.SidePanel = true
	paused := Page(v, e)
	for _, w := range []string{
		`aria-checked="false" data-paused="true"`,
		`<span class="switch-label">[popupPopsPaused]</span>`,
		`<p id="paused-banner" class="banner">[popupPausedBanner]</p>`,
		`<footer class="bar foot"><button id="open-sidepanel" type="button">[popupOpenSidePanel]</button>`,
	} {
		if !strings.Contains(paused, w) {
			t.Errorf("paused: lacks %s\nin %s", w, paused)
		}
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestRecentHiddenWithOnlyLiveCalls: calls going on and none ended: no
// "recent calls" heading over an empty list.
func TestRecentHiddenWithOnlyLiveCalls(t *testing.T) {
	ringing := inbound("ring-1", fr("0033612345682", "+33612345682", "06 12 34 56 82"), call.Call{State: call.Ringing, RingAt: now.Add(-42 * time.Second)})
	for _, tc := range []struct {
		name   string
		view   View
		hidden bool
	}{
		{"only a live call", View{Live: []CallView{ringing}}, true},
		{"nothing at all: the empty state shows", View{}, false},
		{"a live and a recent call", View{Live: []CallView{ringing}, Recent: []CallView{ringing}}, false},
	} {
		got := Lists(tc.view, env(now))
		hidden := strings.Contains(got, `<section id="recent-section" class="calls-section" hidden>`)
		if hidden != tc.hidden || !strings.Contains(got, `id="recent-section"`) {
			t.Errorf("%s: recent section hidden = %v, want %v:\n%s", tc.name, hidden, tc.hidden, got)
		}
	}
}
