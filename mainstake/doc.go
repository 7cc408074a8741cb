// Package mainstake turns the mainchain into the sidechain's stake: it owns
// stake registrations, the ticket index and the publisher chains (design
// reference §3 and the ticket side of §5).
//
// # What the package does now
//
// The package holds the pure rules: functions of a transaction and the
// network parameters, with no wallet, store or network access.
//
// A stake registration is a standard Bitcoin transaction with the 'S'
// OP_RETURN (package opreturn). ParseRegistration parses its payload,
// rebuilds the CLTV witness script from the lock height and pubkey
// (StakeScript), and accepts the registration only when:
//
//   - the stake output is the P2WSH of that script (StakePkScript), worth at
//     least MinStakeValue;
//   - the publisher output pays P2WPKH(HASH160(pubkey)) (PublisherScript);
//   - the stake vout, the publisher vout and the OP_RETURN are three
//     different outputs;
//   - some output of at least DustLimit pays the sidechain's registry
//     script (RegistryScript);
//   - the lock is a block height (below 500,000,000) and lies MinStakeLock
//     to MaxStakeLock blocks after the confirmation height (CheckLock).
//
// Each accepted registration is a Registration: the data of one ticket.
// BuildRegistration makes the outputs of such a transaction for a wallet to
// fund and sign.
//
// The cold-owner form (a 68-byte 'S' payload that adds an owner key hash)
// locks the stake to a key the node never holds (ColdStakeScript: CLTV,
// then OP_DUP OP_HASH160 <owner key hash> OP_EQUALVERIFY OP_CHECKSIG) and
// keeps the publisher outputs on the payload's pubkey, the hot key that
// signs headers and pegbox spends (BuildColdRegistration; rule codes
// ErrOwnerIsPublisher and ErrColdStakeScript). A Registration says which
// form it is (Cold, OwnerKeyHash) and builds its own stake script
// (StakeWitnessScript, StakePkScript, OwnedBy).
//
// A stake spend is a withdrawal (BuildStakeWithdrawal) or a renewal into a
// new registration of the same keys (BuildRenewal). For a cold owner,
// StakeSpendPSBT and BuildStakeWithdrawalPSBT hand the spend out as a PSBT,
// FinalizeStakeSpend reads it back signed, and CheckRenewal refuses a
// renewal that pays anywhere but the new stake (ErrRenewal).
//
// The registry script is a P2TR output whose key Q = H + t·G has H, BIP341's
// point of unknown discrete logarithm, and t = SHA256("PMS/registry" ‖
// sidechain id) mod n. It is the same for every registration of a
// sidechain, so that light clients find registrations with BIP158 filters
// (which leave OP_RETURN outputs out), and nobody can spend it.
//
// A publisher chain is the sequence of outpoints that a ticket's header
// transactions spend and create, starting with the registration's publisher
// output. ParseHeaderTx checks the shape of a header transaction: input 0
// spends the current publisher outpoint, output 0 is the only OP_RETURN and
// carries an 'H' payload, and output 1 pays the owner's P2WPKH and becomes
// the next publisher outpoint. ClassifySpend sorts any transaction into
// NotSpent, ValidHeader or EndsChain: any spend of the current publisher
// outpoint that is not a header transaction ends the chain, and the ticket
// is no longer eligible.
//
// BuildStakeWithdrawal spends a stake back to its owner after the lock:
// version 2, nLockTime = lock height, one input with nSequence 0xfffffffe
// (not final, so CHECKLOCKTIMEVERIFY and nLockTime apply) whose witness is
// a BIP143 SigHashAll signature and the stake's witness script, and one
// output. nLockTime = lock is final only in a block of height above the
// lock, so the first block that can hold a withdrawal is lock + 1
// (FirstWithdrawalHeight), and StakeSpendable reports it from the tip.
//
// # Decisions
//
//   - A registration must have exactly one OP_RETURN output (standardness,
//     design reference §1), counted as opreturn.FindInTx counts it.
//   - The publisher output's value is not a rule: a header transaction may
//     add inputs for its fee. BuildRegistration still makes it at least
//     DustLimit so that the registration is standard.
//   - Several registry outputs are allowed; one of at least DustLimit is
//     enough.
//   - A header transaction for another sidechain, or with a malformed
//     OP_RETURN, that spends the publisher outpoint ends the chain: a
//     publisher output serves one sidechain only.
//
// Every rule failure is a *RuleError whose ErrorCode names the rule; tests
// and callers compare codes, never messages.
//
// # What comes next
//
// The ticket index keeps tickets in chain order (confirmation height, then
// position in the block), persisted in the store in the same atomic batch
// as the mainchain cursor. That order is append-only as blocks connect, and
// a block that disconnects removes exactly the tickets it added. The index
// also records, by height, when each ticket matures and when it expires,
// and follows each ticket's publisher chain with ClassifySpend, so that the
// lottery package can update its trees with only the tickets that change at
// a given height. The index adds the registry script and the current
// publisher outpoints to the mainwatch watch list.
//
// Wallet commands will build, fund, sign and broadcast registrations and
// header transactions from BuildRegistration and the owner's key.
//
// The package's log subsystem tag is STAK.
package mainstake
