// Package randomx is the RandomX proof-of-work function, through cgo
// against the reference library that Debian ships as librandomx-dev
// (scripts/install-deps installs it).
//
// RandomX hashes an input under a key. Everything expensive depends on the
// key only: the 256 MiB cache (light mode) that a verifier needs, and the
// 2 GiB dataset (full mode) that makes mining fast. A Hasher therefore keeps
// its state per key: a bounded least-recently-used set of keys (two by
// default, the current seed and the next one), each with its cache, its
// dataset in full mode, and a pool of virtual machines that concurrent
// callers take and give back. A VM is created only when every VM of the key
// is busy and the pool is below its bound; no call allocates one of its
// own. Stats counts caches, datasets and VMs, so tests can prove the reuse.
//
// The key of a block is the ID of an earlier block, chosen as Monero does
// it: SeedHeight gives the height of that block, which changes every 2048
// blocks, 64 blocks after the boundary, so that nodes can prepare the next
// key ahead of need (NextSeedHeight). docs/protocol.md §12.3 states the rule.
// The package takes keys as bytes; looking the seed block up on the right
// branch is the caller's business (pow/powhash).
//
// Built without cgo (CGO_ENABLED=0), the package still compiles, but New
// returns ErrNoCgo: such a node can run SHA-256d and Ethash networks and
// refuses RandomX heights with that error.
package randomx
