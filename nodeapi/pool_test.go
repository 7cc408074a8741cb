package nodeapi

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/sideblock"
)

// fakePool is a Pool of fixed records.
type fakePool struct {
	stats   PoolStats
	workers []PoolWorker
	blocks  []PoolBlock
	audit   []PoolAuditLine
	payouts []PoolPayout
	problem string
	err     error
}

func (f *fakePool) PoolStats(context.Context) (*PoolStats, error) {
	st := f.stats
	return &st, f.err
}

// The list methods hand out copies, as the node's snapshots do: the
// adapter sorts what it gets.
func (f *fakePool) PoolWorkers(context.Context) ([]PoolWorker, error) {
	return append([]PoolWorker(nil), f.workers...), f.err
}
func (f *fakePool) PoolBlocks(context.Context) ([]PoolBlock, error) {
	return append([]PoolBlock(nil), f.blocks...), f.err
}
func (f *fakePool) PoolAudit(context.Context) ([]PoolAuditLine, string, error) {
	return append([]PoolAuditLine(nil), f.audit...), f.problem, f.err
}
func (f *fakePool) PoolPayouts(_ context.Context, page api.Page) ([]PoolPayout, uint64, error) {
	return api.Paginate(f.payouts, page), uint64(len(f.payouts)), f.err
}

// bestChain is a Sidechain whose best chain holds hashes[h] at height h.
type bestChain struct {
	Sidechain
	hashes []chainhash.Hash
}

func (c bestChain) Tip() (chainhash.Hash, int32, bool) {
	if len(c.hashes) == 0 {
		return chainhash.Hash{}, -1, false
	}
	return c.hashes[len(c.hashes)-1], int32(len(c.hashes) - 1), true
}

func (c bestChain) HashAt(h int32) (chainhash.Hash, error) {
	if h < 0 || int(h) >= len(c.hashes) {
		return chainhash.Hash{}, errors.New("no block there")
	}
	return c.hashes[h], nil
}

