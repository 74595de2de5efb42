package ovhsim

import "time"

// Config holds every knob of the emulator. The zero value is usable: each
// field says its default. Knobs marked "inferred" cover behaviour nobody
// has documented publicly (see shared/docs/ovh-events.md): tests should run
// both ways where it matters.
type Config struct {
	// HoldTime is how long a poll with nothing to say is held open before
	// it is answered with no events. Default 55s (inferred: 55–60 s on the
	// real service); tests set it to well under a second.
	HoldTime time.Duration

	// QueueMax is how many events a session keeps between two polls; when
	// it is full the oldest is dropped. Default 1000.
	QueueMax int

	// SessionTTL is how long a session that is not polled survives, so that
	// memory stays bounded when clients go away. Default 2×HoldTime + 60s.
	SessionTTL time.Duration

	// PublicBaseURL is the base URL clients use to reach the emulator,
	// without "/1.0" and without a trailing slash (e.g.
	// "https://sim.example.com"). The /1.0 signature covers the full URL
	// the client signed, so it must be known. When empty it is derived
	// from the request: X-Forwarded-Proto (or TLS) and Host.
	PublicBaseURL string

	// Clock gives the time for event timestamps, token expiry, session
	// expiry and /auth/time. Default time.Now. Waits (HoldTime, ring and
	// talk durations) always use real timers.
	Clock func() time.Time

	// Logf, when set, receives one line per notable thing: rejected
	// tokens, faults, calls, API rejections.
	Logf func(format string, args ...any)

	// BadTokenStyle is how the events endpoint answers a malformed,
	// unknown, expired or revoked token (inferred). Default "403".
	BadTokenStyle BadTokenStyle

	// EmptyAsNull makes an answer with nothing to say carry "Events": null
	// instead of "Events": [] (both are seen; inferred).
	EmptyAsNull bool

	// OneTokenPerScope makes creating a token revoke the previous token of
	// the same line or billing account (inferred: the OVH API's GET
	// …/eventToken returns a single token). Default false: every token
	// stays valid until it expires or is deleted.
	OneTokenPerScope bool

	// HangTimeout is how long FaultHang holds a poll before dropping the
	// connection without an answer (as a proxy on the way cuts a request
	// held too long). Default 2×HoldTime: longer than a poll, so a client
	// sees the hang and its own request timeout has to act.
	HangTimeout time.Duration

	// Nichandle is the account GET /1.0/me answers with. Default
	// "ab12345-ovh" (the nichandle of the billing account ab12345-ovh-1).
	Nichandle string

	// Order is how calls play their events when they do not choose
	// (Call.Order): OrderOVH (the default: as the service, what OVH's
	// dashboard expects) or OrderLegacy (the emulator's former orders:
	// end_ringing after an answer, queue events without CallId, Count,
	// member-count, bridge-agent-fail or queue times). Sim.SetOrder and
	// POST /sim/order change it at run time.
	Order Order

	// MaxClockSkew is how far X-Ovh-Timestamp may be from Clock on signed
	// /1.0 calls. Default 5 minutes.
	MaxClockSkew time.Duration
}

// BadTokenStyle says how the events endpoint rejects a token.
type BadTokenStyle string

const (
	// BadToken403 answers HTTP 403 with
	// {"Session":"","Message":"Invalid token","Events":null}.
	BadToken403 BadTokenStyle = "403"
	// BadToken200Message answers HTTP 200 with the same body: only the
	// Message says something is wrong.
	BadToken200Message BadTokenStyle = "200-message"
)

// Defaults.
const (
	DefaultHoldTime     = 55 * time.Second
	DefaultQueueMax     = 1000
	DefaultMaxClockSkew = 5 * time.Minute
	DefaultNichandle    = "ab12345-ovh"
)

// withDefaults returns cfg with every zero field set to its default.
func (cfg Config) withDefaults() Config {
	if cfg.HoldTime <= 0 {
		cfg.HoldTime = DefaultHoldTime
	}
	if cfg.HangTimeout <= 0 {
		cfg.HangTimeout = 2 * cfg.HoldTime
	}
	if cfg.QueueMax <= 0 {
		cfg.QueueMax = DefaultQueueMax
	}
	if cfg.SessionTTL <= 0 {
		cfg.SessionTTL = 2*cfg.HoldTime + 60*time.Second
	}
	if cfg.Clock == nil {
		cfg.Clock = time.Now
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	if cfg.BadTokenStyle == "" {
		cfg.BadTokenStyle = BadToken403
	}
	if cfg.Nichandle == "" {
		cfg.Nichandle = DefaultNichandle
	}
	if cfg.MaxClockSkew <= 0 {
		cfg.MaxClockSkew = DefaultMaxClockSkew
	}
	for len(cfg.PublicBaseURL) > 0 && cfg.PublicBaseURL[len(cfg.PublicBaseURL)-1] == '/' {
		cfg.PublicBaseURL = cfg.PublicBaseURL[:len(cfg.PublicBaseURL)-1]
	}
	return cfg
}

// Fault is an outage of the events endpoint, set with Sim.SetFault. The
// real service is known to break down for periods; these are the shapes a
// client must survive. Faults apply to the events endpoint only: the
// control API (/sim/) and the OVH API (/1.0/) keep working.
type Fault string

const (
	FaultNone Fault = ""
	// Fault5xx answers 503 with an HTML error page.
	Fault5xx Fault = "5xx"
	// FaultHang holds every poll without an answer. A held poll is
	// released when the fault is cleared (it then goes on as a normal
	// poll: it answers what happened meanwhile, or holds until HoldTime);
	// it is dropped without an answer when the client gives up, the Sim
	// is closed, or it has hung for Config.HangTimeout.
	FaultHang Fault = "hang"
	// FaultGarbage answers 200 with a body that is not JSON.
	FaultGarbage Fault = "garbage"
	// FaultInstantError drops the connection at once, without an answer
	// (the client sees EOF / connection reset).
	FaultInstantError Fault = "instant-error"
)

// Valid reports whether f is one of the faults above.
func (f Fault) Valid() bool {
	switch f {
	case FaultNone, Fault5xx, FaultHang, FaultGarbage, FaultInstantError:
		return true
	}
	return false
}

// Faults lists the faults, FaultNone first.
var Faults = []Fault{FaultNone, Fault5xx, FaultHang, FaultGarbage, FaultInstantError}
