/*
Package poolrun runs the Stratum server and the pool on a pow chain: the
node's mining pool (--stratum). The Stratum server (pow/stratum) takes its
jobs from the pow chain's template (pow/powchain), hands the blocks its
miners find to the chain's front door and relays them, and hands every
accepted share to the pool's books (pow/pool), which follow the best
sidechain for the blocks' status and pay the workers from the node's
wallet.

The package adapts those parts to the two packages' interfaces: the pow
chain as the server's JobSource (a work.Template from the chain's mining
template) and BlockSink, the books as its ShareSink (with the accepted
shares' rate), the best sidechain as the pool's Chain, and the wallet as
the pool's Payer (keeping the payouts sent since start). Start binds the
listeners and starts the server and the upkeep (the books brought up to
date with the best chain, then asked to pay, at each template change and
every 10 seconds); Run.API reads the server's figures and the books'
snapshot and audit for the API and the metrics (a nodeapi.Pool); Stop
stops them and closes the books and their store.

The node parses the flags, opens the pool's store and builds the wallet's
payer, and passes them in a Config; docs/protocol.md §12.9 describes the
whole.
*/
package poolrun
