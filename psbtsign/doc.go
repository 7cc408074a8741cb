// Package psbtsign gathers the signatures of one mainchain transaction
// whose inputs are signed by several parties, as PSBTs (BIP174, btcd's
// psbt package), and finalizes it once every input has the signatures it
// needs.
//
// It is the signing machinery shared by the pegbox federation (every input
// a P2WSH multisig of the federation, a threshold of members signing each)
// and the dPoW notary rounds (every input one notary's P2WPKH output,
// signed by that notary alone). A Session is built from the unsigned
// transaction and, per input, the output it spends, its witness script
// (P2WSH) or none (P2WPKH), the keys allowed to sign it and how many
// signatures it needs. Sign signs every input a key may sign; Add and
// AddSig check a party's signatures against the transaction before they
// are kept: a signature of another transaction, by a key the input does
// not allow, that does not verify, that is not SIGHASH_ALL or that is not
// in canonical low-S form is refused with a typed error code and changes
// nothing. Complete finalizes with psbt.MaybeFinalizeAll, extracts the
// transaction and runs btcd's script engine on every input.
//
// Nothing here hand-writes a signature or a serialization: signatures come
// from txscript, witnesses from the psbt finalizer. The package keeps no
// state beyond a Session, does no I/O and never logs.
package psbtsign
