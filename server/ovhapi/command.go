package ovhapi

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/ovh/go-ovh/ovh"
)

// NewClientFunc creates the client a command uses, given the -endpoint
// flag ("" when not given). The relay passes FromEnv; tests pass FromEnv
// too, with the OVH_* variables pointing at the emulator.
type NewClientFunc func(endpoint string) (*Client, error)

// Command runs `screenpop-relay ovh …`, args being what follows "ovh":
//
//	ovh credential [-redirect URL] [-click2call=false]
//	ovh lines
//	ovh token create (-line N | -billing-account BA) [-expiration E]
//	ovh token show   (-line N | -billing-account BA)
//	ovh token revoke (-line N | -billing-account BA)
//
// Each takes -endpoint and -h. What was asked for goes to stdout (the
// token alone, for `$(…)`); advice on what to do next goes to stderr.
// -h prints help to stderr and returns nil.
func Command(ctx context.Context, args []string, stdout, stderr io.Writer, newClient NewClientFunc) error {
	c := &cli{ctx: ctx, stdout: stdout, stderr: stderr, newClient: newClient}
	fs := c.flagSet("ovh", "<command> [flags]", overview)
	endpoint := fs.String("endpoint", "", endpointUsage)
	if err := fs.Parse(args); err != nil {
		return c.flagError(fs, err)
	}
	c.endpoint = *endpoint
	if fs.NArg() == 0 {
		c.usage(fs)
		return errors.New("missing command: use `screenpop-relay ovh credential`, `lines` or `token` (see `screenpop-relay ovh -h`)")
	}
	cmd, rest := fs.Arg(0), fs.Args()[1:]
	switch cmd {
	case "credential":
		return c.credential(rest)
	case "lines":
		return c.lines(rest)
	case "token":
		return c.token(rest)
	case "help":
		c.usage(fs)
		return nil
	}
	return fmt.Errorf("unknown command %q: use `screenpop-relay ovh credential`, `lines` or `token` (see `screenpop-relay ovh -h`)", cmd)
}

const overview = `Sets up the relay's access to OVHcloud telephony through the OVH API:
a consumer key limited to what the relay needs, your lines, and the event
token the relay polls with.

Commands:
  credential     request a consumer key (prints it and the URL to validate it)
  lines          list your billing accounts and their lines
  token create   create an event token for a line or a billing account
  token show     show the current event token of a line or billing account
  token revoke   revoke it

Credentials follow the OVH API clients' conventions: the environment
variables OVH_ENDPOINT (ovh-eu, ovh-ca, ovh-us or a URL),
OVH_APPLICATION_KEY, OVH_APPLICATION_SECRET and OVH_CONSUMER_KEY, or the
same keys in ./ovh.conf, ~/.ovh.conf or /etc/ovh.conf.

First time:
  1. create an application at https://eu.api.ovh.com/createApp/
     (ovh-ca: https://ca.api.ovh.com/createApp/, ovh-us:
     https://api.us.ovhcloud.com/createApp/) and export
     OVH_APPLICATION_KEY and OVH_APPLICATION_SECRET
  2. screenpop-relay ovh credential      then open the URL, export OVH_CONSUMER_KEY
  3. screenpop-relay ovh lines
  4. screenpop-relay ovh token create -line 0033972101010
  5. SCREENPOP_OVH_TOKEN=<token> screenpop-relay

Run 'screenpop-relay ovh <command> -h' for a command's flags.`

const endpointUsage = "OVH API `endpoint`: ovh-eu, ovh-ca, ovh-us or the API's URL (default: OVH_ENDPOINT, then ovh.conf, then ovh-eu)"

type cli struct {
	ctx            context.Context
	stdout, stderr io.Writer
	newClient      NewClientFunc
	endpoint       string // the ovh-level -endpoint, the default of the commands' own
}

// flagSet returns a flag set for "screenpop-relay <name>" whose usage
// shows synopsis and about, then the flags.
func (c *cli) flagSet(name, synopsis, about string) *flag.FlagSet {
	fs := flag.NewFlagSet("screenpop-relay "+name, flag.ContinueOnError)
	// The flag package prints a parse error and then the whole usage;
	// flagError prints the error once, with one line on getting help,
	// and the usage only when it was asked for.
	fs.SetOutput(io.Discard)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "Usage: screenpop-relay %s %s\n\n%s\n\nFlags:\n", name, synopsis, about)
		fs.PrintDefaults()
	}
	return fs
}

