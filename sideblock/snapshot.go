package sideblock

import (
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/store"
)

// Reads of the chain state on a store snapshot, for callers that need
// several reads to agree with each other (the API's subscriptions walk the
// best chain from a cursor in one View). Like ChainTipAt, they take any
// Reader, a batch Writer included.

// BestHashAt returns the hash of the best chain's block at a sidechain
// height as r shows it; ok is false when the best chain has no block there.
func BestHashAt(r store.Reader, height int32) (hash chainhash.Hash, ok bool, err error) {
	if height < 0 {
		return hash, false, nil
	}
	v, err := r.Get(bestKey(height))
	if errors.Is(err, store.ErrNotFound) {
		return hash, false, nil
	}
	if err != nil {
		return hash, false, err
	}
	if len(v) != chainhash.HashSize {
		return hash, false, fmt.Errorf("sideblock: corrupt best-chain entry "+
			"at height %d", height)
	}
	copy(hash[:], v)
	return hash, true, nil
}

// BlockInfoAt returns the index entry of a published header as r shows it;
// ok is false when the header is not published.
func BlockInfoAt(r store.Reader, hash chainhash.Hash) (*BlockInfo, bool, error) {
	rec, ok, err := getRecord(r, hash)
	if err != nil || !ok {
		return nil, false, err
	}
	info := rec.BlockInfo
	return &info, true, nil
}
