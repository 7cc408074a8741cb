package chain

import (
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"sync"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/pos/bls"
	"github.com/mainstake/sidenode/pos/ffg"
	"github.com/mainstake/sidenode/pos/registry"
	"github.com/mainstake/sidenode/pos/selection"
	"github.com/mainstake/sidenode/pos/slashing"
	"github.com/mainstake/sidenode/sideblock"
)

// State is the pos state after a slot: the beacon-state part (registry,
// checkpoints, RANDAO mixes, participation, inactivity scores, slashings,
// recent block roots, the latest block header) and the sidechain part (the
// height of the last block and the UTXO set its transactions left).
type State struct {
	Slot uint64

	// Height is the sidechain height of the latest block (genesis 0):
	// coinbase heights, maturity and lock times count it.
	Height int32

	Registry *registry.State
	FFG      ffg.State
	Mixes    *selection.Mixes

	// PreviousParticipation and CurrentParticipation are each
	// validator's Altair participation flags for the previous and the
	// current epoch; Inactivity its inactivity score.
	PreviousParticipation []uint8
	CurrentParticipation  []uint8
	Inactivity            []uint64

	// Slashings is the ring of slashed effective balance per epoch
	// (EpochsPerSlashingsVector entries).
	Slashings []uint64

	// BlockRoots is the ring of the roots of the latest block at each
	// of the last SlotsPerHistoricalRoot slots.
	BlockRoots []Root

	// LatestHeader is the header of the latest block, its state root
	// zero until the next slot fills it in (as phase0 does).
	LatestHeader slashing.BeaconBlockHeader

	// TxAccumulator commits to every block's transactions in chain
	// order: SHA256d(previous ‖ merkle root of the block's
	// transactions). With the rest of the state it stands for the UTXO
	// set in the state root.
	TxAccumulator chainhash.Hash

	// Withdrawals counts the validator payouts made: the sequence number
	// of the next payout (WithdrawalTx).
	Withdrawals uint64

	// Utxo is the sidechain UTXO set after the latest block.
	Utxo *sideblock.MemUtxoView

	// caches, per epoch, of this branch's committees and proposers,
	// under cacheMu: readers of one state (the chain, the validator
	// client, the API) may fill them at once.
	cacheMu    *sync.Mutex
	shufflings map[uint64]*selection.Shuffling
	proposers  map[uint64][]uint64
}

// Clone returns a deep copy of s (the caches are shared entries).
func (s *State) Clone() *State {
	c := *s
	c.Registry = s.Registry.Clone()
	c.Mixes = s.Mixes.Clone()
	c.PreviousParticipation = append([]uint8(nil), s.PreviousParticipation...)
	c.CurrentParticipation = append([]uint8(nil), s.CurrentParticipation...)
	c.Inactivity = append([]uint64(nil), s.Inactivity...)
	c.Slashings = append([]uint64(nil), s.Slashings...)
	c.BlockRoots = append([]Root(nil), s.BlockRoots...)
	c.Utxo = s.Utxo.Clone()
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	c.cacheMu = new(sync.Mutex)
	c.shufflings = make(map[uint64]*selection.Shuffling, len(s.shufflings))
	for k, v := range s.shufflings {
		c.shufflings[k] = v
	}
	c.proposers = make(map[uint64][]uint64, len(s.proposers))
	for k, v := range s.proposers {
		c.proposers[k] = v
	}
	return &c
}

// stateTag starts what the state root hashes.
const stateTag = "sidenode pos state v1"

// Root returns the state root: SHA-256 of stateTag, the slot (8 bytes)
// and height (4 bytes), the registry's hash (pos/registry), the
// justification bits and the previous justified, current justified and
// finalized checkpoints (epoch, root), every RANDAO mix of the ring, the
// previous and current participation (a byte per validator), the
// inactivity scores, the slashings ring, the block roots ring, the latest
// header's five fields, the transaction accumulator and the withdrawal
// count; integers
// big-endian, each list after its length (4 bytes).
func (s *State) Root() Root {
	h := sha256.New()
	h.Write([]byte(stateTag))
	w64 := func(v uint64) { h.Write(binary.BigEndian.AppendUint64(nil, v)) }
	w32 := func(v uint32) { h.Write(binary.BigEndian.AppendUint32(nil, v)) }
	w64(s.Slot)
	w32(uint32(s.Height))
	rh := s.Registry.Hash()
	h.Write(rh[:])
	h.Write([]byte{byte(s.FFG.Bits)})
	for _, c := range []ffg.Checkpoint{s.FFG.PreviousJustified, s.FFG.CurrentJustified, s.FFG.Finalized} {
		w64(c.Epoch)
		h.Write(c.Root[:])
	}
	writeMixes(h, s.Mixes)
	w32(uint32(len(s.PreviousParticipation)))
	h.Write(s.PreviousParticipation)
	w32(uint32(len(s.CurrentParticipation)))
	h.Write(s.CurrentParticipation)
	w32(uint32(len(s.Inactivity)))
	for _, v := range s.Inactivity {
		w64(v)
	}
	w32(uint32(len(s.Slashings)))
	for _, v := range s.Slashings {
		w64(v)
	}
	w32(uint32(len(s.BlockRoots)))
	for _, r := range s.BlockRoots {
		h.Write(r[:])
	}
	lh := &s.LatestHeader
	w64(lh.Slot)
	w64(lh.ProposerIndex)
	h.Write(lh.ParentRoot[:])
	h.Write(lh.StateRoot[:])
	h.Write(lh.BodyRoot[:])
	h.Write(s.TxAccumulator[:])
	w64(s.Withdrawals)
	var r Root
	h.Sum(r[:0])
	return r
}

