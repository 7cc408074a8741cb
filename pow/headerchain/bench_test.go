package headerchain_test

import (
	"math/big"
	"sync/atomic"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	hc "github.com/mainstake/sidenode/pow/headerchain"
)

// BenchmarkRefuseHeader measures what a flood of invalid headers costs:
// wrong bits and a time before the median are refused before any hash; a
// hash above the target costs the one hash. BenchmarkSHA256d is that hash
// alone, for comparison.
func BenchmarkRefuseHeader(b *testing.B) {
	t := &testing.T{}
	ix, g := newIndex(t, nil)
	good := child(t, g, 1, "good")
	wrongBits := good.Header
	wrongBits.Bits--
	old := good.Header
	old.Timestamp = g.Header.Timestamp
	high := good.Header
	mine(&high, true)
	for _, c := range []struct {
		name string
		h    *hc.Block
	}{
		{"wrong-bits", &hc.Block{Header: wrongBits}},
		{"time-too-old", &hc.Block{Header: old}},
		{"high-hash", &hc.Block{Header: high}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := ix.ProcessHeader(&c.h.Header); err == nil {
					b.Fatal("accepted")
				}
			}
		})
	}
}

// BenchmarkSHA256d is one double SHA-256 of 80 bytes.
func BenchmarkSHA256d(b *testing.B) {
	var buf [80]byte
	for i := 0; i < b.N; i++ {
		buf[0] = byte(i)
		_ = chainhash.DoubleHashH(buf[:])
	}
}

// slowVerifier stands for a slow proof-of-work hash (RandomX): 200
// SHA-256d of the header before the real check.
type slowVerifier struct{}

func (slowVerifier) CheckProofOfWork(h *wire.BlockHeader, hash *chainhash.Hash, height int32, target *big.Int) (bool, error) {
	var buf [80]byte
	copy(buf[:], hash[:])
	for i := 0; i < 200; i++ {
		d := chainhash.DoubleHashH(buf[:])
		copy(buf[:], d[:])
	}
	return hc.SHA256d{}.CheckProofOfWork(h, hash, height, target)
}

// siblings returns n distinct valid headers on the genesis block.
func siblings(g *hc.Block, n int) []wire.BlockHeader {
	out := make([]wire.BlockHeader, n)
	h := child(&testing.T{}, g, 1, "s").Header
	for i := range out {
		h.Nonce++
		mine(&h, false)
		out[i] = h
	}
	return out
}

// BenchmarkVerifyConcurrently processes headers of distinct branches
// whose proof of work is slow, from one goroutine and from GOMAXPROCS
// goroutines, in the same run: with the hash outside the index's lock the
// second scales with the cores.
func BenchmarkVerifyConcurrently(b *testing.B) {
	for _, parallel := range []bool{false, true} {
		name := "serial"
		if parallel {
			name = "parallel"
		}
		b.Run(name, func(b *testing.B) {
			ix, g := newIndex(&testing.T{}, func(c *hc.Config) {
				c.Verifier = slowVerifier{}
			})
			headers := siblings(g, b.N)
			b.ResetTimer()
			if !parallel {
				for i := range headers {
					if _, err := ix.ProcessHeader(&headers[i]); err != nil {
						b.Fatal(err)
					}
				}
				return
			}
			var next atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := next.Add(1) - 1
					if _, err := ix.ProcessHeader(&headers[i]); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
