package powhash

import (
	"bytes"
	"fmt"
	"math/big"
	"sync/atomic"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/pow/ethash"
	"github.com/mainstake/sidenode/pow/randomx"
)

// Seeds finds the blocks that key RandomX. The header chain provides it
// from its index; nothing it does costs a hash.
type Seeds interface {
	// AncestorID returns the ID of the block at height on the branch
	// that ends with the block prev (prev itself when height is prev's).
	AncestorID(prev chainhash.Hash, height int32) (chainhash.Hash, error)
}

// Verifier computes one algorithm's proof-of-work value of a header.
type Verifier interface {
	// Algorithm names the algorithm.
	Algorithm() Algorithm

	// PowValue returns the header's proof-of-work value at height, the
	// number its target bounds, computing exactly one hash. seeds is
	// used by RandomX only. An error means the value could not be
	// computed; it is not the header's fault.
	PowValue(header *wire.BlockHeader, height int32, seeds Seeds) (*big.Int, error)

	// Hashes returns how many hashes the verifier has computed.
	Hashes() uint64

	// Ready reports whether PowValue at height would find what it hashes
	// with already built: true unless it would first build a RandomX
	// key's cache (256 MiB of Argon2d, about a second) or an Ethash
	// epoch's (16 MiB and more, about a second).
	Ready(header *wire.BlockHeader, height int32, seeds Seeds) (bool, error)
}

// headerBytes returns the 80-byte serialization of the header.
func headerBytes(header *wire.BlockHeader) []byte {
	var buf bytes.Buffer
	buf.Grow(wire.MaxBlockHeaderPayload)
	// Writing to a bytes.Buffer cannot fail.
	_ = header.Serialize(&buf)
	return buf.Bytes()
}

// sha256dVerifier verifies SHA-256d.
type sha256dVerifier struct {
	hashes atomic.Uint64
}

// NewSHA256d returns the SHA-256d verifier: the value is the block ID,
// read little-endian as Bitcoin reads it.
func NewSHA256d() Verifier {
	return &sha256dVerifier{}
}

func (v *sha256dVerifier) Algorithm() Algorithm { return SHA256d }
func (v *sha256dVerifier) Hashes() uint64       { return v.hashes.Load() }

func (v *sha256dVerifier) Ready(*wire.BlockHeader, int32, Seeds) (bool, error) { return true, nil }

func (v *sha256dVerifier) PowValue(header *wire.BlockHeader, _ int32, _ Seeds) (*big.Int, error) {
	h := header.BlockHash()
	v.hashes.Add(1)
	return blockchain.HashToBig(&h), nil
}

// randomxVerifier verifies RandomX.
type randomxVerifier struct {
	hasher   *randomx.Hasher
	schedule randomx.Schedule
}

// NewRandomX returns the RandomX verifier over hasher, keyed by schedule:
// the value is the RandomX hash of the 80-byte header under the ID of the
// block at schedule.SeedHeight(height) on the header's branch, read
// little-endian as Monero reads it.
func NewRandomX(hasher *randomx.Hasher, schedule randomx.Schedule) (Verifier, error) {
	if err := schedule.Validate(); err != nil {
		return nil, err
	}
	return &randomxVerifier{hasher: hasher, schedule: schedule}, nil
}

func (v *randomxVerifier) Algorithm() Algorithm { return RandomX }
func (v *randomxVerifier) Hashes() uint64       { return v.hasher.Stats().Hashes }

// SeedHeight returns the height of the block whose ID keys RandomX at
// height.
func (v *randomxVerifier) SeedHeight(height int32) int32 {
	return int32(v.schedule.SeedHeight(uint64(height)))
}

// key returns the RandomX key of the header: the ID of the block at its
// seed height on its branch.
func (v *randomxVerifier) key(header *wire.BlockHeader, height int32, seeds Seeds) (chainhash.Hash, error) {
	if seeds == nil {
		return chainhash.Hash{}, fmt.Errorf("randomx at height %d: no seed source", height)
	}
	seedHeight := v.SeedHeight(height)
	key, err := seeds.AncestorID(header.PrevBlock, seedHeight)
	if err != nil {
		return chainhash.Hash{}, fmt.Errorf("randomx key of height %d (block at height %d): %w", height, seedHeight, err)
	}
	return key, nil
}

func (v *randomxVerifier) Ready(header *wire.BlockHeader, height int32, seeds Seeds) (bool, error) {
	key, err := v.key(header, height, seeds)
	if err != nil {
		return false, err
	}
	return v.hasher.Cached(key[:]), nil
}

func (v *randomxVerifier) PowValue(header *wire.BlockHeader, height int32, seeds Seeds) (*big.Int, error) {
	key, err := v.key(header, height, seeds)
	if err != nil {
		return nil, err
	}
	h, err := v.hasher.Hash(key[:], headerBytes(header))
	if err != nil {
		return nil, err
	}
	ch := chainhash.Hash(h)
	return blockchain.HashToBig(&ch), nil
}

// ethashVerifier verifies Ethash.
type ethashVerifier struct {
	light *ethash.Light
}

// NewEthash returns the Ethash verifier over light: the value is the
// hashimoto result of EthashHeaderHash(header) and the header's nonce over
// the epoch of the height, read big-endian as Ethereum reads it.
func NewEthash(light *ethash.Light) Verifier {
	return &ethashVerifier{light: light}
}

func (v *ethashVerifier) Algorithm() Algorithm { return Ethash }
func (v *ethashVerifier) Hashes() uint64       { return v.light.Stats().Hashes }

// EthashHeaderHash returns the header hash Ethash seals: SHA-256d of the
// header's first 76 bytes, everything but the nonce.
func EthashHeaderHash(header *wire.BlockHeader) [32]byte {
	return chainhash.DoubleHashH(headerBytes(header)[:76])
}

func (v *ethashVerifier) Ready(_ *wire.BlockHeader, height int32, _ Seeds) (bool, error) {
	return v.light.Cached(uint64(height)), nil
}

func (v *ethashVerifier) PowValue(header *wire.BlockHeader, height int32, _ Seeds) (*big.Int, error) {
	_, result := v.light.Hash(uint64(height), EthashHeaderHash(header), uint64(header.Nonce))
	return new(big.Int).SetBytes(result[:]), nil
}

// unavailable is an algorithm this build or node cannot compute.
type unavailable struct {
	alg Algorithm
	err error
}

// Unavailable returns a verifier that refuses every header with err: an
// algorithm the node cannot compute, such as RandomX without cgo.
func Unavailable(a Algorithm, err error) Verifier {
	return unavailable{alg: a, err: err}
}

func (v unavailable) Algorithm() Algorithm { return v.alg }
func (v unavailable) Hashes() uint64       { return 0 }

func (v unavailable) Ready(*wire.BlockHeader, int32, Seeds) (bool, error) { return true, nil }

func (v unavailable) PowValue(_ *wire.BlockHeader, height int32, _ Seeds) (*big.Int, error) {
	return nil, fmt.Errorf("%s at height %d: %w", v.alg, height, v.err)
}
