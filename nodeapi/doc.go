// Package nodeapi is the adapter between the API server (package api) and
// the node's components: it implements api.Backend and
// api.SubscriptionBackend by reading the store and asking the components
// that an Env lists, and it never reaches into their fields.
//
// New takes the Env, which node fills in one place when it wires the
// daemon. Each component appears as a small interface of the methods the
// adapter calls (Follower, Tickets, Sidechain, Mempool, Pegbox, Wallet, Mining, Pool,
// Peers, Bans, Slots, Control, Sessions), so tests build an adapter from
// the parts they need.
//
// The files follow the API's services: apibackend.go for the node's
// status, tickets and stakes; apistream.go for slot lists and the
// subscriptions, whose undone blocks Events records (events.go);
// sidechainapi.go for sidechain reads and sends; sidewallet.go for the
// node's sidechain coins; pegapi.go and pegoutapi.go for the peg, with
// depositstream.go and withdrawalstream.go for its streams; operator.go
// for OperatorService (shutdown, log levels, peer sessions); mining.go
// for MiningService over the pow engine's Mining (the node's template,
// change signal, block intake and difficulty; the adapter adds the
// extranonce, the merkle branch, the per-transaction figures, the long
// polls, BIP22's reasons and the hashrate); pool.go for PoolService over
// the node's Pool (the Stratum server's figures and the pool's records;
// the adapter orders and pages them, counts the blocks by status, takes
// the confirmations from the best sidechain and checks every line of the
// audit itself, PoolStatsOf serving the metrics too); address.go
// says in the user's terms why an address is not one of the chain a
// request wants.
//
// Each call reads the store in one snapshot where it can, so that what one
// answer says is consistent.
package nodeapi
