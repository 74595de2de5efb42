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
//	screenpop-relay emulator -listen 127.0.0.1:8089 # the OVH emulator alone, for any OVH client
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
	os.Exit(exitCode(run(os.Args[1:], os.Stdout, os.Stderr), os.Stderr))
}

// exitCode prints err, once, and says how the process exits: 0 for
// success and for help asked for, 1 otherwise.
func exitCode(err error, stderr io.Writer) int {
	if err == nil || errors.Is(err, flag.ErrHelp) {
		return 0
	}
	fmt.Fprintln(stderr, "screenpop-relay:", err)
	return 1
}

const usage = `screenpop-relay runs the relay between OVHcloud telephony and the
screenpop browser extension.

Usage:
  screenpop-relay [flags]               run the relay
  screenpop-relay -demo                 run it with a built-in OVH emulator and demo CRM
  screenpop-relay <command> [args]      set it up

Commands (each takes -h):
  ovh credential|lines|token …          set up OVH: consumer key, lines, event tokens
  agent add|list|revoke|rotate|lines …  the agents (people) and the lines each sees
  token add|list|remove …               the OVH event tokens the relay polls
  config sample|show                    the documented config file; the effective settings
  emulator [-listen ADDR] …             the OVH emulator alone (OVH API, event service, control API)
  help                                  this text
`

// commands are the subcommands, for errors that list them.
const commands = "ovh, agent, token, config, emulator and help"

// run is the whole command: args without the program name. Help asked
// for (-h, --help, help) is a success.
func run(args []string, stdout, stderr io.Writer) error {
	if err := runArgs(args, stdout, stderr); !errors.Is(err, flag.ErrHelp) {
		return err
	}
	return nil
}

func runArgs(args []string, stdout, stderr io.Writer) error {
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
		case "emulator":
			return runEmulatorCommand(args[1:], stdout, stderr)
		case "help":
			args = []string{"-h"}
		}
	}
	cfg, rest, err := parseConfig("screenpop-relay", usage, args, stdout, false, nil)
	if err != nil {
		return err
	}
	if len(rest) > 0 {
		return fmt.Errorf("unknown command %q: the commands are %s\nRun `screenpop-relay -h` for the commands and flags.", rest[0], commands)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	p, err := start(ctx, cfg, stderr)
	if err != nil {
		return err
	}
	return p.wait()
}

const configUsage = `Shows the relay's settings.

  screenpop-relay config sample          the documented config file: every setting, with its default
  screenpop-relay config show [flags]    the effective settings (defaults, file, environment, flags)
`

func runConfigCommand(args []string, stdout, stderr io.Writer) error {
	switch {
	case len(args) > 0 && args[0] == "sample":
		fmt.Fprint(stdout, sampleConfig())
		return nil
	case len(args) > 0 && args[0] == "show":
		cfg, _, err := parseConfig("screenpop-relay config show", configUsage, args[1:], stdout, false, nil)
		if err != nil {
			return err
		}
		cfg.show(stdout)
		return nil
	case len(args) > 0 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help"):
		fmt.Fprint(stdout, configUsage)
		return nil
	}
	return errors.New("use `screenpop-relay config sample` (the documented config file, every default) or `screenpop-relay config show [flags]` (the effective settings)")
}
