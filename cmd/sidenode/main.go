// Command sidenode runs a sidechain node secured by stake locked on the
// Bitcoin mainchain. It is the daemon only; sidecli is its client.
//
// Run sidenode --help for the options, and see the sample config file
// (node/sample-sidenode.conf) for what each of them does. sidenode takes
// options only: a word that is not an option (a client command such as
// status) is a usage error, reported before anything starts. Exit codes:
// 0 after a clean stop or --help or --version, 1 when the node fails, 2
// on a usage error (a wrong option on the command line or in the config
// file).
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	flags "github.com/jessevdk/go-flags"

	"github.com/mainstake/sidenode/node"
)

// The exit codes.
const (
	exitOK    = 0
	exitFail  = 1
	exitUsage = 2
)

func main() {
	// sidenodeMain returns instead of exiting, so that its deferred calls
	// (closing the log file above all) run before os.Exit.
	os.Exit(sidenodeMain(os.Args[1:]))
}

// sidenodeMain runs the daemon and returns its exit status.
func sidenodeMain(args []string) int {
	cfg, _, err := node.LoadConfig(args)
	var (
		helpErr  *node.HelpError
		argsErr  *node.ArgsError
		flagsErr *flags.Error
		fileErr  *node.ConfigFileError
	)
	switch {
	case errors.As(err, &helpErr):
		fmt.Println(strings.TrimRight(helpErr.Usage, "\n"))
		return exitOK

	case errors.As(err, &argsErr):
		fmt.Fprintf(os.Stderr, "sidenode: %v\n", argsErr)
		fmt.Fprintf(os.Stderr, "sidenode is the daemon; its client is sidecli: "+
			"run sidecli %s (sidecli help lists its commands), or sidenode "+
			"--help for the daemon's options.\n", strings.Join(argsErr.Args, " "))
		return exitUsage

	case errors.As(err, &flagsErr):
		fmt.Fprintf(os.Stderr, "sidenode: %s\n", strings.NewReplacer("`", "", "'", "").Replace(flagsErr.Message))
		fmt.Fprintln(os.Stderr, "Run sidenode --help for the options.")
		return exitUsage

	case errors.As(err, &fileErr):
		fmt.Fprintf(os.Stderr, "sidenode: %v\n", fileErr)
		fmt.Fprintln(os.Stderr, "node/sample-sidenode.conf describes every option.")
		return exitUsage

	case err != nil:
		fmt.Fprintf(os.Stderr, "sidenode: %v\n", err)
		fmt.Fprintln(os.Stderr, "Run sidenode --help for the options.")
		return exitFail
	}

	if cfg.ShowVersion {
		fmt.Println(node.VersionString())
		return exitOK
	}

	if err := node.SetLogLevels(cfg.DebugLevel); err != nil {
		fmt.Fprintf(os.Stderr, "sidenode: --debuglevel: %v\n", err)
		return exitUsage
	}
	if err := node.InitLogRotator(cfg.LogFile()); err != nil {
		fmt.Fprintf(os.Stderr, "sidenode: %v\n", err)
		return exitFail
	}
	defer node.CloseLogRotator()

	ctx, stop := node.WithInterrupt(context.Background())
	defer stop()

	if err := node.Run(ctx, cfg); err != nil {
		fmt.Fprintf(os.Stderr, "sidenode: %v\n", err)
		return exitFail
	}
	return exitOK
}
