package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

func sampleUndo() *undoRecord {
	return &undoRecord{
		block: BlockID{Height: 1234, Hash: chainhash.Hash{1, 2, 3}},
		entries: []undoEntry{
			{key: []byte{0x10, 'a'}, value: []byte("old"), exists: true},
			{key: []byte{0x20}, exists: false},
			{key: []byte{0xff, 0, 1}, value: []byte{}, exists: true},
		},
	}
}

func undoEqual(a, b *undoRecord) bool {
	if a.block != b.block || len(a.entries) != len(b.entries) {
		return false
	}
	for i := range a.entries {
		x, y := a.entries[i], b.entries[i]
		if x.exists != y.exists || !bytes.Equal(x.key, y.key) ||
			!bytes.Equal(x.value, y.value) {
			return false
		}
	}
	return true
}

func TestUndoRoundTrip(t *testing.T) {
	for _, u := range []*undoRecord{
		{block: BlockID{}},
		sampleUndo(),
	} {
		got, err := decodeUndo(encodeUndo(u))
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		if !undoEqual(u, got) {
			t.Fatalf("round trip: got %+v want %+v", got, u)
		}
	}
}

func TestDecodeUndoRejects(t *testing.T) {
	good := encodeUndo(sampleUndo())
	internalKey := encodeUndo(&undoRecord{entries: []undoEntry{
		{key: []byte{prefixCursor}, value: []byte("x"), exists: true},
	}})
	bigCount := append([]byte{undoVersion, 0}, make([]byte, 32)...)
	bigCount = binary.AppendUvarint(bigCount, 1<<40)
	tests := map[string][]byte{
		"empty":        nil,
		"bad version":  append([]byte{9}, good[1:]...),
		"truncated":    good[:len(good)-1],
		"trailing":     append(append([]byte{}, good...), 0),
		"internal key": internalKey,
		"huge count":   bigCount,
		"bad kind": func() []byte {
			b := encodeUndo(&undoRecord{entries: []undoEntry{
				{key: []byte{0x10}}}})
			b[len(b)-3] = 7
			return b
		}(),
	}
	for name, b := range tests {
		_, err := decodeUndo(b)
		var serr *Error
		if !errors.As(err, &serr) || serr.Code != ErrCorrupt {
			t.Errorf("%s: got %v, want ErrCorrupt", name, err)
		}
	}
}

// FuzzDecodeUndo checks that decodeUndo never panics and that whatever it
// accepts re-encodes to a record that decodes to the same thing.
func FuzzDecodeUndo(f *testing.F) {
	f.Add([]byte{})
	f.Add([]byte{undoVersion})
	f.Add(encodeUndo(&undoRecord{}))
	f.Add(encodeUndo(sampleUndo()))
	f.Add(encodeUndo(&undoRecord{
		block: BlockID{Height: 1<<31 - 1},
		entries: []undoEntry{
			{key: bytes.Repeat([]byte{0x10}, 300),
				value: bytes.Repeat([]byte{7}, 300), exists: true},
		},
	}))
	f.Fuzz(func(t *testing.T, b []byte) {
		u, err := decodeUndo(b)
		if err != nil {
			var serr *Error
			if !errors.As(err, &serr) || serr.Code != ErrCorrupt {
				t.Fatalf("error without ErrCorrupt: %v", err)
			}
			return
		}
		u2, err := decodeUndo(encodeUndo(u))
		if err != nil {
			t.Fatalf("re-decode: %v", err)
		}
		if !undoEqual(u, u2) {
			t.Fatalf("re-encode mismatch: %+v vs %+v", u, u2)
		}
		for _, e := range u.entries {
			if checkAppKey(e.key) != nil {
				t.Fatalf("accepted reserved key %x", e.key)
			}
		}
	})
}
