// Package devnet runs a local network of real processes: one btcd (through
// btctest) and several sidenode processes, each with its own home, config
// and wallet. The devnet command and the end-to-end tests both use it.
//
// A Net creates every node's wallet itself, so that it knows each node's
// stake key and can pay stake registrations from btcd's mining key before
// the nodes have coins of their own. Each node's output is read line by
// line: it is passed to an optional Output writer with the node's name in
// front, and kept for WaitLine, which tests use to wait for a node to log
// something.
package devnet
