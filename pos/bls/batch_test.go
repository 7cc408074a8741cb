package bls

import (
	"fmt"
	"testing"
)

// batchSets returns n valid sets: set i is the aggregate signature of
// message i by a committee of size keys (keys shared between sets), set 0
// a single block signature.
func batchSets(t testing.TB, n, size int) []SignatureSet {
	t.Helper()
	var sks []*SecretKey
	var pks []*PublicKey
	for i := range size {
		sk := testKey(t, 3000+i)
		sks, pks = append(sks, sk), append(pks, sk.PublicKey())
	}
	sets := make([]SignatureSet, n)
	for i := range sets {
		msg := []byte(fmt.Sprintf("attestation %d", i))
		signers := sks
		if i == 0 {
			signers = sks[:1]
		}
		var sigs []*Signature
		for _, sk := range signers {
			sigs = append(sigs, sk.Sign(msg))
		}
		agg, err := AggregateSignatures(sigs)
		if err != nil {
			t.Fatal(err)
		}
		sets[i] = SignatureSet{Signature: agg, PublicKeys: pks[:len(signers)], Message: msg}
	}
	return sets
}

func TestVerifyBatch(t *testing.T) {
	sets := batchSets(t, 6, 8)
	for i, s := range sets {
		if !s.Signature.FastAggregateVerify(s.PublicKeys, s.Message) {
			t.Fatalf("set %d does not verify alone", i)
		}
	}
	if !VerifyBatch(sets) {
		t.Fatal("valid batch refused")
	}
	if VerifyBatch(nil) {
		t.Fatal("empty batch accepted")
	}
	bad := func(name string, edit func([]SignatureSet)) {
		t.Helper()
		c := append([]SignatureSet(nil), sets...)
		edit(c)
		if VerifyBatch(c) {
			t.Errorf("%s: batch accepted", name)
		}
	}
	bad("wrong message", func(c []SignatureSet) { c[3].Message = []byte("other") })
	bad("missing signer", func(c []SignatureSet) { c[2].PublicKeys = c[2].PublicKeys[1:] })
	bad("no keys", func(c []SignatureSet) { c[1].PublicKeys = nil })
	bad("no signature", func(c []SignatureSet) { c[4].Signature = nil })
	bad("zero signature", func(c []SignatureSet) { c[4].Signature = &Signature{} })
	bad("zero key", func(c []SignatureSet) { c[5].PublicKeys = []*PublicKey{{}} })
	// Two sets with swapped signatures: each is wrong, their sum is not.
	// Only the random weights tell them apart.
	bad("swapped signatures", func(c []SignatureSet) {
		c[1].Signature, c[2].Signature = c[2].Signature, c[1].Signature
	})
}
