package selection

import "math/bits"

// CommitteeCountPerSlot is get_committee_count_per_slot: one committee per
// TargetCommitteeSize active validators in a slot, at least one and at most
// MaxCommitteesPerSlot.
func CommitteeCountPerSlot(activeCount uint64, p *Params) uint64 {
	c := activeCount / p.SlotsPerEpoch / p.TargetCommitteeSize
	return max(1, min(p.MaxCommitteesPerSlot, c))
}

// committeeBounds returns the slice [start, end) of a list of n shuffled
// entries that committee index of count takes: start = n·index/count,
// end = n·(index+1)/count, computed without overflow.
func committeeBounds(n, index, count uint64) (uint64, uint64, error) {
	if index >= count {
		return 0, 0, ruleErrorf(ErrIndexOutOfRange, "committee index %d is "+
			"not below the committee count %d", index, count)
	}
	return mulDiv(n, index, count), mulDiv(n, index+1, count), nil
}

// mulDiv returns a·b/c for c > 0 and a·b/c < 2^64.
func mulDiv(a, b, c uint64) uint64 {
	hi, lo := bits.Mul64(a, b)
	q, _ := bits.Div64(hi, lo, c)
	return q
}

// Committee is compute_committee of the specifications, one index at a
// time: committee index of count cut from indices shuffled with seed. It
// is the reference form; Shuffling gives the same committees from one
// list shuffle.
func Committee(indices []uint64, seed Seed, index, count uint64, rounds uint8) ([]uint64, error) {
	n := uint64(len(indices))
	if err := checkListSize(n); err != nil {
		return nil, err
	}
	start, end, err := committeeBounds(n, index, count)
	if err != nil {
		return nil, err
	}
	out := make([]uint64, 0, end-start)
	for i := start; i < end; i++ {
		j, err := ShuffledIndex(i, n, seed, rounds)
		if err != nil {
			return nil, err
		}
		out = append(out, indices[j])
	}
	return out, nil
}

// Shuffling is one epoch's committee assignment: its active validator
// indices in shuffled order, computed once with ShuffleList. Every committee
// of the epoch is a subslice of it. A Shuffling is read-only once built and
// safe for concurrent use.
type Shuffling struct {
	epoch             uint64
	slotsPerEpoch     uint64
	committeesPerSlot uint64
	shuffled          []uint64
}

// NewShuffling shuffles a copy of active, the epoch's active validator
// indices in ascending order, with seed: the epoch's attester seed,
// SeedFromMix(DomainBeaconAttester, epoch, mix). The committee count per
// slot follows from len(active) and p.
func NewShuffling(epoch uint64, active []uint64, seed Seed, p *Params) (*Shuffling, error) {
	if err := p.Check(); err != nil {
		return nil, err
	}
	shuffled := append([]uint64(nil), active...)
	if err := ShuffleList(shuffled, seed, p.ShuffleRoundCount); err != nil {
		return nil, err
	}
	return &Shuffling{
		epoch:             epoch,
		slotsPerEpoch:     p.SlotsPerEpoch,
		committeesPerSlot: CommitteeCountPerSlot(uint64(len(active)), p),
		shuffled:          shuffled,
	}, nil
}

// Epoch returns the epoch the shuffling is for.
func (s *Shuffling) Epoch() uint64 { return s.epoch }

// CommitteesPerSlot returns get_committee_count_per_slot for the epoch.
func (s *Shuffling) CommitteesPerSlot() uint64 { return s.committeesPerSlot }

// Shuffled returns the active indices in shuffled order. The caller must
// not modify it.
func (s *Shuffling) Shuffled() []uint64 { return s.shuffled }

// Committee returns what Committee(active, seed, index, count, rounds)
// returns, as a subslice of the shuffled list that the caller must not
// modify.
func (s *Shuffling) Committee(index, count uint64) ([]uint64, error) {
	start, end, err := committeeBounds(uint64(len(s.shuffled)), index, count)
	if err != nil {
		return nil, err
	}
	return s.shuffled[start:end:end], nil
}

// BeaconCommittee is get_beacon_committee: committee index of slot, which
// must lie in the shuffling's epoch, and index below CommitteesPerSlot.
func (s *Shuffling) BeaconCommittee(slot, index uint64) ([]uint64, error) {
	if slot/s.slotsPerEpoch != s.epoch {
		return nil, ruleErrorf(ErrWrongEpoch, "slot %d is in epoch %d, "+
			"not in the shuffling's epoch %d", slot, slot/s.slotsPerEpoch,
			s.epoch)
	}
	if index >= s.committeesPerSlot {
		return nil, ruleErrorf(ErrIndexOutOfRange, "committee index %d is "+
			"not below the %d committees per slot", index,
			s.committeesPerSlot)
	}
	return s.Committee((slot%s.slotsPerEpoch)*s.committeesPerSlot+index,
		s.committeesPerSlot*s.slotsPerEpoch)
}

// Assignment is where a validator attests in an epoch: the slot, the
// committee's index within the slot, and the validator's position in the
// committee (its bit in an attestation's aggregation bits).
type Assignment struct {
	Slot           uint64
	CommitteeIndex uint64
	Position       uint64
}

// Assignment is get_committee_assignment for one validator: its slot,
// committee and place in it, or false if it is not active in the epoch. It
// scans the shuffled list, about a millisecond at a million validators.
func (s *Shuffling) Assignment(validator uint64) (Assignment, bool) {
	n := uint64(len(s.shuffled))
	pos := uint64(0)
	for ; pos < n && s.shuffled[pos] != validator; pos++ {
	}
	if pos == n {
		return Assignment{}, false
	}
	// The committee k of c holds positions [n·k/c, n·(k+1)/c). k =
	// pos·c/n starts at or before pos (n·⌊pos·c/n⌋/c ≤ pos) and is below
	// c; step up past empty or short committees to the one holding pos.
	c := s.committeesPerSlot * s.slotsPerEpoch
	k := mulDiv(pos, c, n)
	for k+1 < c && mulDiv(n, k+1, c) <= pos {
		k++
	}
	return Assignment{
		Slot:           s.epoch*s.slotsPerEpoch + k/s.committeesPerSlot,
		CommitteeIndex: k % s.committeesPerSlot,
		Position:       pos - mulDiv(n, k, c),
	}, true
}
