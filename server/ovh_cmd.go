package main

import (
	"context"
	"io"
	"os"
	"os/signal"

	"github.com/screenpop/screenpop/server/ovhapi"
)

// runOVHCommand runs `screenpop-relay ovh …` (args: what follows "ovh"),
// the set-up against the OVH API: the consumer key, the lines, the event
// token. The logic and its tests live in package ovhapi (Command).
func runOVHCommand(args []string, stdout, stderr io.Writer) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	return ovhapi.Command(ctx, args, stdout, stderr, ovhapi.FromEnv)
}
