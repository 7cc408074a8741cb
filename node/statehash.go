package node

import (
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/notarize/tracker"
	"github.com/mainstake/sidenode/pow/pool"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
	"github.com/mainstake/sidenode/wallet"
)

// LocalPrefixes lists the store key prefixes of local, non-consensus
// state, which the state hash leaves out: the wallet's keys (each node has
// its own wallet, or none) and the sideblock staging keyspace: the staged
// bodies (a cache of what this node received or produced) and what this
// node found out about them (each header's validation status, the missing
// set, the fork-choice candidates), which depends on the order bodies
// arrived in; and the notarization tracker's keys (what counts depends on
// this node's sidechain view and on when it saw the sidechain's blocks).
// Every other key of the application keyspace is derived from the
// mainchain and the bodies held, and covered.
func LocalPrefixes() [][]byte {
	return [][]byte{{wallet.KeyByte}, {sideblock.StagingKeyByte}, {tracker.KeyByte}}
}

// StoreOptions returns the store options of a node on network with the
// default undo depth: tools and tests that open a node's data dir must use
// them, or the store takes the other local prefixes for a change of
// settings and rebuilds the state hash. A node run with a larger
// --undodepth must be opened with it (set UndoDepth): a smaller one prunes
// the undo records above it. The engine and its parameter digest are those
// of the chainparams network of that name (mainstake for a name it does
// not know).
func StoreOptions(network string, genesis chainhash.Hash) store.Options {
	opts := store.Options{
		Genesis:       genesis,
		Network:       network,
		LocalPrefixes: LocalPrefixes(),
	}
	if p, err := chainparams.ByName(network); err == nil {
		opts.Engine = p.Engine.String()
		opts.EngineDigest = p.EngineDigest()
		if p.Engine != chainparams.Mainstake {
			// The index of a chain with a clock of its own holds
			// every branch this node has seen: local. The pool's
			// key byte stays local too: its shares and books live in
			// a store of their own (PoolDir), but a data dir from
			// before that may still hold them here, and they must
			// not enter the state hash.
			opts.LocalPrefixes = append(opts.LocalPrefixes,
				sideblock.OwnClockLocalPrefixes()...)
			opts.LocalPrefixes = append(opts.LocalPrefixes,
				pool.LocalPrefixes()...)
		}
	}
	return opts
}

// StateHash returns the mainchain tip and the state hash after it: the
// store's commitment to every mainchain-derived key and value (see
// docs/protocol.md, "State hash"), maintained block by block.
func StateHash(db *store.DB) (store.BlockID, chainhash.Hash, error) {
	tip, err := db.Tip()
	if err != nil {
		return tip, chainhash.Hash{}, err
	}
	id, sum, err := db.StateHash(tip.Height)
	if err != nil {
		return tip, sum, fmt.Errorf("state hash: %w", err)
	}
	return id, sum, nil
}
