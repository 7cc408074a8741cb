// Package sidepeer is the sidechain's side of the peer protocol (package
// p2p): Handler serves this node's sideblock bodies and mempool
// transactions to peers, stages the bodies and takes the transactions
// that peers send, and after every mainchain block asks peers for the
// bodies of published headers the node lacks (RunFetcher).
//
// A body or transaction that fails a check that needs no chain state
// costs its sender ban score (p2p.MisbehaviorError); one that is merely
// early, late or already known does not.
package sidepeer
