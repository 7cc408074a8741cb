// Command sidenode runs a sidechain node secured by stake locked on the
// Bitcoin mainchain.
//
// Run sidenode --help for the options, and see the sample config file
// (node/sample-sidenode.conf) for what each of them does.
//
// The same binary is the client of a running node's API when its first
// argument is a client command: status, statehash, tickets, winner, publication,
// publications, missed, newaddress, balance, or stake (create, list,
// withdraw) for the node and the mainchain; block, tx, utxos, sidebalance,
// sideaddress, send, sendrawtx or estimatefee for the sidechain; peg (in,
// info, deposits, refused, deposit) for deposits through the pegbox;
// subscribe (sideblocks, lottery) to follow both chains. Run sidenode
// <command> --help for a command's options. A client prints the node's
// answer as JSON (a subscription one object per line, until interrupted);
// on an error it prints a message to standard error and exits with
// status 1.
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/mainstake/sidenode/node"
)

func main() {
	if len(os.Args) > 1 && isClientCommand(os.Args[1]) {
		os.Exit(clientMain(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
	}

	// sidenodeMain returns instead of exiting, so that its deferred calls
	// (closing the log file above all) run before os.Exit.
	os.Exit(sidenodeMain())
}

// sidenodeMain runs the daemon and returns its exit status.
func sidenodeMain() int {
	cfg, remaining, err := node.LoadConfig(os.Args[1:])
	var helpErr *node.HelpError
	switch {
	case errors.As(err, &helpErr):
		fmt.Println(strings.TrimRight(helpErr.Usage, "\n"))
		return 0

	case err != nil:
		fmt.Fprintf(os.Stderr, "sidenode: %v\n", err)
		fmt.Fprintln(os.Stderr, "Run sidenode --help for the options.")
		return 1
	}

	if cfg.ShowVersion {
		fmt.Println(node.VersionString())
		return 0
	}

	if len(remaining) > 0 {
		fmt.Fprintf(os.Stderr, "sidenode: unexpected arguments %q: "+
			"sidenode takes only options\n", remaining)
		return 1
	}

	if err := node.SetLogLevels(cfg.DebugLevel); err != nil {
		fmt.Fprintf(os.Stderr, "sidenode: --debuglevel: %v\n", err)
		return 1
	}
	if err := node.InitLogRotator(cfg.LogFile()); err != nil {
		fmt.Fprintf(os.Stderr, "sidenode: %v\n", err)
		return 1
	}
	defer node.CloseLogRotator()

	ctx, stop := node.WithInterrupt(context.Background())
	defer stop()

	if err := node.Run(ctx, cfg); err != nil {
		fmt.Fprintf(os.Stderr, "sidenode: %v\n", err)
		return 1
	}
	return 0
}
