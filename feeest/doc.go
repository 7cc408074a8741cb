// Package feeest estimates the fee rate a transaction needs to be mined in
// the next mainchain block, for the header transactions the producer
// publishes (a header counts only in the very next block).
//
// A Source answers one estimate. Two are built in:
//
//   - Mempool (btcd backend): btcd v0.26.2 has no estimatesmartfee, so the
//     rate is read from btcd's own mempool (getrawmempool verbose). The
//     transactions are ranked by fee rate, as btcd's block template ranks
//     them, and NextBlockRate returns the rate of the transaction at which
//     a block's worth of virtual size (BlockVSize) is filled: the lowest
//     rate that still makes the next block. When the mempool holds less
//     than a block, any rate at the relay floor makes it.
//   - URL (neutrino backend): a fee service the operator names, answering
//     JSON in the shape lnd's --feeurl reads,
//     {"fee_by_block_target": {"1": 12000, "2": 9000}} in sat/kvB
//     (ParseFeeJSON). The lowest target it lists is the next block's.
//
// A Tracker wraps a Source with the policy every estimate goes through: a
// margin over the source's figure, the floor of the relay fee, a ceiling
// (MaxRate) above which an answer is absurd and refused, a timeout per
// fetch, and the fallback rate the operator configured, used while the
// source fails. Rate never blocks: it returns the last good estimate, or
// the fallback when there is none younger than MaxAge. Refresh fetches now;
// Run refreshes on a timer. A failure is logged once when it starts and
// once when the source answers again, in the operator's terms (the flag
// that names the source, the unit of the figure).
//
// Seen keeps the rates of the transactions Mempool's snapshots held, by
// id, for a few snapshots after they leave the mempool, so that the rates
// a block took can be read after btcd has dropped its transactions: the
// producer compares them with its header's rate to explain a miss, and the
// censorship alarm reads the comparison.
//
// Rates are in sat/kvB (SatPerKVB), the unit of btcd's fee fields, so that
// rates below 1 sat/vB of precision are not lost; FeeFor rounds a fee up.
package feeest
