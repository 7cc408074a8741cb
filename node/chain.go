package node

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/nodeapi"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
)

// Keys of the mainchain-derived state the node itself keeps. Every other
// subsystem's derived state is written in the same ConnectBlock batch, under
// its own prefix, so that one undo record rolls all of it back.
var (
	// keyBlockPrefix + height (4 bytes, big-endian) → blockRecord.
	keyBlockPrefix = []byte{0x10, 'b'}

	// keyDigest → SHA256d over the previous digest, the block hash and
	// the ids of the block's matched transactions: a running commitment
	// to everything the node has taken from the mainchain.
	keyDigest = []byte{0x10, 'd'}
)

func blockKey(height int32) []byte {
	k := make([]byte, len(keyBlockPrefix)+4)
	copy(k, keyBlockPrefix)
	binary.BigEndian.PutUint32(k[len(keyBlockPrefix):], uint32(height))
	return k
}

// blockRecord encodes a connected block: its hash, then for each matched
// transaction its index in the block (4 bytes) and its id.
func blockRecord(b *mainwatch.Block) []byte {
	rec := make([]byte, 0, 32+len(b.Txs)*36)
	rec = append(rec, b.Hash[:]...)
	for _, tx := range b.Txs {
		rec = binary.BigEndian.AppendUint32(rec, uint32(tx.Index))
		txid := tx.MsgTx.TxHash()
		rec = append(rec, txid[:]...)
	}
	return rec
}

// blockConnector is a subsystem that derives state from mainchain blocks.
// ConnectBlock runs inside the block's store batch; the store's undo log
// rolls its writes back, and DisconnectBlock lets it drop what it keeps in
// memory for the undone block at height (also after a batch that failed).
type blockConnector interface {
	ConnectBlock(w *store.Writer, b *mainwatch.Block) error
	DisconnectBlock(height int32) error
}

// undoWatcher is a blockConnector that wants to see the state just before
// the store undoes the block at tip, to compare it with the state after.
type undoWatcher interface {
	BeforeUndo(tip mainwatch.Cursor)
}

// committer is a blockConnector that wants to know when the batch of a block
// it connected is on disk, to act on it outside the batch.
type committer interface {
	Committed(b *mainwatch.Block)
}

// previewer is a blockConnector that acts on previews of blocks
// (mainwatch.Previewer). PreviewBlock runs in a batch that is never
// committed; ForgetPreview then drops what it left in memory.
type previewer interface {
	PreviewBlock(w *store.Writer, b *mainwatch.Block) error
	ForgetPreview(height int32) error
}

// errPreview ends the batch of a preview, so that nothing of it is written.
var errPreview = errors.New("preview: not to be written")

// storeChain is the mainwatch.Chain of a running node: the store's cursor
// and undo log, and the subsystems that derive state from each block.
type storeChain struct {
	db         *store.DB
	connectors []blockConnector

	// events tells the API's subscriptions about changes.
	events *nodeapi.Events
}

var (
	_ mainwatch.Chain     = (*storeChain)(nil)
	_ mainwatch.Previewer = (*storeChain)(nil)
)

// Tip implements mainwatch.Chain.
func (c *storeChain) Tip() (mainwatch.Cursor, error) {
	id, err := c.db.Tip()
	if err != nil {
		return mainwatch.Cursor{}, err
	}
	return mainwatch.Cursor{Height: id.Height, Hash: id.Hash}, nil
}

// HashAt implements mainwatch.Chain.
func (c *storeChain) HashAt(height int32) (chainhash.Hash, error) {
	return c.db.HashAt(height)
}

