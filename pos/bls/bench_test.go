package bls

import (
	"testing"
	"time"
)

// committeeSize is the mainnet committee size the benchmarks use: 128
// validators sign the same attestation data.
const committeeSize = 128

type committee struct {
	pks  []*PublicKey
	sigs []*Signature
	agg  *Signature
	msg  []byte
}

func newCommittee(b *testing.B) committee {
	c := committee{msg: []byte("32-byte attestation signing root")}
	for i := range committeeSize {
		sk := testKey(b, 1000+i)
		c.pks = append(c.pks, sk.PublicKey())
		c.sigs = append(c.sigs, sk.Sign(c.msg))
	}
	agg, err := AggregateSignatures(c.sigs)
	if err != nil {
		b.Fatal(err)
	}
	c.agg = agg
	return c
}

// BenchmarkVerify is one signature against one key.
func BenchmarkVerify(b *testing.B) {
	c := newCommittee(b)
	for b.Loop() {
		if !c.sigs[0].Verify(c.pks[0], c.msg) {
			b.Fatal("refused")
		}
	}
}

// BenchmarkFastAggregateVerify128 checks one committee's aggregate
// attestation: 128 keys added, one pairing check.
func BenchmarkFastAggregateVerify128(b *testing.B) {
	c := newCommittee(b)
	for b.Loop() {
		if !c.agg.FastAggregateVerify(c.pks, c.msg) {
			b.Fatal("refused")
		}
	}
}

// BenchmarkAggregateVerify128 checks an aggregate of 128 signatures of
// 128 different messages (128+1 pairings, which blst spreads over the
// cores).
func BenchmarkAggregateVerify128(b *testing.B) {
	var pks []*PublicKey
	var sigs []*Signature
	var msgs [][]byte
	for i := range committeeSize {
		sk := testKey(b, 2000+i)
		m := []byte{byte(i), byte(i >> 8), 'm'}
		pks, msgs = append(pks, sk.PublicKey()), append(msgs, m)
		sigs = append(sigs, sk.Sign(m))
	}
	agg, err := AggregateSignatures(sigs)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if !agg.AggregateVerify(pks, msgs) {
			b.Fatal("refused")
		}
	}
}

// BenchmarkAggregateSignatures128 is an aggregator's work for one
// committee.
func BenchmarkAggregateSignatures128(b *testing.B) {
	c := newCommittee(b)
	for b.Loop() {
		if _, err := AggregateSignatures(c.sigs); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCommittee128AggregateVsOneByOne verifies one committee's
// attestation both ways in the same run: its 128 signatures one by one,
// then their aggregate with FastAggregateVerify. It reports each form's
// time and the ratio (onebyone-s/aggregate-s).
func BenchmarkCommittee128AggregateVsOneByOne(b *testing.B) {
	c := newCommittee(b)
	var one, agg time.Duration
	for b.Loop() {
		start := time.Now()
		for i := range c.sigs {
			if !c.sigs[i].Verify(c.pks[i], c.msg) {
				b.Fatal("refused")
			}
		}
		one += time.Since(start)
		start = time.Now()
		if !c.agg.FastAggregateVerify(c.pks, c.msg) {
			b.Fatal("refused")
		}
		agg += time.Since(start)
	}
	n := float64(b.N)
	b.ReportMetric(one.Seconds()/n, "onebyone-s")
	b.ReportMetric(agg.Seconds()/n, "aggregate-s")
	b.ReportMetric(one.Seconds()/agg.Seconds(), "ratio")
}

// BenchmarkBlockAttestations32 checks the attestations of a block, 32
// aggregates of 64-key committees (one of them a single block signature),
// both ways in the same run: one FastAggregateVerify per set, then
// VerifyBatch over all. It reports each form's time and the ratio
// (onebyone-s/batch-s).
func BenchmarkBlockAttestations32(b *testing.B) {
	sets := batchSets(b, 32, 64)
	var one, batch time.Duration
	for b.Loop() {
		start := time.Now()
		for _, s := range sets {
			if !s.Signature.FastAggregateVerify(s.PublicKeys, s.Message) {
				b.Fatal("refused")
			}
		}
		one += time.Since(start)
		start = time.Now()
		if !VerifyBatch(sets) {
			b.Fatal("refused")
		}
		batch += time.Since(start)
	}
	n := float64(b.N)
	b.ReportMetric(one.Seconds()/n, "onebyone-s")
	b.ReportMetric(batch.Seconds()/n, "batch-s")
	b.ReportMetric(one.Seconds()/batch.Seconds(), "ratio")
}
