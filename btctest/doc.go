// Package btctest runs a real btcd node for tests, benchmarks and the local
// devnet.
//
// A Harness starts the btcd binary (v0.26.2, found through $BTCD_BIN, $PATH
// or $GOPATH/bin) on free loopback ports with a temporary data dir, TLS RPC
// and --rejectnonstd, so that the mainchain in every test applies the same
// standardness policy as a mainnet node. It holds the private key of the
// mining address, mines blocks with the generate RPC, builds and signs
// transactions with btcd's own wire and txscript packages, and makes reorgs
// of any depth with invalidateblock followed by generate.
//
// Generate mines every mempool transaction, as btcd's generate does. To
// choose what a block holds, MineBlock builds, solves and submits a block
// of exactly the transactions given (standard or not, and double spends of
// mempool transactions too, which btcd then evicts), with a coinbase that
// pays the subsidy to the mining address. GenerateExcluding mines the
// mempool less the transactions a test keeps out, and ReorgExcluding makes
// a reorg whose new branch leaves them out; DoubleSpend signs a conflict of
// a harness transaction, so that one kept out never comes back.
//
// Regtest wipes nothing by itself, but a btcd regtest chain that must survive
// a btcd restart is better run on simnet, which Options.Network selects.
//
// Every Harness created through NewForTest is stopped by t.Cleanup, and the
// btcd child is started with a parent-death signal, so no btcd process
// outlives the test binary.
package btctest
