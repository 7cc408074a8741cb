package poolrun

import (
	"bytes"
	"context"
	"strings"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/nodeapi"
	"github.com/mainstake/sidenode/pow/pool"
	"github.com/mainstake/sidenode/pow/stratum"
	"github.com/mainstake/sidenode/pow/stratum/work"
)

// poolAPI is the running pool as the API and the metrics read it
// (nodeapi.Pool): the Stratum server's figures and the books' snapshot
// and audit.
type poolAPI struct{ r *Run }

var _ nodeapi.Pool = poolAPI{}

// auditNow returns the books' audit, and its own failure beyond the
// lines ("" if none): one read at most poolAuditCache old while the
// books' snapshot shows the same blocks, statuses, balances and payouts.
func (r *Run) auditNow() (*pool.Audit, string, error) {
	st := r.books.Snapshot()
	key := keyOf(&st)
	r.auditMu.Lock()
	defer r.auditMu.Unlock()
	if r.audit != nil && key == r.auditKey && time.Since(r.auditAt) < poolAuditCache {
		return r.audit, r.auditFail, nil
	}
	a, err := r.books.Audit()
	fail := ""
	switch {
	case err != nil && a != nil && pool.IsErrorCode(err, pool.ErrAudit):
		fail = err.Error()
		log.Warnf("Pool: %v", err)
	case err != nil:
		return nil, "", err
	}
	r.audit, r.auditFail, r.auditAt, r.auditKey = a, fail, time.Now(), key
	return a, fail, nil
}

func blockStatus(s pool.BlockStatus) nodeapi.PoolBlockStatus {
	switch s {
	case pool.BlockPending:
		return nodeapi.PoolBlockPending
	case pool.BlockConfirmed:
		return nodeapi.PoolBlockConfirmed
	case pool.BlockOrphaned:
		return nodeapi.PoolBlockOrphaned
	}
	return 0
}

// rejects returns the server's rejects by code, those refused for their
// ntime (code 20 too) apart from the other 20s.
func rejects(c *stratum.Counters) nodeapi.ShareRejects {
	m := c.Rejected
	return nodeapi.ShareRejects{
		Other:         m[int(work.CodeOther)] - min(c.RejectedNTime, m[int(work.CodeOther)]),
		BadNtime:      c.RejectedNTime,
		Stale:         m[int(work.CodeStale)],
		Duplicate:     m[int(work.CodeDuplicate)],
		LowDifficulty: m[int(work.CodeLowDifficulty)],
		Unauthorized:  m[int(work.CodeUnauthorized)],
		NotSubscribed: m[int(work.CodeNotSubscribed)],
	}
}

// PoolStats implements nodeapi.Pool.
func (p poolAPI) PoolStats(context.Context) (*nodeapi.PoolStats, error) {
	r := p.r
	snap := r.server.Snapshot()
	books := r.books.Snapshot()
	st := &nodeapi.PoolStats{
		Connections:     snap.Connections,
		HashPS:          snap.Hashrate,
		HashrateWindow:  snap.HashrateWindow,
		SharesPerSecond: r.shares.rate.perSecond(snap.Time),
		Accepted:        snap.Accepted,
		Rejects:         rejects(&snap.Counters),
		Scheme:          books.Scheme.String(),
		CommissionPPM:   books.FeeBps * 100,
		Listen:          append([]string(nil), r.listen...),
	}
	for _, w := range snap.Workers {
		if w.Connections > 0 {
			st.Workers++
		}
	}
	for _, a := range books.Accounts {
		st.Owed += a.Owed + a.Immature
		st.Paid += a.Paid
	}
	return st, nil
}

// PoolWorkers implements nodeapi.Pool: the server's workers (connected,
// or with a share in the hashrate window) and the books' (every worker
// with a share recorded), with the balances of their payout address.
func (p poolAPI) PoolWorkers(context.Context) ([]nodeapi.PoolWorker, error) {
	r := p.r
	snap := r.server.Snapshot()
	books := r.books.Snapshot()
	accounts := make(map[string]pool.AccountStats, len(books.Accounts))
	for _, a := range books.Accounts {
		accounts[string(a.Payout)] = a
	}
	byName := make(map[string]*nodeapi.PoolWorker)
	var out []nodeapi.PoolWorker
	for _, w := range snap.Workers {
		pw := nodeapi.PoolWorker{Name: w.Name, HashPS: w.Hashrate,
			Accepted: w.Accepted, Rejects: rejects(&w.Counters),
			LastShare: w.LastShare, Connections: w.Connections,
			Difficulty: w.Difficulty}
		if w.Accepted > 0 {
			pw.MeanShareDifficulty = w.AcceptedDifficulty / float64(w.Accepted)
		}
		if a, err := btcutil.DecodeAddress(w.Address, r.params.Side); err == nil {
			pw.Payout = a
			if script, err := txscript.PayToAddrScript(a); err == nil {
				if acct, ok := accounts[string(script)]; ok {
					pw.Owed, pw.Paid = acct.Owed+acct.Immature, acct.Paid
				}
			}
		}
		out = append(out, pw)
	}
	for i := range out {
		byName[out[i].Name] = &out[i]
	}
	for _, w := range books.Workers {
		if pw, ok := byName[w.Name]; ok {
			// The books count every share ever; the server since start.
			pw.Accepted = max(pw.Accepted, w.Accepted)
			if w.LastShare.After(pw.LastShare) {
				pw.LastShare = w.LastShare
			}
			continue
		}
		out = append(out, nodeapi.PoolWorker{Name: w.Name, HashPS: w.Hashrate,
			Accepted: w.Accepted, LastShare: w.LastShare})
	}
	return out, nil
}

