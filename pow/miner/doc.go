// Package miner is the pow engine's CPU miner for SHA-256d networks.
//
// A Miner runs Threads goroutines. Each asks its TemplateSource for a
// template paying PayoutScript, appends an 8-byte extranonce push to the
// coinbase's signature script (starting at its goroutine index shifted
// into the top 16 bits, so goroutines never try the same header), sets the
// §6 merkle root and the time, and searches the 2^32 nonces; then the next
// extranonce. A block found goes to the Found callback, after which the
// goroutine asks for a new template. NewWork makes every goroutine drop its
// work within 65,536 nonces (a new tip, or a mempool that pays more); Stop
// stops them and waits.
//
// The search uses the SHA-256 midstate: the first 64 bytes of the header
// are compressed once per merkle root, and the state is saved with
// crypto/sha256's encoding.BinaryMarshaler. Each nonce then restores it and
// compresses only the last 16 bytes with the padding, and the 32-byte
// first hash: two compressions where header.BlockHash() does three, with
// no serialization and no allocation. BenchmarkMidstateSpeedup measures
// the two loops in one run.
package miner
