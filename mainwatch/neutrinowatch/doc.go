// Package neutrinowatch is the light-client mainchain backend: a
// mainwatch.Source backed by an embedded neutrino ChainService, which syncs
// block headers and BIP157 filter headers from peers and fetches BIP158
// filters and blocks on demand.
//
// # State
//
// Config.DataDir belongs to neutrino: the walletdb (bbolt) file neutrino.db
// with the header indexes, the ban list and, with PersistFilters, the
// filters; the flat files block_headers.bin and reg_filter_headers.bin; and
// peers.json. New checks them before neutrino runs: the first header must
// be the network's genesis block, the tips must agree with their indexes and
// the newest headers must link up. A corrupt or foreign directory is refused
// with an error naming the file, and the node can delete the directory to
// resync; headers alone take minutes on mainnet.
//
// # Following the chain
//
// Best is neutrino's BestBlock, the highest block whose header and filter
// header are both synced, so every block up to it has a filter that can be
// checked against a committed filter header. HashAt reads the header store.
// TipChanged is driven by polling that tip every 200ms, which cannot miss
// a change the way a dropped block subscription can.
//
// Blocks runs two stages. A prefetcher walks ahead of the caller, reading
// each header and fetching each block's regular filter with neutrino's
// optimistic batching: one getcfilters message brings a batch of up to 1000
// filters into neutrino's filter cache, and the batches grow from 100 so the
// first blocks arrive early while the next batch downloads during the
// caller's work on this one. The caller's stage matches each filter against
// WatchList.Scripts only after fn has returned for the block before, since
// fn may watch more, and downloads the block with GetBlock when it matches;
// WatchList.Match then picks the transactions, exactly as the full-node
// backend does on every block. Blocks whose filter matched a recent
// snapshot of the list are downloaded ahead, up to 16 at a time, and used
// only when the caller's own match agrees. Those downloads send getdata to
// a peer directly, since GetBlock gives each peer one query at a time, and
// check the block as GetBlock does (sanity, merkle root, witness
// commitment), banning a peer that sends a bad one. Every block is checked
// against the hash it was asked for. The genesis block, for which peers
// serve no filter, is matched from the chain parameters.
//
// # Peers
//
// neutrino disconnects a peer that announces a chain with less work than
// its own, which a peer part way through a reorg does (btcd's
// invalidateblock shows the shorter chain first), and btcd's connection
// manager dials a lost peer of Config.ConnectPeers or AddPeers again only
// after 5s. With one peer, neutrino hears of no block and sends no
// transaction for that long. The source is neutrino's dialer, so it sees
// each connection close: it asks neutrino at once to connect to a lost
// configured peer again, and while the peer stays away it tries after
// 250ms, then doubles the wait up to 15s, logging the loss, the return, and
// a warning after five failed tries. A series of tries starts afresh only
// after a connection that lasted 250ms; a peer that drops us sooner, as
// one that refuses us does, is tried at the series' growing waits. A peer
// that the connection manager fails to reach at start is supervised the
// same way from 250ms on. The dialer never opens a second connection to an
// address it holds one to (or is dialling), so the connection manager's
// own redial costs nothing. Several peers keep the node seeing blocks
// while one is away.
//
// neutrino waits for every peer's answer to the messages it sends all of
// them (getcfheaders whenever the header tip moves) up to its package
// QueryTimeout, which this package sets to 2s instead of 10s: a peer that
// does not know the block asked about never answers (one that has not
// received it yet, or btcd for a block it invalidated), and with no answer
// at all neutrino pauses 3s more before it asks again.
//
// # Failures
//
// neutrino's queries take no context, and with no peer they wait until one
// connects. Each one therefore runs under Config.QueryTimeout and the
// caller's context, with neutrino's NumRetries bounding the tries inside;
// a query that outlives them fails Blocks, which the Follower retries from
// its persisted cursor, and goes on in the background (at most 16 at once)
// until it ends or Stop shuts neutrino down. Whatever it fetched lands in
// neutrino's caches for the retry. A query about a block that a reorg took
// off the header chain is given up as soon as the header tip moves, since
// a peer may never answer for it (btcd does not for a block it
// invalidated). neutrino holds one lock over a whole GetCFilter, so while
// such an abandoned filter query still runs (up to 2s, 4s and 8s for its
// three tries) the filters Blocks needs are fetched from a peer directly
// and checked against the filter headers as GetCFilter checks them.
//
// # Sending
//
// SendTx does not use ChainService.SendTransaction, which announces an inv,
// waits for getdata and then a further second for a reject. It writes the
// transaction to every connected peer and returns once one of them has
// taken it; the Follower sends unconfirmed transactions again after every
// block.
//
// # Limits
//
// Filters hold output scripts and the scripts of spent outputs, so a
// broadcast transaction whose outputs are all OP_RETURN is never seen in a
// block by this backend. A btcd peer serves headers and filters only while
// its own tip is less than a day old; a regtest or simnet chain left idle
// for a day needs a new block before neutrino can sync from it.
package neutrinowatch
