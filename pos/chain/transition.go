package chain

import (
	"encoding/binary"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/pos/bls"
	"github.com/mainstake/sidenode/pos/ffg"
	"github.com/mainstake/sidenode/pos/registry"
	"github.com/mainstake/sidenode/pos/slashing"
	"github.com/mainstake/sidenode/sideblock"
)

// ProcessSlots advances s to slot (process_slots): for each slot passed,
// the slot's bookkeeping and, at the last slot of an epoch, the epoch
// transition. slot must be after s.Slot.
func ProcessSlots(c *Config, s *State, slot uint64) error {
	if slot <= s.Slot {
		return ruleErrorf(ErrBadSlot, "state at slot %d cannot advance to slot %d", s.Slot, slot)
	}
	for s.Slot < slot {
		processSlot(c, s)
		if (s.Slot+1)%c.SlotsPerEpoch() == 0 {
			if err := processEpoch(c, s); err != nil {
				return err
			}
		}
		s.Slot++
	}
	return nil
}

// processSlot is process_slot: the latest header gets the state root if it
// has none (the state after its block), and the slot's block root is
// recorded.
func processSlot(c *Config, s *State) {
	if s.LatestHeader.StateRoot == (Root{}) {
		s.LatestHeader.StateRoot = s.Root()
	}
	s.BlockRoots[s.Slot%c.SlotsPerHistoricalRoot] = s.LatestHeader.HashTreeRoot()
}

// processEpoch is the epoch transition at the end of the state's epoch, in
// this order: justification and finalization, inactivity scores, the
// inactivity penalties, the correlation penalty of slashings, the
// registry's updates and effective balances (pos/registry, which moves its
// epoch on), the slashings ring entry of the next epoch reset, the RANDAO
// mix carried over, and the participation flags rotated.
//
// One pass over the validators gathers what justification and the
// inactivity rules read; a second applies the scores and penalties.
func processEpoch(c *Config, s *State) error {
	current := c.EpochOf(s.Slot)
	previous := current
	if previous > 0 {
		previous--
	}
	vals := s.Registry.Validators
	fv := make([]ffg.Validator, len(vals))
	var total, curTarget uint64
	for i := range vals {
		v := &vals[i]
		activeCur := v.IsActive(current)
		if activeCur {
			total += v.EffectiveBalance
			if !v.Slashed && s.CurrentParticipation[i]&(1<<ffg.TimelyTargetFlag) != 0 {
				curTarget += v.EffectiveBalance
			}
		}
		activePrev := v.IsActive(previous)
		fv[i] = ffg.Validator{
			EffectiveBalance: v.EffectiveBalance,
			Slashed:          v.Slashed,
			ActivePrevious:   activePrev,
			Eligible:         activePrev || (v.Slashed && previous+1 < v.WithdrawableEpoch),
			Flags:            s.PreviousParticipation[i],
			InactivityScore:  s.Inactivity[i],
		}
	}
	inc := c.Registry.EffectiveBalanceIncrement
	if total < inc {
		total = inc
	}
	if curTarget < inc {
		curTarget = inc
	}
	part := ffg.ParticipatingBalances(&c.FFG, fv)

	if current > 1 {
		prevRoot, _ := s.BlockRootAt(c, c.EpochStart(previous))
		curRoot, _ := s.BlockRootAt(c, c.EpochStart(current))
		// The previous epoch's target balance counts validators
		// active then, which can exceed the current total when some
		// exited; pos/ffg refuses that, and at the total it is a
		// supermajority all the same.
		st, _, err := ffg.ProcessJustification(s.FFG, current, ffg.Balances{
			TotalActive:    total,
			PreviousTarget: min(part[ffg.TimelyTargetFlag], total),
			CurrentTarget:  curTarget,
		}, ffg.Root(prevRoot), ffg.Root(curRoot))
		if err != nil {
			return err
		}
		s.FFG = st
	}

	if current > 0 {
		inLeak := c.FFG.InInactivityLeak(current, s.FFG.Finalized.Epoch)
		for i := range fv {
			if !fv[i].Eligible {
				continue
			}
			fv[i].InactivityScore = c.FFG.UpdateInactivityScore(fv[i], inLeak)
			s.Inactivity[i] = fv[i].InactivityScore
			if p := c.FFG.InactivityPenalty(fv[i]); p > 0 {
				if _, err := registry.Penalize(s.Registry, uint64(i), p); err != nil {
					return err
				}
			}
		}
	}

	// process_slashings: the correlation penalty, halfway through a
	// slashed validator's slashings window.
	var slashed uint64
	for _, v := range s.Slashings {
		slashed += v
	}
	adjusted := slashed * c.ProportionalSlashingMultiplier
	if adjusted > total {
		adjusted = total
	}
	half := c.Registry.EpochsPerSlashingsVector / 2
	for i := range vals {
		v := &vals[i]
		if v.Slashed && current+half == v.WithdrawableEpoch {
			p := v.EffectiveBalance / inc * adjusted / total * inc
			if _, err := registry.Penalize(s.Registry, uint64(i), p); err != nil {
				return err
			}
		}
	}

	if err := registry.ProcessEpoch(&c.Registry, s.Registry, s.FFG.Finalized.Epoch); err != nil {
		return err
	}
	s.Slashings[(current+1)%uint64(len(s.Slashings))] = 0
	s.Mixes.EndEpoch(current)
	n := len(s.Registry.Validators)
	s.PreviousParticipation = s.CurrentParticipation
	s.CurrentParticipation = make([]uint8, n)
	for len(s.Inactivity) < n {
		s.Inactivity = append(s.Inactivity, 0)
	}
	for len(s.PreviousParticipation) < n {
		s.PreviousParticipation = append(s.PreviousParticipation, 0)
	}
	return nil
}

