package loadtest

import (
	"context"
	"net"
	"sync/atomic"

	"github.com/btcsuite/btcd/txscript"

	"github.com/mainstake/sidenode/pow/headerchain"
	"github.com/mainstake/sidenode/pow/stratum"
)

// Sinks count what the server hands on: blocks and accepted shares. Any
// worker authorizes, paid to OP_TRUE.
type Sinks struct {
	Blocks atomic.Int64
	Shares atomic.Int64
}

// SubmitBlock counts a block.
func (k *Sinks) SubmitBlock(*headerchain.Block) error {
	k.Blocks.Add(1)
	return nil
}

// AcceptShare counts a share.
func (k *Sinks) AcceptShare(*stratum.Share) error {
	k.Shares.Add(1)
	return nil
}

// Authorize lets any worker mine.
func (k *Sinks) Authorize(worker, _ string) (stratum.Payout, error) {
	return stratum.Payout{Address: worker, Script: []byte{txscript.OP_TRUE}}, nil
}

// LoadConfig is a server configuration for load runs: the share
// difficulty floor at minDiff, and the per-connection submit rate and the
// per-address connection limit out of the way of a generator that stands
// for many miners.
func LoadConfig(minDiff float64) stratum.Config {
	cfg := stratum.DefaultConfig()
	cfg.Vardiff.Min = minDiff
	cfg.StartDifficulty = minDiff
	cfg.SubmitRate = 1e6
	cfg.SubmitBurst = 1 << 20
	cfg.MaxConnsPerIP = 1 << 20
	cfg.MaxConnections = 1 << 20
	cfg.JobRefresh = 0
	return cfg
}

// Local is a server in this process on a loopback port, with a synthetic
// job source and counting sinks.
type Local struct {
	Server *stratum.Server
	Source *Source
	Sinks  *Sinks
	Addr   string

	cancel context.CancelFunc
	done   chan error
}

// StartLocal starts a server with cfg on listen (e.g. "127.0.0.1:0"), its
// template with txs transactions at HardBits.
func StartLocal(cfg stratum.Config, txs int, listen string) (*Local, error) {
	return StartLocalShares(cfg, txs, listen, nil)
}

// StartLocalShares is StartLocal with accepted shares handed to shares
// (nil: only counted).
func StartLocalShares(cfg stratum.Config, txs int, listen string, shares stratum.ShareSink) (*Local, error) {
	src := NewSource(txs, HardBits)
	sinks := &Sinks{}
	if shares == nil {
		shares = sinks
	}
	srv, err := stratum.New(cfg, src, sinks, shares, sinks)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.Background())
	l := &Local{Server: srv, Source: src, Sinks: sinks, Addr: ln.Addr().String(), cancel: cancel,
		done: make(chan error, 1)}
	go func() { l.done <- srv.Serve(ctx, ln) }()
	return l, nil
}

// Close stops the server and waits for Serve to return.
func (l *Local) Close() error {
	l.cancel()
	return <-l.done
}
