package pages

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/screenpop/screenpop/internal/ovhevent"
	"github.com/screenpop/screenpop/internal/pop"
	"github.com/screenpop/screenpop/internal/settings"
)

const secret = "sp_0123456789abcdefghijWXYZ"

// formOf is the options form as the page fills it from saved settings.
func formOf(s settings.Settings) optionsForm {
	return optionsForm{
		Relay: s.RelayURL, Preset: presetFor(s), Base: s.CRMBase, Template: s.Template, Mode: s.Mode,
		Width: fmt.Sprint(s.WindowWidth), Height: fmt.Sprint(s.WindowHeight), Cap: fmt.Sprint(s.CapPerMinute),
		Notify: s.Notify, Events: selectedEvents(s.Rules), Outbound: s.Rules.Outbound,
		Withheld: s.Rules.Withheld, Internal: s.Rules.Internal, Lines: strings.Join(s.Rules.Lines, "\n"),
		OneMatch: matchShown(oneMatchChoices, s.OneMatch), ManyMatches: matchShown(manyMatchChoices, s.ManyMatches),
		NoMatch: matchShown(noMatchChoices, s.NoMatch),
	}
}

// TestFormMatchChoices: what a pop opens for the relay's matches is
// stored as the agent chose it, the default as "" (it follows a future
// default), anything else as the default; and reads back the same.
func TestFormMatchChoices(t *testing.T) {
	d := settings.Default()
	for _, tt := range []struct {
		one, many, none             string
		wantOne, wantMany, wantNone string
	}{
		{pop.OneRecord, pop.ManySearch, pop.NoneSearch, "", "", ""},
		{pop.OneSearch, pop.ManyChoose, pop.NoneNew, pop.OneSearch, pop.ManyChoose, pop.NoneNew},
		{"", "", "", "", "", ""},
		{"javascript:", "record", "choose", "", "", ""},
	} {
		f := formOf(d)
		f.OneMatch, f.ManyMatches, f.NoMatch = tt.one, tt.many, tt.none
		s, probs := f.settings(d)
		if len(probs) > 0 {
			t.Fatalf("%+v: %s", tt, fields(probs))
		}
		if s.OneMatch != tt.wantOne || s.ManyMatches != tt.wantMany || s.NoMatch != tt.wantNone {
			t.Errorf("form %q %q %q stored %q %q %q, want %q %q %q", tt.one, tt.many, tt.none, s.OneMatch, s.ManyMatches, s.NoMatch, tt.wantOne, tt.wantMany, tt.wantNone)
		}
		back := formOf(s)
		if again, _ := back.settings(s); !again.Equal(s) {
			t.Errorf("%+v does not survive the form: %+v", s, again)
		}
		if o := s.MatchOptions(); o.Target(1, true) == "" {
			t.Errorf("%+v: no target", o)
		}
	}
	for _, cs := range [][]matchChoice{oneMatchChoices, manyMatchChoices, noMatchChoices} {
		if got := matchShown(cs, ""); got != cs[0].Value {
			t.Errorf("the default shows as %q, want %q", got, cs[0].Value)
		}
	}
}

func fields(ps []problem) string {
	var s []string
	for _, p := range ps {
		s = append(s, p.Field+":"+p.Text.Key+"("+strings.Join(p.Text.Subs, ",")+")")
	}
	return strings.Join(s, " ")
}

func TestFormRoundTrip(t *testing.T) {
	d := settings.Default()
	s, probs := formOf(d).settings(d)
	if len(probs) > 0 {
		t.Fatalf("the default settings don't survive the form: %s", fields(probs))
	}
	if !s.Equal(d) {
		t.Errorf("the form changed the default settings:\n got %+v\nwant %+v", s, d)
	}
}

