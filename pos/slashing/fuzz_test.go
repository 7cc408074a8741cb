package slashing

import (
	"bytes"
	"testing"
)

// The fuzz targets decode arbitrary bytes: a decoder must never panic, and
// what it accepts must encode back to the same bytes. The seeds are real
// evidence: a signed double proposal and a double vote, a surround vote and
// an attestation with many indices.

func seedEvidence(f *testing.F) (ps []byte, as [][]byte) {
	s, _ := doubleProposal(f)
	ps = s.Encode()
	k := keyring{key(f, 0), key(f, 1)}
	for _, a := range []*AttesterSlashing{
		{Attestation1: signAtt(f, k, vote(1, 2, 1), 0, 1), Attestation2: signAtt(f, k, vote(1, 2, 2), 1)},
		{Attestation1: signAtt(f, k, vote(1, 5, 1), 0), Attestation2: signAtt(f, k, vote(2, 3, 1), 0)},
	} {
		as = append(as, a.Encode())
	}
	many := IndexedAttestation{Data: vote(3, 4, 1)}
	for i := range uint64(300) {
		many.AttestingIndices = append(many.AttestingIndices, i*3)
	}
	as = append(as, (&AttesterSlashing{Attestation1: many, Attestation2: many}).Encode())
	return ps, as
}

func FuzzDecodeProposerSlashing(f *testing.F) {
	ps, _ := seedEvidence(f)
	f.Add(ps)
	f.Add(ps[:SignedHeaderSize])
	f.Fuzz(func(t *testing.T, b []byte) {
		if s, err := DecodeProposerSlashing(b); err == nil {
			if !bytes.Equal(s.Encode(), b) {
				t.Fatal("round trip differs")
			}
			_ = CheckProposerSlashing(s)
		}
		if h, err := DecodeSignedHeader(b); err == nil && !bytes.Equal(h.Encode(), b) {
			t.Fatal("header round trip differs")
		}
	})
}

func FuzzDecodeAttesterSlashing(f *testing.F) {
	_, as := seedEvidence(f)
	for _, b := range as {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := DecodeAttesterSlashing(b)
		if err != nil {
			return
		}
		if !bytes.Equal(s.Encode(), b) {
			t.Fatal("round trip differs")
		}
		_, _ = CheckAttesterSlashing(s)
	})
}

func FuzzDecodeIndexedAttestation(f *testing.F) {
	_, as := seedEvidence(f)
	for _, b := range as {
		f.Add(b[8:])
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := DecodeIndexedAttestation(b)
		if err != nil {
			return
		}
		if !bytes.Equal(a.Encode(), b) {
			t.Fatal("round trip differs")
		}
	})
}
