package node

import (
	"context"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/nodeapi"
	"github.com/mainstake/sidenode/p2p"
	"github.com/mainstake/sidenode/pow/pool"
	"github.com/mainstake/sidenode/pow/poolrun"
	"github.com/mainstake/sidenode/pow/powchain"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
)

// The node's mining pool (--stratum) is run by package pow/poolrun; this
// file builds its Config from the options (poolconfig.go) and the node's
// parts, and opens the pool's own store.

// poolEnv is what startPool wires.
type poolEnv struct {
	cfg    *Config
	params *chainparams.Params
	db     *store.DB
	pc     *powchain.Chain
	chain  *sideblock.Chain
	peers  *p2p.Server
	payer  *nodeapi.SidePayer // nil: the pool cannot pay
}

// startPool opens the pool's store and starts the pool (poolrun.Start) on
// every --stratum address. It returns nil without --stratum.
func startPool(ctx context.Context, e poolEnv) (*poolrun.Run, error) {
	cfg := e.cfg
	opts, err := cfg.poolOptions()
	if err != nil {
		return nil, err
	}
	if len(opts.ports) == 0 {
		return nil, nil
	}
	if e.pc == nil {
		return nil, fmt.Errorf("--stratum: --network=%s runs the %v engine; "+
			"a mining pool is for pow networks", cfg.Network, e.params.Engine)
	}
	if e.payer == nil {
		return nil, errors.New("--stratum needs the node's wallet: the pool's " +
			"coinbases pay its sidechain address and its payouts spend from it " +
			"(create one with sidecli create, or start with --wallet options)")
	}
	pdb, err := openPoolStore(cfg, e.params, e.db)
	if err != nil {
		return nil, err
	}
	pc := poolrun.Config{
		Params:              e.params,
		Pow:                 e.pc,
		Chain:               e.chain,
		Store:               pdb,
		Payer:               e.payer,
		Stratum:             cfg.stratumConfig(),
		Workers:             opts.workers,
		AllowAddressWorkers: !cfg.StratumNoAddressWorkers,
		Pool:                opts.pool,
		MinPayout:           cfg.PoolMinPayout,
	}
	if peers := e.peers; peers != nil {
		pc.Announce = func(h chainhash.Hash) { peers.Announce(p2p.BlockItem(h)) }
	}
	for _, p := range opts.ports {
		pc.Ports = append(pc.Ports, poolrun.Port{Addr: p.addr, Port: p.port})
	}
	return poolrun.Start(ctx, pc)
}

// openPoolStore opens the pool's own store in PoolDir (pool.StoreOptions:
// commits wait for no disk flush; synced every --poolsyncinterval and at
// close). Pool records left in the node's state store by a version that
// kept them there are not read: the pool starts from its own store, and
// says so once.
func openPoolStore(cfg *Config, params *chainparams.Params, state *store.DB) (*store.DB, error) {
	opts := pool.StoreOptions(cfg.Network, *params.Main.GenesisHash)
	opts.SyncInterval = cfg.PoolSyncInterval
	db, err := store.Open(cfg.PoolDir(), opts)
	if err != nil {
		return nil, fmt.Errorf("--stratum: the pool's store: %w", wrongNetworkError(cfg, err))
	}
	old := false
	err = state.View(func(r store.Reader) error {
		return r.Iterate([]byte{pool.KeyByte}, func(k, v []byte) error {
			old = true
			return store.ErrStopIteration
		})
	})
	if err != nil {
		log.Warnf("Pool: looking for pool records in the node's state: %v", err)
	} else if old {
		log.Warnf("Pool: the node's state store (%s) holds pool records "+
			"written before the pool had a store of its own; they are "+
			"ignored (left in place, out of the state hash): the pool's "+
			"books are those in %s", cfg.StateDir(), cfg.PoolDir())
	}
	return db, nil
}
