// Package bitcoinrpc serves the subset of bitcoind's JSON-RPC that pool
// software mines with (docs/protocol.md §12.6): getblocktemplate,
// submitblock, getbestblockhash, getblockchaininfo, getmininginfo,
// getblockcount, getblockhash, getdifficulty, getnetworkinfo and
// validateaddress, so that an existing pool (ckpool, Miningcore and their
// kin) can mine a pow network's sidechain through the node instead of the
// built-in miner.
//
// The package speaks the dialect only. The template, its long polls, block
// intake and BIP22's reasons for a refused block are the node's mining API
// (Mining, which nodeapi.Adapter implements for api.MiningService); the
// best chain comes through Chain. The server turns them into bitcoind's
// fields and error codes.
//
// Two things of the sidechain show through. A sideblock's coinbase must
// carry the main reference right after its height (§12.4): its 36 bytes
// are coinbaseaux.flags, which pools (ckpool, Miningcore) push as data
// right after the BIP34 height. And the
// header's merkle root is SHA256d(Bitcoin's root ‖ withdrawal root) (§6),
// which pool software does not compute: unless the client asks for the
// "withdrawalroot" capability, the template is the coinbase alone and
// lists one stand-in transaction whose txid is the withdrawal root of such
// a block (zero), so that Bitcoin's merkle root of the listed txids is
// the sidechain's; submitblock takes the stand-in off again.
//
// The server stands on its own HTTP listener with its own basic
// credentials (compared in constant time; wrong ones start a per-address
// backoff), a body limit, read and write timeouts, and bounds on
// connections, calls at once and long polls. The request decoder never
// panics on any input (FuzzDecodeBody, FuzzServeHTTP).
//
// The package logs under the subsystem tag BRPC; see UseLogger.
package bitcoinrpc
