package nodeapi

import (
	"context"
	"sort"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/chainparams"
)

// Pool is the node's mining pool as PoolService needs it: the Stratum
// server's figures and the pool's records. The node implements it over
// its Stratum server and its pool accounting when it runs a pool
// (--stratum, on a pow network); Env.Pool is nil otherwise. The lists are
// the pool's whole records, in any order for the workers and oldest first
// for the others; the adapter orders, pages and counts them, computes
// the confirmations from the sidechain, and checks the audit itself. The
// payouts, which grow without bound and each need lookups, are paged by
// the Pool.
type Pool interface {
	// PoolStats returns the server's and the accounting's figures now.
	PoolStats(ctx context.Context) (*PoolStats, error)

	// PoolWorkers returns every worker the pool knows.
	PoolWorkers(ctx context.Context) ([]PoolWorker, error)

	// PoolBlocks returns every block the pool found, oldest first.
	PoolBlocks(ctx context.Context) ([]PoolBlock, error)

	// PoolAudit returns the audit's line of every block found, oldest
	// first, as the accounting keeps it, and the accounting's own verdict
	// when its books fail a check beyond the lines (what the payouts paid
	// against what the blocks record as paid, the PPS funding): empty
	// when none does.
	PoolAudit(ctx context.Context) (lines []PoolAuditLine, problem string, err error)

	// PoolPayouts returns the page of the payouts the pool recorded
	// (oldest first, or the newest first when page.Reversed), and how
	// many it recorded in all.
	PoolPayouts(ctx context.Context, page api.Page) ([]PoolPayout, uint64, error)
}

// ShareRejects counts refused shares by the Stratum error code sent: 20
// (Other, and BadNtime for an ntime out of range), 21 (Stale: an unknown
// or stale job), 22 (Duplicate), 23 (LowDifficulty), 24 (Unauthorized),
// 25 (NotSubscribed).
type ShareRejects struct {
	Other         uint64
	Stale         uint64
	Duplicate     uint64
	LowDifficulty uint64
	Unauthorized  uint64
	NotSubscribed uint64
	BadNtime      uint64
}

// PoolStats is the Stratum server's and the accounting's figures.
type PoolStats struct {
	// Connections are the open Stratum connections, Workers the workers
	// authorized on them.
	Connections, Workers int

	// HashPS estimates the pool's hashes a second from the work of the
	// shares accepted over HashrateWindow; SharesPerSecond is their
	// rate over the same window.
	HashPS          float64
	HashrateWindow  time.Duration
	SharesPerSecond float64

	// Accepted and Rejects count the shares since the node started.
	Accepted uint64
	Rejects  ShareRejects

	// Scheme is "pps" or "pplns"; CommissionPPM the pool's fee in parts
	// per million of a block's reward.
	Scheme        string
	CommissionPPM uint32

	// Owed is what the pool owes its workers now, Paid what it paid
	// them in all, in satoshis.
	Owed, Paid int64

	// Listen are the Stratum server's addresses.
	Listen []string
}

// PoolWorker is a worker of the pool: a name miners authorize as, bound
// to a sidechain payout address.
type PoolWorker struct {
	Name   string
	Payout btcutil.Address

	HashPS   float64
	Accepted uint64
	Rejects  ShareRejects
	// LastShare is the time of its newest accepted share; zero for none.
	LastShare time.Time
	// Difficulty is the difficulty in force on its connection (the one
	// last set on a connection it authorized on; 0 with none since the
	// node started); MeanShareDifficulty the mean difficulty of its
	// shares accepted since the node started (0 before any).
	Difficulty          float64
	MeanShareDifficulty float64
	Connections         int

	// Owed and Paid are in satoshis.
	Owed, Paid int64
}

// PoolBlockStatus is what became of a block the pool found.
type PoolBlockStatus int

// The statuses of a block found.
const (
	PoolBlockPending PoolBlockStatus = iota + 1
	PoolBlockConfirmed
	PoolBlockOrphaned
)

// PoolBlock is a block the pool found.
type PoolBlock struct {
	Height int32
	Hash   chainhash.Hash
	// Reward is what its coinbase pays the pool, in satoshis.
	Reward int64
	Status PoolBlockStatus
	// Worker found it, at Time.
	Worker string
	Time   time.Time
}

// PoolAuditLine is what a block found earned the pool and where it went,
// in satoshis: Earned should be Paid + Owed + Fee.
type PoolAuditLine struct {
	Height                  int32
	Hash                    chainhash.Hash
	Status                  PoolBlockStatus
	Earned, Paid, Owed, Fee int64
}

// PoolPayout is a payout transaction of the pool on the sidechain.
type PoolPayout struct {
	TxID chainhash.Hash
	// Time is when the pool recorded it (just before sending it).
	Time time.Time
	// Height is the best chain's block that holds it, -1 when none does
	// (in the mempool, or not sent yet).
	Height int32
	// Fee is its transaction's fee, 0 when the node cannot tell.
	Fee int64
	// Outputs are what the pool paid, the wallet's change left out.
	Outputs []PoolPayoutOutput
}

