package main

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/screenpop/screenpop/server/democrm"
	"github.com/screenpop/screenpop/server/ovhapi"
	"github.com/screenpop/screenpop/server/relay"
	"github.com/screenpop/screenpop/server/store"
	"github.com/screenpop/screenpop/server/upstream"
)

// Files in the data folder.
const (
	dbFile    = "screenpop.db" // the store: agents, tokens, event log, history
	stateFile = "state.json"   // calls in progress and OVH sessions (relay.Config.StatePath)
)

// relayProcess is a running relay: its listeners and what stops it.
type relayProcess struct {
	addr      string // the agents' API, host:port
	adminURL  string
	publicURL string
	dataDir   string
	relay     *relay.Relay
	crm       *crmDirectory // the caller directory; nil without crm-url
	done      chan struct{} // closed once stopped
	err       error         // why it stopped, if it failed
}

// wait blocks until the relay has stopped, and says why if it failed.
func (p *relayProcess) wait() error {
	<-p.done
	return p.err
}

// start runs the relay until ctx is done: it opens the data folder,
// listens, polls OVH and serves the agents' and admin APIs. It returns
// once everything listens; wait says when it stopped.
func start(ctx context.Context, cfg Config, stderr io.Writer) (_ *relayProcess, err error) {
	log := newLogger(cfg, stderr)
	var cleanups []func()
	cleanup := func() {
		for i := len(cleanups) - 1; i >= 0; i-- {
			cleanups[i]()
		}
	}
	defer func() {
		if err != nil {
			cleanup()
		}
	}()
	ctx, cancel := context.WithCancel(ctx)
	cleanups = append(cleanups, cancel)

	dataDir := cfg.Data
	if cfg.Demo && !cfg.set["data"] {
		// Zero set-up, and no demo calls mixed into a real relay's data.
		if dataDir, err = os.MkdirTemp("", "screenpop-demo-"); err != nil {
			return nil, err
		}
		cleanups = append(cleanups, func() { os.RemoveAll(dataDir) })
	} else if err := os.MkdirAll(dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("cannot create the data folder: %v; choose another with -data", err)
	}
	st, err := store.Open(filepath.Join(dataDir, dbFile))
	if err != nil {
		return nil, err
	}
	cleanups = append(cleanups, func() { st.Close() })

	ln, err := net.Listen("tcp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("cannot listen on %s: %v (is another relay running? choose another with -listen)", cfg.Listen, err)
	}
	cleanups = append(cleanups, func() { ln.Close() })
	scheme := "http"
	var tlsConfig *tls.Config
	if cfg.TLSCert != "" {
		cert, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey)
		if err != nil {
			return nil, fmt.Errorf("cannot load the TLS certificate: %v; check -tls-cert and -tls-key (PEM files)", err)
		}
		tlsConfig, scheme = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, "https"
	}
	// Listening on every interface without -public-url, the relay has no
	// address to put in connection strings: publicURL stays empty (`agent
	// add` then says to set -public-url), and the log says so.
	publicURL, noPublicURL := publicURL(cfg.PublicURL, scheme, ln.Addr().String())

	mux := http.NewServeMux()
	eventsURL, token, anonymous := cfg.EventsURL, cfg.Token, cfg.AllowAnonymous
	var renewer relay.TokenRenewer
	var dialer relay.Dialer
	var demoLink *demo
	if cfg.Demo {
		if demoLink, err = startDemo(ctx); err != nil {
			return nil, err
		}
		d := demoLink
		eventsURL, token, anonymous = d.eventsURL, d.token, true
		mux.Handle("/demo-crm/", http.StripPrefix("/demo-crm", &democrm.Server{}))
		log.Info("demo mode: the built-in OVH emulator rings the demo line "+maskLine(demoLine)+" every "+cfg.DemoEvery.String()+" until a call reaches an agent, then every "+(demoCalm*cfg.DemoEvery).String(), "emulator", d.eventsURL)
		// The demo CRM is for the person at this machine (`make run`): on
		// every interface without -public-url, it is at loopback.
		crmURL, where := publicURL, ""
		if crmURL == "" {
			crmURL, where = localURL(scheme, ln.Addr().String()), " (from this machine; from another, this machine's address, or set -public-url)"
		}
		log.Info("demo CRM template for the extension's options" + where + ": " + crmURL + "/demo-crm/index.php?module=Home&action=UnifiedSearch&query_string=*OTHER_LIKE*")
	} else {
		renewer = newRenewer(cfg, log)
		if o, ok := renewer.(ovhRenewer); ok {
			dialer = o.c // the same client places the agents' click-to-call calls
		}
	}
	if anonymous && !loopback(ln.Addr()) {
		log.Warn("agents without a secret are let in on a non-loopback address: anyone who reaches " + cmp.Or(publicURL, ln.Addr().String()) + " sees every call")
	}

	// The caller directory, loaded from the store before the relay
	// starts, so that the first ring after a restart is named.
	var crmDir *crmDirectory
	var relayCRM *relay.CRM
	var callLog *relay.CallLog
	if cfg.CRMURL != "" {
		if crmDir, err = openCRMDirectory(cfg, st, log); err != nil {
			return nil, err
		}
		relayCRM = crmDir.relayCRM(cfg)
		callLog = crmDir.relayCallLog(cfg)
	}

	r, err := relay.New(relay.Config{
		Region: cfg.Region, ReplayMax: cfg.ReplayMax, ReplayAge: cfg.ReplayAge, ClientQueue: cfg.ClientQueue,
		KeepAlive: cfg.KeepAlive, RingingMax: cfg.RingingMax, LiveMax: cfg.LiveMax, PollWait: cfg.PollWait,
		HistoryAge: cfg.HistoryAge, Log: log,
		Store: st, StatePath: filepath.Join(dataDir, stateFile),
		AllowAnonymous: anonymous, AllowedOrigins: cfg.AllowedOrigins, BehindProxy: cfg.BehindProxy,
		AuthFailBurst: cfg.AuthFailBurst, AuthFailEvery: cfg.AuthFailEvery, PublicURL: publicURL,
		EventsURL: eventsURL, PollBackoff: upstream.Backoff{Min: cfg.PollBackoffMin, Max: cfg.PollBackoffMax},
		Renewer: renewer, Dialer: dialer, CRM: relayCRM, CallLog: callLog,
	})
	if err != nil {
		return nil, err
	}
	cleanups = append(cleanups, func() { r.Close() })
	var configured *store.Token
	if token != "" {
		configured = &store.Token{Value: token, Expiration: cfg.TokenExpiration}
		if cfg.TokenBillingAccount != "" && !cfg.Demo {
			configured.Scope, configured.BillingAccount = store.ScopeBillingAccount, cfg.TokenBillingAccount
			if cfg.TokenLine != "" {
				configured.Scope, configured.Line = store.ScopeLine, relay.CanonicalLine(cfg.TokenLine, cfg.Region)
			}
		}
	}
	n, err := r.PollTokens(configured)
	if err != nil {
		return nil, err
	}
	if n == 0 {
		return nil, upstream.ValidateToken("")
	}

	// The admin endpoint: loopback only, its address and a fresh token in
	// admin.json (0600), for the agent and token commands.
	adminLn, err := net.Listen("tcp", cfg.AdminListen)
	if err != nil {
		return nil, fmt.Errorf("cannot listen for the admin endpoint on %s: %v; choose another with -admin-listen", cfg.AdminListen, err)
	}
	cleanups = append(cleanups, func() { adminLn.Close() })
	if !loopback(adminLn.Addr()) {
		return nil, fmt.Errorf("the admin endpoint must listen on loopback (127.0.0.1 or [::1]), not %s: it adds agents and tokens", adminLn.Addr())
	}
	link, err := newAdminLink("http://"+adminLn.Addr().String(), publicURL)
	if err != nil {
		return nil, err
	}
	if err := writeAdminLink(dataDir, link); err != nil {
		return nil, err
	}
	cleanups = append(cleanups, func() { removeAdminLink(dataDir, link) })

	public := r.Handler()
	mux.Handle("/", public)
	errLog := slog.NewLogLogger(log.Handler(), slog.LevelWarn)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute, TLSConfig: tlsConfig, ErrorLog: errLog}
	adminSrv := &http.Server{Handler: relay.AdminHandler(r, link.Token, public), ReadHeaderTimeout: 10 * time.Second, ErrorLog: errLog}

	p := &relayProcess{addr: ln.Addr().String(), adminURL: link.URL, publicURL: publicURL, dataDir: dataDir, relay: r, crm: crmDir, done: make(chan struct{})}
	var serveErr error
	var once sync.Once
	failed := func(err error) {
		if err != nil && !errors.Is(err, http.ErrServerClosed) {
			once.Do(func() { serveErr = err })
			cancel()
		}
	}
	go func() {
		if tlsConfig != nil {
			failed(srv.ServeTLS(ln, "", ""))
		} else {
			failed(srv.Serve(ln))
		}
	}()
	go func() { failed(adminSrv.Serve(adminLn)) }()
	if cfg.Pprof != "" {
		stopProfiler, err := serveProfiler(cfg.Pprof, errLog)
		if err != nil {
			return nil, err
		}
		cleanups = append(cleanups, stopProfiler)
		log.Info("profiler (net/http/pprof) listening", "addr", cfg.Pprof)
	}
	if crmDir != nil {
		// Stopped and waited for before the store closes (cleanups run
		// last first): no save into a closed file.
		syncCtx, stopSync := context.WithCancel(ctx)
		syncDone := make(chan struct{})
		go func() {
			crmDir.run(syncCtx, cfg.CRMSync, r)
			close(syncDone)
		}()
		cleanups = append(cleanups, func() { stopSync(); <-syncDone })
		log.Info("caller directory: syncing from the CRM every "+cfg.CRMSync.String(), "crm", cfg.CRMURL, "api", cfg.CRMAPI, "kind", cfg.CRMKind, "user", cfg.CRMUser)
	}
	if demoLink != nil {
		go ringDemo(ctx, log, cfg.DemoEvery, r.CallsReached, func(i int) error { return demoLink.ring(i, cfg.DemoEvery) })
	}
	runDone := make(chan struct{})
	go func() {
		r.Run(ctx)
		close(runDone)
	}()
	go func() {
		<-ctx.Done()
		log.Info("shutting down: telling clients to reconnect")
		r.Shutdown() // bye to every client: they reconnect with their cursor
		sctx, scancel := context.WithTimeout(context.Background(), cfg.ShutdownGrace)
		srv.Shutdown(sctx)
		adminSrv.Shutdown(sctx)
		scancel()
		<-runDone
		cleanup() // pollers, history, state, admin.json, store
		log.Info("relay stopped")
		p.err = serveErr
		close(p.done)
	}()
	if noPublicURL != nil {
		log.Warn("relay listening, but `agent add` prints no connection string: "+noPublicURL.Error(), "addr", p.addr, "tls", tlsConfig != nil, "data", dataDir, "anonymous", anonymous)
	} else {
		log.Info("relay listening; connection strings point at "+publicURL, "addr", p.addr, "tls", tlsConfig != nil, "data", dataDir, "anonymous", anonymous)
	}
	return p, nil
}

