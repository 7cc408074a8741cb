package pool

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/store"
)

// KeyByte is the first byte of every key the pool writes. The pool's
// records are local (each pool has its own shares and books); they live in
// the pool's own store (StoreOptions).
//
//	0x60 's' ‖ seq (8, BE)     -> share record
//	0x60 'n'                   -> last share sequence number (8, BE)
//	0x60 'w' ‖ worker name     -> worker statistics
//	0x60 'c' ‖ payout script   -> PPS carry and credits accrued
//	0x60 'b' ‖ share seq (8)   -> block found by that share
//	0x60 'f'                   -> PPS funding state
//	0x60 'p' ‖ payout id (8)   -> payout record
//	0x60 'm'                   -> payout state (next id, last payout time)
//	0x60 'l'                   -> first share kept (8, BE): every share
//	                              below it was pruned (absent: 1)
const KeyByte byte = 0x60

var (
	keySharePrefix  = []byte{KeyByte, 's'}
	keyLastSeq      = []byte{KeyByte, 'n'}
	keyWorkerPrefix = []byte{KeyByte, 'w'}
	keyCarryPrefix  = []byte{KeyByte, 'c'}
	keyBlockPrefix  = []byte{KeyByte, 'b'}
	keyFunding      = []byte{KeyByte, 'f'}
	keyPayoutPrefix = []byte{KeyByte, 'p'}
	keyPayoutMeta   = []byte{KeyByte, 'm'}
	keyFirstShare   = []byte{KeyByte, 'l'}
)

// LocalPrefixes are the key prefixes of the pool's records, all local
// state: StoreOptions makes them the pool's store's local prefixes.
func LocalPrefixes() [][]byte {
	return [][]byte{{KeyByte}}
}

// StoreOptions returns the options of the pool's own store (a badger
// directory of its own, apart from the node's state): the pool's keys as
// local prefixes, and store.Options.NoSync with the default sync interval
// (set SyncInterval to change it). A share's commit then waits for no
// disk flush: it survives a crash or kill -9 of the process as soon as
// AddShare returned, and an OS crash or power loss once the store synced
// (every SyncInterval); a payout's record and a found block's share are
// synced before the pool goes on (see Pool.Payout and AddShare).
func StoreOptions(network string, genesis chainhash.Hash) store.Options {
	return store.Options{
		Network:       network,
		Genesis:       genesis,
		LocalPrefixes: LocalPrefixes(),
		NoSync:        true,
	}
}

func seqKey(prefix []byte, seq uint64) []byte {
	k := make([]byte, len(prefix)+8)
	copy(k, prefix)
	binary.BigEndian.PutUint64(k[len(prefix):], seq)
	return k
}

// shareBucket returns the prefix of the 256 share keys whose sequence
// numbers share seq>>8: the unit in which shares are read backward (the
// store iterates forward only).
func shareBucket(seq uint64) []byte {
	k := seqKey(keySharePrefix, seq)
	return k[:len(k)-1]
}

func nameKey(prefix []byte, name []byte) []byte {
	k := make([]byte, 0, len(prefix)+len(name))
	return append(append(k, prefix...), name...)
}

// errShort is the decoder's error for a record that ends early.
var errShort = errors.New("record too short")

// enc appends a record's fields.
type enc struct{ b []byte }

func (e *enc) u(v uint64)  { e.b = binary.AppendUvarint(e.b, v) }
func (e *enc) i(v int64)   { e.b = binary.AppendVarint(e.b, v) }
func (e *enc) by(v []byte) { e.u(uint64(len(v))); e.b = append(e.b, v...) }
func (e *enc) big(v *big.Int) {
	if v == nil {
		e.by(nil)
		return
	}
	e.by(v.Bytes())
}
func (e *enc) hash(h *chainhash.Hash) {
	if h == nil {
		e.b = append(e.b, 0)
		return
	}
	e.b = append(e.b, 1)
	e.b = append(e.b, h[:]...)
}

// dec reads a record's fields; the first error sticks.
type dec struct {
	b   []byte
	err error
}

func (d *dec) u() uint64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.err = errShort
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) i() int64 {
	if d.err != nil {
		return 0
	}
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.err = errShort
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *dec) by() []byte {
	n := d.u()
	if d.err != nil {
		return nil
	}
	if n > uint64(len(d.b)) {
		d.err = errShort
		return nil
	}
	v := append([]byte(nil), d.b[:n]...)
	d.b = d.b[n:]
	return v
}

func (d *dec) big() *big.Int { return new(big.Int).SetBytes(d.by()) }

func (d *dec) hash() *chainhash.Hash {
	if d.err != nil {
		return nil
	}
	if len(d.b) < 1 {
		d.err = errShort
		return nil
	}
	has := d.b[0]
	d.b = d.b[1:]
	if has == 0 {
		return nil
	}
	if len(d.b) < chainhash.HashSize {
		d.err = errShort
		return nil
	}
	var h chainhash.Hash
	copy(h[:], d.b)
	d.b = d.b[chainhash.HashSize:]
	return &h
}

// done returns the decoding error, or one for trailing bytes, as
// ErrCorrupt naming what was decoded.
func (d *dec) done(what string) error {
	if d.err == nil && len(d.b) != 0 {
		d.err = fmt.Errorf("%d trailing bytes", len(d.b))
	}
	if d.err != nil {
		return wrapError(ErrCorrupt, d.err, "pool %s record", what)
	}
	return nil
}
