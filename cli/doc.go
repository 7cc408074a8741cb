// Package cli is sidecli, the command-line client of a sidenode's API
// (cmd/sidecli only calls Main). It follows the conventions of lncli and
// btcctl: connection options before the command, one command per API
// call, the node's answer printed as JSON with the proto field names.
//
// # How the parts fit
//
// commands.go holds the table of commands: each commandSpec names its
// group, its path ("peg in"), its descriptions and its go-flags struct,
// and the parser, sidecli help's listing by group and the tests all read
// that one table. node.go, wallet.go, sidechain.go, peg.go and
// subscribe.go hold the commands of each group; peers.go is where the
// peer and ban commands go; walletpay.go holds the wallet's payment,
// history and seed commands (their specs are in wallet.go's table),
// decode.go the decoding of tx --verbose (btcd's btcjson types and script
// disassembler), and confirm.go the question the irreversible sends ask
// (skipped with --force, refused without a terminal) and the reading of
// passphrases. options.go holds the connection options and
// how the environment and the env file fill them in; input.go parses what
// the user typed; errors.go holds the exit codes and turns the node's
// errors into the user's terms.
//
// # Connection settings
//
// --network, --rpcserver, --datadir, --tlscert and --credential come, in
// that order of precedence, from the flag, from the environment variable
// SIDECLI_NETWORK, SIDECLI_RPCSERVER, SIDECLI_DATADIR, SIDECLI_TLSCERT or
// SIDECLI_CREDENTIAL, and from the default: mainnet, the network's API
// port on 127.0.0.1, ~/.sidenode/data, and the tls.cert and admin.cred of
// <datadir>/<network>/. An env file (lines KEY=VALUE in shell quoting,
// "export " allowed, as the devnet writes to .devnet/<node>/sidecli.env)
// ranks where it is named: one named with --envfile above the
// environment, one named by SIDECLI_ENVFILE below it.
//
// # Input and errors
//
// A command checks what the user typed before it calls the node: amounts
// are whole satoshis from 1 to 21 million BTC; fee rates are sat/vB on
// both chains (the sidechain counts witnesses in full: 1 sat/vB there is
// 1,000 sat/kB, the unit of its mempool); heights, ids and outpoints
// are checked for form; an address is checked against the chain and the
// network the command expects, and a message says which chain and
// network it belongs to instead. A word that looks like a negative number
// ("-5") is read as a value, never as an option, so that the message
// says why it is out of range. Messages name the flag or argument as the
// user typed it, with its unit. The node's own errors are passed on, with
// the request fields they name replaced by the flags the user typed and
// rule identifiers ("ErrDepositDust: ") dropped.
//
// # Exit codes
//
// 0 (ExitOK) success; 1 (ExitNodeError) the node answered with an error;
// 2 (ExitUsage) the command line is wrong and nothing was sent; 3
// (ExitUnreachable) the node could not be reached, its certificate or
// credential is missing or does not match, or it did not answer within
// --timeout; 4 (ExitInvalid) the node checked what was asked and found it
// invalid (peg verify of a payout that breaks a rule).
//
// # Confirmation
//
// sendmain, send, peg in, peg out, stake create (without --psbt) and
// bumpfee move coins for good: they print what they are about to do and
// ask "Go ahead? [y/N]" on the terminal, and send nothing unless the
// answer is y or yes (else exit 2). --force skips the question; when
// standard input is not a terminal they refuse without --force, with a
// usage error that says to add it.
package cli