// newLogger logs to w at cfg's level and format. Nothing the relay logs
// holds a token or a secret (they are masked where they appear); as a
// second line of defence, attributes named secret are dropped and those
// named token masked.
func newLogger(cfg Config, w io.Writer) *slog.Logger {
	level := slog.LevelInfo
	switch {
	case cfg.Verbose || cfg.LogLevel == "debug":
		level = slog.LevelDebug
	case cfg.LogLevel == "warn":
		level = slog.LevelWarn
	case cfg.LogLevel == "error":
		level = slog.LevelError
	}
	opts := &slog.HandlerOptions{Level: level, ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
		switch a.Key {
		case "secret":
			return slog.String(a.Key, "[hidden]")
		case "token", "new_token", "next":
			if s := a.Value.String(); len(s) > 8 {
				return slog.String(a.Key, upstream.Mask(s))
			}
		}
		return a
	}}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// newRenewer returns the OVH API client that renews rejected tokens, or
// nil when no credentials are configured (OVH_* variables or ovh.conf).
func newRenewer(cfg Config, log *slog.Logger) relay.TokenRenewer {
	c, err := ovhapi.FromEnv(cfg.OVHEndpoint)
	if err != nil {
		log.Info("no OVH API credentials: a token OVH rejects will not be renewed (see `screenpop-relay ovh credential`)")
		log.Debug("OVH API client", "err", err)
		return nil
	}
	log.Info("OVH API credentials found: a token OVH rejects, or one about to expire, is renewed", "endpoint", c.Endpoint())
	return ovhRenewer{c}
}