func TestFormSettings(t *testing.T) {
	d := settings.Default()
	saved := d
	saved.RelayURL, saved.Secret = "https://relay.example.com", secret

	for _, tt := range []struct {
		name  string
		old   settings.Settings
		edit  func(*optionsForm)
		check func(settings.Settings) string
		want  string // problems, "" for none
	}{
		{
			name: "a connection string sets the relay and the secret",
			old:  d,
			edit: func(f *optionsForm) { f.Connection = "  https://relay.example.com/#" + secret + " " },
			check: func(s settings.Settings) string {
				if s.RelayURL != "https://relay.example.com" || s.Secret != secret {
					return fmt.Sprintf("relay %q secret %q", s.RelayURL, s.Secret)
				}
				return ""
			},
		},
		{
			name: "garbage instead of a connection string",
			old:  d,
			edit: func(f *optionsForm) { f.Connection = "hello there" },
			want: "connection:errConnectionShape()",
		},
		{
			name: "a connection string to a javascript: relay",
			old:  d,
			edit: func(f *optionsForm) { f.Connection = "javascript:alert(1)//#" + secret },
			want: "connection:errConnectionRelay()",
		},
		{
			name: "a connection string with a cut secret",
			old:  d,
			edit: func(f *optionsForm) { f.Connection = "https://relay.example.com/#sp_12" },
			want: "connection:errConnectionSecret()",
		},
		{
			name: "the secret stays with its relay",
			old:  saved,
			edit: func(f *optionsForm) { f.Relay = "https://relay.example.com/" },
			check: func(s settings.Settings) string {
				if s.Secret != secret {
					return "secret dropped"
				}
				return ""
			},
		},
		{
			name: "another relay never gets the secret",
			old:  saved,
			edit: func(f *optionsForm) { f.Relay = "https://elsewhere.example.com" },
			check: func(s settings.Settings) string {
				if s.Secret != "" || s.RelayURL != "https://elsewhere.example.com" {
					return fmt.Sprintf("relay %q secret %q", s.RelayURL, s.Secret)
				}
				return ""
			},
		},
		{
			name: "forget the secret",
			old:  saved,
			edit: func(f *optionsForm) { f.ForgetSecret = true },
			check: func(s settings.Settings) string {
				if s.Secret != "" {
					return "secret kept"
				}
				return ""
			},
		},
		{
			name: "javascript: everywhere saves nothing and says so per field",
			old:  d,
			edit: func(f *optionsForm) {
				f.Relay, f.Preset, f.Template = "javascript:alert(1)", pop.PresetCustom, "javascript:alert(*CALLING*)"
			},
			want: "relay-url:errRelayScheme(javascript:) template:errTemplateScheme(javascript:)",
		},
		{
			name: "an empty relay",
			old:  d,
			edit: func(f *optionsForm) { f.Relay = " " },
			want: "relay-url:errRelayEmpty()",
		},
		{
			name: "a preset builds the template from the base",
			old:  d,
			edit: func(f *optionsForm) {
				f.Preset, f.Base = pop.PresetSugar7, "https://crm.example.com/index.php"
				f.Template = "" // the page shows the preset's template; empty is the same
			},
			check: func(s settings.Settings) string {
				if s.Preset != pop.PresetSugar7 || s.Template != "https://crm.example.com/#search/*OTHER_NSN*?modules=Contacts,Accounts,Leads" {
					return fmt.Sprintf("preset %q template %q", s.Preset, s.Template)
				}
				return ""
			},
		},
		{
			name: "a template edited away from its preset is custom",
			old:  d,
			edit: func(f *optionsForm) { f.Template = "https://crm.example.com/index.php?query_string=*CALLING*" },
			check: func(s settings.Settings) string {
				if s.Preset != pop.PresetCustom || s.Template != "https://crm.example.com/index.php?query_string=*CALLING*" {
					return fmt.Sprintf("preset %q template %q", s.Preset, s.Template)
				}
				return ""
			},
		},
		{
			name: "a preset with a javascript: base",
			old:  d,
			edit: func(f *optionsForm) { f.Preset, f.Base, f.Template = pop.PresetSugar6, "javascript:alert(1)", "" },
			want: "crm-base:errBaseScheme()",
		},
		{
			name: "a preset without a base",
			old:  d,
			edit: func(f *optionsForm) { f.Preset, f.Base, f.Template = pop.PresetSuite8, "", "" },
			want: "crm-base:errBaseEmpty()",
		},
		{
			name: "a typo in a placeholder",
			old:  d,
			edit: func(f *optionsForm) { f.Preset, f.Template = pop.PresetCustom, "https://crm/x?q=*CALING*" },
			want: "template:errTemplateUnknown(*CALING*)",
		},
		{
			name: "a placeholder in lower case",
			old:  d,
			edit: func(f *optionsForm) { f.Preset, f.Template = pop.PresetCustom, "https://crm/x?q=*calling_e164*" },
			want: "template:errTemplateCase(*calling_e164*,*CALLING_E164*)",
		},
		{
			name: "window mode checks the size",
			old:  d,
			edit: func(f *optionsForm) { f.Mode, f.Width, f.Height = settings.ModeWindow, "90", "abc" },
			want: "window:errWindowSize()",
		},
		{
			name: "window size outside window mode is not checked",
			old:  d,
			edit: func(f *optionsForm) { f.Mode, f.Width = settings.ModeTab, "90" },
		},
		{
			name: "window mode with a size",
			old:  d,
			edit: func(f *optionsForm) { f.Mode, f.Width, f.Height = settings.ModeWindow, "640", " 480 " },
			check: func(s settings.Settings) string {
				if s.Mode != settings.ModeWindow || s.WindowWidth != 640 || s.WindowHeight != 480 {
					return fmt.Sprintf("%+v", s)
				}
				return ""
			},
		},
		{
			name: "a negative cap",
			old:  d,
			edit: func(f *optionsForm) { f.Cap = "-1" },
			want: "cap:errCap()",
		},
		{
			name: "no cap",
			old:  d,
			edit: func(f *optionsForm) { f.Cap = "0" },
			check: func(s settings.Settings) string {
				if s.CapPerMinute != 0 {
					return fmt.Sprint(s.CapPerMinute)
				}
				return ""
			},
		},
		{
			name: "no event at all",
			old:  d,
			edit: func(f *optionsForm) { f.Events = nil },
			want: "events:errNoEvents()",
		},
		{
			name: "events and lines",
			old:  d,
			edit: func(f *optionsForm) {
				f.Events = []string{ovhevent.StartCalling, ovhevent.StartRinging}
				f.Lines, f.Outbound, f.Notify = "0033972101010\n\n Accueil , 0972101011;", true, false
			},
			check: func(s settings.Settings) string {
				want := pop.Rules{Events: []string{ovhevent.StartRinging, ovhevent.StartCalling}, Outbound: true,
					Lines: []string{"0033972101010", "Accueil", "0972101011"}}
				if fmt.Sprint(s.Rules) != fmt.Sprint(want) || s.Notify {
					return fmt.Sprintf("%+v notify %v", s.Rules, s.Notify)
				}
				return ""
			},
		},
		{
			name: "the default events are stored as the default",
			old:  d,
			edit: func(f *optionsForm) { f.Events = slices.Clone(pop.DefaultEvents()) },
			check: func(s settings.Settings) string {
				if s.Rules.Events != nil {
					return fmt.Sprint(s.Rules.Events)
				}
				return ""
			},
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := formOf(tt.old)
			tt.edit(&f)
			s, probs := f.settings(tt.old)
			if got := fields(probs); got != tt.want {
				t.Fatalf("problems = %q, want %q", got, tt.want)
			}
			if len(probs) > 0 {
				if !s.Equal(tt.old) {
					t.Errorf("bad input changed the settings: %+v", s)
				}
				return
			}
			if errs := s.Validate(pop.ValidateTemplate); len(errs) > 0 {
				t.Errorf("accepted settings don't validate: %v", errs)
			}
			if tt.check != nil {
				if msg := tt.check(s); msg != "" {
					t.Error(msg)
				}
			}
		})
	}
}

