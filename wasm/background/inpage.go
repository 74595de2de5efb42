package background

import (
	"errors"

	"github.com/screenpop/screenpop/internal/stdlite"
)

// The in-page panel ("inpage" pop mode) shows the caller card inside the
// CRM page the agent already has open, instead of opening a new tab.
//
// How it fits together (inpage_js.go does the browser part):
//   - The options page asks for host access to the CRM's origin at run time
//     (optional_host_permissions, pattern CRMMatchPattern).
//   - SyncInPage registers extension/content.js for that origin
//     (scripting.registerContentScripts, id InPageScriptID).
//   - On a pop, ShowInPage writes the card (InPageCard) to storage under
//     InPageKey, and messages a CRM tab; content.js makes room for the card:
//     a closed shadow root holding an iframe of the extension's card.html,
//     which Go renders (wasm/pages/card_js.go) from storage and keeps live
//     from the Calls view.
//   - Links in the card post {type:"navigate",url} to content.js, which
//     navigates the CRM page itself. The navigation is then the CRM page's
//     own (Referer: the CRM), which Sugar's cross-site check accepts, and it
//     needs no user activation.
//
// Why an iframe and not the CRM framed by the extension: the CRM's session
// cookie is SameSite=Lax by default, so a CRM page framed cross-origin looks
// logged out; the card goes into the CRM page, not the other way round. Why
// an iframe of an extension page and not DOM built by the content script:
// the card's logic stays in Go and shares code with the other pages, the
// card can read extension storage, and the CRM page's scripts and styles
// can't reach into it.

// InPageKey is the storage key of the card the in-page panel shows.
const InPageKey = "inpage"

// InPageScriptID is the ID content.js is registered under.
const InPageScriptID = "screenpop-crm"

// InPageMessage is the type of the runtime message that tells content.js
// to show the card (the card itself is in storage).
const InPageMessage = "screenpop-card"

// InPageCard is what the caller card inside the CRM page shows.
type InPageCard struct {
	// Origin is the CRM page's origin: the card posts its links only to it,
	// and content.js only follows links to it.
	Origin string   `json:"origin"`
	URL    string   `json:"url"` // the expanded pop URL ("Search in CRM")
	View   CallView `json:"view"`
	At     int64    `json:"at"` // when it was shown (Unix ms)
}

// CRMOrigin returns the origin of a CRM URL (its base or any of its
// pages) as the browser writes it: scheme://host[:port], host in lower
// case, no default port. Only http and https CRMs can get a card.
func CRMOrigin(crm string) (string, error) {
	u, err := parseCRM(crm)
	if err != nil {
		return "", err
	}
	return u.Origin(), nil
}

func parseCRM(crm string) (*stdlite.URL, error) {
	u, err := stdlite.ParseURL(stdlite.TrimSpace(crm))
	if err != nil {
		if e := err.(*stdlite.URLError); e.Code == stdlite.ErrURLScheme {
			return nil, errors.New("the CRM address must start with http:// or https:// to show a card in its pages (got " + stdlite.Quote(e.Text) + ")")
		}
		return nil, errors.New("the CRM address " + stdlite.Quote(crm) + " is not a URL like https://crm.example.com (" + err.Error() + "); fix it in the options")
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, errors.New("the CRM address must start with http:// or https:// to show a card in its pages (got " + stdlite.Quote(u.Scheme+":") + ")")
	}
	return u, nil
}

// CRMMatchPattern is the match pattern for the CRM's pages, for host access
// (permissions.request) and the content script: scheme://hostname/*.
// Match patterns can't carry a port in Firefox, and without one Chrome
// matches every port; tabs are then filtered by exact origin (SameOrigin).
func CRMMatchPattern(crm string) (string, error) {
	u, err := parseCRM(crm)
	if err != nil {
		return "", err
	}
	return u.Scheme + "://" + u.Host + "/*", nil // an IPv6 host keeps its brackets
}

// SameOrigin reports whether page is on origin (as CRMOrigin returns it).
func SameOrigin(page, origin string) bool {
	o, err := CRMOrigin(page)
	return err == nil && o == origin
}
