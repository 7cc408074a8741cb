package slashing

import (
	"bytes"
	"math/rand"
	"testing"

	"github.com/protolambda/zrnt/eth2/beacon/common"
	"github.com/protolambda/zrnt/eth2/beacon/phase0"
	"github.com/protolambda/zrnt/eth2/configs"
	"github.com/protolambda/ztyp/codec"
	"github.com/protolambda/ztyp/tree"
)

// The tests in this file decode our encodings with
// github.com/protolambda/zrnt v0.34.1 (imported by tests only), compare
// its hash tree roots with ours, and re-encode with it: the evidence types
// are the specifications' SSZ containers. ComputeDomain and SigningRoot
// are compared with zrnt's too.

func randRoot(rng *rand.Rand) Root {
	var r Root
	rng.Read(r[:])
	return r
}

func randHeader(rng *rand.Rand) SignedBeaconBlockHeader {
	var h SignedBeaconBlockHeader
	h.Message = BeaconBlockHeader{Slot: rng.Uint64(), ProposerIndex: rng.Uint64(),
		ParentRoot: randRoot(rng), StateRoot: randRoot(rng), BodyRoot: randRoot(rng)}
	rng.Read(h.Signature[:])
	return h
}

func randAttestation(rng *rand.Rand) IndexedAttestation {
	a := IndexedAttestation{Data: AttestationData{Slot: rng.Uint64(), Index: rng.Uint64(),
		BeaconBlockRoot: randRoot(rng),
		Source:          Checkpoint{Epoch: rng.Uint64(), Root: randRoot(rng)},
		Target:          Checkpoint{Epoch: rng.Uint64(), Root: randRoot(rng)}}}
	n := rng.Intn(40)
	for i := 0; i < n; i++ {
		a.AttestingIndices = append(a.AttestingIndices, rng.Uint64())
	}
	rng.Read(a.Signature[:])
	return a
}

func TestZrntProposerSlashing(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 50; i++ {
		s := ProposerSlashing{Header1: randHeader(rng), Header2: randHeader(rng)}
		enc := s.Encode()
		var z phase0.ProposerSlashing
		if err := z.Deserialize(codec.NewDecodingReader(bytes.NewReader(enc), uint64(len(enc)))); err != nil {
			t.Fatal(err)
		}
		if got := z.SignedHeader1.Message.HashTreeRoot(tree.GetHashFn()); got != common.Root(s.Header1.Message.HashTreeRoot()) {
			t.Fatalf("header root %x, zrnt %x", s.Header1.Message.HashTreeRoot(), got)
		}
		var buf bytes.Buffer
		if err := z.Serialize(codec.NewEncodingWriter(&buf)); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), enc) {
			t.Fatal("zrnt re-encodes differently")
		}
	}
}

func TestZrntAttesterSlashing(t *testing.T) {
	spec := configs.Mainnet
	rng := rand.New(rand.NewSource(2))
	for i := 0; i < 50; i++ {
		s := AttesterSlashing{Attestation1: randAttestation(rng), Attestation2: randAttestation(rng)}
		enc := s.Encode()
		var z phase0.AttesterSlashing
		if err := z.Deserialize(spec, codec.NewDecodingReader(bytes.NewReader(enc), uint64(len(enc)))); err != nil {
			t.Fatal(err)
		}
		hfn := tree.GetHashFn()
		if got := z.Attestation1.Data.HashTreeRoot(hfn); got != common.Root(s.Attestation1.Data.HashTreeRoot()) {
			t.Fatalf("data root %x, zrnt %x", s.Attestation1.Data.HashTreeRoot(), got)
		}
		if len(z.Attestation2.AttestingIndices) != len(s.Attestation2.AttestingIndices) {
			t.Fatal("index count differs")
		}
		var buf bytes.Buffer
		if err := z.Serialize(spec, codec.NewEncodingWriter(&buf)); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(buf.Bytes(), enc) {
			t.Fatal("zrnt re-encodes differently")
		}
	}
}

func TestZrntDomain(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	for i := 0; i < 20; i++ {
		var fv [4]byte
		rng.Read(fv[:])
		gvr := randRoot(rng)
		for _, dt := range []DomainType{DomainBeaconProposer, DomainBeaconAttester} {
			d := ComputeDomain(dt, fv, gvr)
			zd := common.ComputeDomain(common.BLSDomainType(dt), common.Version(fv), common.Root(gvr))
			if Domain(zd) != d {
				t.Fatalf("domain %x, zrnt %x", d, zd)
			}
			obj := randRoot(rng)
			if SigningRoot(obj, d) != Root(common.ComputeSigningRoot(common.Root(obj), zd)) {
				t.Fatal("signing root differs from zrnt's")
			}
		}
	}
}
