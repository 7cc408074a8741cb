package nodeapi

import (
	"context"
	"errors"

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
