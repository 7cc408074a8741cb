package pegbox

import (
	"encoding/binary"
	"fmt"

	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/store"
)

// WatchSet returns the pegbox index's part of the protocol's watch set
// for a block, in the state r reads, the state after the block's parent (docs/protocol.md §1.3): the pegbox script of every
// federation the chain has elected, and every pegbox coin. Only the
// current and grace-period pegboxes accept deposits; a deposit to an older
// one is delivered so that every node refuses it alike (ErrNotPegbox).
func (x *Index) WatchSet(r store.Reader) mainwatch.WatchSet {
	return &watchSet{x: x, r: r}
}

type watchSet struct {
	x     *Index
	r     store.Reader
	boxes ScriptSet // every federation's pegbox script, once read
	read  bool
}

func (s *watchSet) WatchesScript(pkScript []byte) (bool, error) {
	if !s.read {
		boxes, err := s.x.federationScripts(s.r)
		if err != nil {
			return false, err
		}
		s.boxes, s.read = boxes, true
	}
	return s.boxes.IsPegbox(pkScript), nil
}

func (s *watchSet) WatchesOutPoint(op wire.OutPoint) (bool, error) {
	_, ok, err := CoinAt(s.r, op)
	return ok, err
}

// federationScripts returns the pegbox script of every federation in the
// state r reads.
func (x *Index) federationScripts(r store.Reader) (ScriptSet, error) {
	var set ScriptSet
	err := r.Iterate(keyFederationPrefix, func(k, v []byte) error {
		if len(k) != len(keyFederationPrefix)+4 {
			return fmt.Errorf("pegbox: bad federation key %x", k)
		}
		fed, err := decodeFederation(binary.BigEndian.Uint32(k[len(keyFederationPrefix):]), v)
		if err != nil {
			return err
		}
		script, err := fed.PkScript(x.params.Main)
		if err != nil {
			return err
		}
		if !set.IsPegbox(script) {
			set = append(set, script)
		}
		return nil
	})
	return set, err
}

// watchFederations puts the pegbox script of every federation in the
// state r reads on the watch list.
func (x *Index) watchFederations(r store.Reader) error {
	boxes, err := x.federationScripts(r)
	if err != nil {
		return err
	}
	x.watchScripts(boxes)
	return nil
}

// watchScripts puts boxes on the watch list.
func (x *Index) watchScripts(boxes ScriptSet) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, s := range boxes {
		if !x.watched[string(s)] {
			x.watch.AddScript(s)
			x.watched[string(s)] = true
		}
	}
}

// Rewatch puts the pegbox coins among keys, the keys an undo gave back
// their values, on the watch list again, reading r, the state after the
// undo. An undo gives back no federation: the list has them all.
func (x *Index) Rewatch(r store.Reader, keys [][]byte) error {
	return store.EachPresent(r, keys, keyCoinPrefix, func(k, v []byte) error {
		c, err := decodeCoin(k, v)
		if err != nil {
			return err
		}
		x.watch.AddOutPoint(c.OutPoint, c.PkScript)
		return nil
	})
}
