package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/screenpop/screenpop/server/relay"
	"github.com/screenpop/screenpop/server/store"
)

const agentUsage = `Manages the agents: the people (browser extensions) allowed to use the relay,
each seeing only its lines. Works whether the relay runs or not.

  screenpop-relay agent add NAME --lines 0033972101010[,…]   prints the connection string
  screenpop-relay agent list
  screenpop-relay agent revoke NAME                           its connections close at once
  screenpop-relay agent rotate NAME                           a new secret; the old one stops working
  screenpop-relay agent lines NAME --lines 0033972101010[,…]  change what it sees

--lines takes OVH numbers (0033…, +33…, or national 09… in -region), queue
names, or * for every line, comma-separated or repeated. Every command also
takes -data, -config and -public-url, like the relay.
`

// adminFor returns the Admin the commands use: the running relay's admin
// endpoint when admin.json says one runs, else the data file itself.
// changes says whether the command changes anything (for what it tells
// the user when it opens the data file), needURL whether it prints a
// connection string, and so needs the relay's public URL: without one it
// fails before changing anything, rather than add an agent whose secret
// it cannot print.
func adminFor(cfg Config, stderr io.Writer, changes, needURL bool) (relay.Admin, func(), error) {
	link, ok, err := readAdminLink(cfg.Data)
	if err != nil {
		return nil, nil, err
	}
	if ok && link.answers() {
		if needURL && link.PublicURL == "" {
			return nil, nil, fmt.Errorf("the running relay (pid %d) has no public URL for connection strings: it listens on every interface and was started without -public-url; restart it with -public-url set to the address agents reach it at (e.g. http://192.0.2.10:8080 or https://relay.example.com), then run this again", link.PID)
		}
		return relay.AdminClient{URL: link.URL, Token: link.Token}, func() {}, nil
	}
	scheme := "http"
	if cfg.TLSCert != "" {
		scheme = "https"
	}
	public, urlErr := publicURL(cfg.PublicURL, scheme, cfg.Listen)
	if needURL && urlErr != nil {
		return nil, nil, fmt.Errorf("no connection string without the relay's address: %v", urlErr)
	}
	if err := os.MkdirAll(cfg.Data, 0o700); err != nil {
		return nil, nil, fmt.Errorf("cannot create the data folder: %v; choose another with -data", err)
	}
	st, err := store.Open(filepath.Join(cfg.Data, dbFile))
	if err != nil {
		if ok {
			return nil, nil, fmt.Errorf("%v (its admin endpoint %s does not answer: is the relay starting or stuck?)", err, link.URL)
		}
		return nil, nil, err
	}
	if changes {
		fmt.Fprintf(stderr, "(no relay running on %s: changing the data file directly)\n", cfg.Data)
	} else {
		fmt.Fprintf(stderr, "(no relay running on %s: reading the data file directly)\n", cfg.Data)
	}
	return relay.StoreAdmin{Store: st, PublicURL: public, Region: cfg.Region}, func() { st.Close() }, nil
}

// linesFlag collects --lines, repeated or comma-separated.
type linesFlag []string

func (l *linesFlag) String() string { return strings.Join(*l, ",") }
func (l *linesFlag) Set(s string) error {
	*l = append(*l, s)
	return nil
}

// cutName takes NAME off args whether it comes before or after the flags
// (`agent add alice --lines …` and `agent add --lines … alice`).
func cutName(args []string) (name string, rest []string) {
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		return args[0], args[1:]
	}
	return "", args
}

func runAgentCommand(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errors.New("missing command: add, list, revoke, rotate or lines\nRun `screenpop-relay agent -h` for what each does.")
	}
	if args[0] == "-h" || args[0] == "-help" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprint(stdout, agentUsage)
		return nil
	}
	cmd := args[0]
	name, rest := cutName(args[1:])
	var lines linesFlag
	withLines := cmd == "add" || cmd == "lines"
	cfg, extra, err := parseConfig("screenpop-relay agent "+cmd, agentUsage, rest, stdout, true, func(fs *flag.FlagSet) {
		if withLines {
			fs.Var(&lines, "lines", "the `lines` the agent sees: OVH numbers, queue names, or * for all; comma-separated or repeated")
		}
	})
	if err != nil {
		return err
	}
	if name == "" && len(extra) > 0 {
		name, extra = extra[0], extra[1:]
	}
	if len(extra) > 0 {
		return fmt.Errorf("unexpected %q: give one agent name (flags go before or after it)", strings.Join(extra, " "))
	}
	needName := cmd != "list"
	switch {
	case cmd != "add" && cmd != "list" && cmd != "revoke" && cmd != "rotate" && cmd != "lines":
		return fmt.Errorf("unknown command %q: use add, list, revoke, rotate or lines (see `screenpop-relay agent -h`)", cmd)
	case needName && name == "":
		return fmt.Errorf("give the agent's name: screenpop-relay agent %s NAME", cmd)
	case withLines && len(lines) == 0:
		return fmt.Errorf("give the lines the agent sees: screenpop-relay agent %s %s --lines 0033972101010 (or --lines '*' for all)", cmd, name)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if withLines {
		warnUnknownLines(ctx, cfg, lines, stderr)
	}
	admin, done, err := adminFor(cfg, stderr, cmd != "list", cmd == "add" || cmd == "rotate")
	if err != nil {
		return err
	}
	defer done()

	switch cmd {
	case "add":
		ns, err := admin.AddAgent(ctx, name, lines)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, ns.Connection)
		fmt.Fprintf(stderr, "\nAgent %s added; it sees %s.\nPaste the line above in the extension's options (Connection). It is shown only\nonce; `screenpop-relay agent rotate %s` makes a new one.\n", name, describeLines(ns.Agent.Lines), name)
	case "rotate":
		ns, err := admin.RotateAgent(ctx, name)
		if err != nil {
			return err
		}
		fmt.Fprintln(stdout, ns.Connection)
		fmt.Fprintf(stderr, "\nAgent %s has a new secret; the old one no longer works", name)
		if ns.Closed > 0 {
			fmt.Fprintf(stderr, " (%d connection(s) closed)", ns.Closed)
		}
		fmt.Fprintln(stderr, ".\nPaste the line above in its extension's options.")
	case "revoke":
		n, err := admin.RevokeAgent(ctx, name)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "Agent %s revoked; %d open connection(s) closed.\n", name, n)
	case "lines":
		a, err := admin.SetLines(ctx, name, lines)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "Agent %s now sees %s.\n", name, describeLines(a.Lines))
	case "list":
		as, err := admin.ListAgents(ctx)
		if err != nil {
			return err
		}
		if len(as) == 0 {
			fmt.Fprintln(stderr, "No agents yet: add one with `screenpop-relay agent add NAME --lines 0033…`.")
			return nil
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "NAME\tLINES\tCONNECTED\tCREATED\tSECRET ISSUED")
		for _, a := range as {
			fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\n", a.Name, strings.Join(a.Lines, ","), a.Connections, day(a.Created), day(a.Rotated))
		}
		tw.Flush()
	}
	return nil
}

func describeLines(lines []string) string {
	if len(lines) == 1 && lines[0] == store.AllLines {
		return "every line"
	}
	return "line(s) " + strings.Join(lines, ", ")
}

func day(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("2006-01-02 15:04")
}
