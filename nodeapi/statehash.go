package nodeapi

import (
	"context"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/store"
)

// StateHash implements api.NodeBackend: the store's state hash after the
// mainchain block at height, while the store still holds it.
func (b *Adapter) StateHash(_ context.Context, height int32) (chainhash.Hash, chainhash.Hash, error) {
	id, sum, err := b.db.StateHash(height)
	if store.IsErrorCode(err, store.ErrNotFound) {
		var serr *store.Error
		if errors.As(err, &serr) {
			return id.Hash, sum, api.Errorf(api.ErrNotFound, "%s", serr.Description)
		}
	}
	return id.Hash, sum, err
}

// tipStateHash returns the store's mainchain tip and the state hash after
// it (node.StateHash, which the adapter cannot import).
func tipStateHash(db *store.DB) (store.BlockID, chainhash.Hash, error) {
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
