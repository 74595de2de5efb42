package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/screenpop/screenpop/internal/pop"
	"github.com/screenpop/screenpop/internal/settings"
)

// The options page offers what a pop opens for the relay's matches, in
// both languages, and saves the agent's choice (the defaults as "").
func TestPagesMatchOptions(t *testing.T) {
	for _, tt := range []struct {
		lang                         string
		title, one, many, none, hint string
	}{
		{"", "When the relay knows the caller", "Open the record", "Let me choose in the side panel or the in-page card", "Open a new-contact form with the number filled in", "no CRM configured"},
		{"fr", "Quand le relais connaît l'appelant", "Ouvrir la fiche", "Me laisser choisir dans le panneau latéral ou la fiche dans la page", "Ouvrir un formulaire de nouveau contact avec le numéro rempli", "sans CRM configuré"},
	} {
		t.Run("lang="+tt.lang, func(t *testing.T) {
			b := pagesBrowser(t, tt.lang)
			opts := b.page("options.html", "relay-url")
			if tt.lang != "" {
				requireUILanguage(t, opts, tt.lang)
			}
			s := offline(t, opts)
			opts = b.page("options.html", "one-match")
			text, _ := eval[string](opts, `document.getElementById('one-match').closest('section').textContent`)
			for _, want := range []string{tt.title, tt.one, tt.many, tt.none, tt.hint} {
				if !strings.Contains(text, want) {
					t.Errorf("the section %q lacks %q", text, want)
				}
			}
			for id, want := range map[string]string{"one-match": pop.OneRecord, "many-matches": pop.ManySearch, "no-match": pop.NoneSearch} {
				if got, _ := eval[string](opts, `document.getElementById(`+js(id)+`).value`); got != want {
					t.Errorf("a fresh install shows %s = %q, want %q", id, got, want)
				}
			}
			setField(t, opts, "many-matches", pop.ManyChoose)
			setField(t, opts, "no-match", pop.NoneNew)
			click(t, opts, "save")
			var saved settings.Settings
			b.waitFor("the choices to be saved", 10*time.Second, func() bool {
				return stored(t, opts, settings.StorageKey, &saved) && saved.ManyMatches == pop.ManyChoose
			})
			if saved.OneMatch != "" || saved.NoMatch != pop.NoneNew || saved.RelayURL != s.RelayURL {
				t.Errorf("saved one %q none %q relay %q; want the default (\"\"), %q, %s", saved.OneMatch, saved.NoMatch, saved.RelayURL, pop.NoneNew, s.RelayURL)
			}
		})
	}
}
