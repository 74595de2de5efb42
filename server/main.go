// Command screenpop-relay is the relay: it holds the OVH event tokens,
// long-polls OVH's telephony event service, turns events into calls and
// streams them to the agents' browser extensions (WebSocket, Server-Sent
// Events or long-poll), each agent seeing its lines only.
//
//	screenpop-relay -demo                          # built-in OVH emulator + demo CRM, no set-up
//	SCREENPOP_OVH_TOKEN=1738D072-… screenpop-relay # watch a real OVH line
//	screenpop-relay ovh …                          # set up OVH: consumer key, lines, event tokens
//	screenpop-relay agent add alice --lines 0033972101010
//	screenpop-relay token add - -billing-account ab12345-ovh-1 -line 0033972101010
//	screenpop-relay config sample                  # every setting, with its default
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "screenpop-relay:", err)
		}
		os.Exit(1)
	}
}

const usage = `screenpop-relay runs the relay between OVHcloud telephony and the
screenpop browser extension.

  screenpop-relay [flags]            run the relay (flags: screenpop-relay -h)
  screenpop-relay -demo              run it with a built-in OVH emulator and demo CRM
  screenpop-relay ovh …              set up OVH: consumer key, lines, event tokens
  screenpop-relay agent …            add, list, revoke, rotate agents and their lines
  screenpop-relay token …            save, list, remove the OVH event tokens the relay polls
  screenpop-relay config sample|show the documented config file; the effective settings
`

// run is the whole command: args without the program name.
func run(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		switch args[0] {
		case "ovh":
			return runOVHCommand(args[1:], stdout, stderr)
		case "agent":
			return runAgentCommand(args[1:], stdout, stderr)
		case "token":
			return runTokenCommand(args[1:], stdout, stderr)
		case "config":
			return runConfigCommand(args[1:], stdout, stderr)
		case "help":
			fmt.Fprint(stdout, usage)
			return nil
		}
	}
	cfg, rest, err := parseConfig("screenpop-relay", args, stderr, false, nil)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("unknown command %q\n\n%s", rest[0], usage)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	p, err := start(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	return p.wait()
}

func runConfigCommand(args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "sample" {
		fmt.Fprint(stdout, sampleConfig())
		return nil
	}
	if len(args) > 0 && args[0] == "show" {
		cfg, _, err := parseConfig("screenpop-relay config show", args[1:], stderr, false, nil)
		if err != nil {
			return err
		}
		cfg.show(stdout)
		return nil
	}
	return errors.New("use `screenpop-relay config sample` (the documented config file, every default) or `screenpop-relay config show [flags]` (the effective settings)")
}