// epochChunk is the hash tree root of a uint64: what a RANDAO reveal signs.
func epochChunk(epoch uint64) Root {
	var r Root
	binary.LittleEndian.PutUint64(r[:], epoch)
	return r
}

// RandaoMessage is what a proposer signs for its RANDAO reveal at epoch.
func (c *Config) RandaoMessage(epoch uint64) Root {
	return slashing.SigningRoot(epochChunk(epoch), c.RandaoDomain)
}

// HeaderMessage is what a proposer signs for a header.
func (c *Config) HeaderMessage(h *slashing.BeaconBlockHeader) Root {
	return slashing.SigningRoot(h.HashTreeRoot(), c.ProposerDomain)
}

// AttestationMessage is what an attester signs for data.
func (c *Config) AttestationMessage(d *slashing.AttestationData) Root {
	return slashing.SigningRoot(d.HashTreeRoot(), c.AttesterDomain)
}

// Verify says which signatures ProcessBlock checks. A block a node
// builds itself is processed without them to compute its state root.
type Verify bool

// The two modes of ProcessBlock.
const (
	VerifySignatures Verify = true
	SkipSignatures   Verify = false
)

// ProcessBlock applies b to s, which ProcessSlots has brought to b's slot
// (process_block), checking in this order: the slot (ErrBadSlot), the
// parent (ErrBadParent), the proposer (ErrWrongProposer), the body root
// (ErrBadBodyRoot), the proposer's signature (ErrBadProposerSignature),
// the RANDAO reveal (ErrBadRandao), the evidence and attestation counts
// (ErrTooMany), the proposer slashings and then the attester slashings
// (ErrBadSlashing), the attestations (ErrBadAttestation,
// ErrBadAttestationSignature), the exit count (ErrTooMany), the
// transactions (ErrBadTransactions) with their deposits (ErrBadDeposit),
// and last the voluntary exits (ErrBadExit). It does not check the state
// root; the caller
// compares s.Root() with the header's. On error s is left half-applied:
// callers work on a clone.
func ProcessBlock(c *Config, s *State, b *Block, verify Verify) error {
	h := &b.Header.Message
	if h.Slot != s.Slot || h.Slot <= s.LatestHeader.Slot {
		return ruleErrorf(ErrBadSlot, "block at slot %d, state at slot %d after a block at slot %d",
			h.Slot, s.Slot, s.LatestHeader.Slot)
	}
	if parent := s.LatestHeader.HashTreeRoot(); h.ParentRoot != parent {
		return ruleErrorf(ErrBadParent, "block's parent %x, state's latest block %x", h.ParentRoot[:8], parent[:8])
	}
	proposer, err := s.Proposer(c, h.Slot)
	if err != nil {
		return err
	}
	if h.ProposerIndex != proposer || s.Registry.Validators[proposer].Slashed {
		return ruleErrorf(ErrWrongProposer, "block by validator %d, slot %d's proposer is %d (slashed %v)",
			h.ProposerIndex, h.Slot, proposer, s.Registry.Validators[proposer].Slashed)
	}
	bodyRoot, err := b.Body.BodyRoot()
	if err != nil {
		return wrapRule(ErrMalformed, err, "body")
	}
	if bodyRoot != h.BodyRoot {
		return ruleErrorf(ErrBadBodyRoot, "header's body root is not the body's")
	}
	pk, ok := s.PublicKey(c, proposer)
	if !ok {
		return ruleErrorf(ErrWrongProposer, "proposer %d has no valid key", proposer)
	}
	epoch := c.EpochOf(h.Slot)
	if verify {
		msg := c.HeaderMessage(h)
		if !verifySig(b.Header.Signature[:], pk, msg[:]) {
			return ruleErrorf(ErrBadProposerSignature, "block signature does not verify for proposer %d", proposer)
		}
		rm := c.RandaoMessage(epoch)
		if !verifySig(b.Body.RandaoReveal[:], pk, rm[:]) {
			return ruleErrorf(ErrBadRandao, "RANDAO reveal does not verify for proposer %d", proposer)
		}
	}
	s.LatestHeader = *h
	s.LatestHeader.StateRoot = Root{}
	s.Mixes.Reveal(epoch, b.Body.RandaoReveal[:])

	body := &b.Body
	if len(body.ProposerSlashings) > MaxProposerSlashings ||
		len(body.AttesterSlashings) > MaxAttesterSlashings ||
		len(body.Attestations) > MaxAttestations {
		return ruleErrorf(ErrTooMany, "%d proposer slashings, %d attester slashings, %d attestations",
			len(body.ProposerSlashings), len(body.AttesterSlashings), len(body.Attestations))
	}
	for i := range body.ProposerSlashings {
		if err := processProposerSlashing(c, s, &body.ProposerSlashings[i], proposer, verify); err != nil {
			return err
		}
	}
	for i := range body.AttesterSlashings {
		if err := processAttesterSlashing(c, s, &body.AttesterSlashings[i], proposer, verify); err != nil {
			return err
		}
	}
	for i := range body.Attestations {
		if err := processAttestation(c, s, &body.Attestations[i], verify); err != nil {
			return err
		}
	}
	if len(body.VoluntaryExits) > MaxVoluntaryExits {
		return ruleErrorf(ErrTooMany, "%d voluntary exits", len(body.VoluntaryExits))
	}
	if err := processTransactions(c, s, body); err != nil {
		return err
	}
	for i := range body.VoluntaryExits {
		if err := processExit(c, s, &body.VoluntaryExits[i], verify); err != nil {
			return err
		}
	}
	return nil
}

