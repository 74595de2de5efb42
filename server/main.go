// Command screenpop-relay is the relay: it holds the OVH event token,
// long-polls OVH's telephony event service, turns events into calls and
// streams them to the agents' browser extensions over WebSocket.
//
//	screenpop-relay -token 1738D072-…            # watch a real OVH line
//	screenpop-relay -demo                        # built-in OVH emulator + demo CRM
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/screenpop/screenpop/server/democrm"
	"github.com/screenpop/screenpop/server/relay"
	"github.com/screenpop/screenpop/server/upstream"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "screenpop-relay:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("screenpop-relay", flag.ContinueOnError)
	listen := fs.String("listen", envOr("SCREENPOP_LISTEN", "127.0.0.1:8080"), "address to listen on (127.0.0.1 by default: put a TLS reverse proxy in front to serve a team)")
	eventsURL := fs.String("events-url", envOr("SCREENPOP_EVENTS_URL", upstream.DefaultEventsURL), "OVH event service URL")
	token := fs.String("token", os.Getenv("SCREENPOP_OVH_TOKEN"), "OVH event token (or SCREENPOP_OVH_TOKEN)")
	region := fs.String("region", envOr("SCREENPOP_REGION", "FR"), "default region for national numbers (ISO 3166, e.g. FR, BE, CH)")
	demo := fs.Bool("demo", false, "run a built-in OVH emulator that rings a demo line, and a demo CRM at /demo-crm/")
	demoEvery := fs.Duration("demo-every", 8*time.Second, "in demo mode, how often the demo line rings")
	verbose := fs.Bool("v", false, "log every event (numbers masked)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	level := slog.LevelInfo
	if *verbose {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	slog.SetDefault(log)

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		return fmt.Errorf("cannot listen on %s: %v (is another relay running? choose another with -listen)", *listen, err)
	}
	base := "http://" + ln.Addr().String()

	r := relay.New(relay.Config{Region: *region, Log: log})
	mux := http.NewServeMux()
	mux.Handle("/", r.Handler())

	if *demo {
		d, err := startDemo(ctx, log, *demoEvery)
		if err != nil {
			return err
		}
		*eventsURL, *token = d.eventsURL, d.token
		mux.Handle("/demo-crm/", http.StripPrefix("/demo-crm", &democrm.Server{}))
		log.Info("demo mode: the built-in OVH emulator rings the demo line "+demoLine+" every "+demoEvery.String(), "emulator", d.eventsURL)
		log.Info("demo CRM template for the extension's options: " + base + "/demo-crm/index.php?module=Home&action=UnifiedSearch&query_string=*CALLING_LIKE*")
	}
	if err := upstream.ValidateToken(*token); err != nil {
		return err
	}
	p := &upstream.Poller{EventsURL: *eventsURL, Token: *token, Log: log}
	r.Watch(p)
	go p.Run(ctx)
	go r.RunExpiry(ctx, 15*time.Second)

	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		r.Shutdown()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
	}()
	log.Info("relay listening; in the extension's options set the relay URL to "+base, "addr", ln.Addr().String())
	if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