// ovhRenewer adapts ovhapi to relay.TokenRenewer.
type ovhRenewer struct{ c *ovhapi.Client }

func (o ovhRenewer) RenewEventToken(ctx context.Context, billingAccount, line, expiration string) (string, error) {
	return o.c.RenewEventToken(ctx, ovhapi.Scope{BillingAccount: billingAccount, Service: line}, expiration)
}

func (o ovhRenewer) CreateEventToken(ctx context.Context, billingAccount, line, expiration string) (string, error) {
	return o.c.CreateEventToken(ctx, ovhapi.Scope{BillingAccount: billingAccount, Service: line}, expiration)
}

func loopback(a net.Addr) bool {
	ta, ok := a.(*net.TCPAddr)
	return ok && ta.IP.IsLoopback()
}

// maskLine hides the middle of a number in logs.
func maskLine(n string) string {
	if len(n) <= 7 {
		return "…"
	}
	return n[:5] + "…" + n[len(n)-2:]
}

// serveProfiler serves net/http/pprof on addr, a loopback address: the
// profiles show the relay's code and memory, for whoever runs it only.
// It returns what stops it.
func serveProfiler(addr string, errLog *log.Logger) (func(), error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cannot listen for the profiler on %s: %v; choose another with -pprof", addr, err)
	}
	if !loopback(ln.Addr()) {
		ln.Close()
		return nil, fmt.Errorf("the profiler must listen on loopback (127.0.0.1 or [::1]), not %s", ln.Addr())
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index) // and the named profiles: heap, goroutine…
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: errLog}
	go srv.Serve(ln)
	return func() { srv.Close() }, nil
}