// PoolBlocks implements nodeapi.Pool.
func (p poolAPI) PoolBlocks(context.Context) ([]nodeapi.PoolBlock, error) {
	books := p.r.books.Snapshot()
	out := make([]nodeapi.PoolBlock, len(books.Blocks))
	for i, b := range books.Blocks {
		out[i] = nodeapi.PoolBlock{Height: b.Height, Hash: b.Hash, Reward: b.Reward,
			Status: blockStatus(b.Status), Worker: b.Worker, Time: b.Found}
	}
	return out, nil
}

// PoolAudit implements nodeapi.Pool: the books' audit, each line as the
// store holds it (the adapter checks them again).
func (p poolAPI) PoolAudit(context.Context) ([]nodeapi.PoolAuditLine, string, error) {
	a, problem, err := p.r.auditNow()
	if err != nil {
		return nil, "", err
	}
	out := make([]nodeapi.PoolAuditLine, len(a.Blocks))
	for i, b := range a.Blocks {
		out[i] = nodeapi.PoolAuditLine{Height: b.Height, Hash: b.Hash,
			Status: blockStatus(b.Status), Earned: b.Earned, Paid: b.Paid,
			Owed: b.Owed, Fee: b.Fee}
	}
	return out, problem, nil
}

// PoolPayouts implements nodeapi.Pool: a page of the payouts the books
// record (kept in the pool's store, so a restart loses none), each with
// the outputs the pool paid, the best chain's block that holds it, its
// fee, and the workers of each payout address.
func (p poolAPI) PoolPayouts(_ context.Context, page api.Page) ([]nodeapi.PoolPayout, uint64, error) {
	r := p.r
	recs, total := r.books.Payouts(page.Offset, int(min(page.Limit, maxPayoutPage)), page.Reversed)
	if len(recs) == 0 {
		return nil, total, nil
	}
	names := make(map[string][]string)
	for _, w := range r.server.Snapshot().Workers {
		names[w.Address] = append(names[w.Address], w.Name)
	}
	out := make([]nodeapi.PoolPayout, len(recs))
	for i := range recs {
		rec := &recs[i]
		po := nodeapi.PoolPayout{TxID: rec.TxID, Time: rec.Time, Height: -1,
			Fee: r.payoutFee(rec)}
		if ct, ok, err := r.chain.ConfirmedTx(rec.TxID); err == nil && ok {
			po.Height = ct.Block.Height
		}
		for _, o := range rec.Outputs {
			out := nodeapi.PoolPayoutOutput{Amount: o.Amount}
			if _, addrs, _, err := txscript.ExtractPkScriptAddrs(o.Payout, r.params.Side); err == nil && len(addrs) == 1 {
				out.Payout = addrs[0]
				out.Worker = strings.Join(names[addrs[0].EncodeAddress()], ",")
			}
			po.Outputs = append(po.Outputs, out)
		}
		out[i] = po
	}
	return out, total, nil
}

// maxPayoutPage bounds the payouts one PoolPayouts call looks up.
const maxPayoutPage = 10_000

// payoutFee returns a recorded payout's fee: as the wallet told it when
// the node sent it, else its inputs (the best chain's or the wallet's
// coins) less its outputs; 0 when neither can tell.
func (r *Run) payoutFee(rec *pool.PayoutRecord) int64 {
	if fee, ok := r.payouts.feeOf(rec.TxID); ok {
		return fee
	}
	tx := new(wire.MsgTx)
	if err := tx.Deserialize(bytes.NewReader(rec.Tx)); err != nil {
		return 0
	}
	var fee int64
	for _, in := range tx.TxIn {
		ct, ok, err := r.chain.ConfirmedTx(in.PreviousOutPoint.Hash)
		if err != nil || !ok || int(in.PreviousOutPoint.Index) >= len(ct.Tx.TxOut) {
			fee, _ := r.payouts.payer.Fee(tx)
			return fee
		}
		fee += ct.Tx.TxOut[in.PreviousOutPoint.Index].Value
	}
	for _, o := range tx.TxOut {
		fee -= o.Value
	}
	r.payouts.rememberFee(rec.TxID, fee)
	return fee
}
