package relay

import (
	"net/http"

	"github.com/screenpop/screenpop/server/upstream"
)

// Health is the answer of GET /healthz.
type Health struct {
	OK        bool              `json:"ok"` // every token polls OVH successfully
	Version   string            `json:"version"`
	Clients   int               `json:"clients"`
	Agents    int               `json:"agents"` // distinct named agents connected
	Anonymous bool              `json:"anonymous,omitempty"`
	Store     bool              `json:"store"`             // a data file holds the log and history
	Cursor    uint64            `json:"cursor"`            // newest event ID
	Unsaved   int               `json:"unsaved,omitempty"` // events the data file failed to log
	Upstream  []upstream.Health `json:"upstream"`
	// CRM is the caller directory's last sync and error (nil: the relay
	// has no CRM). A failing CRM does not make the relay unhealthy (ok
	// stays true, 200): pops go on, from the directory as it was.
	CRM *CRMHealth `json:"crm,omitempty"`
	// CRMCallLog is the calls logged in the CRM: writes queued (the CRM
	// down, a retry due) and the last error (nil: no call logging). A
	// failing write does not make the relay unhealthy either: it waits
	// in the data file.
	CRMCallLog *CallLogHealth `json:"crmCallLog,omitempty"`
}

// serveHealth is GET /healthz: 200 when every token polls OVH, else 503
// with each poller's state (a reverse proxy or a monitor checks it).
func (r *Relay) serveHealth(w http.ResponseWriter, _ *http.Request) {
	hs := r.hub.Stats()
	h := Health{OK: true, Version: Version, Agents: hs.Agents, Anonymous: r.cfg.AllowAnonymous,
		Store: r.cfg.Store != nil, Cursor: hs.Newest, Unsaved: hs.Unsaved, Upstream: r.pollerStates(), CRM: r.crmHealth(), CRMCallLog: r.callLogHealth()}
	for _, n := range hs.Clients {
		h.Clients += n
	}
	for _, s := range h.Upstream {
		if s.Status != upstream.StatusPolling {
			h.OK = false
		}
	}
	if len(h.Upstream) == 0 || hs.Unsaved > 0 {
		h.OK = false
	}
	status := http.StatusOK
	if !h.OK {
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, h)
}