func poolAddr(t *testing.T, s string) btcutil.Address {
	t.Helper()
	a, err := sideblock.DecodeSideAddress(s, &chainparams.PowRegtest)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// testPool returns a pool of three workers, three blocks found (heights
// 3, 5 and 8 of a best chain of 10 blocks whose block 5 is another
// block: the pool's block 5 was orphaned), their audit lines and two
// payouts.
func testPool(t *testing.T) (*fakePool, bestChain) {
	chain := bestChain{}
	for i := 0; i < 10; i++ {
		chain.hashes = append(chain.hashes, chainhash.Hash{byte(i), 1})
	}
	addr := poolAddr(t, sideAddrOf(t))
	f := &fakePool{
		stats: PoolStats{Connections: 5, Workers: 3, HashPS: 1e6, HashrateWindow: 5 * time.Minute,
			SharesPerSecond: 4, Accepted: 900, Rejects: ShareRejects{Stale: 2, LowDifficulty: 7, BadNtime: 1},
			Scheme: "pps", CommissionPPM: 20_000, Owed: 300, Paid: 5_000, Listen: []string{"[::]:3333"}},
		workers: []PoolWorker{
			{Name: "zed", Payout: addr, Accepted: 1},
			{Name: "amy", Payout: addr, Accepted: 500, Rejects: ShareRejects{LowDifficulty: 7},
				LastShare: time.Unix(1_800_000_000, 0), Difficulty: 16, MeanShareDifficulty: 12.5,
				Connections: 2, Owed: 100},
			{Name: "mo", Accepted: 399, Connections: -1},
		},
		blocks: []PoolBlock{
			{Height: 3, Hash: chain.hashes[3], Reward: 1_000, Status: PoolBlockConfirmed, Worker: "amy"},
			{Height: 5, Hash: chainhash.Hash{0xee}, Reward: 1_000, Status: PoolBlockOrphaned, Worker: "mo"},
			{Height: 8, Hash: chain.hashes[8], Reward: 1_200, Status: PoolBlockPending, Worker: "amy"},
		},
		audit: []PoolAuditLine{
			{Height: 3, Hash: chain.hashes[3], Status: PoolBlockConfirmed, Earned: 1_000, Paid: 880, Owed: 100, Fee: 20},
			{Height: 5, Hash: chainhash.Hash{0xee}, Status: PoolBlockOrphaned},
			{Height: 8, Hash: chain.hashes[8], Status: PoolBlockPending, Earned: 1_200, Owed: 1_176, Fee: 24},
		},
		payouts: []PoolPayout{
			{TxID: chainhash.Hash{0xb1}, Height: 4, Fee: 150, Outputs: []PoolPayoutOutput{
				{Worker: "amy", Payout: addr, Amount: 500}, {Worker: "zed", Payout: addr, Amount: 380}}},
			{TxID: chainhash.Hash{0xb2}, Height: -1, Fee: 100},
		},
	}
	return f, chain
}

// sideAddrOf returns a sidechain address of powregtest.
func sideAddrOf(t *testing.T) string {
	t.Helper()
	a, err := btcutil.NewAddressWitnessPubKeyHash(make([]byte, 20), chainparams.PowRegtest.Side)
	if err != nil {
		t.Fatal(err)
	}
	return a.EncodeAddress()
}

func poolAdapter(p Pool, chain Sidechain) *Adapter {
	return New(Env{Network: "powregtest", Params: &chainparams.PowRegtest, Pool: p, Sidechain: chain})
}

// TestPoolStats: the pool's own figures pass through; the blocks by
// status and the audit's verdict are the adapter's, from the audit lines.
func TestPoolStats(t *testing.T) {
	f, chain := testPool(t)
	b := poolAdapter(f, chain)
	st, err := b.PoolStats(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if st.Connections != 5 || st.Workers != 3 || st.HashPS != 1e6 || st.HashrateWindow != 5*time.Minute ||
		st.Accepted != 900 || st.Rejects.Total() != 10 || st.Rejects.LowDifficulty != 7 ||
		st.Scheme != "pps" || st.CommissionPPM != 20_000 || st.Owed != 300 || st.Paid != 5_000 ||
		len(st.Listen) != 1 {
		t.Fatalf("stats %+v", st)
	}
	if st.BlocksConfirmed != 1 || st.BlocksOrphaned != 1 || st.BlocksPending != 1 || !st.AuditOK {
		t.Fatalf("blocks %d/%d/%d, audit ok %v", st.BlocksPending, st.BlocksConfirmed,
			st.BlocksOrphaned, st.AuditOK)
	}

	// One satoshi missing from one line fails the audit.
	f.audit[2].Owed--
	if st, err = b.PoolStats(context.Background()); err != nil || st.AuditOK {
		t.Fatalf("audit with a satoshi missing: ok %v, %v", st.AuditOK, err)
	}
}

// TestPoolWorkers: by name, paged, with the payout address encoded; one
// by name; NotFound for an unknown name.
func TestPoolWorkers(t *testing.T) {
	f, chain := testPool(t)
	b := poolAdapter(f, chain)
	ctx := context.Background()
	ws, total, err := b.PoolWorkers(ctx, "", api.Page{Limit: 2})
	if err != nil {
		t.Fatal(err)
	}
	if total != 3 || len(ws) != 2 || ws[0].Name != "amy" || ws[1].Name != "mo" {
		t.Fatalf("workers %+v total %d", ws, total)
	}
	amy := ws[0]
	if amy.PayoutAddress != sideAddrOf(t) || amy.Accepted != 500 || amy.Rejects.LowDifficulty != 7 ||
		!amy.LastShare.Equal(time.Unix(1_800_000_000, 0)) || amy.Difficulty != 16 || amy.MeanShareDiff != 12.5 ||
		amy.Connections != 2 || amy.Owed != 100 {
		t.Fatalf("amy %+v", amy)
	}
	if ws[1].PayoutAddress != "" || ws[1].Connections != 0 {
		t.Fatalf("mo %+v: no address, connections clamped to 0", ws[1])
	}
	ws, _, err = b.PoolWorkers(ctx, "", api.Page{Limit: 1, Reversed: true})
	if err != nil || len(ws) != 1 || ws[0].Name != "zed" {
		t.Fatalf("reversed: %+v, %v", ws, err)
	}
	ws, _, err = b.PoolWorkers(ctx, "mo", api.Page{})
	if err != nil || len(ws) != 1 || ws[0].Accepted != 399 {
		t.Fatalf("mo: %+v, %v", ws, err)
	}
	_, _, err = b.PoolWorkers(ctx, "nobody", api.Page{Limit: 5})
	if !api.IsErrorCode(err, api.ErrNotFound) || !strings.Contains(err.Error(), `"nobody"`) {
		t.Fatalf("unknown worker: %v", err)
	}
}

// TestPoolBlocks: the confirmations come from the node's best chain: 0
// for a block it does not hold at that height, whatever the pool says.
func TestPoolBlocks(t *testing.T) {
	f, chain := testPool(t)
	// The pool still thinks block 5 pending; the best chain has another.
	f.blocks[1].Status = PoolBlockPending
	b := poolAdapter(f, chain)
	bs, total, err := b.PoolBlocks(context.Background(), api.Page{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if total != 3 || len(bs) != 3 {
		t.Fatalf("blocks %+v total %d", bs, total)
	}
	for i, want := range []int32{7, 0, 2} {
		if bs[i].Confirmations != want {
			t.Errorf("block %d at height %d: %d confirmations, want %d", i, bs[i].Height,
				bs[i].Confirmations, want)
		}
	}
	if bs[0].Status != api.PoolBlockConfirmed || bs[1].Status != api.PoolBlockPending ||
		bs[2].Reward != 1_200 || bs[2].Worker != "amy" {
		t.Fatalf("blocks %+v", bs)
	}
	// Without a sidechain, no confirmations.
	bs, _, err = poolAdapter(f, nil).PoolBlocks(context.Background(), api.Page{Limit: 1})
	if err != nil || bs[0].Confirmations != 0 {
		t.Fatalf("no sidechain: %+v, %v", bs, err)
	}
}

// TestPoolAudit: the adapter checks each line and the totals itself; a
// line that does not balance, a negative figure or figures that overflow
// fail it, whatever the pool claims.
func TestPoolAudit(t *testing.T) {
	f, chain := testPool(t)
	b := poolAdapter(f, chain)
	ctx := context.Background()
	a, err := b.PoolAudit(ctx, api.Page{Offset: 1, Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	if !a.OK || a.Failed != 0 || a.Total != 3 || len(a.Blocks) != 2 || a.Earned != 2_200 ||
		a.Paid != 880 || a.Owed != 1_276 || a.Fee != 44 || !a.Blocks[0].OK || a.Blocks[1].Height != 8 {
		t.Fatalf("audit %+v", a)
	}

	for name, line := range map[string]PoolAuditLine{
		"paid a satoshi too much": {Earned: 100, Paid: 81, Owed: 10, Fee: 10},
		"negative owed":           {Earned: 100, Paid: 120, Owed: -30, Fee: 10},
		"overflowing":             {Earned: 1 << 62, Paid: 1 << 62},
	} {
		g, _ := testPool(t)
		g.audit = append(g.audit, line)
		a, err := poolAdapter(g, chain).PoolAudit(ctx, api.Page{Limit: 10})
		if err != nil {
			t.Fatal(err)
		}
		if a.OK || a.Failed != 1 || a.Blocks[3].OK || !a.Blocks[0].OK {
			t.Errorf("%s: audit ok %v, failed %d, lines %+v", name, a.OK, a.Failed, a.Blocks)
		}
	}

	// The accounting's own problem fails the audit, every line balancing.
	g, _ := testPool(t)
	g.problem = "account paid 5 sat more than its blocks record"
	if a, err := poolAdapter(g, chain).PoolAudit(ctx, api.Page{}); err != nil || a.OK ||
		a.Failed != 0 || a.Problem != g.problem {
		t.Errorf("the pool's problem: %+v, %v", a, err)
	}
	if st, err := poolAdapter(g, chain).PoolStats(ctx); err != nil || st.AuditOK {
		t.Errorf("stats with the pool's problem: %+v, %v", st, err)
	}

	// Totals that overflow int64 fail, though each line balances.
	g, _ = testPool(t)
	big := int64(1)<<62 - 1
	g.audit = []PoolAuditLine{{Earned: big, Paid: big}, {Earned: big, Paid: big}, {Earned: big, Paid: big}}
	if a, err := poolAdapter(g, chain).PoolAudit(ctx, api.Page{}); err != nil || a.OK || a.Failed != 0 {
		t.Errorf("overflowing totals: %+v, %v", a, err)
	}
}

// TestPoolPayouts: a payout's amount is the sum of its outputs.
func TestPoolPayouts(t *testing.T) {
	f, chain := testPool(t)
	b := poolAdapter(f, chain)
	ps, total, err := b.PoolPayouts(context.Background(), api.Page{Limit: 5, Reversed: true})
	if err != nil {
		t.Fatal(err)
	}
	if total != 2 || len(ps) != 2 || ps[0].Height != -1 || ps[1].Amount != 880 || ps[1].Fee != 150 ||
		len(ps[1].Outputs) != 2 || ps[1].Outputs[0].Address != sideAddrOf(t) || ps[1].Outputs[1].Worker != "zed" {
		t.Fatalf("payouts %+v", ps)
	}
}

// TestPoolErrors: the pool's errors pass through; without a pool every
// method is FailedPrecondition in the user's terms.
func TestPoolErrors(t *testing.T) {
	ctx := context.Background()
	f, chain := testPool(t)
	f.err = errors.New("store closed")
	b := poolAdapter(f, chain)
	_, err1 := b.PoolStats(ctx)
	_, _, err2 := b.PoolWorkers(ctx, "", api.Page{})
	_, _, err3 := b.PoolBlocks(ctx, api.Page{})
	_, err4 := b.PoolAudit(ctx, api.Page{})
	_, _, err5 := b.PoolPayouts(ctx, api.Page{})
	for i, err := range []error{err1, err2, err3, err4, err5} {
		if err == nil || err.Error() != "store closed" {
			t.Errorf("method %d: %v", i, err)
		}
	}

	for _, tc := range []struct {
		b    *Adapter
		want string
	}{
		{poolAdapter(nil, chain), "start it with --stratum"},
		{New(Env{Network: "regtest", Params: &chainparams.Regtest}), "network regtest runs the mainstake engine"},
	} {
		_, err1 := tc.b.PoolStats(ctx)
		_, _, err2 := tc.b.PoolWorkers(ctx, "", api.Page{})
		_, _, err3 := tc.b.PoolBlocks(ctx, api.Page{})
		_, err4 := tc.b.PoolAudit(ctx, api.Page{})
		_, _, err5 := tc.b.PoolPayouts(ctx, api.Page{})
		for i, err := range []error{err1, err2, err3, err4, err5} {
			if !api.IsErrorCode(err, api.ErrFailedPrecondition) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("method %d: %v, want FailedPrecondition saying %q", i, err, tc.want)
			}
		}
	}
}
