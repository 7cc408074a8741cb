package asert

import (
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

// benchCases are evaluation points of run06's anchor: on schedule, behind
// and ahead of it, all on the int64 path that real chains take.
var benchCases = []struct {
	height uint64
	time   int64
}{
	{1001, 600_600},
	{1001, 700_000},
	{1001, 400_123},
	{90_000, 55_000_000},
}

// benchNextTarget runs n NextTarget calls, cycling through benchCases.
func benchNextTarget(tb testing.TB, n int) {
	a := Anchor{Height: 1, ParentTime: 0, Bits: 0x1802aee8}
	p := bchParams()
	for i := 0; i < n; i++ {
		c := benchCases[i%len(benchCases)]
		if _, err := NextTarget(a, p, c.height, c.time+int64(i&63)); err != nil {
			tb.Fatal(err)
		}
	}
}

// benchSHA256d runs n double SHA-256 of an 80-byte header.
func benchSHA256d(n int) {
	var header [80]byte
	for i := 0; i < n; i++ {
		header[76] = byte(i)
		header[77] = byte(i >> 8)
		_ = chainhash.DoubleHashH(header[:])
	}
}

// BenchmarkNextTarget measures one NextTarget call: checking the
// parameters, the exponent, the cubic, the math/big product, clamping and
// the compact encoding.
func BenchmarkNextTarget(b *testing.B) {
	b.ReportAllocs()
	benchNextTarget(b, b.N)
}

// BenchmarkSHA256d measures one double SHA-256 of an 80-byte header, the
// cost of checking a SHA-256d header's proof of work.
func BenchmarkSHA256d(b *testing.B) {
	b.ReportAllocs()
	benchSHA256d(b.N)
}

// BenchmarkNextTargetVsSHA256d reports the cost of NextTarget in SHA-256d
// header hashes, measured in the same run: it alternates chunks of 64
// NextTarget calls with chunks of 64 hashes, so that both see the same load
// on a shared machine, and reports each one's time per operation and the
// ratio x_sha256d (NextTarget's time over the hash's).
func BenchmarkNextTargetVsSHA256d(b *testing.B) {
	const chunk = 64
	var asertNs, shaNs int64
	for done := 0; done < b.N; done += chunk {
		n := min(chunk, b.N-done)
		t0 := time.Now()
		benchNextTarget(b, n)
		t1 := time.Now()
		benchSHA256d(n)
		asertNs += t1.Sub(t0).Nanoseconds()
		shaNs += time.Since(t1).Nanoseconds()
	}
	b.ReportMetric(float64(asertNs)/float64(b.N), "nexttarget-ns/op")
	b.ReportMetric(float64(shaNs)/float64(b.N), "sha256d-ns/op")
	b.ReportMetric(float64(asertNs)/float64(shaNs), "x_sha256d")
}