func TestPresetFor(t *testing.T) {
	d := settings.Default()
	if got := presetFor(d); got != pop.PresetSugar6 {
		t.Errorf("default = %q", got)
	}
	d.Template += "&x=1"
	if got := presetFor(d); got != pop.PresetCustom {
		t.Errorf("edited = %q", got)
	}
	if got := presetFor(settings.Settings{Preset: "gone", Template: pop.DefaultTemplate}); got != pop.PresetCustom {
		t.Errorf("unknown preset = %q", got)
	}
}

func TestTemplateProblemCodes(t *testing.T) {
	for _, tt := range []struct{ template, want string }{
		{"", "errTemplateEmpty()"},
		{"{base}/index.php", "errTemplateBase()"},
		{"https://crm/a b", "errTemplateSpace(14)"},
		{"https://crm/a\\b", "errTemplateBackslash(14)"},
		{"https://crm/a\tb", "errTemplateControl(14)"},
		{"crm.example.com/x", "errTemplateRelative()"},
		{"data:text/html,hi", "errTemplateScheme(data:)"},
		{"https:///x", "errTemplateNoHost()"},
		{"https://u:p@crm/x", "errTemplateUser()"},
		{"https://*CALLING*.crm/x", "errTemplatePlaceholderHost()"},
		{"https://crm/x?q=50%", "errTemplateEscape(19)"},
		{"https://crm/x?q=*NOPE*", "errTemplateUnknown(*NOPE*)"},
	} {
		err := pop.ValidateTemplate(tt.template)
		if err == nil {
			t.Errorf("%q: valid?", tt.template)
			continue
		}
		p := problemFor(err, settings.Settings{Template: tt.template})
		if got := p.Text.Key + "(" + strings.Join(p.Text.Subs, ",") + ")"; p.Field != fieldTemplate || got != tt.want {
			t.Errorf("%q: %s %s, want %s (%v)", tt.template, p.Field, got, tt.want, err)
		}
	}
}

