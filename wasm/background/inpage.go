package background

import (
	"fmt"
	"net/url"
	"strings"
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

// CRMOrigin returns the origin (scheme://host[:port]) of a CRM URL: its
// base or any of its pages. Only http and https CRMs can get a card.
func CRMOrigin(crm string) (string, error) {
	u, err := url.Parse(strings.TrimSpace(crm))
	if err != nil || u.Host == "" {
		return "", fmt.Errorf("the CRM address %q is not a URL like https://crm.example.com; fix it in the options", crm)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("the CRM address must start with http:// or https:// to show a card in its pages (got %q)", u.Scheme+":")
	}
	return u.Scheme + "://" + strings.ToLower(u.Host), nil
}

// CRMMatchPattern is the match pattern for the CRM's pages, for host access
// (permissions.request) and the content script: scheme://hostname/*.
// Match patterns can't carry a port in Firefox, and without one Chrome
// matches every port; tabs are then filtered by exact origin (SameOrigin).
func CRMMatchPattern(crm string) (string, error) {
	origin, err := CRMOrigin(crm)
	if err != nil {
		return "", err
	}
	u, _ := url.Parse(origin)
	host := u.Hostname()
	if strings.Contains(host, ":") {
		host = "[" + host + "]" // IPv6
	}
	return u.Scheme + "://" + host + "/*", nil
}

// SameOrigin reports whether page is on origin (as CRMOrigin returns it).
func SameOrigin(page, origin string) bool {
	o, err := CRMOrigin(page)
	return err == nil && o == origin
}
