package slashing

// Detector finds slashable behaviour in the headers and attestations a node
// sees, and returns it as evidence a proposer can include. It keeps the
// first header per (proposer, slot) and every attestation per validator
// until Prune drops them. It trusts what it is given: the caller passes
// only headers and attestations whose signatures it has verified, so that
// the evidence verifies too. A Detector is not safe for concurrent use.
type Detector struct {
	headers map[[2]uint64]*SignedBeaconBlockHeader
	votes   map[uint64][]*IndexedAttestation
}

// NewDetector returns an empty Detector.
func NewDetector() *Detector {
	return &Detector{
		headers: make(map[[2]uint64]*SignedBeaconBlockHeader),
		votes:   make(map[uint64][]*IndexedAttestation),
	}
}

// ObserveHeader records h, or, if another header of the same proposer and
// slot was recorded, returns the double proposal.
func (d *Detector) ObserveHeader(h *SignedBeaconBlockHeader) *ProposerSlashing {
	k := [2]uint64{h.Message.ProposerIndex, h.Message.Slot}
	prev, ok := d.headers[k]
	if !ok {
		c := *h
		d.headers[k] = &c
		return nil
	}
	if prev.Message == h.Message {
		return nil
	}
	return &ProposerSlashing{Header1: *prev, Header2: *h}
}

// ObserveAttestation records a for each of its validators and returns one
// attester slashing per earlier attestation that a conflicts with for some
// validator (a double vote, or one of the two surrounding the other,
// ordered so that the surrounding one comes first). The attestation is
// copied.
func (d *Detector) ObserveAttestation(a *IndexedAttestation) []*AttesterSlashing {
	c := *a
	c.AttestingIndices = append([]uint64(nil), a.AttestingIndices...)
	var out []*AttesterSlashing
	seen := make(map[*IndexedAttestation]bool)
	for _, v := range c.AttestingIndices {
		dup := false
		for _, prev := range d.votes[v] {
			if prev.Data == c.Data {
				dup = true
				continue
			}
			if seen[prev] {
				continue
			}
			var s *AttesterSlashing
			switch {
			case IsSlashableAttestationData(&prev.Data, &c.Data):
				s = &AttesterSlashing{Attestation1: *prev, Attestation2: c}
			case IsSurroundVote(&c.Data, &prev.Data):
				s = &AttesterSlashing{Attestation1: c, Attestation2: *prev}
			default:
				continue
			}
			seen[prev] = true
			out = append(out, s)
		}
		if !dup {
			d.votes[v] = append(d.votes[v], &c)
		}
	}
	return out
}

// Prune forgets headers before minSlot and attestations whose target epoch
// is before minEpoch: evidence older than the engine accepts.
func (d *Detector) Prune(minSlot, minEpoch uint64) {
	for k := range d.headers {
		if k[1] < minSlot {
			delete(d.headers, k)
		}
	}
	for v, list := range d.votes {
		kept := list[:0]
		for _, a := range list {
			if a.Data.Target.Epoch >= minEpoch {
				kept = append(kept, a)
			}
		}
		if len(kept) == 0 {
			delete(d.votes, v)
		} else {
			d.votes[v] = kept
		}
	}
}
