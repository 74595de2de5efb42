package main

import (
	"bufio"
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/screenpop/screenpop/internal/phone/parse"
	"github.com/screenpop/screenpop/internal/stream"
	"github.com/screenpop/screenpop/server/crm"
	"github.com/screenpop/screenpop/server/upstream"
)

// Config is every knob of the relay, with its default, in one place.
// Each is set, from weakest to strongest, by its default, the config file
// (-config or SCREENPOP_CONFIG: "key = value" lines, keys named like the
// flags; screenpop.conf.example documents every one), its environment
// variable, then its flag.
type Config struct {
	ConfigFile string

	Listen      string
	PublicURL   string
	Data        string
	TLSCert     string
	TLSKey      string
	AdminListen string

	AllowAnonymous bool
	AllowedOrigins []string
	BehindProxy    bool
	AuthFailBurst  int
	AuthFailEvery  time.Duration

	Token               string
	TokenBillingAccount string
	TokenLine           string
	TokenExpiration     string
	EventsURL           string
	OVHEndpoint         string
	PollBackoffMin      time.Duration
	PollBackoffMax      time.Duration

	Region      string
	ReplayMax   int
	ReplayAge   time.Duration
	ClientQueue int
	KeepAlive   time.Duration
	PollWait    time.Duration
	HistoryAge  time.Duration
	RingingMax  time.Duration
	LiveMax     time.Duration

	ShutdownGrace time.Duration
	LogLevel      string
	LogFormat     string
	Verbose       bool
	Pprof         string

	Demo      bool
	DemoEvery time.Duration

	// The caller directory: the CRM the relay syncs it from, and how.
	// The API user's password is no knob (a flag shows in ps, a config
	// file gets copied around): it comes from SCREENPOP_CRM_PASSWORD or
	// CRMPasswordFile, read by crmPassword.
	CRMURL          string
	CRMAPI          string
	CRMKind         string
	CRMUser         string
	CRMPasswordFile string
	CRMPlatform     string
	CRMSync         time.Duration
	crmPassword     string // read by validateCRM; never shown, logged or sent
	// The call log in the CRM (crm_config.go parses them).
	CRMLogCalls     string
	CRMCallback     string
	CRMCallbackUser string

	// set records which knobs were given (file, env or flag), by name.
	set map[string]bool
	// from records where each knob given was set, and its value as
	// written there, so that an error names the file and line (or the
	// variable, or the flag) and shows 99s, not the 1m39s it parsed to.
	from map[string]origin
}

// origin is where a knob was set, and its value as written there.
type origin struct {
	where string // "screenpop.conf:3", "SCREENPOP_POLL_WAIT" or "-poll-wait"
	kind  byte   // 'f' file, 'e' environment, 'a' argument (flag)
	raw   string
}

// knob is one setting: its flag and config-file key, its environment
// variable, its help, and where it lives in a Config.
type knob struct {
	name, env, help string
	section         string // heading in the sample config file
	value           flag.Value
	secret          bool // never printed back (config show, sample)
	cli             bool // also taken by the agent and token commands
}

const (
	secListen = "Where the relay listens"
	secAgents = "Agents and browsers"
	secOVH    = "OVH"
	secStream = "Events, replay and history"
	secCRM    = "Caller directory (CRM)"
	secOps    = "Operations"
	secDemo   = "Demo"
)