// ConnectBlock implements mainwatch.Chain: the block's record, the running
// digest, every subsystem's state and the cursor move in one atomic batch.
func (c *storeChain) ConnectBlock(_ context.Context, b *mainwatch.Block) error {
	id := store.BlockID{Height: b.Height, Hash: b.Hash}
	err := c.db.ConnectBlock(id, b.Header.PrevBlock, func(w *store.Writer) error {
		prev, err := w.Get(keyDigest)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		rec := blockRecord(b)
		digest := chainhash.DoubleHashH(append(append([]byte(nil), prev...), rec...))
		if err := w.Set(blockKey(b.Height), rec); err != nil {
			return err
		}
		if err := w.Set(keyDigest, digest[:]); err != nil {
			return err
		}
		for _, sub := range c.connectors {
			if err := sub.ConnectBlock(w, b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		// Nothing was written: let the subsystems forget the block.
		for _, sub := range c.connectors {
			if derr := sub.DisconnectBlock(b.Height); derr != nil {
				return fmt.Errorf("%w; and after it: %v", err, derr)
			}
		}
		return err
	}
	for _, sub := range c.connectors {
		if cm, ok := sub.(committer); ok {
			cm.Committed(b)
		}
	}
	c.events.Notify()
	return nil
}

// PreviewBlock implements mainwatch.Previewer: the subsystems that act on
// previews run the block's batch on the preview, the batch is thrown away,
// and they forget it. A batch that fails is only logged: the block itself
// follows. Failing to forget leaves memory unlike the store, which only a
// restart repairs, so that error stops the node.
func (c *storeChain) PreviewBlock(_ context.Context, b *mainwatch.Block) error {
	var pvs []previewer
	for _, sub := range c.connectors {
		if pv, ok := sub.(previewer); ok {
			pvs = append(pvs, pv)
		}
	}
	if len(pvs) == 0 {
		return nil
	}
	id := store.BlockID{Height: b.Height, Hash: b.Hash}
	err := c.db.ConnectBlock(id, b.Header.PrevBlock, func(w *store.Writer) error {
		for _, pv := range pvs {
			if err := pv.PreviewBlock(w, b); err != nil {
				return err
			}
		}
		return errPreview
	})
	if !errors.Is(err, errPreview) {
		log.Debugf("Preview of block %v: %v", id, err)
	}
	for _, pv := range pvs {
		if err := pv.ForgetPreview(b.Height); err != nil {
			return fmt.Errorf("after the preview of block %v: %w", id, err)
		}
	}
	return nil
}

// DisconnectBlock implements mainwatch.Chain through the store's undo log.
func (c *storeChain) DisconnectBlock(_ context.Context, tip mainwatch.Cursor) error {
	if err := c.events.BeforeUndo(c.db, tip); err != nil {
		return err
	}
	for _, sub := range c.connectors {
		if u, ok := sub.(undoWatcher); ok {
			u.BeforeUndo(tip)
		}
	}
	if _, err := c.db.DisconnectBlock(store.BlockID{Height: tip.Height, Hash: tip.Hash}); err != nil {
		return err
	}
	defer c.events.Notify()
	for i := len(c.connectors) - 1; i >= 0; i-- {
		if err := c.connectors[i].DisconnectBlock(tip.Height); err != nil {
			return err
		}
	}
	return nil
}

// StateHash returns the mainchain tip and a SHA256 over every key and value
// of the node's state, staged sidechain bodies (a cache) left out. Two nodes that applied the same mainchain have the
// same state hash, however often they crashed on the way.
func StateHash(db *store.DB) (store.BlockID, chainhash.Hash, error) {
	var (
		tip store.BlockID
		sum chainhash.Hash
	)
	err := db.View(func(r store.Reader) error {
		var err error
		if tip, err = r.Tip(); err != nil {
			return err
		}
		h := sha256.New()
		var n [4]byte
		write := func(b []byte) {
			binary.BigEndian.PutUint32(n[:], uint32(len(b)))
			h.Write(n[:])
			h.Write(b)
		}
		write(tip.Hash[:])
		err = r.Iterate(nil, func(k, v []byte) error {
			if len(k) > 0 && k[0] == sideblock.StagingKeyByte {
				return nil // a local cache, not state
			}
			write(k)
			write(v)
			return nil
		})
		copy(sum[:], h.Sum(nil))
		return err
	})
	if err != nil {
		return tip, sum, fmt.Errorf("state hash: %w", err)
	}
	return tip, sum, nil
}
