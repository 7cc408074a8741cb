package main

import (
	"fmt"
	"sync/atomic"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/pow/pool"
	"github.com/mainstake/sidenode/pow/stratum"
	"github.com/mainstake/sidenode/store"
)

// poolSink records accepted shares in a pool (pow/pool) on a store of its
// own, as the node does (pow/poolrun's poolShares): the server answers a
// share only once AddShare returned.
type poolSink struct {
	db     *store.DB
	books  *pool.Pool
	shares atomic.Int64
}

// poolReward is the reward each share's job pays in the load runs: 50
// coins, no block is ever found.
const poolReward = 50 * 100_000_000

// openPoolSink opens a pool in dir with pool.StoreOptions; syncWrites
// turns NoSync off (every commit waits for the disk, as before the pool
// had its own store).
func openPoolSink(dir string, syncWrites bool) (*poolSink, error) {
	opts := pool.StoreOptions("stratumload", chainhash.Hash{1})
	opts.NoSync = !syncWrites
	db, err := store.Open(dir, opts)
	if err != nil {
		return nil, fmt.Errorf("-pool %s: %w", dir, err)
	}
	books, err := pool.Open(db, pool.Config{}, nil)
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("-pool %s: %w", dir, err)
	}
	return &poolSink{db: db, books: books}, nil
}

// AcceptShare implements stratum.ShareSink.
func (p *poolSink) AcceptShare(sh *stratum.Share) error {
	err := p.books.AddShare(pool.Share{
		Worker:  sh.Worker,
		Payout:  sh.Payout.Script,
		Work:    pool.WorkForTarget(sh.ShareTarget),
		NetWork: pool.WorkForTarget(sh.NetTarget),
		Reward:  poolReward,
		Time:    sh.Time,
		Height:  sh.Height,
	})
	if err == nil {
		p.shares.Add(1)
	}
	return err
}

func (p *poolSink) close() {
	if err := p.books.Close(); err != nil {
		fmt.Fprintf(stderr, "pool: %v\n", err)
	}
	if err := p.db.Close(); err != nil {
		fmt.Fprintf(stderr, "pool store: %v\n", err)
	}
}