func TestBaseProblem(t *testing.T) {
	for base, want := range map[string]string{
		"":                          "errBaseEmpty",
		"crm.example.com":           "errBaseScheme",
		"ftp://crm.example.com":     "errBaseScheme",
		"https://crm/{x}":           "errBaseCharacters",
		"https://u:p@crm.example":   "errBaseUser",
		"https://":                  "errBaseInvalid",
		"https://crm example.com/x": "errBaseInvalid",
	} {
		if _, err := pop.PresetURL(pop.PresetSugar6, base); err == nil {
			t.Errorf("%q: PresetURL accepts it", base)
		}
		if got := baseProblem(base).Key; got != want {
			t.Errorf("baseProblem(%q) = %s, want %s", base, got, want)
		}
	}
}

func TestRelayProblem(t *testing.T) {
	for in, want := range map[string]string{
		"http://127.0.0.1:8080": "",
		"wss://relay":           "",
		"":                      "errRelayEmpty",
		"javascript:alert(1)":   "errRelayScheme",
		"127.0.0.1:8080":        "errRelayInvalid",
		"http://":               "errRelayNoHost",
		"http://a:b@relay":      "errRelayUser",
		"relay.example.com":     "errRelayInvalid",
		"ftp://relay":           "errRelayScheme",
		"http://relay:port":     "errRelayInvalid",
		"http://relay/a b":      "errRelayInvalid",
		"HTTP://[::1]:8080/":    "",
	} {
		got := relayProblem(in).Key
		if got != want {
			t.Errorf("relayProblem(%q) = %q, want %q", in, got, want)
		}
		// The same verdict as the settings' own check.
		if (got == "") != (settings.ValidateRelayURL(in) == nil) {
			t.Errorf("relayProblem(%q) = %q disagrees with settings.ValidateRelayURL", in, got)
		}
	}
}

