package chain

import (
	"encoding/binary"
	"fmt"

	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/pos/bls"
	"github.com/mainstake/sidenode/pos/slashing"
	"github.com/mainstake/sidenode/sideblock"
)

// Proposal is what a proposer puts in a block besides what the builder
// derives: candidate attestations (those the new state refuses are left
// out, and at most MaxAttestations kept), slashing evidence and
// transactions after the coinbase.
type Proposal struct {
	Attestations      []*Attestation
	ProposerSlashings []slashing.ProposerSlashing
	AttesterSlashings []slashing.AttesterSlashing
	VoluntaryExits    []SignedExit
	Transactions      []*wire.MsgTx
}

// BuildBlock builds and signs the block of slot on the block whose state
// is parent, as proposer validator with key. The coinbase pays the
// subsidy to the proposer's withdrawal script and carries the slot after
// the height. It returns the block and the state after it. It fails when
// key is not the slot's proposer's, or when the transactions or evidence
// break a rule.
func BuildBlock(c *Config, parent *State, slot uint64, key *bls.SecretKey, p *Proposal) (*Block, *State, error) {
	st := parent.Clone()
	if err := ProcessSlots(c, st, slot); err != nil {
		return nil, nil, err
	}
	proposer, err := st.Proposer(c, slot)
	if err != nil {
		return nil, nil, err
	}
	if pk := key.PublicKey().Bytes(); pk != st.Registry.Validators[proposer].PublicKey {
		return nil, nil, fmt.Errorf("slot %d's proposer is validator %d, not this key", slot, proposer)
	}
	if p == nil {
		p = &Proposal{}
	}
	epoch := c.EpochOf(slot)
	b := &Block{}
	b.Body.RandaoReveal = sign(key, c.RandaoMessage(epoch))
	b.Body.ProposerSlashings = p.ProposerSlashings
	b.Body.AttesterSlashings = p.AttesterSlashings
	b.Body.VoluntaryExits = p.VoluntaryExits

	// Pick the attestations the state takes, on a scratch state that
	// has the block's reveal and evidence applied.
	scratch := st.Clone()
	scratch.Mixes.Reveal(epoch, b.Body.RandaoReveal[:])
	for _, a := range p.Attestations {
		if len(b.Body.Attestations) == MaxAttestations {
			break
		}
		if processAttestation(c, scratch, a, SkipSignatures) == nil {
			b.Body.Attestations = append(b.Body.Attestations, *a)
		}
	}

	cb, err := sideblock.NewCoinbaseTx(st.Height+1, binary.BigEndian.AppendUint64(nil, slot),
		wire.NewTxOut(c.Net.SideSubsidy, st.Registry.Validators[proposer].WithdrawalScript))
	if err != nil {
		return nil, nil, err
	}
	b.Body.Transactions = []*wire.MsgTx{cb}
	payout, err := WithdrawalTx(c, st)
	if err != nil {
		return nil, nil, err
	}
	if payout != nil {
		b.Body.Transactions = append(b.Body.Transactions, payout)
	}
	b.Body.Transactions = append(b.Body.Transactions, p.Transactions...)

	h := &b.Header.Message
	h.Slot = slot
	h.ProposerIndex = proposer
	h.ParentRoot = st.LatestHeader.HashTreeRoot()
	if h.BodyRoot, err = b.Body.BodyRoot(); err != nil {
		return nil, nil, err
	}
	if err := ProcessBlock(c, st, b, SkipSignatures); err != nil {
		return nil, nil, err
	}
	h.StateRoot = st.Root()
	b.Header.Signature = sign(key, c.HeaderMessage(h))
	return b, st, nil
}

func sign(key *bls.SecretKey, msg Root) [slashing.SignatureSize]byte {
	return key.Sign(msg[:]).Bytes()
}

// Duty is where a validator attests in an epoch.
type Duty struct {
	Validator     uint64
	Slot          uint64
	Committee     uint64
	Position      uint64
	CommitteeSize int
}

// AttesterDuty returns validator's attestation duty in epoch (the state's
// current or next), and false if it has none (not active).
func AttesterDuty(c *Config, s *State, validator, epoch uint64) (Duty, bool, error) {
	sh, err := s.Shuffling(c, epoch)
	if err != nil {
		return Duty{}, false, err
	}
	a, ok := sh.Assignment(validator)
	if !ok {
		return Duty{}, false, nil
	}
	committee, err := sh.BeaconCommittee(a.Slot, a.CommitteeIndex)
	if err != nil {
		return Duty{}, false, err
	}
	return Duty{Validator: validator, Slot: a.Slot, Committee: a.CommitteeIndex,
		Position: a.Position, CommitteeSize: len(committee)}, true, nil
}

// AttestationData returns what a validator attesting at slot votes for,
// given the head block headRoot and its state: the head, the head state's
// justified checkpoint as source (advanced to slot's epoch), and as target
// the block at the epoch's first slot on the head's branch.
func AttestationData(c *Config, headState *State, headRoot Root, slot, committee uint64) (slashing.AttestationData, error) {
	st := headState
	epoch := c.EpochOf(slot)
	if st.Slot < slot {
		st = headState.Clone()
		if err := ProcessSlots(c, st, slot); err != nil {
			return slashing.AttestationData{}, err
		}
	}
	target := headRoot
	if start := c.EpochStart(epoch); start < st.Slot {
		target, _ = st.BlockRootAt(c, start)
	}
	src := st.FFG.CurrentJustified
	return slashing.AttestationData{
		Slot:            slot,
		Index:           committee,
		BeaconBlockRoot: headRoot,
		Source:          slashing.Checkpoint{Epoch: src.Epoch, Root: Root(src.Root)},
		Target:          slashing.Checkpoint{Epoch: epoch, Root: target},
	}, nil
}

// Attest returns a one-member attestation of data by the validator of
// duty, signed with key.
func Attest(c *Config, d Duty, data slashing.AttestationData, key *bls.SecretKey) *Attestation {
	a := NewAttestation(data, d.CommitteeSize)
	a.Set(int(d.Position))
	a.Signature = sign(key, c.AttestationMessage(&data))
	return a
}

// Aggregate merges attestations of the same data and committee with
// disjoint bits into one (aggregate signature, union of bits). It returns
// false when they cannot be merged.
func Aggregate(atts []*Attestation) (*Attestation, bool) {
	if len(atts) == 0 {
		return nil, false
	}
	out := &Attestation{Data: atts[0].Data, Len: atts[0].Len, Bits: make([]byte, len(atts[0].Bits))}
	sigs := make([]*bls.Signature, 0, len(atts))
	for _, a := range atts {
		if a.Data != out.Data || a.Len != out.Len || len(a.Bits) != len(out.Bits) {
			return nil, false
		}
		for i := range a.Bits {
			if out.Bits[i]&a.Bits[i] != 0 {
				return nil, false
			}
			out.Bits[i] |= a.Bits[i]
		}
		sig, err := bls.SignatureFromBytes(a.Signature[:])
		if err != nil {
			return nil, false
		}
		sigs = append(sigs, sig)
	}
	agg, err := bls.AggregateSignatures(sigs)
	if err != nil {
		return nil, false
	}
	out.Signature = agg.Bytes()
	return out, true
}
