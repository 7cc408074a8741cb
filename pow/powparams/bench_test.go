package powparams_test

import (
	"testing"

	"github.com/btcsuite/btcd/wire"
	"github.com/mainstake/sidenode/chainparams"
	hc "github.com/mainstake/sidenode/pow/headerchain"
	"github.com/mainstake/sidenode/pow/powparams"
)

// BenchmarkNextBits measures the bits of the next block as a chain grows
// one block at a time (each parent's anchor time found from its parent's),
// against one SHA-256d of a header in the same run.
func BenchmarkNextBits(b *testing.B) {
	p := &chainparams.PowRegtest
	ix, _, g := newIndex(b, p)
	const n = 2000
	times := make([]int64, n+3)
	times[0] = g.Header.Timestamp.Unix()
	for i := 1; i < len(times); i++ {
		times[i] = times[i-1] + 2
	}
	tip := extend(b, ix, p.Pow, ix.Best(), times, n+2, 0)
	nodes := make([]*hc.Node, 0, n)
	for h := int32(3); h <= n+2; h++ {
		nodes = append(nodes, tip.Ancestor(h))
	}
	b.Run("NextBits", func(b *testing.B) {
		var d *powparams.Difficulty
		for i := 0; i < b.N; i++ {
			if i%n == 0 {
				d, _ = powparams.New(p.Pow)
			}
			if _, err := d.NextBits(nodes[i%n]); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("SHA256d", func(b *testing.B) {
		h := wire.BlockHeader{Version: 1, Bits: 0x207fffff}
		for i := 0; i < b.N; i++ {
			h.Nonce = uint32(i)
			_ = h.BlockHash()
		}
	})
}
