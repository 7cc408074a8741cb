// Package sidepeer is the sidechain's side of the peer protocol (package
// p2p): Handler serves this node's sideblock bodies and mempool
// transactions to peers, stages the bodies and takes the transactions
// that peers send, and after every mainchain block asks peers for the
// bodies of published headers the node lacks (RunFetcher).
//
// A body or transaction that fails a check that needs no chain state
// costs its sender ban score (p2p.MisbehaviorError); one that is merely
// early, late or already known does not.
//
// Under the pow engine (NewPow) the handler sits on the engine instead
// (PowBlocks): blocks peers send go to PowBlocks.AcceptBlock and, once
// accepted, are announced to the other peers; GetData is answered from
// PowBlocks.Block; Best is the engine's tip; and HeaderSync gives p2p the
// engine's header chain for headers-first sync (p2p.Config.HeaderSync),
// which fetches the bodies, so RunFetcher does nothing. The engine's rule
// errors (headerchain.ErrorCode) decide what the sender pays: a header
// that breaks a rule or is known invalid, badHeaderScore (100: the peer is
// discouraged at once); a bad copy of a body, badBodyScore (20); data
// whose parent the node lacks, nothing, and the node asks the peer for
// headers (p2p.ErrHeadersDoNotConnect); a known block, nothing. The
// mainstake path is unchanged.
package sidepeer
