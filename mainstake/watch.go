package mainstake

import (
	"bytes"
	"encoding/binary"
	"errors"

	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/lottery"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/store"
)

// WatchSet returns the ticket index's part of the protocol's watch set in
// the state r reads (docs/protocol.md §1.3): the registry script, and the
// current publisher outpoint of every live ticket.
func (x *Index) WatchSet(r store.Reader) mainwatch.WatchSet {
	return watchSet{registry: x.script, r: r}
}

type watchSet struct {
	registry []byte
	r        store.Reader
}

func (s watchSet) WatchesScript(pkScript []byte) (bool, error) {
	return bytes.Equal(pkScript, s.registry), nil
}

func (s watchSet) WatchesOutPoint(op wire.OutPoint) (bool, error) {
	_, err := s.r.Get(outpointKey(op))
	if errors.Is(err, store.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// Rewatch puts the live publisher chains among keys, the keys an undo
// gave back their values, on the watch list again, reading their tickets
// in r, the state after the undo. The list must cover every state the
// node can return to, also after a restart rebuilt it from the tip's.
func (x *Index) Rewatch(r store.Reader, keys [][]byte) error {
	return store.EachPresent(r, keys, keyPublisherPrefix, func(_, v []byte) error {
		if len(v) != 8 {
			return errors.New("mainstake: bad publisher outpoint record")
		}
		t, err := loadTicket(r, lottery.TicketID(binary.BigEndian.Uint64(v)))
		if err != nil {
			return err
		}
		x.watchChain(t)
		return nil
	})
}
