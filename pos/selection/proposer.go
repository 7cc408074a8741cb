package selection

import (
	"crypto/sha256"
	"encoding/binary"
	"math/bits"
)

// maxProposerTries bounds the candidates ProposerIndex draws. Any candidate
// is accepted when its random byte is 0, so even with every effective
// balance at zero the chance of drawing this many without acceptance is
// (255/256)^65536, below 2^-369.
const maxProposerTries = 1 << 16

// EffectiveBalanceFunc returns the effective balance of a validator by its
// index in the registry, in the unit of Params.MaxEffectiveBalance.
type EffectiveBalanceFunc func(validatorIndex uint64) uint64

// ProposerIndex is compute_proposer_index of the phase0 specifications:
// it walks the active validator indices in the order the swap-or-not
// shuffle with seed gives them, and accepts candidate i (counting from 0)
// when
//
//	effectiveBalance · 255 >= MaxEffectiveBalance · random_byte
//
// with random_byte = sha256(seed ‖ uint64le(i/32))[i mod 32]. A validator
// is thus chosen with probability proportional to its effective balance.
// The seed is a slot's ProposerSeed. active must not be empty.
//
// This is the phase0 rule, kept unchanged through Deneb. Electra replaced
// the random byte by a 16-bit random value (two bytes per candidate,
// sixteen candidates per hash) against MAX_EFFECTIVE_BALANCE_ELECTRA; that
// rule is not implemented here.
//
// The specification loops until it accepts; ProposerIndex gives up with
// ErrNoProposer after maxProposerTries candidates, which no input with
// uniformly random hashes reaches in practice.
func ProposerIndex(active []uint64, effectiveBalance EffectiveBalanceFunc,
	seed Seed, p *Params) (uint64, error) {

	if err := p.Check(); err != nil {
		return 0, err
	}
	total := uint64(len(active))
	if total == 0 {
		return 0, ruleErrorf(ErrNoActiveValidators, "no active validators "+
			"to choose a proposer from")
	}
	if err := checkListSize(total); err != nil {
		return 0, err
	}
	const maxRandomByte = 1<<8 - 1
	var buf [40]byte
	copy(buf[:32], seed[:])
	var random [32]byte
	for i := uint64(0); i < maxProposerTries; i++ {
		if i%32 == 0 {
			binary.LittleEndian.PutUint64(buf[32:], i/32)
			random = sha256.Sum256(buf[:])
		}
		shuffled, err := ShuffledIndex(i%total, total, seed, p.ShuffleRoundCount)
		if err != nil {
			return 0, err
		}
		candidate := active[shuffled]
		// effectiveBalance·255 and MaxEffectiveBalance·255 fit in 128
		// bits; compare them without overflow.
		eh, el := bits.Mul64(effectiveBalance(candidate), maxRandomByte)
		mh, ml := bits.Mul64(p.MaxEffectiveBalance, uint64(random[i%32]))
		if eh > mh || (eh == mh && el >= ml) {
			return candidate, nil
		}
	}
	return 0, ruleErrorf(ErrNoProposer, "no proposer accepted among %d "+
		"candidates", maxProposerTries)
}

// ProposerSeed is the seed of slot's proposer: sha256(epochSeed ‖
// uint64le(slot)), with epochSeed = SeedFromMix(DomainBeaconProposer,
// epoch, mix), as get_beacon_proposer_index computes it.
func ProposerSeed(epochSeed Seed, slot uint64) Seed {
	var buf [40]byte
	copy(buf[:32], epochSeed[:])
	binary.LittleEndian.PutUint64(buf[32:], slot)
	return sha256.Sum256(buf[:])
}

// EpochProposers returns the proposer of each slot of epoch, in slot order:
// ProposerIndex over active with ProposerSeed(epochSeed, slot).
func EpochProposers(epoch uint64, active []uint64, effectiveBalance EffectiveBalanceFunc,
	epochSeed Seed, p *Params) ([]uint64, error) {

	if err := p.Check(); err != nil {
		return nil, err
	}
	out := make([]uint64, p.SlotsPerEpoch)
	start := epoch * p.SlotsPerEpoch
	for i := range out {
		seed := ProposerSeed(epochSeed, start+uint64(i))
		v, err := ProposerIndex(active, effectiveBalance, seed, p)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}