func (c *Config) knobs() []knob {
	return []knob{
		{"config", "SCREENPOP_CONFIG", "config `file` (key = value lines, keys named like the flags; see screenpop.conf.example)", secListen, strVal(&c.ConfigFile), false, true},
		{"listen", "SCREENPOP_LISTEN", "`address` the agents' API listens on. 127.0.0.1 by default: to serve a team, put a TLS reverse proxy in front, or use -tls-cert and -tls-key with a public address", secListen, strVal(&c.Listen), false, true},
		{"public-url", "SCREENPOP_PUBLIC_URL", "`URL` agents reach the relay at, in the connection strings `agent add` prints (default: http(s)://<listen>); set it behind a reverse proxy, e.g. https://relay.example.com", secListen, strVal(&c.PublicURL), false, true},
		{"data", "SCREENPOP_DATA", "data `folder`: agents, tokens, event log and call history (screenpop.db), calls in progress (state.json), the admin endpoint's address and token (admin.json). Demo mode without -data uses a temporary one", secListen, strVal(&c.Data), false, true},
		{"tls-cert", "SCREENPOP_TLS_CERT", "TLS certificate `file` (PEM) to serve https:// and wss:// directly", secListen, strVal(&c.TLSCert), false, true},
		{"tls-key", "SCREENPOP_TLS_KEY", "TLS private key `file` (PEM) for -tls-cert", secListen, strVal(&c.TLSKey), false, false},
		{"admin-listen", "SCREENPOP_ADMIN_LISTEN", "loopback `address` of the admin endpoint the agent and token commands use while the relay runs (port 0: any free port; it is written to admin.json)", secListen, strVal(&c.AdminListen), false, false},

		{"allow-anonymous", "SCREENPOP_ALLOW_ANONYMOUS", "let clients without a secret in, seeing every line. UNSAFE beyond loopback: anyone who reaches the relay sees every call (demo mode turns it on)", secAgents, boolVal(&c.AllowAnonymous), false, false},
		{"allowed-origins", "SCREENPOP_ALLOWED_ORIGINS", "comma-separated browser `origins` allowed to use the agent API, e.g. chrome-extension://abcdef…; default: any browser extension", secAgents, listVal(&c.AllowedOrigins), false, false},
		{"behind-proxy", "SCREENPOP_BEHIND_PROXY", "rate-limit by the client address the reverse proxy puts in X-Forwarded-For (set it only behind a proxy that sets it)", secAgents, boolVal(&c.BehindProxy), false, false},
		{"auth-fail-burst", "SCREENPOP_AUTH_FAIL_BURST", "wrong secrets allowed per client address before it is refused (`n`)", secAgents, intVal(&c.AuthFailBurst), false, false},
		{"auth-fail-every", "SCREENPOP_AUTH_FAIL_EVERY", "then one more wrong secret allowed every `duration`", secAgents, durVal(&c.AuthFailEvery), false, false},

		{"token", "SCREENPOP_OVH_TOKEN", "OVH event `token` to poll (prefer the variable: flags show in ps); tokens saved with `screenpop-relay token add` are polled too", secOVH, strVal(&c.Token), true, false},
		{"token-billing-account", "SCREENPOP_OVH_TOKEN_BILLING_ACCOUNT", "billing `account` of -token (e.g. ab12345-ovh-1): with OVH API credentials, the relay renews the token when OVH rejects it", secOVH, strVal(&c.TokenBillingAccount), false, false},
		{"token-line", "SCREENPOP_OVH_TOKEN_LINE", "`line` of -token when it is a line's token (empty: the billing account's)", secOVH, strVal(&c.TokenLine), false, false},
		{"token-expiration", "SCREENPOP_OVH_TOKEN_EXPIRATION", "`expiration` -token was created with, asked again on renewal: 5 minutes, 1 hour, 1 day, 30 days or unlimited", secOVH, strVal(&c.TokenExpiration), false, false},
		{"events-url", "SCREENPOP_EVENTS_URL", "OVH event service `URL`", secOVH, strVal(&c.EventsURL), false, false},
		{"ovh-endpoint", "OVH_ENDPOINT", "OVH API `endpoint` for token renewal: ovh-eu, ovh-ca, ovh-us or a URL. The credentials follow go-ovh: OVH_APPLICATION_KEY, OVH_APPLICATION_SECRET, OVH_CONSUMER_KEY or ovh.conf (`screenpop-relay ovh credential` gets them)", secOVH, strVal(&c.OVHEndpoint), false, false},
		{"poll-backoff-min", "SCREENPOP_POLL_BACKOFF_MIN", "first wait after a failed poll of OVH (`duration`); it doubles, with jitter, up to poll-backoff-max", secOVH, durVal(&c.PollBackoffMin), false, false},
		{"poll-backoff-max", "SCREENPOP_POLL_BACKOFF_MAX", "longest wait between failed polls (`duration`)", secOVH, durVal(&c.PollBackoffMax), false, false},

		{"region", "SCREENPOP_REGION", "default `region` for national numbers (ISO 3166: FR, BE, CH…)", secStream, strVal(&c.Region), false, true},
		{"replay-max", "SCREENPOP_REPLAY_MAX", "events kept for clients that reconnect (`n`)", secStream, intVal(&c.ReplayMax), false, false},
		{"replay-age", "SCREENPOP_REPLAY_AGE", "and for at most this `duration`; an older cursor gets a gap message", secStream, durVal(&c.ReplayAge), false, false},
		{"client-queue", "SCREENPOP_CLIENT_QUEUE", "messages queued per client before a client that stopped reading is cut off (`n`)", secStream, intVal(&c.ClientQueue), false, false},
		{"keepalive", "SCREENPOP_KEEPALIVE", "ping every `duration` (Chrome stops an idle extension worker after 30 s)", secStream, durVal(&c.KeepAlive), false, false},
		{"poll-wait", "SCREENPOP_POLL_WAIT", "how long a long-poll (/v1/poll) is held (`duration`, at most 24s: Chrome kills a worker's fetch at 30 s)", secStream, durVal(&c.PollWait), false, false},
		{"history-age", "SCREENPOP_HISTORY_AGE", "calls are kept in the history for this `duration`", secStream, durVal(&c.HistoryAge), false, false},
		{"ringing-max", "SCREENPOP_RINGING_MAX", "a call ringing with no news for this `duration` is ended as missed", secStream, durVal(&c.RingingMax), false, false},
		{"live-max", "SCREENPOP_LIVE_MAX", "a call answered with no news for this `duration` is ended", secStream, durVal(&c.LiveMax), false, false},

		{"crm-url", "SCREENPOP_CRM_URL", "the CRM's root `URL` (e.g. https://crm.example.com, or http://127.0.0.1:8081): the relay syncs a caller directory of its Contacts, Leads and Accounts from it, so each ring names the caller and opens the record. Empty: no directory, pops open the extension's search", secCRM, strVal(&c.CRMURL), false, false},
		{"crm-api", "SCREENPOP_CRM_API", "the CRM's `API`: v4 (REST v4_1: SugarCRM 6.5, SuiteCRM 7, and SuiteCRM 8 through its legacy API) or v11 (Sugar 7 and later, OAuth2)", secCRM, strVal(&c.CRMAPI), false, false},
		{"crm-kind", "SCREENPOP_CRM_KIND", "`kind` of CRM, for the record pages to link: suitecrm7 (SugarCRM 6.5 and SuiteCRM 7), sugar7 (Sugar 7 and later) or suitecrm8", secCRM, strVal(&c.CRMKind), false, false},
		{"crm-user", "SCREENPOP_CRM_USER", "the CRM API `user` the relay reads the directory as (it must see every contact, lead and account agents may be called by). Its password comes from SCREENPOP_CRM_PASSWORD or crm-password-file, never from a flag", secCRM, strVal(&c.CRMUser), false, false},
		{"crm-password-file", "SCREENPOP_CRM_PASSWORD_FILE", "`file` holding the CRM API user's password (one line), instead of SCREENPOP_CRM_PASSWORD", secCRM, strVal(&c.CRMPasswordFile), false, false},
		{"crm-platform", "SCREENPOP_CRM_PLATFORM", "v11 only: the OAuth2 `platform` the relay logs in on, declared in Sugar's Admin → Configure API Platforms (not base, mobile or portal: a login there logs the user out of that app)", secCRM, strVal(&c.CRMPlatform), false, false},
		{"crm-sync", "SCREENPOP_CRM_SYNC", "how often the directory is synced incrementally (`duration`); a full sync runs at start when nothing is stored", secCRM, durVal(&c.CRMSync), false, false},
		{"crm-log-calls", "SCREENPOP_CRM_LOG_CALLS", "which calls the relay logs in the CRM when they end, one Call record each, related to the caller's record (`calls`): off, all, lines:0033972101010,0033972101011 (those lines), agents:alice,bob (the lines of those agents), or lines:…;agents:… for both", secCRM, strVal(&c.CRMLogCalls), false, false},
		{"crm-callback", "SCREENPOP_CRM_CALLBACK", "what a missed call logged leaves in the CRM to call the caller back, once per caller and day (`kind`): off, task (a Task) or call (a planned Call)", secCRM, strVal(&c.CRMCallback), false, false},
		{"crm-callback-user", "SCREENPOP_CRM_CALLBACK_USER", "the CRM `user` name the call-backs are assigned to; empty: the line's owner (the one agent whose lines hold it, when a CRM user has its name), else the API user", secCRM, strVal(&c.CRMCallbackUser), false, false},

		{"shutdown-grace", "SCREENPOP_SHUTDOWN_GRACE", "on SIGTERM, how long clients get to take their bye and leave (`duration`)", secOps, durVal(&c.ShutdownGrace), false, false},
		{"log-level", "SCREENPOP_LOG_LEVEL", "`level`: debug (every event, numbers masked), info, warn or error. Tokens and secrets are never logged", secOps, strVal(&c.LogLevel), false, false},
		{"log-format", "SCREENPOP_LOG_FORMAT", "`format`: text or json", secOps, strVal(&c.LogFormat), false, false},
		{"v", "", "verbose: same as -log-level debug", secOps, boolVal(&c.Verbose), false, false},
		{"pprof", "SCREENPOP_PPROF", "loopback `address` serving Go's profiler (net/http/pprof), to find where the relay's CPU and memory go under load; empty: off", secOps, strVal(&c.Pprof), false, false},

		{"demo", "SCREENPOP_DEMO", "run a built-in OVH emulator that rings a demo line, and a demo CRM at /demo-crm/; agents connect without a secret", secDemo, boolVal(&c.Demo), false, false},
		{"demo-every", "SCREENPOP_DEMO_EVERY", "in demo mode, how often the demo line rings (`duration`) until a call has reached an agent; then five times less often, to leave time to use the extension", secDemo, durVal(&c.DemoEvery), false, false},
	}
}

