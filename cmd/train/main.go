// Command train trains a ResNet on a folder of images and writes checkpoints, a CSV of
// per-epoch metrics and a plot of them to an output folder.
//
//	go run ./cmd/train -train ../shared/data/catsdogs/train -val ../shared/data/catsdogs/val
//
// See -h for every flag. Ctrl-C or SIGTERM writes a checkpoint after the step in progress, and
// -resume DIR continues from it. A second Ctrl-C stops at once.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/pkg/errors"
)

func main() {
	s, o, _, err := parseFlags(os.Args[1:])
	if errors.Is(err, flag.ErrHelp) {
		return
	}
	if err != nil {
		fail(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		// After the first signal, restore the default handling, so that a second Ctrl-C ends
		// the process at once. Checkpoint writes are atomic, so that loses no finished file.
		<-ctx.Done()
		stop()
	}()
	r, err := newRun(s, o)
	if err != nil {
		fail(err)
	}
	if r == nil {
		return // -scan or -dot finished the job, or a resumed run had nothing left to do
	}
	if ctx.Err() != nil {
		fmt.Fprintln(os.Stderr, "interrupted before training started; nothing was written")
		os.Exit(130)
	}
	if err := r.train(ctx); err != nil {
		if errors.Is(err, context.Canceled) {
			fmt.Fprintf(os.Stderr, "\ninterrupted: checkpoint saved; continue with: go run ./cmd/train -resume %s\n", r.s.Out)
			os.Exit(130)
		}
		fail(err)
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "train:", err)
	os.Exit(1)
}
