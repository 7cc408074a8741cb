package store

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

// undoVersion is the first byte of every encoded undo record.
const undoVersion byte = 1

// Entry kinds in an encoded undo record.
const (
	undoAbsent  byte = 0 // the key did not exist before the block
	undoPresent byte = 1 // the key held the recorded value before the block
)

// undoEntry is the state of one key before a block touched it.
type undoEntry struct {
	key    []byte
	value  []byte // nil when !exists; may be empty when exists
	exists bool
}

// undoRecord lists, in the order they were first touched, the previous
// state of every application key a block changed. Restoring the entries
// in reverse order undoes the block exactly.
type undoRecord struct {
	block   BlockID
	entries []undoEntry
}

// encodeUndo serializes an undo record:
//
//	version   byte (= 1)
//	height    uvarint
//	hash      [32]byte
//	count     uvarint
//	count times:
//	  kind    byte (0 = absent, 1 = present)
//	  keylen  uvarint, key
//	  if present: vallen uvarint, value
func encodeUndo(u *undoRecord) []byte {
	size := 1 + binary.MaxVarintLen32 + chainhash.HashSize +
		binary.MaxVarintLen64
	for i := range u.entries {
		e := &u.entries[i]
		size += 1 + 2*binary.MaxVarintLen64 + len(e.key) + len(e.value)
	}
	b := make([]byte, 0, size)
	b = append(b, undoVersion)
	b = binary.AppendUvarint(b, uint64(uint32(u.block.Height)))
	b = append(b, u.block.Hash[:]...)
	b = binary.AppendUvarint(b, uint64(len(u.entries)))
	for i := range u.entries {
		e := &u.entries[i]
		if e.exists {
			b = append(b, undoPresent)
		} else {
			b = append(b, undoAbsent)
		}
		b = binary.AppendUvarint(b, uint64(len(e.key)))
		b = append(b, e.key...)
		if e.exists {
			b = binary.AppendUvarint(b, uint64(len(e.value)))
			b = append(b, e.value...)
		}
	}
	return b
}

// undoDecoder reads an encoded undo record with bounds checks on every
// step; it never panics.
type undoDecoder struct {
	b   []byte
	off int
}

func (d *undoDecoder) remaining() int { return len(d.b) - d.off }

func (d *undoDecoder) byte() (byte, error) {
	if d.remaining() < 1 {
		return 0, fmt.Errorf("truncated at offset %d", d.off)
	}
	c := d.b[d.off]
	d.off++
	return c, nil
}

func (d *undoDecoder) uvarint() (uint64, error) {
	v, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		return 0, fmt.Errorf("bad varint at offset %d", d.off)
	}
	d.off += n
	return v, nil
}

func (d *undoDecoder) bytes(n uint64) ([]byte, error) {
	if n > uint64(d.remaining()) {
		return nil, fmt.Errorf("length %d at offset %d exceeds the "+
			"%d remaining bytes", n, d.off, d.remaining())
	}
	s := d.b[d.off : d.off+int(n) : d.off+int(n)]
	d.off += int(n)
	return s, nil
}

// decodeUndo parses an encoded undo record. The returned record aliases b.
// Any malformed input yields an *Error with code ErrCorrupt; it never
// panics.
func decodeUndo(b []byte) (*undoRecord, error) {
	u, err := decodeUndoRaw(b)
	if err != nil {
		return nil, wrapError(ErrCorrupt, "cannot decode undo record", err)
	}
	return u, nil
}

func decodeUndoRaw(b []byte) (*undoRecord, error) {
	d := &undoDecoder{b: b}
	ver, err := d.byte()
	if err != nil {
		return nil, err
	}
	if ver != undoVersion {
		return nil, fmt.Errorf("unknown undo record version %d", ver)
	}
	height, err := d.uvarint()
	if err != nil {
		return nil, err
	}
	if height > math.MaxInt32 {
		return nil, fmt.Errorf("height %d out of range", height)
	}
	hash, err := d.bytes(chainhash.HashSize)
	if err != nil {
		return nil, err
	}
	u := &undoRecord{block: BlockID{Height: int32(height)}}
	copy(u.block.Hash[:], hash)

	count, err := d.uvarint()
	if err != nil {
		return nil, err
	}
	// Each entry takes at least 3 bytes (kind, key length, one key byte),
	// which bounds the allocation below by the input size.
	if count > uint64(d.remaining()/3) {
		return nil, fmt.Errorf("entry count %d too large for %d "+
			"remaining bytes", count, d.remaining())
	}
	u.entries = make([]undoEntry, 0, int(count))
	for i := uint64(0); i < count; i++ {
		kind, err := d.byte()
		if err != nil {
			return nil, err
		}
		if kind != undoAbsent && kind != undoPresent {
			return nil, fmt.Errorf("entry %d: unknown kind %d", i, kind)
		}
		klen, err := d.uvarint()
		if err != nil {
			return nil, err
		}
		key, err := d.bytes(klen)
		if err != nil {
			return nil, err
		}
		// An undo record may only ever restore application keys;
		// anything else would let a damaged record overwrite the
		// store's own keyspaces.
		if err := checkAppKey(key); err != nil {
			return nil, fmt.Errorf("entry %d: %v", i, err)
		}
		e := undoEntry{key: key, exists: kind == undoPresent}
		if e.exists {
			vlen, err := d.uvarint()
			if err != nil {
				return nil, err
			}
			if e.value, err = d.bytes(vlen); err != nil {
				return nil, err
			}
		}
		u.entries = append(u.entries, e)
	}
	if d.remaining() != 0 {
		return nil, fmt.Errorf("%d trailing bytes", d.remaining())
	}
	return u, nil
}
