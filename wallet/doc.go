// Package wallet holds the node's keys and its mainchain coins.
//
// # Keys
//
// One BIP32 seed, created by the node, derives every key (hdkeychain):
//
//	m/84'/coin'/0'/0/i     mainchain receive addresses (P2WPKH)
//	m/84'/coin'/0'/1/i     mainchain change addresses (P2WPKH)
//	m/1017'/coin'/0'/0/i   stake keys: the pubkey of a stake registration
//	m/1017'/coin'/1'/0/i   sidechain keys
//
// coin is the mainchain's BIP44 coin type (0 mainnet, 1 test networks).
// Purpose 1017' is this project's own, so that stake keys never collide
// with an ordinary wallet's.
//
// The seed is kept at rest in a seed file, sealed with NaCl secretbox under a
// key stretched from the passphrase with scrypt. The file is written
// atomically (temporary file, fsync, rename). An unattended node unlocks it
// with a password file, as lnd does with --wallet-unlock-password-file.
//
// # Coins
//
// The wallet's coins are mainchain-derived state. The node hands each
// connected mainchain block to Wallet.ConnectBlock inside the store batch
// that moves the cursor, so the coins roll back with a reorg through the
// store's undo log like everything else. The wallet watches the scripts of
// its receive and change addresses, a gap of LookAhead unused ones beyond
// the last used, so both mainchain backends deliver its transactions.
//
// # Spending
//
// Fund selects confirmed coins, adds change, signs every input with
// txscript, and returns a transaction ready to broadcast. FundingPSBT
// instead exports the outputs as a PSBT, for an outside wallet to fund and
// sign.
//
// Amounts are bounded by MaxAmount (21 million BTC) and fee rates by
// MaxFeeRate (10,000 sat/vB); Fund adds with overflow checks and refuses
// anything outside them. CheckTx is the check every transaction the node
// builds passes before it is broadcast: btcd's sanity rules
// (blockchain.CheckTransactionSanity), inputs worth at least the outputs,
// and btcd's script engine over every input against the real previous
// outputs (PrevOuts gives them for what Fund built).
//
// A stake's withdrawal is built by package mainstake; the wallet gives it
// the stake's key (StakeKeyFor) and the payout script (PayoutScript: a
// user's address of the mainchain network, or the current receive
// address).
package wallet
