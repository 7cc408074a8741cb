// Package round runs the dPoW notarization rounds (design reference §9.3,
// protocol §13.5): every NotarizationInterval sideblocks, the online
// notaries of the season agree on the block to notarize, fix one input
// set before anyone signs, sign their own inputs of the one transaction
// it makes, exchange the signatures, and whoever holds them all finalizes
// the notarization and broadcasts it.
//
// The parts:
//
//   - Messages (msg.go): announce (a notary offers one of its P2WPKH
//     outputs), input set (the attempt's leader fixes the inputs and the
//     fee rate), signature (a notary's signature of its input) and abort
//     (an input is spent elsewhere). A fixed big-endian encoding, a strict
//     Decode, and a BIP340 signature by the sender's notary key over the
//     sidechain id and the content; Verify authenticates against the
//     season in force at the round's height. Every refusal is a
//     *RuleError whose code carries a BanScore for the peer layer.
//   - The transaction (tx.go): BuildTx makes the unsigned notarization of
//     an input set (the `N` output, then each notary's change in input
//     order), Shares is the fee rule, MinInputValue the least value an
//     input may have.
//   - The state machine (notary.go): a Notary is one notary's part,
//     driven by Tip (a new best sidechain tip), Handle (a message from a
//     peer) and Poll (time passed). It signs through psbtsign, the PSBT
//     machinery the pegbox federation uses too, and talks to the world
//     through small interfaces: Transport, Clock, Wallet, UTXOSource,
//     Broadcaster. A round that stalls restarts, after Config.Timeout,
//     as the next attempt with the next leader and whoever answers; an
//     input spent elsewhere aborts the attempt and is left out of the
//     next.
//   - Splitting (split.go): Split keeps a notary's outputs split so that
//     it always has one to offer while its last round's change is
//     unconfirmed.
//
// The node's wallet holds the notary keys and coins; FromNodeWallet makes a
// Wallet of it.
//
// The node runs a Notary through notarize/notary, which relays the round
// messages over the peer protocol; back-notarization is not done. The
// package keeps no state but
// a Notary's, does no I/O of its own and does not log: Handle returns its
// refusals for the caller to log and score.
package round