// defaultConfig is every default.
func defaultConfig() Config {
	return Config{
		Listen:          "127.0.0.1:8080",
		Data:            defaultDataDir(),
		AdminListen:     "127.0.0.1:0",
		AuthFailBurst:   10,
		AuthFailEvery:   6 * time.Second,
		TokenExpiration: "unlimited",
		EventsURL:       upstream.DefaultEventsURL,
		PollBackoffMin:  time.Second,
		PollBackoffMax:  time.Minute,
		Region:          "FR",
		ReplayMax:       10000,
		ReplayAge:       time.Hour,
		ClientQueue:     256,
		KeepAlive:       15 * time.Second,
		PollWait:        20 * time.Second,
		HistoryAge:      90 * 24 * time.Hour,
		RingingMax:      10 * time.Minute,
		LiveMax:         12 * time.Hour,
		ShutdownGrace:   5 * time.Second,
		LogLevel:        "info",
		LogFormat:       "text",
		DemoEvery:       8 * time.Second,
		CRMAPI:          "v4",
		CRMKind:         "suitecrm7",
		CRMPlatform:     crm.DefaultPlatform,
		CRMSync:         crm.DefaultInterval,
		CRMLogCalls:     "off",
		CRMCallback:     "off",
		set:             map[string]bool{},
		from:            map[string]origin{},
	}
}

