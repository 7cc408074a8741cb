package headerchain_test

import (
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

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
