// Package loadtest drives a Stratum V1 server the way many miners would, to
// measure it and to attack it, over loopback only.
//
// Its client is written from the wire protocol alone, as the common
// SHA-256d miners (cpuminer, cgminer, bfgminer) read it, and shares none of
// the server's code: a Job is parsed from mining.notify (the previous
// block's hash with each 4-byte word byte-swapped, the coinbase in two
// halves around extranonce1 and extranonce2, the merkle branch, and the
// version, bits and time as big-endian hex of the header's numbers), and a
// share is searched for by rebuilding the coinbase, its merkle root and the
// 80-byte header and hashing it with SHA-256d. A share found this way that
// the server refuses is a byte-order disagreement between the server and
// the miners it must serve.
//
// A Conn is one miner connection, dialed from a chosen loopback source
// address (so that many connections respect a per-address limit): it
// subscribes, authorizes, follows mining.notify, mining.set_difficulty and
// mining.set_extranonce, and submits shares, timing each submit to its
// reply. Solve prepares shares before a measured run so that the
// generator's own hashing is not part of what it measures.
//
// Run and the floods (Flood*) are the load generator's scenarios; the
// program cmd/stratumload runs them against a server in its own process
// or in another one and prints the figures. Every scenario is bounded in
// connections and time.
package loadtest
