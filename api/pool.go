package api

import (
	"context"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// MaxWorkerName bounds the worker name a ListPoolWorkers request may
// give: longer than any name a Stratum server keeps.
const MaxWorkerName = 256

// PoolBackend serves PoolService: the node's Stratum server and pool
// accounting. A node that runs no pool answers every method with
// ErrFailedPrecondition, saying why in the user's terms.
type PoolBackend interface {
	// PoolStats returns the pool's figures.
	PoolStats(ctx context.Context) (*PoolStats, error)

	// PoolWorkers returns a page of the workers, ordered by name, and
	// their number; with a worker name, that worker alone (ErrNotFound
	// if the pool has none of that name), the page ignored.
	PoolWorkers(ctx context.Context, worker string, page Page) ([]PoolWorker, uint64, error)

	// PoolBlocks returns a page of the blocks the pool found, oldest
	// first, and their number.
	PoolBlocks(ctx context.Context, page Page) ([]PoolBlock, uint64, error)

	// PoolAudit returns the audit's totals and a page of its blocks,
	// oldest first.
	PoolAudit(ctx context.Context, page Page) (*PoolAudit, error)

	// PoolPayouts returns a page of the payouts, oldest first, and
	// their number.
	PoolPayouts(ctx context.Context, page Page) ([]PoolPayout, uint64, error)
}

// ShareRejects counts refused shares by the Stratum error code sent.
type ShareRejects struct {
	Other         uint64 // 20
	Stale         uint64 // 21: unknown or stale job
	Duplicate     uint64 // 22
	LowDifficulty uint64 // 23
	Unauthorized  uint64 // 24
	NotSubscribed uint64 // 25
	BadNtime      uint64 // 20, ntime out of range
}

// Total returns the sum of the counts.
func (r ShareRejects) Total() uint64 {
	return r.Other + r.Stale + r.Duplicate + r.LowDifficulty +
		r.Unauthorized + r.NotSubscribed + r.BadNtime
}

// PoolBlockStatus is what became of a block the pool found.
type PoolBlockStatus int

// The statuses of a PoolBlock.
const (
	// PoolBlockPending: on the best chain, not deep enough to pay.
	PoolBlockPending PoolBlockStatus = iota + 1

	// PoolBlockConfirmed: on the best chain and deep enough.
	PoolBlockConfirmed

	// PoolBlockOrphaned: off the best chain; its credits taken back.
	PoolBlockOrphaned
)

// String returns the status as the API's JSON spells it.
func (s PoolBlockStatus) String() string {
	switch s {
	case PoolBlockPending:
		return "pending"
	case PoolBlockConfirmed:
		return "confirmed"
	case PoolBlockOrphaned:
		return "orphaned"
	}
	return "unspecified"
}

// PoolStats is the pool's figures.
type PoolStats struct {
	Connections, Workers uint32
	// HashPS estimates the pool's hashes a second over HashrateWindow.
	HashPS         float64
	HashrateWindow time.Duration
	// Accepted and Rejects count the shares since the node started;
	// SharesPerSecond is the accepted rate over HashrateWindow.
	Accepted        uint64
	Rejects         ShareRejects
	SharesPerSecond float64
	// Scheme is "pps" or "pplns"; CommissionPPM the pool's fee in parts
	// per million of a block's reward.
	Scheme        string
	CommissionPPM uint32

	BlocksPending, BlocksConfirmed, BlocksOrphaned uint32
	// Owed and Paid are in satoshis.
	Owed, Paid int64
	AuditOK    bool
	// Listen are the Stratum server's addresses.
	Listen []string
}

// PoolWorker is a worker of the pool.
type PoolWorker struct {
	Name, PayoutAddress string
	HashPS              float64
	Accepted            uint64
	Rejects             ShareRejects
	// LastShare is zero for never.
	LastShare time.Time
	// Difficulty is the difficulty in force on its connection,
	// MeanShareDiff the mean difficulty of its accepted shares.
	Difficulty    float64
	MeanShareDiff float64
	Connections   uint32
	Owed, Paid    int64
}

// PoolBlock is a block the pool found.
type PoolBlock struct {
	Height int32
	Hash   chainhash.Hash
	// Reward is what the coinbase pays the pool, in satoshis.
	Reward int64
	Status PoolBlockStatus
	Worker string
	Time   time.Time
	// Confirmations is 1 for the tip, 0 when orphaned.
	Confirmations int32
}

// PoolAuditLine is one block's line of the audit, in satoshis.
type PoolAuditLine struct {
	Height                  int32
	Hash                    chainhash.Hash
	Status                  PoolBlockStatus
	Earned, Paid, Owed, Fee int64
	OK                      bool
}

// PoolAudit is the audit: the totals over every block and a page of the
// lines.
type PoolAudit struct {
	OK bool
	// Problem is the accounting's own verdict on a check beyond the
	// lines; empty when none fails.
	Problem                 string
	Earned, Paid, Owed, Fee int64
	Failed                  uint64
	Blocks                  []PoolAuditLine
	Total                   uint64
}

// PoolPayoutOutput is what a payout pays one worker.
type PoolPayoutOutput struct {
	Worker, Address string
	Amount          int64
}

// PoolPayout is a payout transaction on the sidechain.
type PoolPayout struct {
	TxID chainhash.Hash
	Time time.Time
	// Height is -1 in the mempool.
	Height      int32
	Amount, Fee int64
	Outputs     []PoolPayoutOutput
}

// poolService implements PoolService.
type poolService struct {
	apiv1.UnimplementedPoolServiceServer
	s *Server
}

func (p *poolService) GetPoolStats(ctx context.Context, _ *apiv1.GetPoolStatsRequest) (*apiv1.GetPoolStatsResponse, error) {
	const method = apiv1.PoolService_GetPoolStats_FullMethodName
	st, err := p.s.backend.PoolStats(ctx)
	if err != nil {
		return nil, toStatus(method, err)
	}
	return &apiv1.GetPoolStatsResponse{
		Connections:           st.Connections,
		Workers:               st.Workers,
		HashPs:                st.HashPS,
		HashrateWindowSeconds: int64(st.HashrateWindow / time.Second),
		SharesAccepted:        st.Accepted,
		SharesRejected:        rejectsProto(st.Rejects),
		SharesPerSecond:       st.SharesPerSecond,
		Scheme:                st.Scheme,
		CommissionPpm:         st.CommissionPPM,
		BlocksPending:         st.BlocksPending,
		BlocksConfirmed:       st.BlocksConfirmed,
		BlocksOrphaned:        st.BlocksOrphaned,
		OwedSat:               st.Owed,
		PaidSat:               st.Paid,
		AuditOk:               st.AuditOK,
		Listen:                append([]string{}, st.Listen...),
	}, nil
}

func (p *poolService) ListPoolWorkers(ctx context.Context, req *apiv1.ListPoolWorkersRequest) (*apiv1.ListPoolWorkersResponse, error) {
	const method = apiv1.PoolService_ListPoolWorkers_FullMethodName
	name := req.GetWorker()
	if len(name) > MaxWorkerName {
		return nil, toStatus(method, Errorf(ErrInvalidArgument, "worker has %d "+
			"bytes, more than a worker name may (%d): give the name a miner "+
			"authorizes with", len(name), MaxWorkerName))
	}
	pg, err := p.s.page(req.GetOffset(), req.GetLimit(), req.GetReversed())
	if err != nil {
		return nil, toStatus(method, err)
	}
	ws, total, err := p.s.backend.PoolWorkers(ctx, name, pg)
	if err != nil {
		return nil, toStatus(method, err)
	}
	out := make([]*apiv1.PoolWorker, len(ws))
	for i := range ws {
		w := &ws[i]
		out[i] = &apiv1.PoolWorker{
			Name:                w.Name,
			PayoutAddress:       w.PayoutAddress,
			HashPs:              w.HashPS,
			SharesAccepted:      w.Accepted,
			SharesRejected:      rejectsProto(w.Rejects),
			LastShareTime:       unixOrZero(w.LastShare),
			Difficulty:          w.Difficulty,
			Connections:         w.Connections,
			MeanShareDifficulty: w.MeanShareDiff,
			OwedSat:             w.Owed,
			PaidSat:             w.Paid,
		}
	}
	return &apiv1.ListPoolWorkersResponse{Workers: out, Total: total}, nil
}

func (p *poolService) ListPoolBlocks(ctx context.Context, req *apiv1.ListPoolBlocksRequest) (*apiv1.ListPoolBlocksResponse, error) {
	const method = apiv1.PoolService_ListPoolBlocks_FullMethodName
	pg, err := p.s.page(req.GetOffset(), req.GetLimit(), req.GetReversed())
	if err != nil {
		return nil, toStatus(method, err)
	}
	bs, total, err := p.s.backend.PoolBlocks(ctx, pg)
	if err != nil {
		return nil, toStatus(method, err)
	}
	out := make([]*apiv1.PoolBlock, len(bs))
	for i := range bs {
		b := &bs[i]
		out[i] = &apiv1.PoolBlock{
			Height:        b.Height,
			Hash:          b.Hash.String(),
			RewardSat:     b.Reward,
			Status:        poolStatusProto(b.Status),
			Worker:        b.Worker,
			Time:          unixOrZero(b.Time),
			Confirmations: b.Confirmations,
		}
	}
	return &apiv1.ListPoolBlocksResponse{Blocks: out, Total: total}, nil
}

func (p *poolService) GetPoolAudit(ctx context.Context, req *apiv1.GetPoolAuditRequest) (*apiv1.GetPoolAuditResponse, error) {
	const method = apiv1.PoolService_GetPoolAudit_FullMethodName
	pg, err := p.s.page(req.GetOffset(), req.GetLimit(), req.GetReversed())
	if err != nil {
		return nil, toStatus(method, err)
	}
	a, err := p.s.backend.PoolAudit(ctx, pg)
	if err != nil {
		return nil, toStatus(method, err)
	}
	resp := &apiv1.GetPoolAuditResponse{
		Ok:           a.OK,
		EarnedSat:    a.Earned,
		PaidSat:      a.Paid,
		OwedSat:      a.Owed,
		FeeSat:       a.Fee,
		BlocksFailed: a.Failed,
		Problem:      a.Problem,
		Blocks:       make([]*apiv1.PoolAuditBlock, len(a.Blocks)),
		Total:        a.Total,
	}
	for i := range a.Blocks {
		l := &a.Blocks[i]
		resp.Blocks[i] = &apiv1.PoolAuditBlock{
			Height:    l.Height,
			Hash:      l.Hash.String(),
			Status:    poolStatusProto(l.Status),
			EarnedSat: l.Earned,
			PaidSat:   l.Paid,
			OwedSat:   l.Owed,
			FeeSat:    l.Fee,
			Ok:        l.OK,
		}
	}
	return resp, nil
}

func (p *poolService) ListPoolPayouts(ctx context.Context, req *apiv1.ListPoolPayoutsRequest) (*apiv1.ListPoolPayoutsResponse, error) {
	const method = apiv1.PoolService_ListPoolPayouts_FullMethodName
	pg, err := p.s.page(req.GetOffset(), req.GetLimit(), req.GetReversed())
	if err != nil {
		return nil, toStatus(method, err)
	}
	ps, total, err := p.s.backend.PoolPayouts(ctx, pg)
	if err != nil {
		return nil, toStatus(method, err)
	}
	out := make([]*apiv1.PoolPayout, len(ps))
	for i := range ps {
		pay := &ps[i]
		o := &apiv1.PoolPayout{
			Txid:      pay.TxID.String(),
			Time:      unixOrZero(pay.Time),
			Height:    pay.Height,
			AmountSat: pay.Amount,
			FeeSat:    pay.Fee,
			Outputs:   make([]*apiv1.PoolPayoutOutput, len(pay.Outputs)),
		}
		for j, po := range pay.Outputs {
			o.Outputs[j] = &apiv1.PoolPayoutOutput{Worker: po.Worker,
				Address: po.Address, AmountSat: po.Amount}
		}
		out[i] = o
	}
	return &apiv1.ListPoolPayoutsResponse{Payouts: out, Total: total}, nil
}

func rejectsProto(r ShareRejects) *apiv1.ShareRejects {
	return &apiv1.ShareRejects{
		Other:         r.Other,
		Stale:         r.Stale,
		Duplicate:     r.Duplicate,
		LowDifficulty: r.LowDifficulty,
		Unauthorized:  r.Unauthorized,
		NotSubscribed: r.NotSubscribed,
		BadNtime:      r.BadNtime,
		Total:         r.Total(),
	}
}

func poolStatusProto(s PoolBlockStatus) apiv1.PoolBlockStatus {
	switch s {
	case PoolBlockPending:
		return apiv1.PoolBlockStatus_POOL_BLOCK_STATUS_PENDING
	case PoolBlockConfirmed:
		return apiv1.PoolBlockStatus_POOL_BLOCK_STATUS_CONFIRMED
	case PoolBlockOrphaned:
		return apiv1.PoolBlockStatus_POOL_BLOCK_STATUS_ORPHANED
	}
	return apiv1.PoolBlockStatus_POOL_BLOCK_STATUS_UNSPECIFIED
}

// unixOrZero returns t in Unix seconds, 0 for the zero time.
func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}
