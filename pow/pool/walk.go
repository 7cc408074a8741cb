package pool

import (
	"github.com/mainstake/sidenode/store"
)

// firstShare returns the first share the store keeps: every share below
// it was pruned.
func firstShare(r store.Reader) (uint64, error) {
	v, err := r.Get(keyFirstShare)
	switch {
	case err == nil && len(v) == 8:
		return max(beUint64(v), 1), nil
	case err == nil:
		return 0, poolError(ErrCorrupt, "pool first-share record of %d "+
			"bytes", len(v))
	case store.IsErrorCode(err, store.ErrNotFound):
		return 1, nil
	}
	return 0, err
}

// walkBack calls fn with the shares from seq down to the first share
// kept (1 if none was pruned), newest first, until fn returns false or an
// error. The store iterates forward only, so it reads one bucket of 256
// shares at a time.
func walkBack(r store.Reader, seq uint64, fn func(*shareRec) (bool, error)) error {
	floor, err := firstShare(r)
	if err != nil {
		return err
	}
	if seq < floor {
		return nil
	}
	for bucket := seq >> 8; ; bucket-- {
		var recs []*shareRec
		err := r.Iterate(shareBucket(bucket<<8), func(k, v []byte) error {
			s := beUint64(k[len(keySharePrefix):])
			if s > seq {
				return store.ErrStopIteration
			}
			rec, err := decodeShare(s, v)
			if err != nil {
				return err
			}
			recs = append(recs, rec)
			return nil
		})
		if err != nil {
			return err
		}
		for i := len(recs) - 1; i >= 0; i-- {
			more, err := fn(recs[i])
			if err != nil || !more {
				return err
			}
		}
		if bucket <= floor>>8 {
			return nil
		}
	}
}

// walkForward calls fn with the shares from seq from (or the first share
// kept, if later) to to, oldest first, until fn returns false or an
// error.
func walkForward(r store.Reader, from, to uint64, fn func(*shareRec) (bool, error)) error {
	floor, err := firstShare(r)
	if err != nil {
		return err
	}
	from = max(from, floor)
	for bucket := from >> 8; bucket <= to>>8; bucket++ {
		stop := false
		err := r.Iterate(shareBucket(bucket<<8), func(k, v []byte) error {
			s := beUint64(k[len(keySharePrefix):])
			if s < from {
				return nil
			}
			if s > to {
				stop = true
				return store.ErrStopIteration
			}
			rec, err := decodeShare(s, v)
			if err != nil {
				return err
			}
			more, err := fn(rec)
			if err != nil {
				return err
			}
			if !more {
				stop = true
				return store.ErrStopIteration
			}
			return nil
		})
		if err != nil || stop {
			return err
		}
	}
	return nil
}
