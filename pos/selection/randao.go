package selection

import (
	"crypto/sha256"
	"encoding/binary"
)

// DomainType is a 4-byte domain type of the specifications. The seed of
// each use of randomness mixes in its own domain, so proposers and
// committees of one epoch are drawn independently.
type DomainType [4]byte

// The domain types that seeds use (phase0 values).
var (
	// DomainBeaconProposer is DOMAIN_BEACON_PROPOSER, 0x00000000.
	DomainBeaconProposer = DomainType{0x00, 0x00, 0x00, 0x00}

	// DomainBeaconAttester is DOMAIN_BEACON_ATTESTER, 0x01000000.
	DomainBeaconAttester = DomainType{0x01, 0x00, 0x00, 0x00}

	// DomainRandao is DOMAIN_RANDAO, 0x02000000: the domain of the
	// signature a proposer reveals, not of a seed.
	DomainRandao = DomainType{0x02, 0x00, 0x00, 0x00}
)

// SeedFromMix is the hash get_seed returns: sha256(domain ‖ uint64le(epoch)
// ‖ mix), where mix must be the RANDAO mix of epoch + EPOCHS_PER_HISTORICAL_
// VECTOR - MIN_SEED_LOOKAHEAD - 1 (Mixes.Seed picks it).
func SeedFromMix(domain DomainType, epoch uint64, mix [32]byte) Seed {
	var buf [4 + 8 + 32]byte
	copy(buf[:4], domain[:])
	binary.LittleEndian.PutUint64(buf[4:12], epoch)
	copy(buf[12:], mix[:])
	return sha256.Sum256(buf[:])
}

// MixReveal is the RANDAO update of process_randao: the mix xored with
// sha256 of the proposer's reveal (its BLS signature of the epoch under
// DomainRandao, checked by the caller).
func MixReveal(mix [32]byte, reveal []byte) [32]byte {
	h := sha256.Sum256(reveal)
	for i := range mix {
		mix[i] ^= h[i]
	}
	return mix
}

// Mixes is the ring of RANDAO mixes, randao_mixes of the beacon state:
// EpochsPerHistoricalVector entries, the one for epoch e at e modulo the
// length. It is not safe for concurrent mutation; Clone it per fork.
type Mixes struct {
	lookahead uint64
	ring      [][32]byte
}

// NewMixes returns the genesis ring: every entry is genesis (the
// specifications use the eth1 block hash the chain starts from).
func NewMixes(genesis [32]byte, p *Params) (*Mixes, error) {
	if err := p.Check(); err != nil {
		return nil, err
	}
	ring := make([][32]byte, p.EpochsPerHistoricalVector)
	for i := range ring {
		ring[i] = genesis
	}
	return &Mixes{lookahead: p.MinSeedLookahead, ring: ring}, nil
}

// Get is get_randao_mix: the mix of epoch.
func (m *Mixes) Get(epoch uint64) [32]byte {
	return m.ring[epoch%uint64(len(m.ring))]
}

// Reveal applies a block's RANDAO reveal to the mix of epoch, the epoch of
// the block's slot (process_randao).
func (m *Mixes) Reveal(epoch uint64, reveal []byte) {
	i := epoch % uint64(len(m.ring))
	m.ring[i] = MixReveal(m.ring[i], reveal)
}

// EndEpoch carries the mix of current into the next epoch's entry, as
// process_randao_mixes_reset does at the end of each epoch, so that the
// next epoch's reveals build on it.
func (m *Mixes) EndEpoch(current uint64) {
	n := uint64(len(m.ring))
	m.ring[(current+1)%n] = m.ring[current%n]
}

// Seed is get_seed: the seed of epoch for domain, from the mix of epoch
// - MIN_SEED_LOOKAHEAD - 1 (taken modulo the ring, so no underflow for the
// first epochs: those read genesis entries).
func (m *Mixes) Seed(epoch uint64, domain DomainType) Seed {
	n := uint64(len(m.ring))
	// (epoch + n - lookahead - 1) mod n, without overflow for any epoch.
	i := (epoch%n + n - m.lookahead - 1) % n
	return SeedFromMix(domain, epoch, m.ring[i])
}

// Clone returns an independent copy.
func (m *Mixes) Clone() *Mixes {
	return &Mixes{lookahead: m.lookahead, ring: append([][32]byte(nil), m.ring...)}
}