func verifySig(sig []byte, pk *bls.PublicKey, msg []byte) bool {
	s, err := bls.SignatureFromBytes(sig)
	return err == nil && s.Verify(pk, msg)
}

// slashable is is_slashable_validator at epoch.
func slashable(v *registry.Validator, epoch uint64) bool {
	return !v.Slashed && v.ActivationEpoch <= epoch && epoch < v.WithdrawableEpoch
}

// slashValidator is slash_validator: the forced exit (pos/registry), the
// effective balance added to this epoch's slashings, the immediate penalty
// (1/MinSlashingPenaltyQuotient of the effective balance) taken from the
// stake, and the whistleblower reward (1/WhistleblowerRewardQuotient)
// added to the proposer's stake.
func slashValidator(c *Config, s *State, i, proposer uint64) error {
	epoch := c.EpochOf(s.Slot)
	if err := registry.Slash(&c.Registry, s.Registry, i); err != nil {
		return err
	}
	eff := s.Registry.Validators[i].EffectiveBalance
	s.Slashings[epoch%uint64(len(s.Slashings))] += eff
	if _, err := registry.Penalize(s.Registry, i, eff/c.MinSlashingPenaltyQuotient); err != nil {
		return err
	}
	s.Registry.Validators[proposer].Balance += eff / c.WhistleblowerRewardQuotient
	return nil
}