// defaultDataDir is $XDG_DATA_HOME/screenpop, or ~/.local/share/screenpop.
func defaultDataDir() string {
	if d := os.Getenv("XDG_DATA_HOME"); d != "" {
		return filepath.Join(d, "screenpop")
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".local", "share", "screenpop")
	}
	return "screenpop-data"
}

// parseConfig reads the configuration: defaults, file, environment, then
// args' flags. With cliOnly, only the knobs the agent and token commands
// need are flags (the others still come from the file and environment).
// It returns the remaining arguments.
//
// -h (or -help, --help) writes usage, then every flag, to out and returns
// flag.ErrHelp, which the commands treat as success. Any other flag error
// is returned as one line with one more saying how to get help: the flag
// package's own output (the whole usage, then the error, which the caller
// prints again) is discarded.
func parseConfig(name, usage string, args []string, out io.Writer, cliOnly bool, extra func(*flag.FlagSet)) (Config, []string, error) {
	scratch := defaultConfig()
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	raw := map[string]string{}
	for _, k := range scratch.knobs() {
		if cliOnly && !k.cli {
			continue
		}
		help := k.help
		if k.env != "" {
			help += " (env " + k.env + ")"
		}
		fs.Var(rawFlag{k.value, k.name, raw}, k.name, help)
	}
	if extra != nil {
		extra(fs)
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printHelp(out, fs, usage)
			return Config{}, nil, flag.ErrHelp
		}
		return Config{}, nil, fmt.Errorf("%v\nRun `%s -h` for help.", err, name)
	}
	given := map[string]string{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = f.Value.String() })

	c := defaultConfig()
	path := os.Getenv("SCREENPOP_CONFIG")
	if v, ok := given["config"]; ok {
		path = v
	}
	if path != "" {
		if err := c.loadFile(path); err != nil {
			return Config{}, nil, err
		}
	}
	for _, k := range c.knobs() {
		if k.env == "" {
			continue
		}
		if v, ok := os.LookupEnv(k.env); ok && v != "" {
			if err := k.value.Set(v); err != nil {
				return Config{}, nil, fmt.Errorf("environment variable %s: %v", k.env, err)
			}
			c.set[k.name] = true
			c.from[k.name] = origin{where: k.env, kind: 'e', raw: v}
		}
	}
	for _, k := range c.knobs() {
		if v, ok := given[k.name]; ok {
			k.value.Set(v) // parsed once already: cannot fail
			c.set[k.name] = true
			c.from[k.name] = origin{where: "-" + k.name, kind: 'a', raw: raw[k.name]}
		}
	}
	c.ConfigFile = path
	return c, fs.Args(), c.validate()
}

