package mainstake

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/mainstake/sidenode/store"
)

// The slot indexes list, in height order, the mainchain blocks that hold a
// publication that counted, and the missed slots: the heights h whose draw
// had a winner while block h+1 holds no publication that counted. They let
// the API count and page through both without a scan over every height.
//
// Both are append-only sequences numbered from 0, written in the block
// batch that decides their entries, so the store's undo log takes an entry
// back with its block:
//
//	0x30 'q' ‖ n (8) → height (4) of the n-th block with a publication
//	0x30 'm' ‖ n (8) → height (4) of the n-th missed slot (the draw's block)
//	0x30 'c'         → number of publications (8) ‖ of missed slots (8)
//
// A block h+1 decides both: its publication, and whether the slot of the
// draw after block h was missed; so a missed slot at h exists only once
// h+1 is connected. The counter key is written by the genesis block's
// batch. A data dir synced before the indexes existed has no counter key:
// the batches then leave the indexes alone, and SlotCounts reports them
// missing (ErrNoSlotIndex) rather than wrong; such a data dir needs a
// resync to have them.
var (
	keyPubSeqPrefix  = []byte{0x30, 'q'}
	keyMissSeqPrefix = []byte{0x30, 'm'}
	keySlotCounts    = []byte{0x30, 'c'}
)

// ErrNoSlotIndex is returned by SlotCounts, Publications and MissedSlots on
// a data dir synced before the slot indexes existed.
var ErrNoSlotIndex = errors.New("mainstake: the data dir has no publication " +
	"and missed-slot indexes (it was synced by an older node): resync it")

func seqKey(prefix []byte, n uint64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte(nil), prefix...), n)
}

// readSlotCounts returns the counters; ok is false when the key is absent.
func readSlotCounts(r store.Reader) (pubs, misses uint64, ok bool, err error) {
	v, err := r.Get(keySlotCounts)
	if errors.Is(err, store.ErrNotFound) {
		return 0, 0, false, nil
	}
	if err != nil {
		return 0, 0, false, err
	}
	if len(v) != 16 {
		return 0, 0, false, fmt.Errorf("mainstake: corrupt slot counters")
	}
	return binary.BigEndian.Uint64(v), binary.BigEndian.Uint64(v[8:]), true, nil
}

// indexSlots updates the slot indexes in the batch of block height, which
// holds pub (nil: no publication that counted); drawn tells whether the
// draw after block height-1 had a winner.
func indexSlots(w *store.Writer, height int32, drawn bool, pub *Publication) error {
	pubs, misses, ok, err := readSlotCounts(w)
	if err != nil {
		return err
	}
	if !ok && height != 0 {
		return nil // a data dir from before the indexes
	}
	changed := !ok
	if pub != nil {
		v := binary.BigEndian.AppendUint32(nil, uint32(height))
		if err := w.Set(seqKey(keyPubSeqPrefix, pubs), v); err != nil {
			return err
		}
		pubs++
		changed = true
	}
	if drawn && pub == nil {
		v := binary.BigEndian.AppendUint32(nil, uint32(height-1))
		if err := w.Set(seqKey(keyMissSeqPrefix, misses), v); err != nil {
			return err
		}
		misses++
		changed = true
	}
	if !changed {
		return nil
	}
	v := binary.BigEndian.AppendUint64(nil, pubs)
	return w.Set(keySlotCounts, binary.BigEndian.AppendUint64(v, misses))
}

// SlotCounts returns the number of mainchain blocks with a publication that
// counted, and of missed slots, up to r's tip, in O(1); ErrNoSlotIndex on
// a data dir from before the indexes.
func SlotCounts(r store.Reader) (publications, missed uint64, err error) {
	pubs, misses, ok, err := readSlotCounts(r)
	if err != nil {
		return 0, 0, err
	}
	if !ok {
		tip, err := r.Tip()
		if err != nil {
			return 0, 0, err
		}
		if tip.Height >= 0 {
			return 0, 0, ErrNoSlotIndex
		}
	}
	return pubs, misses, nil
}

// seqPage returns the heights at the positions of a page of a sequence of n
// entries: offset entries skipped from the start (from the end when
// reversed), at most limit of them, in the order asked for.
func seqPage(r store.Reader, prefix []byte, n, offset uint64, limit uint32,
	reversed bool) ([]int32, error) {

	if offset >= n {
		return nil, nil
	}
	count := min(n-offset, uint64(limit))
	out := make([]int32, 0, count)
	for i := uint64(0); i < count; i++ {
		pos := offset + i
		if reversed {
			pos = n - 1 - pos
		}
		v, err := r.Get(seqKey(prefix, pos))
		if err != nil {
			return nil, fmt.Errorf("mainstake: slot index entry %d: %w", pos, err)
		}
		if len(v) != 4 {
			return nil, fmt.Errorf("mainstake: corrupt slot index entry %d", pos)
		}
		out = append(out, int32(binary.BigEndian.Uint32(v)))
	}
	return out, nil
}

// Publications returns one page of the publications that counted, in
// height order (reversed: the highest first), and their number. A page
// costs two point reads per entry, whatever its offset.
func Publications(r store.Reader, offset uint64, limit uint32, reversed bool) ([]*Publication, uint64, error) {
	total, _, err := SlotCounts(r)
	if err != nil {
		return nil, 0, err
	}
	heights, err := seqPage(r, keyPubSeqPrefix, total, offset, limit, reversed)
	if err != nil {
		return nil, 0, err
	}
	out := make([]*Publication, 0, len(heights))
	for _, h := range heights {
		p, ok, err := PublicationAt(r, h)
		if err == nil && !ok {
			err = fmt.Errorf("mainstake: the publication index names block %d, "+
				"which holds no publication", h)
		}
		if err != nil {
			return nil, 0, err
		}
		out = append(out, p)
	}
	return out, total, nil
}

// MissedSlots returns one page of the missed slots, as the winners of their
// draws, in height order (reversed: the highest first), and their number.
// A page costs two point reads per entry, whatever its offset.
func MissedSlots(r store.Reader, offset uint64, limit uint32, reversed bool) ([]*Winner, uint64, error) {
	_, total, err := SlotCounts(r)
	if err != nil {
		return nil, 0, err
	}
	heights, err := seqPage(r, keyMissSeqPrefix, total, offset, limit, reversed)
	if err != nil {
		return nil, 0, err
	}
	out := make([]*Winner, 0, len(heights))
	for _, h := range heights {
		wn, ok, err := readWinner(r, h)
		if err == nil && !ok {
			err = fmt.Errorf("mainstake: the missed-slot index names block %d, "+
				"which has no winner", h)
		}
		if err != nil {
			return nil, 0, err
		}
		out = append(out, wn)
	}
	return out, total, nil
}