func processProposerSlashing(c *Config, s *State, ps *slashing.ProposerSlashing, proposer uint64, verify Verify) error {
	i := ps.Header1.Message.ProposerIndex
	if err := slashing.CheckProposerSlashing(ps); err != nil {
		return wrapRule(ErrBadSlashing, err, "proposer slashing")
	}
	if i >= uint64(len(s.Registry.Validators)) || !slashable(&s.Registry.Validators[i], c.EpochOf(s.Slot)) {
		return ruleErrorf(ErrBadSlashing, "proposer slashing of validator %d, which is not slashable", i)
	}
	if verify {
		pk, ok := s.PublicKey(c, i)
		if !ok {
			return ruleErrorf(ErrBadSlashing, "validator %d has no valid key", i)
		}
		if err := slashing.VerifyProposerSlashing(ps, pk, c.ProposerDomain); err != nil {
			return wrapRule(ErrBadSlashing, err, "proposer slashing")
		}
	}
	return slashValidator(c, s, i, proposer)
}

func processAttesterSlashing(c *Config, s *State, as *slashing.AttesterSlashing, proposer uint64, verify Verify) error {
	var idx []uint64
	var err error
	if verify {
		keys := func(i uint64) (*bls.PublicKey, bool) { return s.PublicKey(c, i) }
		idx, err = slashing.VerifyAttesterSlashing(as, keys, func(uint64) slashing.Domain { return c.AttesterDomain })
	} else {
		idx, err = slashing.CheckAttesterSlashing(as)
	}
	if err != nil {
		return wrapRule(ErrBadSlashing, err, "attester slashing")
	}
	epoch := c.EpochOf(s.Slot)
	any := false
	for _, i := range idx {
		if i < uint64(len(s.Registry.Validators)) && slashable(&s.Registry.Validators[i], epoch) {
			if err := slashValidator(c, s, i, proposer); err != nil {
				return err
			}
			any = true
		}
	}
	if !any {
		return ruleErrorf(ErrBadSlashing, "attester slashing slashes nobody")
	}
	return nil
}

// AttestingIndices returns the validators whose bits a is set for, in
// committee order, after checking the attestation against the state
// without its signature: target epoch the previous or current one and
// its slot's epoch, a committee index in range and bits fitting the
// committee.
func AttestingIndices(c *Config, s *State, a *Attestation) ([]uint64, error) {
	d := &a.Data
	cur := c.EpochOf(s.Slot)
	if d.Target.Epoch != cur && d.Target.Epoch+1 != cur {
		return nil, ruleErrorf(ErrBadAttestation, "target epoch %d in epoch %d", d.Target.Epoch, cur)
	}
	if d.Target.Epoch != c.EpochOf(d.Slot) {
		return nil, ruleErrorf(ErrBadAttestation, "target epoch %d for slot %d", d.Target.Epoch, d.Slot)
	}
	sh, err := s.Shuffling(c, d.Target.Epoch)
	if err != nil {
		return nil, err
	}
	if d.Index >= sh.CommitteesPerSlot() {
		return nil, ruleErrorf(ErrBadAttestation, "committee index %d of %d", d.Index, sh.CommitteesPerSlot())
	}
	committee, err := sh.BeaconCommittee(d.Slot, d.Index)
	if err != nil {
		return nil, wrapRule(ErrBadAttestation, err, "committee")
	}
	if int(a.Len) != len(committee) || len(a.Bits) != (len(committee)+7)/8 {
		return nil, ruleErrorf(ErrBadAttestation, "bits for a committee of %d, committee has %d", a.Len, len(committee))
	}
	var out []uint64
	for i, v := range committee {
		if a.Has(i) {
			out = append(out, v)
		}
	}
	if len(out) == 0 {
		return nil, ruleErrorf(ErrBadAttestation, "no attester set")
	}
	return out, nil
}

