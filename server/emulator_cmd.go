package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/google/uuid"

	"github.com/screenpop/screenpop/server/ovhsim"
)

const emulatorUsage = `Runs the OVH emulator on its own: OVH's telephony event service (the v1
long poll), the OVH API subset that gets event tokens and places click2Call
calls (signed as go-ovh, python-ovh and node-ovh sign), and a control API
that rings calls and breaks things. Point any OVH client, the relay or your
own tools at it; it prints its endpoints, credentials and curl examples.

  screenpop-relay emulator [-listen 127.0.0.1:8089] [-lines 0033972101010=Accueil,…] [-queues …] [-order ovh|legacy]

Flags:
`

// emulatorFlags are the emulator command's settings.
type emulatorFlags struct {
	listen, publicURL     string
	billingAccount        string
	lines, queues         string
	order                 string
	hold                  time.Duration
	appKey, appSecret, ck string
	quiet                 bool
}

func runEmulatorCommand(args []string, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runEmulator(ctx, args, stdout, stderr)
}

// runEmulator serves the emulator until ctx is done. What to connect to is
// printed on stdout; the emulator's log (calls, faults, rejected requests)
// goes to stderr.
func runEmulator(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var f emulatorFlags
	fs := flag.NewFlagSet("screenpop-relay emulator", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	fs.StringVar(&f.listen, "listen", "127.0.0.1:8089", "`address` to listen on (port 0: any free port)")
	fs.StringVar(&f.publicURL, "public-url", "", "`URL` clients reach the emulator at, when it is behind a proxy (the OVH API signature covers it); default from the request")
	fs.StringVar(&f.billingAccount, "billing-account", demoBilling, "the billing `account` the lines and queues belong to")
	fs.StringVar(&f.lines, "lines", demoLine+"=Accueil", "SIP `lines`, comma-separated: NUMBER or NUMBER=description")
	fs.StringVar(&f.queues, "queues", "", "hunting `queues` (easyHunting), comma-separated: NUMBER or NUMBER=description")
	fs.StringVar(&f.order, "order", string(ovhsim.OrderOVH), "`order` of call and queue events: ovh (as the service) or legacy (the emulator's former orders, for tolerance tests); POST /sim/order changes it")
	fs.DurationVar(&f.hold, "hold", ovhsim.DefaultHoldTime, "how long a poll with nothing to say is held (`duration`)")
	fs.StringVar(&f.appKey, "app-key", "", "OVH API application `key` to accept (default: a random one, printed)")
	fs.StringVar(&f.appSecret, "app-secret", "", "its application `secret` (default: a random one, printed)")
	fs.StringVar(&f.ck, "consumer-key", "", "a validated consumer `key` granted every call (default: a random one, printed); POST /1.0/auth/credential makes more")
	fs.BoolVar(&f.quiet, "quiet", false, "log nothing on stderr")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(stdout, emulatorUsage)
			fs.SetOutput(stdout)
			fs.PrintDefaults()
			return flag.ErrHelp
		}
		return fmt.Errorf("%v\nRun `screenpop-relay emulator -h` for its flags.", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected %q: the emulator takes flags only\nRun `screenpop-relay emulator -h` for its flags.", strings.Join(fs.Args(), " "))
	}
	order := ovhsim.Order(f.order)
	if order == "" || !order.Valid() {
		return fmt.Errorf("-order %s: use %s (as OVH's service) or %s (the emulator's former orders)", f.order, ovhsim.OrderOVH, ovhsim.OrderLegacy)
	}
	if f.hold < 100*time.Millisecond || f.hold > 10*time.Minute {
		return fmt.Errorf("-hold %v: use 100ms to 10m (OVH holds a poll about 55s)", f.hold)
	}
	if err := checkName("-billing-account", f.billingAccount); err != nil {
		return err
	}
	lines, err := parseEmulatorLines("-lines", f.lines)
	if err != nil {
		return err
	}
	queues, err := parseEmulatorLines("-queues", f.queues)
	if err != nil {
		return err
	}
	if len(lines)+len(queues) == 0 {
		return errors.New("no line and no queue: give at least one with -lines (e.g. -lines 0033972101010=Accueil) or -queues")
	}
	for _, v := range []*string{&f.appKey, &f.appSecret, &f.ck} {
		if *v == "" {
			*v = randomKey()
		}
	}

	cfg := ovhsim.Config{HoldTime: f.hold, PublicBaseURL: f.publicURL, Order: order}
	if !f.quiet {
		l := log.New(stderr, "", log.LstdFlags)
		cfg.Logf = l.Printf
	}
	sim := ovhsim.New(cfg)
	defer sim.Close()
	for _, l := range lines {
		sim.AddLine(f.billingAccount, l.number, l.description)
	}
	for _, q := range queues {
		sim.AddQueue(f.billingAccount, q.number, q.description, ovhsim.KindEasyHunting)
	}
	sim.AddApplication(f.appKey, f.appSecret)
	sim.AddConsumerKey(f.appKey, f.ck)
	token, err := sim.NewToken(f.billingAccount, "unlimited")
	if err != nil {
		return err
	}

	ln, err := net.Listen("tcp", f.listen)
	if err != nil {
		return fmt.Errorf("-listen %s: %v (choose another address or port, or 127.0.0.1:0 for any free port)", f.listen, err)
	}
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()

	base := strings.TrimRight(f.publicURL, "/")
	if base == "" {
		base = localURL("http", ln.Addr().String())
	}
	ring := lines
	scenario := ovhsim.Answered
	if len(ring) == 0 {
		ring, scenario = queues, ovhsim.QueueAnswered
	}
	printEmulator(stdout, emulatorInfo{
		base: base, billingAccount: f.billingAccount, lines: lines, queues: queues,
		appKey: f.appKey, appSecret: f.appSecret, ck: f.ck, token: token, order: order,
		ringLine: ring[0].number, scenario: scenario,
	})

	select {
	case <-ctx.Done():
	case err := <-served:
		return fmt.Errorf("emulator: %v", err)
	}
	shut, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	sim.Close() // answers held polls, so that Shutdown does not wait for them
	srv.Shutdown(shut)
	return nil
}

