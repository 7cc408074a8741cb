package node

import (
	"context"
	"math/big"
	"time"

	"github.com/mainstake/sidenode/alarms"
	"github.com/mainstake/sidenode/lottery"
	"github.com/mainstake/sidenode/mainstake"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/metrics"
	"github.com/mainstake/sidenode/nodeapi"
	"github.com/mainstake/sidenode/p2p"
)

// metricsSource is the metrics.Source of a running node: it reads the
// subsystems' in-memory state at scrape time, never the store's tables
// (but for the notarization's few keys, read in one snapshot);
// the pegbox audit's figures are those of its latest refresh, after the
// last mainchain block.
type metricsSource struct {
	follower *mainwatch.Follower
	proto    *protocol
	index    *mainstake.Index
	peers    *p2p.Server
	alarms   *alarms.Monitor
	// pool is the mining pool, nil when the node runs none.
	pool nodeapi.Pool
	// notary is the notarization tracker, nil on a network without
	// notaries.
	notary *notary
}

var _ metrics.Source = (*metricsSource)(nil)

// Snapshot implements metrics.Source.
func (s *metricsSource) Snapshot() metrics.Snapshot {
	st := s.follower.Status()
	snap := metrics.Snapshot{
		MainchainTip:        st.Tip.Height,
		BackendHeight:       st.Source.Best.Height,
		BackendHeaderHeight: st.Source.Headers,
		BackendConnected:    st.Source.Connected,
		Synced:              st.Synced,
		SidechainTip:        -1,
		Peers:               s.peers.ConnectedCount(),
		MempoolTxs:          s.proto.pool.Count(),
		MempoolBytes:        s.proto.pool.Bytes(),
	}
	if st.Source.Backend == BackendNeutrino {
		// The light client's best block is its filter-header tip.
		snap.Neutrino = &metrics.NeutrinoSnapshot{
			FilterHeaderHeight: st.Source.Best.Height,
			Peers:              st.Source.Peers,
		}
	}
	if _, height, ok := s.proto.chain.Tip(); ok {
		snap.SidechainTip = height
	}
	total, live := s.index.TicketCounts()
	snap.Tickets, snap.LiveTickets = uint64(total), uint64(live)
	snap.TotalWeight = weightFloat(s.index.TotalWeight())

	stats := s.proto.producer.Stats()
	snap.Won, snap.Published, snap.Included = stats.Won, stats.Published, stats.Included
	snap.MissReasons = stats.ReasonLabels()

	audit := s.proto.audit.Last()
	snap.PegUnexplainedSpends = uint64(audit.Unexplained)
	snap.PegUnexplainedSat = audit.UnexplainedSat
	snap.PegUncheckedSpends = uint64(audit.Unchecked)

	// Every reason, 0 or 1, so that a rule sees a series that is there.
	snap.Alarms = make(map[string]bool, len(alarms.Reasons))
	for _, r := range alarms.Reasons {
		snap.Alarms[r.Code()] = s.alarms != nil && s.alarms.IsActive(r)
	}
	if s.pool != nil {
		snap.Pool = poolSnapshot(s.pool)
	}
	if s.notary != nil {
		n, err := s.notary.snapshot(time.Now())
		if err != nil {
			log.Errorf("Metrics: notarization: %v", err)
		} else {
			snap.Notarization = n
		}
	}
	return snap
}

// poolSnapshot returns the pool's figures as the metrics write them, from
// the same reading as PoolService's GetPoolStats; nil when the pool
// cannot answer (its families are then left out of that scrape).
func poolSnapshot(p nodeapi.Pool) *metrics.PoolSnapshot {
	st, err := nodeapi.PoolStatsOf(context.Background(), p)
	if err != nil {
		log.Debugf("Metrics: no pool figures: %v", err)
		return nil
	}
	r := st.Rejects
	return &metrics.PoolSnapshot{
		Connections: int(st.Connections),
		Workers:     int(st.Workers),
		HashPS:      st.HashPS,
		Accepted:    st.Accepted,
		Rejected: []metrics.ShareReject{
			{Code: "20", Reason: "other", Count: r.Other},
			{Code: "20", Reason: "bad_ntime", Count: r.BadNtime},
			{Code: "21", Reason: "stale", Count: r.Stale},
			{Code: "22", Reason: "duplicate", Count: r.Duplicate},
			{Code: "23", Reason: "low_difficulty", Count: r.LowDifficulty},
			{Code: "24", Reason: "unauthorized", Count: r.Unauthorized},
			{Code: "25", Reason: "not_subscribed", Count: r.NotSubscribed},
		},
		Blocks: map[string]int{
			"pending":   int(st.BlocksPending),
			"confirmed": int(st.BlocksConfirmed),
			"orphaned":  int(st.BlocksOrphaned),
		},
		Owed:    st.Owed,
		Paid:    st.Paid,
		AuditOK: st.AuditOK,
	}
}

// weightFloat returns the float64 nearest to w. Weights reach 2^120, past
// float64's 53-bit mantissa: the result is exact below 2^53 and within a
// relative error of 2^-53 above.
func weightFloat(w lottery.Uint128) float64 {
	n := new(big.Int).SetUint64(w.Hi)
	n.Lsh(n, 64).Or(n, new(big.Int).SetUint64(w.Lo))
	f, _ := new(big.Float).SetInt(n).Float64()
	return f
}

// startMetrics starts the metrics server of --prometheus.listen, or returns
// nil when the option is empty: a nil *metrics.Metrics does nothing. The
// server is listening when it returns.
func startMetrics(cfg *Config, src metrics.Source) (*metrics.Metrics, error) {
	if cfg.Prometheus.Listen == "" {
		return nil, nil
	}
	m, err := metrics.New(metrics.Config{Listen: cfg.Prometheus.Listen, Source: src})
	if err != nil {
		return nil, err
	}
	if err := m.Start(); err != nil {
		return nil, err
	}
	return m, nil
}