// processAttestation is process_attestation (Altair): the inclusion window
// (at least one slot after the vote, at most an epoch), the committee and
// bits (AttestingIndices), the source (the state's current justified
// checkpoint for a current-epoch target, the previous justified one
// otherwise), the aggregate signature, then the participation flags:
// source when included within √(slots per epoch) slots, target when the
// target root is the state's block root at the target epoch's start and
// included within an epoch, head when the head root is also the state's
// block root at the vote's slot and included in the next slot.
func processAttestation(c *Config, s *State, a *Attestation, verify Verify) error {
	d := &a.Data
	if d.Slot+1 > s.Slot || s.Slot > d.Slot+c.SlotsPerEpoch() {
		return ruleErrorf(ErrBadAttestation, "attestation of slot %d included at slot %d", d.Slot, s.Slot)
	}
	idx, err := AttestingIndices(c, s, a)
	if err != nil {
		return err
	}
	cur := c.EpochOf(s.Slot)
	src := s.FFG.PreviousJustified
	flags := s.PreviousParticipation
	if d.Target.Epoch == cur {
		src = s.FFG.CurrentJustified
		flags = s.CurrentParticipation
	}
	if d.Source.Epoch != src.Epoch || d.Source.Root != Root(src.Root) {
		return ruleErrorf(ErrBadAttestation, "source epoch %d is not the justified checkpoint (epoch %d)",
			d.Source.Epoch, src.Epoch)
	}
	if verify {
		if err := verifyAggregate(c, s, a, idx); err != nil {
			return err
		}
	}
	delay := s.Slot - d.Slot
	targetRoot, _ := s.BlockRootAt(c, c.EpochStart(d.Target.Epoch))
	headRoot, _ := s.BlockRootAt(c, d.Slot)
	matchTarget := d.Target.Root == targetRoot
	matchHead := matchTarget && d.BeaconBlockRoot == headRoot
	var set uint8
	if delay <= ffg.IntegerSquareRoot(c.SlotsPerEpoch()) {
		set |= 1 << ffg.TimelySourceFlag
	}
	if matchTarget && delay <= c.SlotsPerEpoch() {
		set |= 1 << ffg.TimelyTargetFlag
	}
	if matchHead && delay == 1 {
		set |= 1 << ffg.TimelyHeadFlag
	}
	for _, v := range idx {
		flags[v] |= set
	}
	return nil
}

// processTransactions checks and connects the block's transactions as a
// sideblock at the next height (sideblock.CheckBlockSanity, then
// CheckConnectBlock against the state's UTXO set, then ApplyBlock), with
// the payout of the withdrawable validators in sideblock's mint form as
// the second transaction when one is due and no mint transaction
// otherwise (checkWithdrawals: the peg is off under pos, so the mint form
// serves only this), then empties the paid validators' balances and
// applies the deposits the transactions make (processDeposits).
func processTransactions(c *Config, s *State, body *Body) error {
	height := s.Height + 1
	sb := sideblock.NewBlock(chainhash.Hash{}, body.Transactions)
	if err := sideblock.CheckBlockSanity(sb, c.Net); err != nil {
		return wrapRule(ErrBadTransactions, err, "transactions")
	}
	paid, err := checkWithdrawals(c, s, body.Transactions)
	if err != nil {
		return err
	}
	if _, _, err := sideblock.CheckConnectBlock(sb, height, s.Utxo, c.Net); err != nil {
		return wrapRule(ErrBadTransactions, err, "transactions")
	}
	if _, err := sideblock.ApplyBlock(s.Utxo, sb); err != nil {
		return wrapRule(ErrBadTransactions, err, "transactions")
	}
	if err := applyWithdrawals(s, paid); err != nil {
		return err
	}
	if err := processDeposits(c, s, body.Transactions); err != nil {
		return err
	}
	s.Height = height
	var buf [64]byte
	copy(buf[:32], s.TxAccumulator[:])
	copy(buf[32:], sb.Header.MerkleRoot[:])
	s.TxAccumulator = chainhash.DoubleHashH(buf[:])
	return nil
}

// verifyAggregate checks a's aggregate signature for the attesters idx.
func verifyAggregate(c *Config, s *State, a *Attestation, idx []uint64) error {
	pks := make([]*bls.PublicKey, len(idx))
	for i, v := range idx {
		pk, ok := s.PublicKey(c, v)
		if !ok {
			return ruleErrorf(ErrBadAttestationSignature, "validator %d has no valid key", v)
		}
		pks[i] = pk
	}
	sig, err := bls.SignatureFromBytes(a.Signature[:])
	msg := c.AttestationMessage(&a.Data)
	if err != nil || !sig.FastAggregateVerify(pks, msg[:]) {
		return ruleErrorf(ErrBadAttestationSignature, "aggregate of %d attesters does not verify", len(idx))
	}
	return nil
}
