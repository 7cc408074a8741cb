package node

import (
	"sync"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/mainstake"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
)

// maxUndoneLinks bounds each log of undone blocks: more than the store's
// undo window (2016 blocks), the deepest reorg the node can follow.
const maxUndoneLinks = 4096

// chainEvents is what the API's subscriptions need beside the store: a
// signal that the chains changed, and the parents of blocks that left them.
// The streams read everything else from the store, each from its own
// position, so nothing here grows with the number of subscribers or with
// how far behind they are. Its zero value is ready.
type chainEvents struct {
	mu      sync.Mutex
	changed chan struct{} // closed and replaced at every change

	// main holds the mainchain blocks the node undid, side the sideblocks
	// whose publication it undid (which takes their index entry with
	// it): by hash, each block's height and parent. A stream whose
	// position is such a block walks back to the fork point through them.
	main, side linkLog
}

// changedChan returns the channel that the next change closes.
func (e *chainEvents) changedChan() <-chan struct{} {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.changed == nil {
		e.changed = make(chan struct{})
	}
	return e.changed
}

// notify wakes every subscription: a block was connected or undone.
func (e *chainEvents) notify() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.changed != nil {
		close(e.changed)
	}
	e.changed = make(chan struct{})
}

// beforeUndo records, before the store undoes the mainchain block tip, the
// block and its parent, and the sideblock that the block published: the
// undo removes its index entry, and with it the link to its parent. Both
// are recorded first, so that a stream that reads the store once the block
// is undone finds them.
func (e *chainEvents) beforeUndo(db *store.DB, tip mainwatch.Cursor) error {
	return db.View(func(r store.Reader) error {
		var parent chainhash.Hash
		if tip.Height > 0 {
			var err error
			if parent, err = r.HashAt(tip.Height - 1); err != nil {
				return err
			}
		}
		e.main.add(tip.Hash, blockLink{height: tip.Height, prev: parent})
		pub, ok, err := mainstake.PublicationAt(r, tip.Height)
		if err != nil || !ok {
			return err
		}
		hdr := sideblock.Header{PrevBlock: pub.Header.PrevBlock, MerkleRoot: pub.Header.MerkleRoot}
		hash := hdr.BlockHash()
		info, ok, err := sideblock.BlockInfoAt(r, hash)
		if err != nil || !ok {
			return err
		}
		e.side.add(hash, blockLink{height: info.Height, prev: info.PrevBlock})
		return nil
	})
}

// blockLink is a block's height and parent.
type blockLink struct {
	height int32
	prev   chainhash.Hash
}

// linkLog is a bounded map of block links: past maxUndoneLinks entries,
// the oldest is dropped. Its zero value is ready.
type linkLog struct {
	mu    sync.Mutex
	links map[chainhash.Hash]blockLink
	order []chainhash.Hash // a ring of the keys, oldest at next
	next  int
}

func (l *linkLog) add(hash chainhash.Hash, link blockLink) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.links == nil {
		l.links = make(map[chainhash.Hash]blockLink)
	}
	if _, ok := l.links[hash]; ok {
		l.links[hash] = link
		return
	}
	if len(l.order) < maxUndoneLinks {
		l.order = append(l.order, hash)
	} else {
		delete(l.links, l.order[l.next])
		l.order[l.next] = hash
		l.next = (l.next + 1) % maxUndoneLinks
	}
	l.links[hash] = link
}

func (l *linkLog) get(hash chainhash.Hash) (blockLink, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	link, ok := l.links[hash]
	return link, ok
}
