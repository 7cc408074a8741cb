package store

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

// Keyspace layout. Every key the store itself writes starts with one of the
// single-byte prefixes below. All prefix bytes below FirstAppKeyByte are
// reserved for the store; callers' keys must start with FirstAppKeyByte or
// higher, and the Writer, PlainWriter and Reader refuse anything else with
// ErrReservedKey.
//
//	0x00 'v'                   -> uint32 BE storage format version
//	0x00 'n'                   -> network name (UTF-8)
//	0x00 'g'                   -> genesis hash (32 bytes)
//	0x01                       -> cursor: int32 BE height || hash (36 bytes)
//	0x02 || uint32 BE height   -> hash of the connected block at height
//	0x00 's'                   -> state hash scheme: version || local prefixes
//	0x03 || uint32 BE height || hash -> undo record of that block
//	0x04 || uint32 BE height   -> state record: state hash (32) || set value (384)
//	0x05 .. 0x0f               -> reserved
//	0x10 .. 0xff               -> application state (callers' keys)
const (
	prefixMeta   byte = 0x00
	prefixCursor byte = 0x01
	prefixHeight byte = 0x02
	prefixUndo   byte = 0x03
	prefixState  byte = 0x04

	// FirstAppKeyByte is the smallest allowed first byte of a caller's
	// key. Bytes 0x00 through 0x0f are the store's internal keyspaces.
	FirstAppKeyByte byte = 0x10

	// MaxKeySize is the largest key, in bytes, that the store accepts
	// (badger's own limit).
	MaxKeySize = 65000
)

var (
	metaVersionKey = []byte{prefixMeta, 'v'}
	metaNetworkKey = []byte{prefixMeta, 'n'}
	metaGenesisKey = []byte{prefixMeta, 'g'}
	metaStateKey   = []byte{prefixMeta, 's'}
	// metaEngineKey and metaDigestKey record Options.Engine and
	// Options.EngineDigest. A store created before they existed has
	// neither and was created under mainstake.
	metaEngineKey = []byte{prefixMeta, 'e'}
	metaDigestKey = []byte{prefixMeta, 'd'}
	cursorKey     = []byte{prefixCursor}

	// badgerInternalPrefix is the prefix badger reserves for its own keys;
	// it falls into the application range, so it is refused explicitly.
	badgerInternalPrefix = []byte("!badger!")
)

const (
	heightKeyLen = 1 + 4
	undoKeyLen   = 1 + 4 + chainhash.HashSize
	stateKeyLen  = 1 + 4
	cursorLen    = 4 + chainhash.HashSize
)

// heightKey returns the height index key for height (height >= 0).
func heightKey(height int32) []byte {
	k := make([]byte, heightKeyLen)
	k[0] = prefixHeight
	binary.BigEndian.PutUint32(k[1:], uint32(height))
	return k
}

// stateKey returns the key of the state record at height (height >= 0).
func stateKey(height int32) []byte {
	k := make([]byte, stateKeyLen)
	k[0] = prefixState
	binary.BigEndian.PutUint32(k[1:], uint32(height))
	return k
}

// parseStateKey is the inverse of stateKey.
func parseStateKey(k []byte) (int32, bool) {
	if len(k) != stateKeyLen || k[0] != prefixState {
		return 0, false
	}
	return int32(binary.BigEndian.Uint32(k[1:])), true
}

// undoKey returns the key of the undo record of block id. Undo keys sort by
// height, which lets Open prune a shrunken undo window with one range scan.
func undoKey(id BlockID) []byte {
	k := make([]byte, undoKeyLen)
	k[0] = prefixUndo
	binary.BigEndian.PutUint32(k[1:5], uint32(id.Height))
	copy(k[5:], id.Hash[:])
	return k
}

// parseUndoKey is the inverse of undoKey.
func parseUndoKey(k []byte) (BlockID, bool) {
	if len(k) != undoKeyLen || k[0] != prefixUndo {
		return BlockID{}, false
	}
	var id BlockID
	id.Height = int32(binary.BigEndian.Uint32(k[1:5]))
	copy(id.Hash[:], k[5:])
	return id, true
}

// encodeCursor serializes the mainchain cursor. Height -1 (nothing
// connected) is stored as 0xffffffff.
func encodeCursor(id BlockID) []byte {
	v := make([]byte, cursorLen)
	binary.BigEndian.PutUint32(v[:4], uint32(id.Height))
	copy(v[4:], id.Hash[:])
	return v
}

// decodeCursor is the inverse of encodeCursor.
func decodeCursor(v []byte) (BlockID, error) {
	if len(v) != cursorLen {
		return BlockID{}, fmt.Errorf("cursor has %d bytes, want %d",
			len(v), cursorLen)
	}
	var id BlockID
	id.Height = int32(binary.BigEndian.Uint32(v[:4]))
	copy(id.Hash[:], v[4:])
	if id.Height < -1 || (id.Height == -1 && id.Hash != (chainhash.Hash{})) {
		return BlockID{}, fmt.Errorf("invalid cursor %v", id)
	}
	return id, nil
}

// checkAppKey returns an *Error if key may not be used by callers: empty,
// in the store's internal keyspace, in badger's reserved keyspace, or too
// large.
func checkAppKey(key []byte) error {
	switch {
	case len(key) == 0:
		return storeError(ErrReservedKey, "empty key")
	case key[0] < FirstAppKeyByte:
		return storeError(ErrReservedKey, fmt.Sprintf("key %x is in the "+
			"store's internal keyspace (first byte must be >= %#02x)",
			truncKey(key), FirstAppKeyByte))
	case bytes.HasPrefix(key, badgerInternalPrefix):
		return storeError(ErrReservedKey, fmt.Sprintf("key %q uses "+
			"badger's reserved prefix %q", truncKey(key),
			badgerInternalPrefix))
	case len(key) > MaxKeySize:
		return storeError(ErrTooBig, fmt.Sprintf("key of %d bytes "+
			"exceeds the %d byte limit", len(key), MaxKeySize))
	}
	return nil
}

// checkAppPrefix validates an iteration prefix. The empty prefix means the
// whole application keyspace.
func checkAppPrefix(prefix []byte) error {
	if len(prefix) > 0 && prefix[0] < FirstAppKeyByte {
		return storeError(ErrReservedKey, fmt.Sprintf("prefix %x is in "+
			"the store's internal keyspace (first byte must be "+
			">= %#02x)", truncKey(prefix), FirstAppKeyByte))
	}
	return nil
}

// truncKey shortens a key for use in error messages.
func truncKey(k []byte) []byte {
	if len(k) > 64 {
		return k[:64]
	}
	return k
}
