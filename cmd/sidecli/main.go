// Command sidecli is the command-line client of a running sidenode's API,
// as lncli is lnd's and bitcoin-cli is bitcoind's. Connection options come
// before the command:
//
//	sidecli --network=regtest --rpcserver=127.0.0.1:18560 status
//
// or from SIDECLI_* environment variables, or from an env file such as the
// one the devnet writes for each node. sidecli help lists every command by
// group; sidecli help COMMAND describes one. See package cli for the exit
// codes.
package main

import (
	"os"

	"github.com/mainstake/sidenode/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}
