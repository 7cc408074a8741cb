// Package protection is the validator client's local slashing protection:
// a persisted record of what each of its keys signed, consulted before
// every signature, so that a restart, a bug or a second copy of the keys
// can never make it sign a double proposal, a double vote or a surround
// vote. Its records import and export as EIP-3076 interchange files
// (version 5), so that keys can move between clients.
//
// Rules. SignBlock refuses a block at or below the highest slot the key
// signed; SignAttestation refuses a source after the target, a target at
// or below the highest target signed, and a source below the highest
// source signed. These are the minimal strategy of EIP-3076: together they
// exclude every double and surround vote, and they need only the key's
// watermarks, read in one store lookup. A refusal says why when a record
// explains it (ErrAlreadySigned for the same signing root, ErrDoubleProposal,
// ErrDoubleVote, ErrSurroundVote, found by a scan of the key's records that
// runs only on refusal) and is ErrBelowWatermark otherwise. A signing that
// passes is recorded in the same store transaction that checked it, before
// the caller signs: the check and the record are atomic, and concurrent
// callers are serialized by the store.
//
// Storage. Records live in the node's store (badger, through
// store.UpdateLocal) under KeyPrefix, inside the wallet's local keyspace,
// which the node keeps out of the state hash: per key its watermarks, and
// one record per block slot and per attestation target with the signing
// root when known (an interchange file may omit it; a zero root counts as
// unknown and matches nothing). Open records the network's genesis
// validators root and refuses another one later.
//
// Interchange. Import checks a whole file first (JSON, version "5", the
// genesis validators root, quoted decimal numbers, 0x-hex keys and roots;
// ErrBadInterchange, ErrWrongGenesis) and then merges it per key: the
// watermarks rise to the file's highest values, and its records are added
// where none is held. Slashable data in a file is imported like the rest;
// the watermarks still refuse what it would allow. Export writes the
// Complete form (every record) or the Minimal form (one block and one
// attestation per key at the watermarks).
//
// Tests run 21 cases of the EIP-3076 interchange tests
// (testdata/interchange/README) with their minimal-strategy expectations,
// each rule by its code, persistence across a reopen, round trips of both
// export forms, and fuzz the interchange parser. The validator client that
// will call it is not written yet.
package protection
