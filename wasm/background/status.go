package background

// StatusKey is where the background publishes its connection state for the
// pages (options, popup) to show.
const StatusKey = "status"

// RelayStatus is the relay connection as the agent should understand it.
type RelayStatus struct {
	State   string `json:"state"`   // "connecting", "connected", "down", "settings"
	Message string `json:"message"` // why, and what to do
	Relay   string `json:"relay"`
	At      int64  `json:"at"` // Unix ms
	// PopError says why the last pop failed (silent mode's GET, a window
	// that could not open), with what to do; "" when it did not fail.
	PopError   string `json:"popError,omitempty"`
	PopErrorAt int64  `json:"popErrorAt,omitempty"` // Unix ms
}

// RelayStatus states.
const (
	StatusConnecting = "connecting"
	StatusConnected  = "connected"
	StatusDown       = "down"
	StatusSettings   = "settings" // the agent must fix the settings (or paste a new connection string)
)