// PoolPayoutOutput is what a payout pays one worker.
type PoolPayoutOutput struct {
	Worker string
	Payout btcutil.Address
	Amount int64
}

// noPool answers a call on a node without a Pool, in the user's terms.
func (b *Adapter) noPool() error {
	if b.params != nil && b.params.Engine != chainparams.PoW {
		return api.Errorf(api.ErrFailedPrecondition, "network %s runs the %v "+
			"engine; a mining pool runs on pow networks only", b.network, b.params.Engine)
	}
	return api.Errorf(api.ErrFailedPrecondition, "this node runs no mining "+
		"pool: start it with --stratum to serve miners and keep the pool's "+
		"accounts")
}

// PoolStats implements api.PoolBackend: the pool's figures, with the
// blocks by status and the audit's verdict the adapter works out from
// the pool's records.
func (b *Adapter) PoolStats(ctx context.Context) (*api.PoolStats, error) {
	if b.poolSrc == nil {
		return nil, b.noPool()
	}
	return PoolStatsOf(ctx, b.poolSrc)
}

// PoolStatsOf returns p's figures as PoolService reports them, with the
// blocks by status and the audit's verdict worked out from p's audit
// lines. The node's metrics read the pool through it too.
func PoolStatsOf(ctx context.Context, p Pool) (*api.PoolStats, error) {
	st, err := p.PoolStats(ctx)
	if err != nil {
		return nil, err
	}
	lines, problem, err := p.PoolAudit(ctx)
	if err != nil {
		return nil, err
	}
	out := &api.PoolStats{
		Connections:     clampU32(st.Connections),
		Workers:         clampU32(st.Workers),
		HashPS:          st.HashPS,
		HashrateWindow:  st.HashrateWindow,
		Accepted:        st.Accepted,
		Rejects:         api.ShareRejects(st.Rejects),
		SharesPerSecond: st.SharesPerSecond,
		Scheme:          st.Scheme,
		CommissionPPM:   st.CommissionPPM,
		Owed:            st.Owed,
		Paid:            st.Paid,
		Listen:          append([]string(nil), st.Listen...),
	}
	audit := auditOf(lines, problem)
	out.AuditOK = audit.OK
	for i := range lines {
		switch lines[i].Status {
		case PoolBlockPending:
			out.BlocksPending++
		case PoolBlockConfirmed:
			out.BlocksConfirmed++
		case PoolBlockOrphaned:
			out.BlocksOrphaned++
		}
	}
	return out, nil
}

// PoolWorkers implements api.PoolBackend: the workers by name.
func (b *Adapter) PoolWorkers(ctx context.Context, worker string, page api.Page) ([]api.PoolWorker, uint64, error) {
	if b.poolSrc == nil {
		return nil, 0, b.noPool()
	}
	ws, err := b.poolSrc.PoolWorkers(ctx)
	if err != nil {
		return nil, 0, err
	}
	total := uint64(len(ws))
	if worker != "" {
		for i := range ws {
			if ws[i].Name == worker {
				return []api.PoolWorker{workerAPI(&ws[i])}, total, nil
			}
		}
		return nil, 0, api.Errorf(api.ErrNotFound, "the pool has no worker "+
			"named %q: a worker is known once a miner has authorized as it", worker)
	}
	sort.Slice(ws, func(i, j int) bool { return ws[i].Name < ws[j].Name })
	pg := api.Paginate(ws, page)
	out := make([]api.PoolWorker, len(pg))
	for i := range pg {
		out[i] = workerAPI(&pg[i])
	}
	return out, total, nil
}

func workerAPI(w *PoolWorker) api.PoolWorker {
	return api.PoolWorker{
		Name:          w.Name,
		PayoutAddress: addressString(w.Payout),
		HashPS:        w.HashPS,
		Accepted:      w.Accepted,
		Rejects:       api.ShareRejects(w.Rejects),
		LastShare:     w.LastShare,
		Difficulty:    w.Difficulty,
		MeanShareDiff: w.MeanShareDifficulty,
		Connections:   clampU32(w.Connections),
		Owed:          w.Owed,
		Paid:          w.Paid,
	}
}

// PoolBlocks implements api.PoolBackend: the blocks found, with their
// confirmations on the node's best sidechain.
func (b *Adapter) PoolBlocks(ctx context.Context, page api.Page) ([]api.PoolBlock, uint64, error) {
	if b.poolSrc == nil {
		return nil, 0, b.noPool()
	}
	bs, err := b.poolSrc.PoolBlocks(ctx)
	if err != nil {
		return nil, 0, err
	}
	pg := api.Paginate(bs, page)
	out := make([]api.PoolBlock, len(pg))
	for i := range pg {
		blk := &pg[i]
		out[i] = api.PoolBlock{
			Height: blk.Height,
			Hash:   blk.Hash,
			Reward: blk.Reward,
			Status: api.PoolBlockStatus(blk.Status),
			Worker: blk.Worker,
			Time:   blk.Time,
		}
		if blk.Status != PoolBlockOrphaned {
			out[i].Confirmations = b.confirmationsOf(blk.Height, blk.Hash)
		}
	}
	return out, uint64(len(bs)), nil
}

