package pegbox

import (
	"bytes"

	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/store"
)

// WatchSet returns the pegbox index's part of the protocol's watch set
// for the block at height, in the state r reads, the state after the
// block's parent (docs/protocol.md §1.3): the pegbox scripts that accept
// deposits at height, and every pegbox coin.
func (x *Index) WatchSet(r store.Reader, height int32) (mainwatch.WatchSet, error) {
	boxes, err := x.pegboxesAt(r, height)
	if err != nil {
		return nil, err
	}
	return watchSet{boxes: boxes, r: r}, nil
}

type watchSet struct {
	boxes ScriptSet
	r     store.Reader
}

func (s watchSet) WatchesScript(pkScript []byte) (bool, error) {
	return s.boxes.IsPegbox(pkScript), nil
}

func (s watchSet) WatchesOutPoint(op wire.OutPoint) (bool, error) {
	_, ok, err := CoinAt(s.r, op)
	return ok, err
}

// Rewatch puts the pegbox coins among keys, the keys an undo gave back
// their values, and the pegbox scripts of the block after tip, on the
// watch list again, reading r, the state after the undo.
func (x *Index) Rewatch(r store.Reader, tip int32, keys [][]byte) error {
	for _, k := range keys {
		if !bytes.HasPrefix(k, keyCoinPrefix) {
			continue
		}
		v, err := r.Get(k)
		if store.IsErrorCode(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return err
		}
		c, err := decodeCoin(k, v)
		if err != nil {
			return err
		}
		x.watch.AddOutPoint(c.OutPoint, c.PkScript)
	}
	return x.watchPegboxes(r, tip+1)
}