func TestPreviewAndPlaceholders(t *testing.T) {
	u, err := preview(settings.Default().Template)
	if err != nil || !strings.HasSuffix(u, "query_string=%256%251%252%253%254%255%256%258%252") {
		t.Errorf("preview = %q, %v", u, err)
	}
	for _, p := range pop.Placeholders() {
		if p.Name == "*DIALED*" {
			continue // the sample call dialled nothing
		}
		if placeholderSample(p.Name) == "" {
			t.Errorf("%s has no sample value", p.Name)
		}
	}
	if got := placeholderSample("*CALLING_GROUPED*"); got != "06 12 34 56 82" {
		t.Errorf("grouped sample = %q", got)
	}
	if got := placeholderSample("*LINE_NAME*"); got != "Accueil" {
		t.Errorf("line name sample = %q", got)
	}
}

func TestOriginAndHostAccess(t *testing.T) {
	for tmpl, want := range map[string]string{
		"https://CRM.example.com:8443/index.php?q=*CALLING*": "https://crm.example.com:8443",
		"http://127.0.0.1:8080/demo-crm/x":                   "http://127.0.0.1:8080",
		"javascript:alert(1)":                                "",
		"":                                                   "",
	} {
		if got := origin(tmpl); got != want {
			t.Errorf("origin(%q) = %q, want %q", tmpl, got, want)
		}
	}
	for _, m := range settings.Modes() {
		if _, ok := modeKeys[m]; !ok {
			t.Errorf("mode %q has no label", m)
		}
	}
	if needsHostAccess(settings.ModeTab) || !needsHostAccess(settings.ModeInPage) {
		t.Error("needsHostAccess")
	}
	for _, e := range pop.PoppableEvents() {
		if _, ok := eventKeys[e]; !ok {
			t.Errorf("event %q has no label", e)
		}
	}
	for _, p := range pop.Presets() {
		if _, ok := presetKeys[p.ID]; !ok {
			t.Errorf("preset %q has no label", p.ID)
		}
	}
}

func TestFirstProblem(t *testing.T) {
	if p, ok := firstProblem(settings.Default()); ok {
		t.Errorf("default settings: %+v", p)
	}
	s := settings.Default()
	s.Template = "javascript:alert(*CALLING*)"
	if p, ok := firstProblem(s); !ok || p.Field != fieldTemplate || p.Text.Key != "errTemplateScheme" {
		t.Errorf("javascript: template: %+v", p)
	}
	s.RelayURL = ""
	if p, ok := firstProblem(s); !ok || p.Field != fieldRelay || p.Text.Key != "errRelayEmpty" {
		t.Errorf("no relay: %+v", p)
	}
}

// TestHostAccessByMode: only the in-page card needs host access to the CRM
// (the same CRM tab that follows the calls is navigated without it);
// silent mode does more with it; and the pattern asked for is the one the
// background checks, every port of the host.
func TestHostAccessByMode(t *testing.T) {
	for _, m := range settings.Modes() {
		want := accessUnused
		switch m {
		case settings.ModeInPage:
			want = accessRequired
		case settings.ModeSilent:
			want = accessOptional
		}
		if got := hostAccess(m); got != want {
			t.Errorf("hostAccess(%s) = %d, want %d", m, got, want)
		}
		if needsHostAccess(m) != (want == accessRequired) {
			t.Errorf("needsHostAccess(%s) = %v", m, needsHostAccess(m))
		}
	}
	const demo = "http://127.0.0.1:8080/demo-crm/index.php?module=Home&action=UnifiedSearch&query_string=*OTHER_LIKE*"
	for _, tt := range []struct{ mode, base, template, want string }{
		{settings.ModeReuseTab, "", demo, "http://127.0.0.1/*"},
		{settings.ModeInPage, "https://crm.example.com:8443/suite", demo, "https://crm.example.com/*"},
		{settings.ModeInPage, " ", demo, "http://127.0.0.1/*"},
		{settings.ModeSilent, "https://ignored.example.com", "https://hooks.example.com/pop?n=*OTHER_E164*", "https://hooks.example.com/*"},
		{settings.ModeInPage, "", "javascript:alert(1)", ""},
	} {
		if got := accessPattern(tt.mode, tt.base, tt.template); got != tt.want {
			t.Errorf("accessPattern(%s, %q, %q) = %q, want %q", tt.mode, tt.base, tt.template, got, tt.want)
		}
	}
}
