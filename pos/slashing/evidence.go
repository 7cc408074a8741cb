package slashing

import "github.com/mainstake/sidenode/pos/bls"

// IsDoubleVote reports whether a and b are a double vote: different data
// with the same target epoch.
func IsDoubleVote(a, b *AttestationData) bool {
	return *a != *b && a.Target.Epoch == b.Target.Epoch
}

// IsSurroundVote reports whether a surrounds b: a's source is before b's
// and a's target after b's.
func IsSurroundVote(a, b *AttestationData) bool {
	return a.Source.Epoch < b.Source.Epoch && b.Target.Epoch < a.Target.Epoch
}

// IsSlashableAttestationData is is_slashable_attestation_data: a double
// vote, or a surrounding b.
func IsSlashableAttestationData(a, b *AttestationData) bool {
	return IsDoubleVote(a, b) || IsSurroundVote(a, b)
}

// CheckProposerSlashing checks the rule of process_proposer_slashing that
// needs no state: the two headers have the same slot and proposer and
// differ. Whether the proposer is slashable (active, not slashed yet) is
// the engine's check; the signatures are VerifyProposerSlashing's.
func CheckProposerSlashing(s *ProposerSlashing) error {
	h1, h2 := &s.Header1.Message, &s.Header2.Message
	switch {
	case h1.Slot != h2.Slot:
		return ruleErrorf(ErrSlotMismatch, "headers at slots %d and %d",
			h1.Slot, h2.Slot)
	case h1.ProposerIndex != h2.ProposerIndex:
		return ruleErrorf(ErrProposerMismatch, "headers of proposers %d "+
			"and %d", h1.ProposerIndex, h2.ProposerIndex)
	case *h1 == *h2:
		return ruleErrorf(ErrSameHeader, "the two headers are the same")
	}
	return nil
}

// VerifyProposerSlashing checks the slashing with CheckProposerSlashing,
// then both signatures against the proposer's public key: each must sign
// SigningRoot(header root, domain). domain is get_domain(state,
// DOMAIN_BEACON_PROPOSER, epoch of the headers' slot), which the engine
// computes (ComputeDomain with DomainBeaconProposer).
func VerifyProposerSlashing(s *ProposerSlashing, proposer *bls.PublicKey, domain Domain) error {
	if err := CheckProposerSlashing(s); err != nil {
		return err
	}
	for i, h := range []*SignedBeaconBlockHeader{&s.Header1, &s.Header2} {
		sig, err := bls.SignatureFromBytes(h.Signature[:])
		if err != nil {
			return ruleErrorf(ErrBadSignature, "header %d signature: %v", i+1, err)
		}
		root := SigningRoot(h.Message.HashTreeRoot(), domain)
		if !sig.Verify(proposer, root[:]) {
			return ruleErrorf(ErrBadSignature, "header %d signature does "+
				"not verify for proposer %d", i+1, h.Message.ProposerIndex)
		}
	}
	return nil
}

// checkIndices is the index part of is_valid_indexed_attestation: at
// least one index, strictly ascending.
func checkIndices(a *IndexedAttestation) error {
	if len(a.AttestingIndices) == 0 {
		return ruleErrorf(ErrBadIndices, "attestation without attesting "+
			"indices")
	}
	for i := 1; i < len(a.AttestingIndices); i++ {
		if a.AttestingIndices[i] <= a.AttestingIndices[i-1] {
			return ruleErrorf(ErrBadIndices, "attesting indices not "+
				"strictly ascending at position %d", i)
		}
	}
	return nil
}

// CheckAttesterSlashing checks the rules of process_attester_slashing that
// need no state and no keys: the data are slashable (a double vote, or the
// first attestation surrounding the second), both index lists are
// non-empty and strictly ascending, and some validator is in both. It
// returns those validators, ascending: the ones the evidence slashes (the
// engine skips those no longer slashable).
func CheckAttesterSlashing(s *AttesterSlashing) ([]uint64, error) {
	a1, a2 := &s.Attestation1, &s.Attestation2
	if !IsSlashableAttestationData(&a1.Data, &a2.Data) {
		return nil, ruleErrorf(ErrNotSlashable, "attestations (source %d, "+
			"target %d) and (source %d, target %d) are neither a double "+
			"nor a surround vote", a1.Data.Source.Epoch,
			a1.Data.Target.Epoch, a2.Data.Source.Epoch,
			a2.Data.Target.Epoch)
	}
	if err := checkIndices(a1); err != nil {
		return nil, err
	}
	if err := checkIndices(a2); err != nil {
		return nil, err
	}
	var common []uint64
	i, j := a1.AttestingIndices, a2.AttestingIndices
	for len(i) > 0 && len(j) > 0 {
		switch {
		case i[0] < j[0]:
			i = i[1:]
		case i[0] > j[0]:
			j = j[1:]
		default:
			common = append(common, i[0])
			i, j = i[1:], j[1:]
		}
	}
	if len(common) == 0 {
		return nil, ruleErrorf(ErrNoCommonIndex, "no validator signed "+
			"both attestations")
	}
	return common, nil
}

// PublicKeys looks up a validator's public key by index; ok is false for
// an unknown index.
type PublicKeys func(index uint64) (pk *bls.PublicKey, ok bool)

// VerifyIndexedAttestation is is_valid_indexed_attestation: the indices are
// non-empty and strictly ascending, and the signature is the aggregate of
// their keys' signatures of SigningRoot(data root, domain). domain is
// get_domain(state, DOMAIN_BEACON_ATTESTER, data.target.epoch), which the
// engine computes (ComputeDomain with DomainBeaconAttester).
func VerifyIndexedAttestation(a *IndexedAttestation, keys PublicKeys, domain Domain) error {
	if err := checkIndices(a); err != nil {
		return err
	}
	pks := make([]*bls.PublicKey, len(a.AttestingIndices))
	for i, v := range a.AttestingIndices {
		pk, ok := keys(v)
		if !ok {
			return ruleErrorf(ErrUnknownValidator, "attesting validator "+
				"%d is not known", v)
		}
		pks[i] = pk
	}
	sig, err := bls.SignatureFromBytes(a.Signature[:])
	if err != nil {
		return ruleErrorf(ErrBadSignature, "attestation signature: %v", err)
	}
	root := SigningRoot(a.Data.HashTreeRoot(), domain)
	if !sig.FastAggregateVerify(pks, root[:]) {
		return ruleErrorf(ErrBadSignature, "aggregate signature of %d "+
			"validators does not verify", len(pks))
	}
	return nil
}

// VerifyAttesterSlashing checks the slashing with CheckAttesterSlashing,
// then both attestations with VerifyIndexedAttestation. domain gives the
// attester domain for a target epoch (the two attestations may have
// different target epochs, so different fork versions). It returns the
// validators both attestations slash.
func VerifyAttesterSlashing(s *AttesterSlashing, keys PublicKeys, domain func(targetEpoch uint64) Domain) ([]uint64, error) {
	slashed, err := CheckAttesterSlashing(s)
	if err != nil {
		return nil, err
	}
	for _, a := range []*IndexedAttestation{&s.Attestation1, &s.Attestation2} {
		if err := VerifyIndexedAttestation(a, keys, domain(a.Data.Target.Epoch)); err != nil {
			return nil, err
		}
	}
	return slashed, nil
}