// printHelp writes usage, then the flags.
func printHelp(out io.Writer, fs *flag.FlagSet, usage string) {
	if usage != "" {
		fmt.Fprint(out, strings.TrimRight(usage, "\n")+"\n\n")
	}
	fmt.Fprintln(out, "Flags (each also a config file key, most also an environment variable; `screenpop-relay config sample` documents them):")
	fs.SetOutput(out)
	fs.PrintDefaults()
	fs.SetOutput(io.Discard)
}

// rawFlag is a knob's flag.Value that also records the value as written
// on the command line (a duration's String is normalised: 99s is 1m39s).
type rawFlag struct {
	flag.Value
	name string
	raw  map[string]string
}

func (f rawFlag) Set(s string) error {
	if err := f.Value.Set(s); err != nil {
		return err
	}
	f.raw[f.name] = s
	return nil
}

func (f rawFlag) String() string {
	if f.Value == nil { // flag's PrintDefaults calls String on a zero value
		return ""
	}
	return f.Value.String()
}

func (f rawFlag) IsBoolFlag() bool {
	b, ok := f.Value.(interface{ IsBoolFlag() bool })
	return ok && b.IsBoolFlag()
}

// maxConfigFile bounds a config file: the documented one is 7 KiB.
const maxConfigFile = 1 << 20

