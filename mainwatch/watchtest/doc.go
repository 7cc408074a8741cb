// Package watchtest is the conformance suite every mainwatch backend must
// pass, run against a real btcd through btctest.
//
// A Backend describes how to start one kind of mainwatch.Source against a
// harness. Run runs every case against it: a linear sync from genesis,
// catch-up after a restart, live reorgs of depth 1, 6 and 100, a reorg while
// the node is stopped, matching of watched scripts and outpoints, broadcast
// and confirmation, and a mainchain node that goes away and comes back.
// Each case drives a mainwatch.Follower into a MemChain, an in-memory Chain
// that records every connect and disconnect, and compares the result with
// btcd's own view of the best chain.
package watchtest
