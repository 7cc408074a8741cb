package slashing

import (
	"bytes"
	"encoding/binary"
	"testing"

	"github.com/mainstake/sidenode/pos/bls"
)

// TestErrorCodeStrings keeps errorCodeStrings complete.
func TestErrorCodeStrings(t *testing.T) {
	for c := ErrorCode(0); c < numErrorCodes; c++ {
		if errorCodeStrings[c] == "" {
			t.Errorf("code %d has no name", c)
		}
	}
	if len(errorCodeStrings) != int(numErrorCodes) {
		t.Errorf("%d names for %d codes", len(errorCodeStrings), numErrorCodes)
	}
}

func wantCode(t *testing.T, err error, c ErrorCode) {
	t.Helper()
	if !IsErrorCode(err, c) {
		t.Fatalf("got %v, want %v", err, c)
	}
}

func key(t testing.TB, i byte) *bls.SecretKey {
	t.Helper()
	sk, err := bls.GenerateKey(bytes.Repeat([]byte{i + 1}, 32))
	if err != nil {
		t.Fatal(err)
	}
	return sk
}

var testDomain = ComputeDomain(DomainBeaconProposer, [4]byte{1, 2, 3, 4}, Root{9})

func signHeader(sk *bls.SecretKey, m BeaconBlockHeader, d Domain) SignedBeaconBlockHeader {
	r := SigningRoot(m.HashTreeRoot(), d)
	return SignedBeaconBlockHeader{Message: m, Signature: sk.Sign(r[:]).Bytes()}
}

func doubleProposal(t testing.TB) (*ProposerSlashing, *bls.SecretKey) {
	sk := key(t, 0)
	m1 := BeaconBlockHeader{Slot: 10, ProposerIndex: 3, BodyRoot: Root{1}}
	m2 := m1
	m2.BodyRoot = Root{2}
	return &ProposerSlashing{Header1: signHeader(sk, m1, testDomain),
		Header2: signHeader(sk, m2, testDomain)}, sk
}

func TestProposerSlashing(t *testing.T) {
	s, sk := doubleProposal(t)
	pk := sk.PublicKey()
	if err := VerifyProposerSlashing(s, pk, testDomain); err != nil {
		t.Fatal(err)
	}
	// Another domain (another fork or network): the signatures fail.
	other := ComputeDomain(DomainBeaconProposer, [4]byte{1, 2, 3, 5}, Root{9})
	wantCode(t, VerifyProposerSlashing(s, pk, other), ErrBadSignature)
	// Another key.
	wantCode(t, VerifyProposerSlashing(s, key(t, 1).PublicKey(), testDomain), ErrBadSignature)
	// A signature that is not a point.
	bad := *s
	bad.Header2.Signature = [SignatureSize]byte{0xff}
	wantCode(t, VerifyProposerSlashing(&bad, pk, testDomain), ErrBadSignature)

	bad = *s
	bad.Header2.Message.Slot++
	wantCode(t, CheckProposerSlashing(&bad), ErrSlotMismatch)
	bad = *s
	bad.Header2.Message.ProposerIndex++
	wantCode(t, CheckProposerSlashing(&bad), ErrProposerMismatch)
	bad = *s
	bad.Header2 = bad.Header1
	wantCode(t, CheckProposerSlashing(&bad), ErrSameHeader)
	// Same header, different signature bytes: still one proposal.
	bad.Header2.Signature[0] ^= 1
	wantCode(t, CheckProposerSlashing(&bad), ErrSameHeader)
}

type keyring []*bls.SecretKey

func (k keyring) lookup(i uint64) (*bls.PublicKey, bool) {
	if i >= uint64(len(k)) {
		return nil, false
	}
	return k[i].PublicKey(), true
}

func attDomain(epoch uint64) Domain {
	return ComputeDomain(DomainBeaconAttester, [4]byte{byte(epoch / 100)}, Root{7})
}

func signAtt(t testing.TB, k keyring, d AttestationData, idx ...uint64) IndexedAttestation {
	r := SigningRoot(d.HashTreeRoot(), attDomain(d.Target.Epoch))
	var sigs []*bls.Signature
	for _, i := range idx {
		sigs = append(sigs, k[i].Sign(r[:]))
	}
	agg, err := bls.AggregateSignatures(sigs)
	if err != nil {
		t.Fatal(err)
	}
	return IndexedAttestation{AttestingIndices: idx, Data: d, Signature: agg.Bytes()}
}

func vote(source, target uint64, head byte) AttestationData {
	return AttestationData{Slot: target * 8, BeaconBlockRoot: Root{head},
		Source: Checkpoint{Epoch: source}, Target: Checkpoint{Epoch: target}}
}