// writeMixes hashes the mix ring in ring order.
func writeMixes(h hash.Hash, m *selection.Mixes) {
	for e := uint64(0); e < mixRingLen; e++ {
		mix := m.Get(e)
		h.Write(mix[:])
	}
}

// mixRingLen is the RANDAO ring's length in every preset
// (EpochsPerHistoricalVector).
const mixRingLen = 64

// GenesisState returns the state at slot 0 and the genesis block: the
// network's genesis validators active from epoch 0, every RANDAO mix the
// genesis id, no transaction (height 0, the empty UTXO set). The genesis
// block is the header of the genesis state with its state root, and an
// empty body; it is trusted, and its signature is zero.
func GenesisState(c *Config) (*State, *Block, error) {
	reg := &registry.State{}
	for _, v := range c.Net.Pos.Validators {
		eff := v.Balance - v.Balance%c.Registry.EffectiveBalanceIncrement
		if eff > c.Registry.MaxEffectiveBalance {
			eff = c.Registry.MaxEffectiveBalance
		}
		reg.Validators = append(reg.Validators, registry.Validator{
			PublicKey:         v.PublicKey,
			WithdrawalScript:  append([]byte(nil), v.WithdrawalScript...),
			Balance:           v.Balance,
			EffectiveBalance:  eff,
			EligibilityEpoch:  0,
			ActivationEpoch:   0,
			ExitEpoch:         registry.FarFutureEpoch,
			WithdrawableEpoch: registry.FarFutureEpoch,
		})
	}
	mixes, err := selection.NewMixes(c.genesisID, &c.Selection)
	if err != nil {
		return nil, nil, err
	}
	n := len(reg.Validators)
	s := &State{
		Registry:              reg,
		Mixes:                 mixes,
		PreviousParticipation: make([]uint8, n),
		CurrentParticipation:  make([]uint8, n),
		Inactivity:            make([]uint64, n),
		Slashings:             make([]uint64, c.Registry.EpochsPerSlashingsVector),
		BlockRoots:            make([]Root, c.SlotsPerHistoricalRoot),
		Utxo:                  sideblock.NewMemUtxoView(),
		cacheMu:               new(sync.Mutex),
		shufflings:            map[uint64]*selection.Shuffling{},
		proposers:             map[uint64][]uint64{},
	}
	var body Body
	br, err := body.BodyRoot()
	if err != nil {
		return nil, nil, err
	}
	s.LatestHeader = slashing.BeaconBlockHeader{BodyRoot: br}
	g := &Block{Body: body}
	g.Header.Message = s.LatestHeader
	g.Header.Message.StateRoot = s.Root()
	return s, g, nil
}

// Epoch returns the state's current epoch.
func (s *State) Epoch(c *Config) uint64 { return c.EpochOf(s.Slot) }

// activeIndices returns the validators active at epoch.
func (s *State) activeIndices(epoch uint64) []uint64 {
	var out []uint64
	for i := range s.Registry.Validators {
		if s.Registry.Validators[i].IsActive(epoch) {
			out = append(out, uint64(i))
		}
	}
	return out
}

// Shuffling returns the committees of epoch (the previous, current or
// next epoch of the state).
func (s *State) Shuffling(c *Config, epoch uint64) (*selection.Shuffling, error) {
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	if sh, ok := s.shufflings[epoch]; ok {
		return sh, nil
	}
	seed := s.Mixes.Seed(epoch, selection.DomainType(slashing.DomainBeaconAttester))
	sh, err := selection.NewShuffling(epoch, s.activeIndices(epoch), seed, &c.Selection)
	if err != nil {
		return nil, err
	}
	s.shufflings[epoch] = sh
	return sh, nil
}

// Proposer returns the proposer of slot, which must be in the state's
// current epoch.
func (s *State) Proposer(c *Config, slot uint64) (uint64, error) {
	epoch := c.EpochOf(slot)
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	ps, ok := s.proposers[epoch]
	if !ok {
		seed := s.Mixes.Seed(epoch, selection.DomainType(slashing.DomainBeaconProposer))
		vals := s.Registry.Validators
		var err error
		ps, err = selection.EpochProposers(epoch, s.activeIndices(epoch),
			func(i uint64) uint64 { return vals[i].EffectiveBalance }, seed, &c.Selection)
		if err != nil {
			return 0, err
		}
		s.proposers[epoch] = ps
	}
	return ps[slot%c.SlotsPerEpoch()], nil
}

// PublicKey returns validator i's key, parsed once per key (Config's
// cache).
func (s *State) PublicKey(c *Config, i uint64) (*bls.PublicKey, bool) {
	if i >= uint64(len(s.Registry.Validators)) {
		return nil, false
	}
	raw := s.Registry.Validators[i].PublicKey
	if pk, ok := c.keys.Load(raw); ok {
		return pk.(*bls.PublicKey), true
	}
	pk, err := bls.PublicKeyFromBytes(raw[:])
	if err != nil {
		return nil, false
	}
	c.keys.Store(raw, pk)
	return pk, true
}

// BlockRootAt returns the root of the latest block at or before slot, which
// must be before the state's slot and within the ring.
func (s *State) BlockRootAt(c *Config, slot uint64) (Root, bool) {
	if slot >= s.Slot || s.Slot > slot+c.SlotsPerHistoricalRoot {
		return Root{}, false
	}
	return s.BlockRoots[slot%c.SlotsPerHistoricalRoot], true
}
