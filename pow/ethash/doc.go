// Package ethash is the Ethash proof-of-work function in light (cache-only)
// mode, in pure Go, written from the Ethash specification (the Ethereum
// wiki's "Ethash" page and the yellow paper's appendix J).
//
// Ethash hashes a 32-byte header hash and a 64-bit nonce against a dataset
// of about 1 GiB that grows every epoch of EpochLength blocks. A miner holds
// the whole dataset; a verifier holds only the epoch's cache (16 MiB at
// epoch 0) and derives the 128 dataset items one hash touches from it. That
// is the light verification this package does: Light keeps a bounded,
// least-recently-used set of epoch caches (two by default: the current
// epoch and the next) and computes hashimoto over items derived on demand.
//
// The package knows nothing of headers or targets. How a sidechain header
// becomes a header hash and a nonce, and how the result compares with the
// target, is pow/powhash's business (docs/protocol.md §12.3).
//
// Tests cross-check the caches and hashes against an independent
// implementation, Debian's python3-pyethash (the C reference ethash), which
// scripts/install-deps installs.
package ethash