func TestAttesterSlashingRules(t *testing.T) {
	k := keyring{key(t, 0), key(t, 1), key(t, 2), key(t, 3)}
	// Double vote: same target, different head.
	s := &AttesterSlashing{
		Attestation1: signAtt(t, k, vote(1, 2, 1), 0, 1, 2),
		Attestation2: signAtt(t, k, vote(1, 2, 2), 1, 2, 3),
	}
	got, err := VerifyAttesterSlashing(s, k.lookup, attDomain)
	if err != nil || len(got) != 2 || got[0] != 1 || got[1] != 2 {
		t.Fatalf("double vote: %v %v", got, err)
	}
	// Surround: (1, 250) surrounds (2, 3); the targets have different
	// fork domains.
	s = &AttesterSlashing{
		Attestation1: signAtt(t, k, vote(1, 250, 1), 0),
		Attestation2: signAtt(t, k, vote(2, 3, 1), 0),
	}
	if _, err := VerifyAttesterSlashing(s, k.lookup, attDomain); err != nil {
		t.Fatal(err)
	}
	// The other order is no evidence: the first must surround.
	s.Attestation1, s.Attestation2 = s.Attestation2, s.Attestation1
	_, err = CheckAttesterSlashing(s)
	wantCode(t, err, ErrNotSlashable)
	// The same data twice is one vote.
	s = &AttesterSlashing{Attestation1: signAtt(t, k, vote(1, 2, 1), 0),
		Attestation2: signAtt(t, k, vote(1, 2, 1), 0, 1)}
	_, err = CheckAttesterSlashing(s)
	wantCode(t, err, ErrNotSlashable)
	// The same source with a later target surrounds nothing; nor does
	// the same target with an earlier source (that is a double vote).
	for _, pair := range [][2]AttestationData{{vote(1, 5, 1), vote(1, 3, 1)}, {vote(0, 5, 1), vote(2, 5, 1)}} {
		if IsSurroundVote(&pair[0], &pair[1]) {
			t.Errorf("%+v counted as surrounding %+v", pair[0], pair[1])
		}
	}
	s = &AttesterSlashing{Attestation1: signAtt(t, k, vote(1, 5, 1), 0),
		Attestation2: signAtt(t, k, vote(1, 3, 1), 0)}
	_, err = CheckAttesterSlashing(s)
	wantCode(t, err, ErrNotSlashable)
	// Consecutive votes are fine.
	s = &AttesterSlashing{Attestation1: signAtt(t, k, vote(1, 2, 1), 0),
		Attestation2: signAtt(t, k, vote(2, 3, 1), 0)}
	_, err = CheckAttesterSlashing(s)
	wantCode(t, err, ErrNotSlashable)
	// Nobody in both.
	s = &AttesterSlashing{Attestation1: signAtt(t, k, vote(1, 2, 1), 0),
		Attestation2: signAtt(t, k, vote(1, 2, 2), 1)}
	_, err = CheckAttesterSlashing(s)
	wantCode(t, err, ErrNoCommonIndex)
	// Unsorted, duplicate and empty indices.
	for _, idx := range [][]uint64{{1, 0}, {1, 1}, {}} {
		s = &AttesterSlashing{Attestation1: signAtt(t, k, vote(1, 2, 1), 0),
			Attestation2: IndexedAttestation{AttestingIndices: idx, Data: vote(1, 2, 2)}}
		_, err = CheckAttesterSlashing(s)
		wantCode(t, err, ErrBadIndices)
	}
	// A signature by someone else, an unknown validator, a wrong
	// domain.
	s = &AttesterSlashing{Attestation1: signAtt(t, k, vote(1, 2, 1), 0, 1),
		Attestation2: signAtt(t, k, vote(1, 2, 2), 1)}
	s.Attestation2.AttestingIndices = []uint64{1, 2}
	_, err = VerifyAttesterSlashing(s, k.lookup, attDomain)
	wantCode(t, err, ErrBadSignature)
	s.Attestation2.AttestingIndices = []uint64{1, 9}
	_, err = VerifyAttesterSlashing(s, k.lookup, attDomain)
	wantCode(t, err, ErrUnknownValidator)
	s = &AttesterSlashing{Attestation1: signAtt(t, k, vote(1, 2, 1), 0, 1),
		Attestation2: signAtt(t, k, vote(1, 2, 2), 1)}
	_, err = VerifyAttesterSlashing(s, k.lookup, func(uint64) Domain { return testDomain })
	wantCode(t, err, ErrBadSignature)
}