// loadFile applies a config file: "key = value" lines, # comments.
func (c *Config) loadFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("cannot read the config file: %v (create it from server/screenpop.conf.example, or drop -config)", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxConfigFile+1))
	if err != nil {
		return fmt.Errorf("cannot read the config file %s: %v", path, err)
	}
	if len(b) > maxConfigFile || bytes.IndexByte(b, 0) >= 0 || !utf8.Valid(b) {
		// Not echoed back: a binary file's first line is escaped noise.
		return fmt.Errorf("%s is not a text config file (it holds binary data, or over 1 MiB): give -config a file of key = value lines, such as the one `screenpop-relay config sample` prints", path)
	}
	byName := map[string]knob{}
	for _, k := range c.knobs() {
		byName[k.name] = k
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, maxConfigFile+1)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		key, value, ok := strings.Cut(line, "=")
		key, value = strings.TrimSpace(key), strings.TrimSpace(value)
		if !ok {
			return fmt.Errorf("%s:%d: %q is not key = value", path, n, truncateText(line, 40))
		}
		k, found := byName[key]
		if !found || key == "config" {
			return fmt.Errorf("%s:%d: unknown setting %q; the settings are listed in server/screenpop.conf.example", path, n, truncateText(key, 40))
		}
		if err := k.value.Set(unquote(value)); err != nil {
			return fmt.Errorf("%s:%d: %s: %v", path, n, key, err)
		}
		c.set[key] = true
		c.from[key] = origin{where: fmt.Sprintf("%s:%d", path, n), kind: 'f', raw: value}
	}
	return sc.Err()
}

// unquote removes one pair of double quotes around a value, so that
// "1 day" and 1 day both work.
func unquote(v string) string {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		if s, err := strconv.Unquote(v); err == nil {
			return s
		}
	}
	return v
}

func truncateText(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// invalid says that knob name's value is wrong, and where it was set, with
// the value as written there: "screenpop.conf:3: poll-wait = 99s: …",
// "SCREENPOP_POLL_WAIT=99s: …" or "-poll-wait 99s: …".
func (c *Config) invalid(name, problem string) error {
	o, ok := c.from[name]
	switch {
	case !ok:
		v := ""
		for _, k := range c.knobs() {
			if k.name == name {
				v = k.value.String()
			}
		}
		return fmt.Errorf("%s %s: %s", name, v, problem)
	case o.kind == 'f':
		return fmt.Errorf("%s: %s = %s: %s", o.where, name, o.raw, problem)
	case o.kind == 'e':
		return fmt.Errorf("%s=%s: %s", o.where, o.raw, problem)
	default:
		return fmt.Errorf("%s %s: %s", o.where, o.raw, problem)
	}
}

// validate checks what the flag types can't.
func (c *Config) validate() error {
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return c.invalid("log-level", "use debug, info, warn or error")
	}
	switch c.LogFormat {
	case "text", "json":
	default:
		return c.invalid("log-format", "use text or json")
	}
	if err := parse.ValidRegion(c.Region); err != nil {
		return c.invalid("region", strings.TrimPrefix(err.Error(), "phone: "))
	}
	if (c.TLSCert == "") != (c.TLSKey == "") {
		return errors.New("give both -tls-cert and -tls-key to serve TLS, or neither (a reverse proxy then terminates TLS)")
	}
	if c.TokenLine != "" && c.TokenBillingAccount == "" {
		return errors.New("token-line needs token-billing-account too (e.g. ab12345-ovh-1; `screenpop-relay ovh lines` lists them)")
	}
	if c.PollBackoffMin <= 0 {
		return c.invalid("poll-backoff-min", "must be positive, e.g. 1s")
	}
	if c.PollBackoffMax < c.PollBackoffMin {
		return c.invalid("poll-backoff-max", fmt.Sprintf("must be at least poll-backoff-min (%v)", c.PollBackoffMin))
	}
	if err := c.validateCRM(); err != nil {
		return err
	}
	switch {
	case c.PollWait > stream.MaxPollWait:
		return c.invalid("poll-wait", fmt.Sprintf("too long: use 1s to %v (Chrome kills an extension worker's fetch at 30 s)", stream.MaxPollWait))
	case c.PollWait > 0 && c.PollWait < time.Second:
		return c.invalid("poll-wait", fmt.Sprintf("too short: use 1s to %v (a shorter long-poll only makes clients poll in a loop)", stream.MaxPollWait))
	}
	return nil
}

