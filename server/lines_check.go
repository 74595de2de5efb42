package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/screenpop/screenpop/internal/phone"
	"github.com/screenpop/screenpop/server/ovhapi"
	"github.com/screenpop/screenpop/server/store"
)

// ovhServices lists the names of the lines and queues of the OVH account
// the OVH API credentials (OVH_* variables or ovh.conf) give access to;
// an error when there are none. A variable, for the tests.
var ovhServices = func(ctx context.Context, endpoint string) ([]string, error) {
	c, err := ovhapi.FromEnv(endpoint)
	if err != nil {
		return nil, err
	}
	accounts, err := c.Lines(ctx)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, a := range accounts {
		names = append(names, a.Services...)
	}
	return names, nil
}

// warnUnknownLines warns about each --lines entry that is neither a
// phone number, nor *, nor a line or queue the OVH account has: it is
// kept (a queue's name is a valid line, and the relay cannot always ask
// OVH), but a typo such as "hello-world" would otherwise give an agent
// who never sees a call, silently. With OVH API credentials the names
// are checked against the account's services; without, the warning says
// what to check.
func warnUnknownLines(ctx context.Context, cfg Config, lines []string, stderr io.Writer) {
	var names []string
	for _, l := range lines {
		for _, part := range strings.Split(l, ",") {
			if part = strings.TrimSpace(part); part != "" && part != store.AllLines && !phone.IsNumber(part) {
				names = append(names, part)
			}
		}
	}
	if len(names) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	known, err := ovhServices(ctx, cfg.OVHEndpoint)
	for _, n := range names {
		switch {
		case err != nil:
			fmt.Fprintf(stderr, "warning: line %q is not a phone number; it is kept as a queue's name, and the agent sees only the calls OVH reports under that name. Check it with `screenpop-relay ovh lines` (it lists your lines and queues), or give the line's number (0033…, +33…).\n", n)
		case !hasLine(known, n):
			fmt.Fprintf(stderr, "warning: line %q is neither a phone number nor a line or queue of your OVH account (`screenpop-relay ovh lines` lists them); it is kept, but the agent sees no call on it until OVH reports one under that name.\n", n)
		}
	}
}

// hasLine reports whether name is one of lines, the way the relay matches
// an agent's lines (phone.LineKey).
func hasLine(lines []string, name string) bool {
	k := phone.LineKey(name)
	for _, l := range lines {
		if phone.LineKey(l) == k {
			return true
		}
	}
	return false
}
