// Package powhash verifies a pow header's proof of work under the
// algorithm its height uses: SHA-256d, RandomX (pow/randomx) or Ethash
// (pow/ethash).
//
// Algorithm names the three. A Verifier computes one algorithm's
// proof-of-work value of a header, the number that its target bounds, with
// exactly one hash computation. Front puts them together for the header
// chain: it picks the algorithm of a height from the network's schedule
// (the params table the engine owns), finds the RandomX key on the
// header's own branch through Seeds, and refuses cheaply what needs no hash
// (a target of zero or above the pow limit) before it computes the one hash
// it may. A flood of bad headers therefore costs at most one hash each.
//
// How each algorithm binds to an 80-byte Bitcoin-format header, and how its
// hash is read as a number, is docs/protocol.md §12.3:
//
//   - SHA-256d: the block ID, SHA-256d of the 80 bytes, read little-endian
//     as Bitcoin reads it.
//   - RandomX: the hash of the 80 bytes under the key, the ID of the block
//     at the seed height (Monero's schedule) on the header's branch, read
//     little-endian as Monero reads it.
//   - Ethash: hashimoto of the header hash, SHA-256d of the first 76 bytes
//     (everything but the nonce), and the nonce as a 64-bit number, over the
//     epoch of the height; the result read big-endian as Ethereum reads it.
//
// A build without cgo has no RandomX: its RandomX verifier refuses every
// header with randomx.ErrNoCgo, which is not a rule error, so the header's
// sender is not blamed for the node's limitation.
package powhash