// usage prints fs's help on stderr.
func (c *cli) usage(fs *flag.FlagSet) {
	fs.SetOutput(c.stderr)
	fs.Usage()
	fs.SetOutput(io.Discard)
}

// commandFlags is flagSet plus -endpoint, defaulting to the ovh-level one.
func (c *cli) commandFlags(name, synopsis, about string) (*flag.FlagSet, *string) {
	fs := c.flagSet("ovh "+name, synopsis, about)
	endpoint := fs.String("endpoint", c.endpoint, endpointUsage)
	return fs, endpoint
}

// flagError is what a failed fs.Parse returns: -h prints the help and
// succeeds; any other error says how to get help.
func (c *cli) flagError(fs *flag.FlagSet, err error) error {
	if errors.Is(err, flag.ErrHelp) {
		c.usage(fs)
		return nil
	}
	return fmt.Errorf("%v\nRun `%s -h` for help.", err, fs.Name())
}

// noArgs rejects arguments left after the flags.
func noArgs(fs *flag.FlagSet, hint string) error {
	if fs.NArg() == 0 {
		return nil
	}
	return fmt.Errorf("unexpected argument %q: %s (see `%s -h`)", fs.Arg(0), hint, fs.Name())
}

func (c *cli) credential(args []string) error {
	fs, endpoint := c.commandFlags("credential", "[-redirect URL] [-click2call=false] [-endpoint E]",
		`Requests an OVH consumer key for the relay, granted only the calls it
makes (list billing accounts and lines; get, create and delete event
tokens; click-to-call from a line, unless -click2call=false), and prints
it with the URL where you validate it. Needs OVH_APPLICATION_KEY and
OVH_APPLICATION_SECRET.`)
	redirect := fs.String("redirect", "", "`URL` OVH sends the browser to once the key is validated (default: none, OVH shows its own page)")
	// On by default since the relay places the agents' click-to-call
	// calls (POST /v1/dial); -click2call=false makes a key that cannot
	// place calls (which cost money), and the agents' call links then
	// say their administrator did not grant it.
	click2call := fs.Bool("click2call", true, "grant click-to-call (POST /telephony/*/line/*/click2Call: the agents' call links and \"call back\" place calls from their lines); -click2call=false leaves it out, and the relay then cannot place calls")
	if err := fs.Parse(args); err != nil {
		return c.flagError(fs, err)
	}
	if err := noArgs(fs, "credential takes flags only"); err != nil {
		return err
	}
	rules := AccessRules()
	if *click2call {
		rules = append(rules, Click2CallAccessRule())
	}
	client, err := c.newClient(*endpoint)
	if err != nil {
		return err
	}
	ck, validationURL, err := client.RequestConsumerKey(c.ctx, *redirect, rules)
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "Consumer key:   %s\nValidation URL: %s\n", ck, validationURL)

	fmt.Fprintf(c.stderr, "\nThe consumer key (from %s) works once validated:\n", client.Endpoint())
	fmt.Fprintf(c.stderr, "  1. open the validation URL, log in with the OVH account that owns the lines,\n")
	fmt.Fprintf(c.stderr, "     choose how long the key stays valid, and validate;\n")
	fmt.Fprintf(c.stderr, "  2. export OVH_CONSUMER_KEY=%s\n", ck)
	fmt.Fprintf(c.stderr, "     (or consumer_key in your endpoint's section of ovh.conf);\n")
	fmt.Fprintf(c.stderr, "  3. check it: screenpop-relay ovh lines\n")
	fmt.Fprintf(c.stderr, "It grants these calls only:\n")
	writeRules(c.stderr, rules)
	return nil
}

func writeRules(w io.Writer, rules []ovh.AccessRule) {
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	for _, r := range rules {
		fmt.Fprintf(tw, "  %s\t%s\n", r.Method, r.Path)
	}
	tw.Flush()
}

