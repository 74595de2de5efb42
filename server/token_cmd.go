package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"text/tabwriter"

	"github.com/screenpop/screenpop/server/relay"
)

const tokenUsage = `Manages the OVH event tokens the relay polls, saved in its data file with
the line or billing account they watch (so that, with OVH API credentials,
the relay renews a token OVH rejects). Works whether the relay runs or not;
a running relay starts or stops polling at once.

  screenpop-relay token add TOKEN -billing-account BA [-line NUMBER] [-expiration E]
  screenpop-relay token list
  screenpop-relay token remove TOKEN

TOKEN "-" reads it from stdin (it then stays out of ps and shell history):
  screenpop-relay ovh token create -line 0033972101010 | screenpop-relay token add - -billing-account ab12345-ovh-1 -line 0033972101010
"remove" does not revoke the token at OVH: ` + "`screenpop-relay ovh token revoke`" + ` does.
`

func runTokenCommand(args []string, stdout, stderr io.Writer) error {
	return runTokenCommandFrom(args, os.Stdin, stdout, stderr)
}

func runTokenCommandFrom(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("missing command: add, list or remove\nRun `screenpop-relay token -h` for what each does.")
	}
	if args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, tokenUsage)
		return nil
	}
	cmd := args[0]
	value, rest := cutName(args[1:])
	if value == "" && len(rest) > 0 && rest[0] == "-" {
		value, rest = "-", rest[1:]
	}
	var req relay.TokenRequest
	cfg, extra, err := parseConfig("screenpop-relay token "+cmd, tokenUsage, rest, stdout, true, func(fs *flag.FlagSet) {
		if cmd == "add" {
			fs.StringVar(&req.BillingAccount, "billing-account", "", "the token's billing `account` (e.g. ab12345-ovh-1)")
			fs.StringVar(&req.Line, "line", "", "the token's `line`, for a line's token (empty: the billing account's token, every line)")
			fs.StringVar(&req.Expiration, "expiration", relay.DefaultExpiration, "the `expiration` it was created with (asked again on renewal)")
		}
	})
	if err != nil {
		return err
	}
	if value == "" && len(extra) > 0 {
		value, extra = extra[0], extra[1:]
	}
	if len(extra) > 0 {
		return fmt.Errorf("unexpected %q: give one token (flags go before or after it)", strings.Join(extra, " "))
	}
	switch cmd {
	case "add", "remove":
		if value == "" {
			return fmt.Errorf("give the token: screenpop-relay token %s TOKEN (or - to read it from stdin)", cmd)
		}
		if value == "-" {
			line, err := bufio.NewReader(stdin).ReadString('\n')
			if err != nil && !errors.Is(err, io.EOF) {
				return err
			}
			value = strings.TrimSpace(line)
		}
	case "list":
	default:
		return fmt.Errorf("unknown command %q: use add, list or remove (see `screenpop-relay token -h`)", cmd)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	admin, done, err := adminFor(cfg, stderr, cmd != "list", false)
	if err != nil {
		return err
	}
	defer done()
	switch cmd {
	case "add":
		req.Value = value
		t, err := admin.AddToken(ctx, req)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "Token %s saved (%s %s", t.Token, t.Scope, t.BillingAccount)
		if t.Line != "" {
			fmt.Fprintf(stderr, ", line %s", t.Line)
		}
		fmt.Fprintln(stderr, "); the relay polls it.")
	case "remove":
		if err := admin.RemoveToken(ctx, value); err != nil {
			return err
		}
		fmt.Fprintln(stderr, "Token removed; the relay no longer polls it. It is still valid at OVH until revoked (`screenpop-relay ovh token revoke`).")
	case "list":
		ts, err := admin.ListTokens(ctx)
		if err != nil {
			return err
		}
		if len(ts) == 0 {
			fmt.Fprintln(stderr, "No tokens saved: add one with `screenpop-relay token add`.")
			return nil
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "TOKEN\tSCOPE\tBILLING ACCOUNT\tLINE\tEXPIRATION\tSAVED\tSTATUS")
		for _, t := range ts {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%v\t%s\n", t.Token, dash(t.Scope), dash(t.BillingAccount), dash(t.Line), dash(t.Expiration), t.Saved, dash(t.Status))
		}
		tw.Flush()
	}
	return nil
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
