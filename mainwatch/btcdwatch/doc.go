// Package btcdwatch is the full-node mainchain backend: a mainwatch.Source
// that talks to btcd over its websocket RPC.
//
// One websocket connection carries both requests and block notifications.
// The notification handlers signal TipChanged and may queue a request, but
// never wait for an answer, because rpcclient delivers notifications on the
// same goroutine that reads replies and a call made there would wait for
// itself. The handler of a block the follower wants next queues its getblock
// at once, so that the round trip starts with the announcement.
//
// btcd's transaction filter (loadtxfilter) is kept a superset of the
// WatchList: after each delivery a background goroutine loads what the list
// gained, or all of it on a new connection, and then reads btcd's best
// block. btcd matches every block it connects against the filter and sends
// the matching transactions with the announcement. When the announced block
// is the child of that best block and the list has not grown since the load,
// btcd connected the block after the filter held the whole list, so the
// announcement carries every transaction the list matches in the block:
// Blocks then delivers it as a preview (mainwatch.Block.Preview) before the
// block, whose getblock is sent once the preview is done. Any other
// announcement is not previewed. A watched script with no address for the
// filter turns previews off. The filter is also loaded again when the list
// grows between deliveries (a new wallet address; at most once a second)
// and on a new connection.
//
// btcd also sends the transactions its mempool accepts that pass the
// filter (relevanttxaccepted): MempoolTxs delivers them, decoded, and
// InMempool says whether btcd's mempool still holds some (getrawtransaction
// without a block hash; btcd has no getmempoolentry). GetRawTransaction
// looks up any transaction btcd knows: in its mempool, or in a block when
// btcd runs with --txindex.
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
//
// The first connection is retried while btcd cannot be reached, but a
// refusal of the credentials (HTTP 401/403: ErrAuth), a certificate that
// does not verify (ErrCert) or a btcd without TLS (ErrNotTLS) ends it: the
// error goes to Fatal and the node stops, naming its option. After the
// first connection such a refusal (btcd restarted with a new password) is
// not fatal: rpcclient keeps reconnecting, and a probe connection of the
// source's own, made while the connection is down, finds out why and logs
// it and puts it in Status.
package btcdwatch
