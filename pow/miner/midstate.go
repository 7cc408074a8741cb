package miner

import (
	"bytes"
	"crypto/sha256"
	"encoding"
	"encoding/binary"
	"fmt"
	"hash"
	"math/big"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// A block header is 80 bytes; SHA-256 compresses 64-byte blocks. The first
// 64 bytes (version, previous block, the first 28 bytes of the merkle
// root) do not change while the nonce and the time do, so their
// compression, the midstate, is done once per merkle root. Each try then
// compresses only the last 16 bytes with the padding (one block) and the
// 32-byte first hash (one block): two compressions instead of three.
const (
	midstateLen = 64
	tailLen     = wire.MaxBlockHeaderPayload - midstateLen
	tailTime    = 4  // offset of the timestamp in the tail
	tailNonce   = 12 // offset of the nonce in the tail
)

// midstate searches the nonces of one header. It holds the SHA-256 state
// after the first 64 bytes, saved with crypto/sha256's
// encoding.BinaryMarshaler and restored for every try.
type midstate struct {
	saved []byte    // marshaled state after the first 64 bytes
	d     hash.Hash // restored for every try
	tail  [tailLen]byte
	first [sha256.Size]byte
}

// newMidstate hashes the first 64 bytes of the header once.
func newMidstate(h *wire.BlockHeader) (*midstate, error) {
	var buf bytes.Buffer
	buf.Grow(wire.MaxBlockHeaderPayload)
	if err := h.Serialize(&buf); err != nil {
		return nil, err
	}
	raw := buf.Bytes()
	d := sha256.New()
	d.Write(raw[:midstateLen])
	saved, err := d.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("saving the SHA-256 midstate: %w", err)
	}
	m := &midstate{saved: saved, d: sha256.New()}
	copy(m.tail[:], raw[midstateLen:])
	return m, nil
}

// setTime sets the header's timestamp in the tail.
func (m *midstate) setTime(unix uint32) {
	binary.LittleEndian.PutUint32(m.tail[tailTime:], unix)
}

// hash returns SHA256d of the header with the nonce.
func (m *midstate) hash(nonce uint32) chainhash.Hash {
	binary.LittleEndian.PutUint32(m.tail[tailNonce:], nonce)
	// Restoring a state this package saved cannot fail.
	_ = m.d.(encoding.BinaryUnmarshaler).UnmarshalBinary(m.saved)
	m.d.Write(m.tail[:])
	m.d.Sum(m.first[:0])
	return chainhash.Hash(sha256.Sum256(m.first[:]))
}

// search tries the nonces from start to end inclusive and returns the
// first whose hash is at most target.
func (m *midstate) search(target *hashTarget, start, end uint32) (uint32, bool) {
	for n := start; ; n++ {
		h := m.hash(n)
		if target.met(&h) {
			return n, true
		}
		if n == end {
			return 0, false
		}
	}
}

// hashTarget is a target in the byte order of a hash: little-endian, as
// Bitcoin reads a hash as a number.
type hashTarget [chainhash.HashSize]byte

func newHashTarget(t *big.Int) *hashTarget {
	var ht hashTarget
	if t.Sign() < 0 || t.BitLen() > 256 {
		return &ht
	}
	be := t.FillBytes(make([]byte, chainhash.HashSize))
	for i := range be {
		ht[chainhash.HashSize-1-i] = be[i]
	}
	return &ht
}

// met reports whether the hash, read as a little-endian number, is at most
// the target.
func (t *hashTarget) met(h *chainhash.Hash) bool {
	for i := chainhash.HashSize - 1; i >= 0; i-- {
		switch {
		case h[i] < t[i]:
			return true
		case h[i] > t[i]:
			return false
		}
	}
	return true
}