// emulatorLine is one -lines or -queues entry.
type emulatorLine struct{ number, description string }

// parseEmulatorLines reads NUMBER[=description],… for flag.
func parseEmulatorLines(flagName, v string) ([]emulatorLine, error) {
	var out []emulatorLine
	for i, item := range strings.Split(v, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		number, description, _ := strings.Cut(item, "=")
		number = strings.TrimSpace(number)
		if err := checkName(flagName, number); err != nil {
			return nil, err
		}
		description = strings.TrimSpace(description)
		if description == "" {
			description = fmt.Sprintf("Line %d", i+1)
			if flagName == "-queues" {
				description = fmt.Sprintf("Queue %d", i+1)
			}
		}
		out = append(out, emulatorLine{number, description})
	}
	return out, nil
}

// checkName refuses what cannot be one segment of an OVH API path.
func checkName(flagName, v string) error {
	if v == "" || strings.ContainsAny(v, "/?#%= \t") {
		return fmt.Errorf("%s %q: want a name without spaces, /, ?, #, %% or = (a line is its number in OVH's form, e.g. 0033972101010)", flagName, v)
	}
	return nil
}

// randomKey is a credential the emulator accepts, printed for the user.
func randomKey() string {
	return strings.ReplaceAll(uuid.NewString(), "-", "")[:24]
}

type emulatorInfo struct {
	base, billingAccount  string
	lines, queues         []emulatorLine
	appKey, appSecret, ck string
	token                 string
	order                 ovhsim.Order
	ringLine, scenario    string
}

// printEmulator says what to connect to and how to drive the emulator.
func printEmulator(w io.Writer, e emulatorInfo) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	p("OVH emulator on %s", e.base)
	p("")
	p("OVH API: %s/1.0", e.base)
	p("  OVH_ENDPOINT=%s/1.0", e.base)
	p("  OVH_APPLICATION_KEY=%s", e.appKey)
	p("  OVH_APPLICATION_SECRET=%s", e.appSecret)
	p("  OVH_CONSUMER_KEY=%s", e.ck)
	p("  (go-ovh, python-ovh and node-ovh take these; the consumer key is validated and granted every call,")
	p("  POST /1.0/auth/credential makes more, validated at their validationUrl)")
	p("  GET /telephony, /telephony/%s/service, /telephony/%s/line, /me;", e.billingAccount, e.billingAccount)
	p("  POST|GET|DELETE /telephony/%s[/service/LINE]/eventToken; POST /telephony/%s/line/LINE/click2Call", e.billingAccount, e.billingAccount)
	p("")
	p("Event service (v1 long poll): %s/?token=TOKEN[&session=SESSION]", e.base)
	p("  event token for every line of %s (unlimited): %s", e.billingAccount, e.token)
	p("  events in the %s order (-order; POST /sim/order {\"order\":\"legacy\"} at run time)", e.order)
	p("")
	p("Lines of billing account %s:", e.billingAccount)
	for _, l := range e.lines {
		p("  %s  %s (SIP line)", l.number, l.description)
	}
	for _, q := range e.queues {
		p("  %s  %s (queue, easyHunting)", q.number, q.description)
	}
	p("")
	p("Control API: %s/sim/", e.base)
	p("  ring a call:     curl -X POST %s/sim/call -d '{\"line\":\"%s\",\"scenario\":\"%s\",\"calling\":\"0033612345678\"}'   → {\"callId\":\"…\"}", e.base, e.ringLine, e.scenario)
	p("                   scenarios: %s; options: ringFor, talkFor (\"2s\"), duplicate, reorder, anonymous, order, agent, hangupCause", strings.Join(ovhsim.Scenarios, ", "))
	p("  hang up:         curl -X POST %s/sim/call/CALL_ID/end", e.base)
	p("  break the poll:  curl -X POST %s/sim/fault -d '{\"fault\":\"5xx\"}'   (faults: 5xx, hang, garbage, instant-error; \"\" repairs)", e.base)
	p("  event order:     curl -X POST %s/sim/order -d '{\"order\":\"legacy\"}'", e.base)
	p("  add a line:      curl -X POST %s/sim/lines -d '{\"billingAccount\":\"%s\",\"line\":\"0033972101012\",\"description\":\"Standard\"}'", e.base, e.billingAccount)
	p("  a token:         curl -X POST %s/sim/token -d '{\"scope\":\"%s\",\"expiration\":\"1 day\"}'", e.base, e.billingAccount)
	p("  counters:        curl %s/sim/stats", e.base)
	p("")
	p("Run the relay against it:")
	p("  SCREENPOP_OVH_TOKEN=%s screenpop-relay -events-url %s/", e.token, e.base)
	p("")
	p("Ctrl-C stops it.")
}
