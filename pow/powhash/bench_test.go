package powhash

import (
	"testing"
	"time"

	"github.com/mainstake/sidenode/pow/ethash"
	"github.com/mainstake/sidenode/pow/randomx"
)

// benchVerifyVsBare measures, in one run, a Front's light verification of
// a header (cheap checks, one hash, the comparison) against one bare hash
// of the same algorithm, interleaved so that both see the same machine.
// It reports both times and their ratio (verify/bare; 1.00 means the
// verification costs nothing beyond its hash).
func benchVerifyVsBare(b *testing.B, f *Front, bare func(nonce uint32)) {
	height := int32(3000)
	bare(0) // build the key's cache or the epoch's before timing
	if err := f.Verify(header(hardBits, 0), height); !IsErrorCode(err, ErrHighHash) {
		b.Fatal(err)
	}
	var bareTime, verifyTime time.Duration
	before := hashes(f)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		nonce := uint32(i + 1)
		// Alternate which goes first, so that neither gains from the
		// other's warm caches.
		if i%2 == 0 {
			bareTime += timed(func() { bare(nonce) })
		}
		var err error
		verifyTime += timed(func() { err = f.Verify(header(hardBits, nonce), height) })
		if !IsErrorCode(err, ErrHighHash) {
			b.Fatal(err)
		}
		if i%2 == 1 {
			bareTime += timed(func() { bare(nonce) })
		}
	}
	b.StopTimer()
	// The bare hashes of RandomX and Ethash count too: they share the
	// hasher with the verifier.
	if got := hashes(f) - before; got != uint64(b.N) && got != 2*uint64(b.N) {
		b.Fatalf("%d verifications computed %d hashes", b.N, got)
	}
	n := float64(b.N)
	b.ReportMetric(float64(bareTime.Nanoseconds())/n, "bare-ns/hash")
	b.ReportMetric(float64(verifyTime.Nanoseconds())/n, "verify-ns/header")
	b.ReportMetric(n/verifyTime.Seconds(), "verifications/s")
	b.ReportMetric(n/bareTime.Seconds(), "bare-hashes/s")
	b.ReportMetric(float64(verifyTime)/float64(bareTime), "verify/bare")
}

func timed(fn func()) time.Duration {
	t0 := time.Now()
	fn()
	return time.Since(t0)
}

// hashes counts the hashes of every verifier of f.
func hashes(f *Front) uint64 {
	var n uint64
	for _, v := range f.verifiers {
		if v != nil {
			n += v.Hashes()
		}
	}
	return n
}

// BenchmarkRandomXLight: light-mode RandomX verifications against bare
// RandomX hashes of the same 80-byte headers under the same key.
func BenchmarkRandomXLight(b *testing.B) {
	if !randomx.Available {
		b.Skip("built without cgo")
	}
	rx, err := randomx.New(randomx.Config{MaxKeys: 1})
	if err != nil {
		b.Fatal(err)
	}
	defer rx.Close()
	v, err := NewRandomX(rx, randomx.MoneroSchedule)
	if err != nil {
		b.Fatal(err)
	}
	f, err := NewFront(func(int32) Algorithm { return RandomX }, powLimit, &seeds{}, v)
	if err != nil {
		b.Fatal(err)
	}
	key := seedID(int32(randomx.MoneroSchedule.SeedHeight(3000))) // 2048
	benchVerifyVsBare(b, f, func(nonce uint32) {
		if _, err := rx.Hash(key[:], headerBytes(header(hardBits, nonce))); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkEthashLight: Ethash light verifications (hashimoto over the
// epoch cache) against bare hashimoto-light hashes.
func BenchmarkEthashLight(b *testing.B) {
	light := ethash.NewLight(1)
	f, err := NewFront(func(int32) Algorithm { return Ethash }, powLimit, nil, NewEthash(light))
	if err != nil {
		b.Fatal(err)
	}
	hh := EthashHeaderHash(header(hardBits, 0))
	benchVerifyVsBare(b, f, func(nonce uint32) {
		light.Hash(3000, hh, uint64(nonce))
	})
}

// BenchmarkSHA256d: the same measure for SHA-256d, where the hash is cheap
// and the checks around it show.
func BenchmarkSHA256d(b *testing.B) {
	f, err := NewFront(func(int32) Algorithm { return SHA256d }, powLimit, nil, NewSHA256d())
	if err != nil {
		b.Fatal(err)
	}
	benchVerifyVsBare(b, f, func(nonce uint32) {
		hdr := header(hardBits, nonce)
		hdr.BlockHash()
	})
}

// BenchmarkRefuseBadBits: a header whose bits fail the cheap checks costs
// no hash at all.
func BenchmarkRefuseBadBits(b *testing.B) {
	f, _ := newFront(b, RandomX)
	hdr := header(0x2100ffff, 0)
	for i := 0; i < b.N; i++ {
		if err := f.Verify(hdr, 3000); !IsErrorCode(err, ErrBitsAboveLimit) {
			b.Fatal(err)
		}
	}
}