// sampleConfig is the documented config file: every knob with its
// default. server/screenpop.conf.example is this text (a test keeps it so).
func sampleConfig() string {
	d := defaultConfig()
	var b strings.Builder
	b.WriteString(`# screenpop-relay configuration. Pass it with -config FILE (or SCREENPOP_CONFIG).
#
# One "key = value" per line; # starts a comment. Keys are the flags'
# names. A value set here is overridden by its environment variable, then
# by its flag. Every line below is commented out and shows the default.
# Durations are Go durations: 90s, 15m, 12h. Lists are comma-separated.
#
# Secrets do not belong here: give the OVH event token in
# SCREENPOP_OVH_TOKEN (or save it with "screenpop-relay token add"), and the
# OVH API credentials in OVH_* variables or ovh.conf, as go-ovh reads them,
# and the CRM API user's password in SCREENPOP_CRM_PASSWORD (or a file named
# by crm-password-file).
`)
	section := ""
	for _, k := range d.knobs() {
		if k.name == "config" || k.name == "v" {
			continue
		}
		if k.section != section {
			section = k.section
			fmt.Fprintf(&b, "\n## %s\n", section)
		}
		b.WriteString("\n")
		for _, l := range wrap(strings.ReplaceAll(k.help, "`", ""), 74) {
			fmt.Fprintf(&b, "# %s\n", l)
		}
		v := k.value.String()
		switch {
		case k.name == "data":
			v = "~/.local/share/screenpop   ($XDG_DATA_HOME/screenpop)"
		case k.secret:
			v = ""
		}
		fmt.Fprintf(&b, "#%s\n", strings.TrimSpace(k.name+" = "+v))
	}
	return b.String()
}

// show lists the effective configuration, secrets hidden.
func (c *Config) show(w io.Writer) {
	for _, k := range c.knobs() {
		v := k.value.String()
		if k.secret && v != "" {
			v = upstream.Mask(v)
		}
		origin := "default"
		if c.set[k.name] {
			origin = "set"
		}
		fmt.Fprintf(w, "%-22s = %s   # %s\n", k.name, v, origin)
	}
}

func wrap(s string, width int) []string {
	var lines []string
	line := ""
	for _, w := range strings.Fields(s) {
		if line != "" && len(line)+1+len(w) > width {
			lines = append(lines, line)
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return append(lines, line)
}

// flag.Value adapters, pointing into a Config.

type strValue struct{ p *string }

func strVal(p *string) flag.Value { return strValue{p} }
func (v strValue) String() string {
	if v.p == nil { // flag's PrintDefaults calls String on a zero value
		return ""
	}
	return *v.p
}
func (v strValue) Set(s string) error { *v.p = s; return nil }

type boolValue struct{ p *bool }

func boolVal(p *bool) flag.Value     { return boolValue{p} }
func (v boolValue) String() string   { return strconv.FormatBool(v.p != nil && *v.p) }
func (v boolValue) IsBoolFlag() bool { return true }
func (v boolValue) Set(s string) error {
	b, err := strconv.ParseBool(s)
	if err != nil {
		return fmt.Errorf("%q is not true or false", s)
	}
	*v.p = b
	return nil
}

type intValue struct{ p *int }

func intVal(p *int) flag.Value { return intValue{p} }
func (v intValue) String() string {
	if v.p == nil {
		return "0"
	}
	return strconv.Itoa(*v.p)
}
func (v intValue) Set(s string) error {
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return fmt.Errorf("%q is not a positive whole number", s)
	}
	*v.p = n
	return nil
}

type durValue struct{ p *time.Duration }

func durVal(p *time.Duration) flag.Value { return durValue{p} }
func (v durValue) String() string {
	if v.p == nil {
		return "0s"
	}
	return v.p.String()
}
func (v durValue) Set(s string) error {
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return fmt.Errorf("%q is not a duration like 90s, 15m or 12h", s)
	}
	*v.p = d
	return nil
}

type listValue struct{ p *[]string }

func listVal(p *[]string) flag.Value { return listValue{p} }
func (v listValue) String() string {
	if v.p == nil {
		return ""
	}
	return strings.Join(*v.p, ",")
}
func (v listValue) Set(s string) error {
	*v.p = nil
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			*v.p = append(*v.p, part)
		}
	}
	return nil
}
