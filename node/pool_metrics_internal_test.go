package node

import (
	"context"
	"errors"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/nodeapi"
)

// statsPool is a nodeapi.Pool with fixed stats and audit lines.
type statsPool struct {
	stats nodeapi.PoolStats
	audit []nodeapi.PoolAuditLine
	err   error
}

func (p statsPool) PoolStats(context.Context) (*nodeapi.PoolStats, error) {
	st := p.stats
	return &st, p.err
}
func (p statsPool) PoolWorkers(context.Context) ([]nodeapi.PoolWorker, error) { return nil, p.err }
func (p statsPool) PoolBlocks(context.Context) ([]nodeapi.PoolBlock, error)   { return nil, p.err }
func (p statsPool) PoolAudit(context.Context) ([]nodeapi.PoolAuditLine, string, error) {
	return p.audit, "", p.err
}
func (p statsPool) PoolPayouts(context.Context, api.Page) ([]nodeapi.PoolPayout, uint64, error) {
	return nil, 0, p.err
}

// TestPoolSnapshot: the metrics read the pool as GetPoolStats does: its
// figures, every reject code and reason, the blocks by status and the
// audit's verdict from the audit lines; nothing when the pool fails.
func TestPoolSnapshot(t *testing.T) {
	p := statsPool{
		stats: nodeapi.PoolStats{Connections: 7, Workers: 3, HashPS: 1e9, Accepted: 50,
			Rejects: nodeapi.ShareRejects{Stale: 2, BadNtime: 1, NotSubscribed: 4},
			Owed:    10, Paid: 20},
		audit: []nodeapi.PoolAuditLine{
			{Hash: chainhash.Hash{1}, Status: nodeapi.PoolBlockConfirmed, Earned: 100, Paid: 90, Fee: 10},
			{Hash: chainhash.Hash{2}, Status: nodeapi.PoolBlockConfirmed, Earned: 100, Owed: 98, Fee: 2},
			{Hash: chainhash.Hash{3}, Status: nodeapi.PoolBlockOrphaned},
		},
	}
	s := poolSnapshot(p)
	if s == nil || s.Connections != 7 || s.Workers != 3 || s.HashPS != 1e9 || s.Accepted != 50 ||
		s.Owed != 10 || s.Paid != 20 || !s.AuditOK {
		t.Fatalf("snapshot %+v", s)
	}
	if s.Blocks["confirmed"] != 2 || s.Blocks["orphaned"] != 1 || s.Blocks["pending"] != 0 {
		t.Errorf("blocks %v", s.Blocks)
	}
	got := map[string]uint64{}
	for _, r := range s.Rejected {
		got[r.Code+"/"+r.Reason] = r.Count
	}
	want := map[string]uint64{"20/other": 0, "20/bad_ntime": 1, "21/stale": 2, "22/duplicate": 0,
		"23/low_difficulty": 0, "24/unauthorized": 0, "25/not_subscribed": 4}
	if len(got) != len(want) {
		t.Errorf("rejects %v, want %v", got, want)
	}
	for k, v := range want {
		if n, ok := got[k]; !ok || n != v {
			t.Errorf("rejects %s = %d (%v), want %d", k, n, ok, v)
		}
	}

	p.audit[1].Owed++
	if s := poolSnapshot(p); s == nil || s.AuditOK {
		t.Errorf("a line a satoshi off: %+v", s)
	}
	p.err = errors.New("pool stopped")
	if s := poolSnapshot(p); s != nil {
		t.Errorf("failing pool: %+v", s)
	}
}
