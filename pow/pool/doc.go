/*
Package pool keeps the books of the node's mining pool on the pow
sidechain: the shares the Stratum server accepts, the split of what each
block the pool finds earns, the blocks' lifecycle on the sidechain, the
payouts, an audit of all of it, and the statistics the API, the metrics and
the dashboard show. docs/protocol.md §12.8 gives the exact formulas.

# Inputs and consumers

The package depends on no server or wallet code. The Stratum server hands
it each accepted share as a Share (worker, payout script, the share's work
and the network's, the job's coinbase value, a block hash if the share
found one) through AddShare, which returns once the share is committed to
the pool's store: the server answers "accepted" only then. The node implements two small
interfaces: Chain (is a block in the best chain, with how many
confirmations; the tip's height), polled through TipChanged on every tip
change, and Payer (build a signed payout transaction, look a transaction
up, broadcast one), implemented with its wallet, which the pool's coinbases
pay.

# Shares and the group commit

Shares are records under the pool's key byte (KeyByte, 0x60) in the
pool's own store, apart from the node's state (StoreOptions: the key byte
as a local prefix, and store.Options.NoSync), written with the store's
UpdateLocal. One committer goroutine takes the shares of all callers that
are waiting and writes them in one transaction (Config.MaxBatch, with an
optional Config.CommitDelay to gather more); every share gets the next
sequence number.

# Durability

The pool's store does not wait for the disk at each commit. A committed
share, block or payout survives a crash or kill -9 of the node's process
at once. An OS crash or power loss loses what was committed since the
store's last sync (store.Options.SyncInterval, 100 ms by default; the
store comes back at an earlier commit, so the books stay consistent),
except two things synced before the pool goes on: a batch holding a
found block's share (before its miner hears "accepted") and a payout's
record with its debits (before the transaction is sent, so that no payout
is sent twice). The same transaction
writes each worker's statistics, under PPS each payout script's credit
carry, and the record of any block a share found, so a block is never
found without its share. A batch too big for one store transaction is
written in halves; a batch that fails to commit is answered with ErrStore,
and none of its shares counts.

# Splits

A block's reward is split by a separate goroutine (the accountant), off the
share path, and recorded with the block:

  - PPLNS: the fee is floor(reward × fee bps / 10000); the rest is split
    over the window ending at the block's share (Config.Window: a number of
    shares, or a multiple of the network work with the oldest share counted
    in part) in proportion to work, each account floor(amount × w / W),
    the satoshis left over one each to the largest remainders, equal
    remainders by payout script.
  - PPS: each share is credited, when committed, floor(reward × work ×
    (10000 − fee bps) × 2^32 / (network work × 10000)) units of 2^-32
    satoshi, carried per payout script so no fraction is lost; the whole
    satoshis are its credit. Credits become payable only when a block funds
    them: each block funds, oldest first, credits returned by orphaned
    blocks, then the shares from the funding cursor up to the block's own
    share; what is left of its reward is the pool's fee. Credits that no
    block has funded yet are the pool's unfunded PPS liability.

# Lifecycle and payouts

A block is pending until its coinbase has Config.Maturity confirmations in
the best chain, then confirmed (final); a pending block that is not in the
best chain once the chain reached its height is orphaned, and its credits
are taken back (under PPS they return to the front of the funding queue);
it becomes pending again if it returns. Only confirmed blocks' credits are
payable, so an orphaned block never has paid credits. Payout pays every
account owed at least Config.MinPayout in one transaction: it records the
signed transaction and debits the balances before sending it, and after a
restart sends a recorded transaction again only if the Payer does not
know it.

# Pruning

Prune (from TipChanged, every Config.PruneInterval) deletes the shares
below the lowest of: the next block's PPLNS window (with a 4× margin for
a window in network work), the windows of the blocks not confirmed
(blockRec.from), the PPS funding cursor and the hashrate window. The
walks stop at the first share kept (0x60 'l').

# Audit and statistics

Audit reads the books from one store snapshot and checks, for every block,
earned = paid + owed + fee, and across blocks and payouts that nothing was
paid or funded twice; it returns an ErrAudit *Error if not. Snapshot
returns the statistics: hashrate estimates (work over Config.HashrateWindow),
accepted share counts, blocks with their status, balances by account.
*/
package pool
