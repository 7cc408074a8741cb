// Package btcdwatch is the full-node mainchain backend: a mainwatch.Source
// that talks to btcd over its websocket RPC.
//
// One websocket connection carries both requests and block notifications.
// The notification handlers do nothing but signal TipChanged; every RPC call
// is made from the follower's goroutine, never from a handler, because
// rpcclient delivers notifications on the same goroutine that reads replies
// and a call made there would wait for itself.
//
// Catch-up is pipelined: one goroutine asks for block hashes by height,
// a second asks for each block as soon as its hash arrives, and the caller
// receives the blocks in height order, so up to Window requests are in
// flight at once. Every block is checked against the hash it was asked for.
//
// The connection is made in the background and rpcclient reconnects on its
// own, registering for notifications again; while btcd is away, calls fail
// after their timeout and the follower retries with backoff. A btcd on
// another network than the node (its genesis differs) is refused.
package btcdwatch
