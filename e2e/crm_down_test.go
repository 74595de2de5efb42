package e2e

import (
	"context"
	"log/slog"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/screenpop/screenpop/internal/directory"
	"github.com/screenpop/screenpop/internal/settings"
	"github.com/screenpop/screenpop/server/crm"
	"github.com/screenpop/screenpop/server/ovhsim"
	"github.com/screenpop/screenpop/server/relay"
)

// Issue #12, item 8: a relay whose CRM cannot be reached (its address has
// nothing listening) tells the agent in the popup, beside a connection
// that still works, with what to do; and the pops go on, to the search.
// The relay's own Syncer runs against the real v4 client, as serve.go
// runs it; its outcome reaches the relay through Relay.CRMSynced.
func TestPagesCRMDown(t *testing.T) {
	// An address where nothing listens: a port taken, then freed.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := "http://" + ln.Addr().String()
	ln.Close()
	api, err := crm.NewV4Client(crm.V4Config{BaseURL: down, User: "screenpop-sync", Password: "not-used"})
	if err != nil {
		t.Fatal(err)
	}
	dir, err := directory.New("FR")
	if err != nil {
		t.Fatal(err)
	}

	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	s, r := startStackWith(t, relay.Config{Log: log, AllowAnonymous: true, CRM: &relay.CRM{
		Directory: dir,
		Search:    api,
		RecordURL: func(module, id string) string { return crm.RecordURL(crm.KindSuiteCRM7, down, module, id) },
	}})
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	syncer := &crm.Syncer{Source: api, Directory: dir}
	go syncer.Run(ctx, time.Second, r.CRMSynced)
	sim, relaySrv, crmSrv := s.sim, s.relay, s.crm

	b := pagesBrowser(t, "")
	popup := b.page("popup.html", "status")
	conf := settings.Default()
	conf.RelayURL = relaySrv.URL
	conf.CRMBase = crmSrv.URL
	conf.Template = crmSrv.URL + "/index.php?module=Home&action=UnifiedSearch&query_string=*CALLING_E164*"
	conf.Mode = settings.ModeTab
	store(t, popup, settings.StorageKey, conf)

	t.Cleanup(func() {
		if t.Failed() {
			all, _ := eval[string](popup, `chrome.storage.local.get(null).then(r => JSON.stringify(r))`)
			t.Logf("status box: %q; storage: %.3000s", textOf(popup, "status"), all)
		}
	})
	b.waitFor("the popup to say the relay's CRM directory does not sync", 20*time.Second, func() bool {
		return strings.Contains(textOf(popup, "crm-sync-detail"), "cannot sync its CRM caller directory")
	})
	if got := textOf(popup, "status"); !strings.Contains(got, "Connected to the relay") {
		t.Errorf("the popup's relay box reads %q, want it still connected: pops go on while the CRM is down", got)
	}
	if got := textOf(popup, "crm-sync-advice"); !strings.Contains(got, "/healthz") {
		t.Errorf("the advice reads %q, want it to say where the relay says why", got)
	}
	reason, err := eval[string](popup, `document.querySelector('#status details.relay-reason p')?.textContent ?? ''`)
	if err != nil || !strings.Contains(reason, strings.TrimPrefix(down, "http://")) {
		t.Errorf("the relay's reason reads %q (%v), want the CRM's address it could not reach", reason, err)
	}

	// A ring while the CRM is down: the search pops, as with no directory.
	const caller = "0033612345682"
	if _, err := sim.Ring(ovhsim.Call{Line: line, Calling: caller, Scenario: "ringing"}); err != nil {
		t.Fatal(err)
	}
	b.waitFor("the search for the caller to pop while the CRM is down", 10*time.Second, func() bool {
		for _, u := range b.pages() {
			if strings.HasPrefix(u, crmSrv.URL) && strings.Contains(u, "UnifiedSearch") && strings.Contains(u, "33612345682") {
				return true
			}
		}
		return false
	})
}
