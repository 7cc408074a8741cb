package powhash

import (
	"fmt"
	"math/big"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/pow/ethash"
	"github.com/mainstake/sidenode/pow/randomx"
)

// Config sets up a Front.
type Config struct {
	// AlgorithmAt returns the algorithm the network uses at a height:
	// the engine's params table.
	AlgorithmAt func(height int32) Algorithm

	// PowLimit is the easiest target the network allows.
	PowLimit *big.Int

	// Seeds finds RandomX keys on a header's branch.
	Seeds Seeds

	// RandomX configures the RandomX hasher: light mode for verifying
	// nodes, Full for miners.
	RandomX randomx.Config

	// RandomXSchedule is the RandomX key rotation; zero means
	// randomx.MoneroSchedule.
	RandomXSchedule randomx.Schedule

	// EthashCaches bounds the Ethash epoch caches kept; zero means
	// ethash.DefaultMaxCaches.
	EthashCaches int
}

// Front verifies headers under the algorithm of their height. It is safe
// for concurrent use.
type Front struct {
	algorithmAt func(height int32) Algorithm
	powLimit    *big.Int
	seeds       Seeds
	verifiers   [numAlgorithms + 1]Verifier
}

// New returns a Front with the three verifiers. Caches and VMs are made on
// first use, so a network that never reaches a RandomX or Ethash height
// pays nothing for them. In a build without cgo the RandomX verifier is
// Unavailable.
func New(cfg Config) (*Front, error) {
	if cfg.AlgorithmAt == nil {
		return nil, fmt.Errorf("powhash: no algorithm schedule")
	}
	if cfg.PowLimit == nil || cfg.PowLimit.Sign() <= 0 {
		return nil, fmt.Errorf("powhash: pow limit must be positive")
	}
	sched := cfg.RandomXSchedule
	if sched == (randomx.Schedule{}) {
		sched = randomx.MoneroSchedule
	}
	var rx Verifier
	hasher, err := randomx.New(cfg.RandomX)
	if err != nil {
		rx = Unavailable(RandomX, err)
	} else if rx, err = NewRandomX(hasher, sched); err != nil {
		hasher.Close()
		return nil, err
	}
	return NewFront(cfg.AlgorithmAt, cfg.PowLimit, cfg.Seeds,
		NewSHA256d(), rx, NewEthash(ethash.NewLight(cfg.EthashCaches)))
}

// NewFront returns a Front over the given verifiers, one per algorithm.
func NewFront(algorithmAt func(int32) Algorithm, powLimit *big.Int, seeds Seeds, verifiers ...Verifier) (*Front, error) {
	f := &Front{algorithmAt: algorithmAt, powLimit: powLimit, seeds: seeds}
	for _, v := range verifiers {
		a := v.Algorithm()
		if !a.Valid() || f.verifiers[a] != nil {
			return nil, fmt.Errorf("powhash: verifier for %s given twice or invalid", a)
		}
		f.verifiers[a] = v
	}
	return f, nil
}

// Verifier returns the verifier of an algorithm.
func (f *Front) Verifier(a Algorithm) (Verifier, error) {
	if !a.Valid() || f.verifiers[a] == nil {
		return nil, fmt.Errorf("powhash: no verifier for %s", a)
	}
	return f.verifiers[a], nil
}

// Target returns the target of bits after the cheap checks: it must be
// positive and at most the pow limit.
func (f *Front) Target(bits uint32) (*big.Int, error) {
	target := blockchain.CompactToBig(bits)
	if target.Sign() <= 0 {
		return nil, ruleError(ErrBadBits, fmt.Sprintf("bits %08x give a target of zero or below", bits))
	}
	if target.Cmp(f.powLimit) > 0 {
		return nil, ruleError(ErrBitsAboveLimit, fmt.Sprintf("bits %08x give a target above the pow limit %064x", bits, f.powLimit))
	}
	return target, nil
}

// PowValue returns the header's proof-of-work value under the algorithm of
// its height: one hash.
func (f *Front) PowValue(header *wire.BlockHeader, height int32) (*big.Int, Algorithm, error) {
	if height < 0 {
		return nil, 0, ruleError(ErrBadHeight, fmt.Sprintf("height %d is negative", height))
	}
	a := f.algorithmAt(height)
	v, err := f.Verifier(a)
	if err != nil {
		return nil, a, err
	}
	value, err := v.PowValue(header, height, f.seeds)
	return value, a, err
}

// Ready reports whether verifying the header at height would cost one hash
// and nothing more: false when it would first build a RandomX key's cache
// or an Ethash epoch's, about a second each. Nodes keep the current and the
// next key or epoch, so only a header on a branch that forks below the
// current key's seed block (or in another epoch) is not ready; the header
// chain can defer such headers until their branch could win, so that a
// flood of them cannot make the node build cache after cache.
func (f *Front) Ready(header *wire.BlockHeader, height int32) (bool, error) {
	if height < 0 {
		return false, ruleError(ErrBadHeight, fmt.Sprintf("height %d is negative", height))
	}
	v, err := f.Verifier(f.algorithmAt(height))
	if err != nil {
		return false, err
	}
	return v.Ready(header, height, f.seeds)
}

// Verify checks the header's proof of work at height: the cheap checks of
// its bits first, then one hash compared with the target. A rule error
// (ErrBadBits, ErrBitsAboveLimit, ErrHighHash, ErrBadHeight) condemns the
// header; any other error means the node could not judge it.
func (f *Front) Verify(header *wire.BlockHeader, height int32) error {
	target, err := f.Target(header.Bits)
	if err != nil {
		return err
	}
	value, a, err := f.PowValue(header, height)
	if err != nil {
		return err
	}
	if value.Cmp(target) > 0 {
		return ruleError(ErrHighHash, fmt.Sprintf("%s proof of work %064x is above the target %064x", a, value, target))
	}
	return nil
}

// CheckProofOfWork reports whether the header's proof-of-work value at
// height is at most target, computing at most one hash; a target of zero or
// below fails without any. It is the header chain's Verifier, which checks
// the bits against the pow limit and the difficulty itself.
func (f *Front) CheckProofOfWork(header *wire.BlockHeader, height int32, target *big.Int) (bool, error) {
	if target == nil || target.Sign() <= 0 || height < 0 {
		return false, nil
	}
	value, _, err := f.PowValue(header, height)
	if err != nil {
		return false, err
	}
	return value.Cmp(target) <= 0, nil
}