// confirmationsOf returns the best sidechain's blocks from the block at
// height to the tip, 1 for the tip; 0 when the best chain does not hold
// that block there.
func (b *Adapter) confirmationsOf(height int32, hash chainhash.Hash) int32 {
	if b.sidechain == nil {
		return 0
	}
	_, tip, ok := b.sidechain.Tip()
	if !ok || height > tip || height < 0 {
		return 0
	}
	if h, err := b.sidechain.HashAt(height); err != nil || h != hash {
		return 0
	}
	return tip - height + 1
}

// PoolAudit implements api.PoolBackend: it checks every line itself
// (earned = paid + owed + fee, none negative) and adds up the totals,
// whatever the pool says.
func (b *Adapter) PoolAudit(ctx context.Context, page api.Page) (*api.PoolAudit, error) {
	if b.poolSrc == nil {
		return nil, b.noPool()
	}
	lines, problem, err := b.poolSrc.PoolAudit(ctx)
	if err != nil {
		return nil, err
	}
	a := auditOf(lines, problem)
	pg := api.Paginate(lines, page)
	a.Blocks = make([]api.PoolAuditLine, len(pg))
	for i := range pg {
		a.Blocks[i] = auditLineAPI(&pg[i])
	}
	return a, nil
}

// auditOf returns the audit's totals and verdict over lines, and the
// accounting's own problem, without the page.
func auditOf(lines []PoolAuditLine, problem string) *api.PoolAudit {
	a := &api.PoolAudit{Total: uint64(len(lines)), Problem: problem}
	overflow := false
	add := func(sum *int64, v int64) {
		if (v > 0 && *sum > maxInt64-v) || (v < 0 && *sum < minInt64-v) {
			overflow = true
			return
		}
		*sum += v
	}
	for i := range lines {
		l := &lines[i]
		if !auditLineAPI(l).OK {
			a.Failed++
		}
		add(&a.Earned, l.Earned)
		add(&a.Paid, l.Paid)
		add(&a.Owed, l.Owed)
		add(&a.Fee, l.Fee)
	}
	a.OK = a.Failed == 0 && !overflow && problem == "" &&
		balances(a.Earned, a.Paid, a.Owed, a.Fee)
	return a
}

const (
	maxInt64 = int64(^uint64(0) >> 1)
	minInt64 = -maxInt64 - 1
)

// balances says whether earned = paid + owed + fee with none negative,
// without overflowing: amounts of a sidechain are far below 2^62, and a
// figure that is not is no balance.
func balances(earned, paid, owed, fee int64) bool {
	const limit = int64(1) << 62
	for _, v := range []int64{earned, paid, owed, fee} {
		if v < 0 || v >= limit {
			return false
		}
	}
	return earned == paid+owed+fee
}

func auditLineAPI(l *PoolAuditLine) api.PoolAuditLine {
	return api.PoolAuditLine{
		Height: l.Height,
		Hash:   l.Hash,
		Status: api.PoolBlockStatus(l.Status),
		Earned: l.Earned,
		Paid:   l.Paid,
		Owed:   l.Owed,
		Fee:    l.Fee,
		OK:     balances(l.Earned, l.Paid, l.Owed, l.Fee),
	}
}

// PoolPayouts implements api.PoolBackend.
func (b *Adapter) PoolPayouts(ctx context.Context, page api.Page) ([]api.PoolPayout, uint64, error) {
	if b.poolSrc == nil {
		return nil, 0, b.noPool()
	}
	pg, total, err := b.poolSrc.PoolPayouts(ctx, page)
	if err != nil {
		return nil, 0, err
	}
	out := make([]api.PoolPayout, len(pg))
	for i := range pg {
		p := &pg[i]
		o := api.PoolPayout{TxID: p.TxID, Time: p.Time, Height: p.Height, Fee: p.Fee,
			Outputs: make([]api.PoolPayoutOutput, len(p.Outputs))}
		for j, po := range p.Outputs {
			o.Outputs[j] = api.PoolPayoutOutput{Worker: po.Worker,
				Address: addressString(po.Payout), Amount: po.Amount}
			o.Amount += po.Amount
		}
		out[i] = o
	}
	return out, total, nil
}

// addressString encodes a payout address, "" for none.
func addressString(a btcutil.Address) string {
	if a == nil {
		return ""
	}
	return a.EncodeAddress()
}

// clampU32 returns n as a uint32, 0 below and the maximum above.
func clampU32(n int) uint32 {
	switch {
	case n < 0:
		return 0
	case uint64(n) > uint64(^uint32(0)):
		return ^uint32(0)
	}
	return uint32(n)
}
