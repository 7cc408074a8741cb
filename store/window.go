package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// MaxUndoDepth is the largest Options.UndoDepth: about two years of
// mainchain blocks. Every block in the window keeps its undo record and its
// state hash record on disk.
const MaxUndoDepth int32 = 100_000

// UndoDepth returns the configured undo window in blocks
// (Options.UndoDepth, or DefaultUndoDepth).
func (db *DB) UndoDepth() int32 { return db.undoDepth }

// UndoFloor returns the lowest height whose block DisconnectBlock can
// still undo: the lowest undo record held. The records run without a gap
// from there to the tip, so a reorg can be followed exactly when its fork
// point is at UndoFloor()-1 or above. It is the tip's height + 1 when no
// block can be undone (nothing connected yet).
//
// The floor is normally tip-UndoDepth+1. It is higher for a while after
// UndoDepth was raised on an existing data dir: the records of the older
// blocks are gone, and the window grows back block by block.
func (db *DB) UndoFloor() (int32, error) {
	floor := int32(-1)
	err := db.View(func(r Reader) error {
		txn := r.(*reader).txn
		tip, err := readCursor(txn)
		if err != nil {
			return db.corrupt("cannot read cursor", err)
		}
		floor = tip.Height + 1
		it := txn.NewIterator(badger.IteratorOptions{
			Prefix: []byte{prefixUndo},
		})
		defer it.Close()
		it.Rewind()
		if !it.Valid() {
			return nil
		}
		id, ok := parseUndoKey(it.Item().Key())
		if !ok {
			return db.corrupt("malformed undo record key", nil)
		}
		floor = min(id.Height, floor)
		return nil
	})
	return floor, err
}

// MoveAside renames the data dir dir to a new name beside it, dir with a
// suffix of the time now (as "state.moved-20060102T150405Z"), and returns
// the new path: the way to start a store from scratch without deleting
// anything. It takes the dir's lock first, so it fails with ErrLocked while
// a process has the store open; it never overwrites an existing path. A
// missing dir is not an error: it returns "" and does nothing.
func MoveAside(dir string, now time.Time) (string, error) {
	if dir == "" {
		return "", storeError(ErrInvalidArgument, "data dir path is empty")
	}
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		return "", nil
	} else if err != nil {
		return "", wrapError(ErrDatabase, fmt.Sprintf("data dir %q", dir), err)
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return "", err
	}
	defer unlock()

	base := dir + ".moved-" + now.UTC().Format("20060102T150405Z")
	to := base
	for i := 1; ; i++ {
		_, err := os.Lstat(to)
		if errors.Is(err, fs.ErrNotExist) {
			break
		}
		if err != nil {
			return "", wrapError(ErrDatabase, fmt.Sprintf("checking %q", to), err)
		}
		if i > 1000 {
			return "", storeError(ErrDatabase, fmt.Sprintf("cannot move "+
				"data dir %q aside: %s and 1000 more names are taken",
				dir, base))
		}
		to = fmt.Sprintf("%s-%d", base, i)
	}
	if err := os.Rename(dir, to); err != nil {
		return "", wrapError(ErrDatabase, fmt.Sprintf("cannot move data "+
			"dir %q aside to %q", dir, to), err)
	}
	return to, nil
}
