// Package wallet holds the node's keys and its mainchain coins.
//
// # Keys
//
// One BIP32 seed, created by the node (see Seed and backup), derives every
// key (hdkeychain):
//
//	m/84'/coin'/0'/0/i     mainchain receive addresses (P2WPKH)
//	m/84'/coin'/0'/1/i     mainchain change addresses (P2WPKH)
//	m/1017'/coin'/0'/0/i   stake keys: the pubkey of a stake registration
//	m/1017'/coin'/1'/0/i   sidechain keys
//	m/1017'/coin'/2'/0/i   notary keys (dPoW): i below NotaryKeys
//
// coin is the mainchain's BIP44 coin type (0 mainnet, 1 test networks).
// Purpose 1017' is this project's own, so that stake keys never collide
// with an ordinary wallet's.
//
// # Seed and backup
//
// A new wallet draws 256 bits of entropy. Its backup is the 24 English
// BIP39 words of that entropy (MnemonicFromEntropy), and its BIP32 seed is
// BIP39's: PBKDF2-HMAC-SHA512 of the words, 2048 rounds, with an empty
// BIP39 passphrase (salt "mnemonic"). So the words alone restore the
// wallet, with this node (ParseMnemonic, then CreateSeed with the entropy)
// or with any BIP39 tool, which derives the same master key from them; the
// wallet's passphrase only seals the seed file and is not part of the
// backup. The words are read in any case, with numbers before them
// skipped; a list that is not a backup is refused with a *MnemonicError
// whose code says how (MnemonicWordCount: not 24 words; MnemonicUnknownWord
// and MnemonicOtherLanguage: the first word of no English list, naming
// its position and, for another BIP39 list's word, that language;
// MnemonicChecksum: the checksum of the 24 words does not match). Only
// English and only 24 words: the words of another language encode the
// same entropy but derive other keys, and 12 to 21 words would be another
// wallet's backup.
//
// The seed file records its format's version. Version 2 holds the BIP39
// entropy. Version 1, written before backups were words, holds a BIP32
// seed from which hdkeychain.NewMaster derives the master key directly;
// such files still open and derive the same keys (Seed.Legacy), and their
// backup is the BIP32 seed in hex, never words: words made from it would
// restore a different wallet. ChangePassphrase keeps a file's version.
//
// The seed is kept at rest in a seed file, sealed with NaCl secretbox under a
// key stretched from the passphrase with scrypt. The file is written
// atomically (temporary file, fsync, rename). An unattended node unlocks it
// with a password file, as lnd does with --wallet-unlock-password-file.
// ChangePassphrase seals the same seed again under a new passphrase, with a
// new salt and nonce, replacing the file atomically; the password file is
// the operator's to update. A node started with --wallet.waitunlock takes
// the passphrase through its API instead (nodeapi.Unlocker: sidecli unlock,
// or sidecli create, which writes a new seed file with CreateSeed, from
// the words of a backup with create --restore).
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
// txscript, and returns a transaction ready to broadcast. Every input
// signals BIP125 replaceability (RBFSequence). FundingPSBT instead exports
// the outputs as a PSBT, for an outside wallet to fund and sign.
//
// Once the node has broadcast a transaction Fund built, Sent records it as
// pending, a local record (not mainchain-derived) that survives restarts:
// from that moment the coins it spends count in no balance and Fund offers
// them to no other transaction, and what it pays back to the wallet counts
// as unconfirmed. A pending record holds while every coin it spends is
// still a coin of the wallet; once a block spends one of them (the
// transaction, or one that replaced it, was mined) the record no longer
// counts, and such records are deleted when the wallet opens and after
// each send. A reorg that
// undoes the block gives the coins back, and the transaction is pending
// again if its record was still there.
//
// # History
//
// ConnectBlock writes a history record for every transaction of a block
// that spends a coin of the wallet or pays one of its scripts: the
// transaction, what it received, what it spent and its fee (known when
// every input is the wallet's). The records are mainchain-derived and undone
// with their block. Transactions lists them in chain order, then the
// pending ones; ListUnspent lists the coins, leaving out those pending
// transactions spend.
//
// # Balances
//
// Balances splits the wallet's value at a number of confirmations minConf
// into parts that do not overlap: Confirmed (coins with at least minConf
// confirmations; with minConf 0 also Unconfirmed), Incoming (coins in
// blocks with fewer, and what mempool transactions pay the wallet),
// Unconfirmed (what pending transactions pay back to the wallet).
// PendingSpent, the coins pending transactions spend, is in none of them.
//
// # Mempool
//
// FollowMempool takes the transactions a backend's mempool accepts that
// pay the wallet (btcd's relevanttxaccepted; neutrino has no mempool, and
// Balances.MempoolSeen is then false) and keeps, in memory only, what they
// pay it, at most MaxMempoolTxs. They count as Incoming, unless they are
// the wallet's own (pending, or spending its coins), until a block holds
// them (ConnectBlock), a later one spends one of their inputs (a
// replacement), or the backend no longer has them (checked at each tick).
// They are never spent.
//
// # Fee bumping
//
// BumpFee builds a BIP125 replacement of a pending transaction of the
// wallet: the same inputs and outputs, the higher fee taken from its
// change output. When the change cannot pay it, or there is none,
// confirmed coins that no pending send spends are added as inputs (never
// an unconfirmed one, BIP125 rule 2) and the rest goes to the change
// output, new if need be; change that would be dust goes to the fee. When
// the coins do not suffice either, the error (ErrReplacement) says how
// many sat are missing. The coins it adds are held back as Fund's are,
// until Sent records the replacement or Release frees them after a failed
// broadcast. It refuses a transaction
// that is not the wallet's (ErrNotOwnTx) or is in a block (ErrConfirmed).
// CheckReplacement checks the replacement against the original before it
// is broadcast: the original signals replaceability, the replacement
// spends one of its inputs and only the wallet's coins, and pays a higher
// absolute fee and a higher fee rate, by at least IncrementalRelayFee
// (1 sat/vB) of its own size (BIP125 rules 3 and 4). Sent then records the
// replacement and drops the original's record.
//
// Amounts are bounded by MaxAmount (21 million BTC) and fee rates by
// MaxFeeRate (10,000 sat/vB); Fund adds with overflow checks and refuses
// anything outside them. CheckTx is the check every transaction the node
// builds passes before it is broadcast: btcd's sanity rules
// (blockchain.CheckTransactionSanity), inputs worth at least the outputs,
// and btcd's script engine over every input against the real previous
// outputs (PrevOuts gives them for what Fund built).
//
// When the node withdraws a stake, WatchStake records the withdrawal and
// watches the stake outpoint (local state); ConnectBlock then records the
// block that spends it (mainchain-derived), and StakeSpend says which, for
// stake list's stake_state. A withdrawal the node did not send is not
// seen.
//
// A stake's withdrawal is built by package mainstake; the wallet gives it
// the stake's key (StakeKeyFor) and the payout script (PayoutScript: a
// user's address of the mainchain network, or the current receive
// address).
package wallet