func TestDetector(t *testing.T) {
	d := NewDetector()
	s, _ := doubleProposal(t)
	for range 2 {
		if d.ObserveHeader(&s.Header1) != nil {
			t.Fatal("one header is evidence")
		}
	}
	got := d.ObserveHeader(&s.Header2)
	if got == nil || CheckProposerSlashing(got) != nil {
		t.Fatalf("double proposal not found: %v", got)
	}
	other := s.Header2
	other.Message.Slot++
	if d.ObserveHeader(&other) != nil {
		t.Fatal("headers at two slots are evidence")
	}

	mk := func(source, target uint64, head byte, idx ...uint64) *IndexedAttestation {
		return &IndexedAttestation{AttestingIndices: idx, Data: vote(source, target, head)}
	}
	if len(d.ObserveAttestation(mk(1, 2, 1, 0, 1))) != 0 ||
		len(d.ObserveAttestation(mk(2, 3, 1, 0, 1))) != 0 ||
		len(d.ObserveAttestation(mk(1, 2, 1, 2))) != 0 {
		t.Fatal("honest votes are evidence")
	}
	// Double vote by 1 and 2 (2 voted the same data in another
	// aggregate): one piece of evidence per earlier attestation.
	ev := d.ObserveAttestation(mk(1, 2, 9, 1, 2))
	if len(ev) != 2 {
		t.Fatalf("%d pieces of evidence, want 2", len(ev))
	}
	for _, e := range ev {
		if _, err := CheckAttesterSlashing(e); err != nil {
			t.Fatal(err)
		}
	}
	// Surround: (0, 5) surrounds (1, 2) and (2, 3) of validator 0;
	// ordered so the surrounding one is first. Then (3, 4) inside
	// (0, 5), surrounded.
	ev = d.ObserveAttestation(mk(0, 5, 1, 0))
	if len(ev) != 2 {
		t.Fatalf("surround: %d pieces of evidence, want 2", len(ev))
	}
	for _, e := range ev {
		if !IsSurroundVote(&e.Attestation1.Data, &e.Attestation2.Data) ||
			e.Attestation1.Data.Target.Epoch != 5 {
			t.Fatalf("surround: %+v", e)
		}
	}
	ev = d.ObserveAttestation(mk(3, 4, 1, 0))
	if len(ev) != 1 || ev[0].Attestation1.Data.Target.Epoch != 5 {
		t.Fatalf("surrounded: %+v", ev)
	}
	d.Prune(100, 100)
	if len(d.ObserveAttestation(mk(1, 2, 7, 0, 1))) != 0 || d.ObserveHeader(&s.Header2) != nil {
		t.Fatal("pruned records still found")
	}
}

func TestDecodeErrors(t *testing.T) {
	s, _ := doubleProposal(t)
	enc := s.Encode()
	for _, b := range [][]byte{nil, enc[:len(enc)-1], append(enc, 0)} {
		_, err := DecodeProposerSlashing(b)
		wantCode(t, err, ErrMalformed)
	}
	_, err := DecodeSignedHeader(enc[:SignedHeaderSize+1])
	wantCode(t, err, ErrMalformed)
	h, err := DecodeSignedHeader(enc[:SignedHeaderSize])
	if err != nil || *h != s.Header1 {
		t.Fatal("header does not round-trip")
	}
	as := &AttesterSlashing{
		Attestation1: IndexedAttestation{AttestingIndices: []uint64{1, 2}, Data: vote(1, 2, 1)},
		Attestation2: IndexedAttestation{AttestingIndices: []uint64{2}, Data: vote(1, 2, 2)},
	}
	good := as.Encode()
	mut := func(f func(b []byte) []byte) []byte {
		return f(append([]byte(nil), good...))
	}
	for name, b := range map[string][]byte{
		"short":         good[:7],
		"trailing byte": append(append([]byte(nil), good...), 0),
		"first offset": mut(func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b, 9)
			return b
		}),
		"second offset past end": mut(func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[4:], uint32(len(b)+1))
			return b
		}),
		"second offset before first": mut(func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[4:], 4)
			return b
		}),
		"inner offset": mut(func(b []byte) []byte {
			binary.LittleEndian.PutUint32(b[8:], 0)
			return b
		}),
		"split index": mut(func(b []byte) []byte {
			off := binary.LittleEndian.Uint32(b[4:])
			binary.LittleEndian.PutUint32(b[4:], off-1)
			return b
		}),
	} {
		if _, err := DecodeAttesterSlashing(b); !IsErrorCode(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
	big := IndexedAttestation{AttestingIndices: make([]uint64, MaxValidatorsPerCommittee+1)}
	_, err = DecodeIndexedAttestation(big.Encode())
	wantCode(t, err, ErrMalformed)
	got, err := DecodeAttesterSlashing(good)
	if err != nil || !bytes.Equal(got.Encode(), good) {
		t.Fatalf("round trip: %v", err)
	}
}