func (c *cli) lines(args []string) error {
	fs, endpoint := c.commandFlags("lines", "[-endpoint E]",
		`Lists your telephony billing accounts and their lines (and hunting
queues): the names -billing-account and -line take.`)
	if err := fs.Parse(args); err != nil {
		return c.flagError(fs, err)
	}
	if err := noArgs(fs, "lines takes no arguments"); err != nil {
		return err
	}
	client, err := c.newClient(*endpoint)
	if err != nil {
		return err
	}
	accounts, err := client.Lines(c.ctx)
	if err != nil {
		return err
	}
	if len(accounts) == 0 {
		fmt.Fprintf(c.stderr, "This OVH account has no telephony billing account on %s: is the consumer key the one of the account that owns the lines, and the endpoint the right one (-endpoint ovh-eu, ovh-ca, ovh-us)?\n", client.Endpoint())
		return nil
	}
	var firstLine string
	for _, ba := range accounts {
		if len(ba.Services) == 0 {
			fmt.Fprintf(c.stdout, "%s (no lines)\n", ba.Name)
			continue
		}
		fmt.Fprintln(c.stdout, ba.Name)
		for _, s := range ba.Services {
			fmt.Fprintf(c.stdout, "  %s\n", s)
			if firstLine == "" {
				firstLine = s
			}
		}
	}
	fmt.Fprintf(c.stderr, "\nCreate an event token for one line:\n  screenpop-relay ovh token create -line %s\n", orExample(firstLine, "0033972101010"))
	fmt.Fprintf(c.stderr, "or for every line of a billing account:\n  screenpop-relay ovh token create -billing-account %s\n", accounts[0].Name)
	return nil
}

func orExample(s, example string) string {
	if s == "" {
		return example
	}
	return s
}

func (c *cli) token(args []string) error {
	const sub = "create, show or revoke"
	if len(args) == 0 {
		return errors.New("missing token command: use `screenpop-relay ovh token create`, `show` or `revoke` (see `screenpop-relay ovh -h`)")
	}
	switch args[0] {
	case "create":
		return c.tokenCreate(args[1:])
	case "show":
		return c.tokenShow(args[1:])
	case "revoke":
		return c.tokenRevoke(args[1:])
	case "-h", "-help", "--help", "help":
		fmt.Fprintf(c.stderr, "Usage: screenpop-relay ovh token create|show|revoke (-line N | -billing-account BA) [flags]\n\nRun 'screenpop-relay ovh token create -h' for the flags.\n")
		return nil
	}
	return fmt.Errorf("unknown token command %q: use %s (e.g. `screenpop-relay ovh token create -line 0033972101010`)", args[0], sub)
}

// scopeFlags are -line and -billing-account, which every token command
// takes, exactly one of them.
type scopeFlags struct {
	line, billingAccount *string
}

func (c *cli) tokenFlags(name, about string) (*flag.FlagSet, *string, scopeFlags) {
	fs, endpoint := c.commandFlags("token "+name, "(-line N | -billing-account BA) [flags]", about)
	sf := scopeFlags{
		line:           fs.String("line", "", "the `line` (service name as `screenpop-relay ovh lines` lists it, e.g. 0033972101010): a token for this line only"),
		billingAccount: fs.String("billing-account", "", "the `billing account` (e.g. ab12345-ovh-1): a token for all its lines, those added later included"),
	}
	return fs, endpoint, sf
}

// check validates the flags before any call to OVH.
func (sf scopeFlags) check() error {
	line, ba := strings.TrimSpace(*sf.line), strings.TrimSpace(*sf.billingAccount)
	switch {
	case line == "" && ba == "":
		return errors.New("say which token: -line 0033… for one line, or -billing-account ab12345-ovh-1 for all the lines of a billing account (list them with `screenpop-relay ovh lines`)")
	case line != "" && ba != "":
		return errors.New("give -line or -billing-account, not both: -line is a token for one line, -billing-account one for every line of the account")
	}
	return nil
}

// scope resolves the flags: a billing account as given, or the line's
// billing account looked up with the API.
func (c *cli) scope(client *Client, sf scopeFlags) (Scope, error) {
	if ba := strings.TrimSpace(*sf.billingAccount); ba != "" {
		return Scope{BillingAccount: ba}, nil
	}
	return client.LineScope(c.ctx, strings.TrimSpace(*sf.line))
}

