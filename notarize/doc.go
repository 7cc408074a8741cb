// Package notarize holds the rules of delayed proof of work (dPoW, design
// reference §9.3, after Komodo): the sidechain is anchored to Bitcoin by
// notarizations, mainchain transactions signed by a threshold of a
// season's notaries that name a sideblock, and once a block is notarized
// the node refuses every reorg that would replace it.
//
// Everything here is a pure function of its arguments; the package keeps
// no state, does no I/O and never logs. The parts:
//
//   - The `N` payload (payload.go): the notarized block's hash, its height
//     and the season number, in the project's tagged OP_RETURN
//     (opreturn's Notarization kind). EncodePayload and ParsePayload apply
//     the same rules: a notary set, a non-zero hash, a height that is a
//     positive multiple of NotarizationInterval, the season in force at
//     that height. FindPayload finds it in a transaction.
//   - What counts (check.go): Check decides whether a mainchain
//     transaction, given its prevouts and confirmations, is a notarization
//     of the node's sidechain (a Chain: the block hash at a height). Each
//     input must be a P2WPKH spend by a distinct notary of the season,
//     identified by its witness key and verified by btcd's script engine,
//     each signature SIGHASH_ALL; at least the threshold of them; the named
//     block on the chain at that height; the configured mainchain
//     confirmations. Notarization.Supersedes says whether a notarization
//     that counts becomes the last one.
//   - The reorg guard (guard.go): CheckReorg refuses a switch of the best
//     sidechain whose fork point lies below the notarized height while the
//     current chain reaches it, and a switch to a chain with another block
//     at that height. No amount of work overrides it.
//   - Rounds (round.go): TargetHeight and RoundTarget pick the block a
//     round notarizes, SelectInputs fixes the round's inputs
//     deterministically, Confirmations is dpowconfs (TxConfirmations per
//     transaction, with the raw count and whether it is notarized) and
//     HealthAt classifies the age of the last notarization with the
//     params' alarm ages; LagAt gives the lag (sideblocks, age, next
//     height, health) the node reports.
//
// Every rule failure is a *RuleError whose ErrorCode names the rule;
// callers compare codes, never messages. The notary seasons, the interval,
// the depth, the confirmations and the alarm ages are chainparams'
// NotaryParams.
//
// The rounds themselves (agreeing, fixing the inputs, exchanging
// signatures, broadcasting, restarting, splitting) are the package
// notarize/round, which uses these helpers; the notarizations that count,
// followed from the mainchain blocks and kept in the store, are the package
// notarize/tracker (log tag DPOW). The node runs the tracker, applies
// CheckReorg in its sidechain fork choice (sideblock.Chain.SetNotarizations)
// and reports dpowconfs and the lag in its API, metrics and alarms; the
// package notarize/notary relays the round messages over the peer
// protocol and runs a notary's rounds in the node (--notary). Not here
// yet: back-notarization into the sidechain, and the peg's federation
// from the season's notaries.
package notarize
