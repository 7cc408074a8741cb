package apitest

import (
	"context"
	"fmt"
	"time"

	"github.com/mainstake/sidenode/api"
)

// Workers of the fake pool: PoolWorkers lists them by name.
const (
	PoolWorkerA = "alice.rig1"
	PoolWorkerB = "bob"
)

// SetNoPool makes every PoolService method answer FailedPrecondition, as a
// node without --stratum does. Set it before the server starts.
func (b *Backend) SetNoPool(no bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.noPool = no
}

// SetPoolAuditFails makes the fake pool's audit find a block whose
// accounts do not balance: one satoshi paid too much.
func (b *Backend) SetPoolAuditFails(fails bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.poolAuditFails = fails
}

func (b *Backend) poolOff() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.noPool {
		return api.Errorf(api.ErrFailedPrecondition, "this node runs no "+
			"pool: start it with --stratum on a pow network")
	}
	return nil
}

// poolTime is the fake pool's clock.
var poolTime = time.Unix(1_700_000_000, 0)

func poolWorkers() []api.PoolWorker {
	return []api.PoolWorker{
		{Name: PoolWorkerA, PayoutAddress: SideAddress, HashPS: 2.5e9,
			Accepted: 1200, Rejects: api.ShareRejects{Stale: 3, Duplicate: 1, LowDifficulty: 2},
			LastShare: poolTime, Difficulty: 512, MeanShareDiff: 480.5, Connections: 2, Owed: 1_250_000, Paid: 90_000_000},
		{Name: PoolWorkerB, PayoutAddress: OtherSideAddress, HashPS: 5e8,
			Accepted: 300, Rejects: api.ShareRejects{BadNtime: 4, Other: 1},
			Difficulty: 64, Owed: 250_000, Paid: 10_000_000},
	}
}

func poolBlocks() []api.PoolBlock {
	return []api.PoolBlock{
		{Height: 20, Hash: hash(0xa0), Reward: 5_000_000_000, Status: api.PoolBlockConfirmed,
			Worker: PoolWorkerA, Time: poolTime.Add(-time.Hour), Confirmations: 11},
		{Height: 25, Hash: hash(0xa5), Reward: 5_000_001_000, Status: api.PoolBlockOrphaned,
			Worker: PoolWorkerB, Time: poolTime.Add(-30 * time.Minute)},
		{Height: 29, Hash: hash(0xa9), Reward: 5_000_000_500, Status: api.PoolBlockPending,
			Worker: PoolWorkerA, Time: poolTime.Add(-time.Minute), Confirmations: 2},
	}
}

// PoolStats implements api.PoolBackend.
func (b *Backend) PoolStats(context.Context) (*api.PoolStats, error) {
	if err := b.poolOff(); err != nil {
		return nil, err
	}
	return &api.PoolStats{
		Connections: 3, Workers: 2, HashPS: 3e9, HashrateWindow: 10 * time.Minute,
		Accepted: 1500, Rejects: api.ShareRejects{Stale: 3, Duplicate: 1, LowDifficulty: 2, BadNtime: 4, Other: 1},
		SharesPerSecond: 2.5, Scheme: "pplns", CommissionPPM: 10_000,
		BlocksPending: 1, BlocksConfirmed: 1, BlocksOrphaned: 1,
		Owed: 1_500_000, Paid: 100_000_000, AuditOK: true,
		Listen: []string{"127.0.0.1:3333"},
	}, nil
}

// PoolWorkers implements api.PoolBackend.
func (b *Backend) PoolWorkers(_ context.Context, worker string, page api.Page) ([]api.PoolWorker, uint64, error) {
	if err := b.poolOff(); err != nil {
		return nil, 0, err
	}
	all := poolWorkers()
	if worker != "" {
		for _, w := range all {
			if w.Name == worker {
				return []api.PoolWorker{w}, uint64(len(all)), nil
			}
		}
		return nil, 0, api.Errorf(api.ErrNotFound, "the pool has no worker %q", worker)
	}
	return api.Paginate(all, page), uint64(len(all)), nil
}

// PoolBlocks implements api.PoolBackend.
func (b *Backend) PoolBlocks(_ context.Context, page api.Page) ([]api.PoolBlock, uint64, error) {
	if err := b.poolOff(); err != nil {
		return nil, 0, err
	}
	all := poolBlocks()
	return api.Paginate(all, page), uint64(len(all)), nil
}

// PoolAudit implements api.PoolBackend: every block balances.
func (b *Backend) PoolAudit(_ context.Context, page api.Page) (*api.PoolAudit, error) {
	if err := b.poolOff(); err != nil {
		return nil, err
	}
	b.mu.Lock()
	fails := b.poolAuditFails
	b.mu.Unlock()
	a := &api.PoolAudit{OK: true}
	var lines []api.PoolAuditLine
	for i, blk := range poolBlocks() {
		l := api.PoolAuditLine{Height: blk.Height, Hash: blk.Hash, Status: blk.Status, OK: true}
		if blk.Status != api.PoolBlockOrphaned {
			l.Earned, l.Fee = blk.Reward, blk.Reward/100
			l.Owed = 1_000_000
			l.Paid = l.Earned - l.Fee - l.Owed
		}
		if fails && i == 0 {
			l.Paid++
			l.OK, a.OK = false, false
			a.Failed++
		}
		a.Earned += l.Earned
		a.Paid += l.Paid
		a.Owed += l.Owed
		a.Fee += l.Fee
		lines = append(lines, l)
	}
	a.Blocks, a.Total = api.Paginate(lines, page), uint64(len(lines))
	return a, nil
}

// PoolPayouts implements api.PoolBackend.
func (b *Backend) PoolPayouts(_ context.Context, page api.Page) ([]api.PoolPayout, uint64, error) {
	if err := b.poolOff(); err != nil {
		return nil, 0, err
	}
	var all []api.PoolPayout
	for i := 0; i < 4; i++ {
		p := api.PoolPayout{TxID: hash(byte(0xb0 + i)), Time: poolTime.Add(time.Duration(i-4) * time.Hour),
			Height: int32(21 + i), Amount: 25_000_000, Fee: 2_000,
			Outputs: []api.PoolPayoutOutput{
				{Worker: PoolWorkerA, Address: SideAddress, Amount: 22_500_000},
				{Worker: PoolWorkerB, Address: OtherSideAddress, Amount: 2_500_000},
			}}
		if i == 3 {
			p.Height = -1
		}
		all = append(all, p)
	}
	return api.Paginate(all, page), uint64(len(all)), nil
}

// PoolPayoutTxID is the id of the fake pool's payout i (0 to 3).
func PoolPayoutTxID(i int) string {
	if i < 0 || i > 3 {
		panic(fmt.Sprintf("no payout %d", i))
	}
	h := hash(byte(0xb0 + i))
	return h.String()
}