// hint is the command that runs verb on scope again ("screenpop-relay
// ovh token revoke -line 0033…").
func (c *cli) hint(s Scope, endpoint, verb string) string {
	h := "screenpop-relay ovh token " + verb
	if s.Service != "" {
		h += " -line " + s.Service
	} else {
		h += " -billing-account " + s.BillingAccount
	}
	if endpoint != "" {
		h += " -endpoint " + endpoint
	}
	return h
}

func (c *cli) tokenCreate(args []string) error {
	fs, endpoint, sf := c.tokenFlags("create",
		`Creates an event token, the key the relay polls OVH's event service with,
and prints it alone on stdout. Older tokens of the line stay valid until
revoked.`)
	expiration := fs.String("expiration", DefaultExpiration, "how long the token is valid: `one of` "+quotedExpirations())
	if err := fs.Parse(args); err != nil {
		return c.flagError(fs, err)
	}
	if fs.NArg() > 0 && ValidateExpiration(*expiration+" "+fs.Arg(0)) == nil {
		return fmt.Errorf("quote the expiration, it has a space: -expiration %q", *expiration+" "+fs.Arg(0))
	}
	if err := noArgs(fs, "give the line with -line or the billing account with -billing-account"); err != nil {
		return err
	}
	if err := sf.check(); err != nil {
		return err
	}
	if err := ValidateExpiration(*expiration); err != nil {
		return err
	}
	client, err := c.newClient(*endpoint)
	if err != nil {
		return err
	}
	scope, err := c.scope(client, sf)
	if err != nil {
		return err
	}
	token, err := client.CreateEventToken(c.ctx, scope, *expiration)
	if err != nil {
		return err
	}
	fmt.Fprintln(c.stdout, token)
	fmt.Fprintf(c.stderr, "\nCreated an event token for %s, expiration %s. Start the relay with it\n", scope, *expiration)
	fmt.Fprintf(c.stderr, "(an environment variable keeps it out of `ps`):\n  SCREENPOP_OVH_TOKEN=<token> screenpop-relay\n")
	fmt.Fprintf(c.stderr, "Revoke it with: %s\n", c.hint(scope, *endpoint, "revoke"))
	return nil
}

func (c *cli) tokenShow(args []string) error {
	fs, endpoint, sf := c.tokenFlags("show",
		`Prints the current event token of a line or billing account alone on
stdout; fails when it has none.`)
	if err := fs.Parse(args); err != nil {
		return c.flagError(fs, err)
	}
	if err := noArgs(fs, "give the line with -line or the billing account with -billing-account"); err != nil {
		return err
	}
	if err := sf.check(); err != nil {
		return err
	}
	client, err := c.newClient(*endpoint)
	if err != nil {
		return err
	}
	scope, err := c.scope(client, sf)
	if err != nil {
		return err
	}
	token, found, err := client.GetEventToken(c.ctx, scope)
	if err != nil {
		return err
	}
	if !found {
		return fmt.Errorf("%s has no event token: create one with `%s`", scope, c.hint(scope, *endpoint, "create"))
	}
	fmt.Fprintln(c.stdout, token)
	fmt.Fprintf(c.stderr, "\nCurrent event token of %s. Start the relay with it:\n  SCREENPOP_OVH_TOKEN=<token> screenpop-relay\n", scope)
	return nil
}

func (c *cli) tokenRevoke(args []string) error {
	fs, endpoint, sf := c.tokenFlags("revoke",
		`Revokes the event token of a line or billing account: relays using it
stop receiving its events. Succeeds when there is none.`)
	if err := fs.Parse(args); err != nil {
		return c.flagError(fs, err)
	}
	if err := noArgs(fs, "give the line with -line or the billing account with -billing-account"); err != nil {
		return err
	}
	if err := sf.check(); err != nil {
		return err
	}
	client, err := c.newClient(*endpoint)
	if err != nil {
		return err
	}
	scope, err := c.scope(client, sf)
	if err != nil {
		return err
	}
	err = client.RevokeEventToken(c.ctx, scope)
	if errors.Is(err, ErrNoEventToken) {
		fmt.Fprintf(c.stdout, "%s has no event token: nothing to revoke\n", scope)
		return nil
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(c.stdout, "Revoked the event token of %s\n", scope)
	fmt.Fprintf(c.stderr, "Relays using it no longer receive its events. Create a new one with:\n  %s\n", c.hint(scope, *endpoint, "create"))
	return nil
}
