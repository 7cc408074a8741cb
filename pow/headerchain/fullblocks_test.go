package headerchain_test

import (
	"errors"
	"testing"

	"github.com/mainstake/sidenode/pow/headerchain"
	"github.com/mainstake/sidenode/pow/headerchain/blocktests"
)

// TestFullBlocks runs the named block tree of blocktests through an index
// and checks every decision by its code, and the best tip where the tree
// pins it.
func TestFullBlocks(t *testing.T) {
	tests, err := blocktests.Generate()
	if err != nil {
		t.Fatal(err)
	}
	ix, err := headerchain.New(blocktests.Config())
	if err != nil {
		t.Fatal(err)
	}
	for i, step := range tests {
		switch s := step.(type) {
		case blocktests.AcceptedBlock:
			res, err := ix.ProcessBlock(s.Block)
			if err != nil {
				t.Fatalf("step %d %s: refused: %v", i, s.Name, err)
			}
			if res.Orphan {
				t.Fatalf("step %d %s: kept as an orphan", i, s.Name)
			}
			n := ix.Lookup(s.Block.BlockHash())
			if n == nil || n.Height() != s.Height {
				t.Fatalf("step %d %s: not indexed at height %d",
					i, s.Name, s.Height)
			}
			isTip := ix.Best().Hash() == s.Block.BlockHash()
			if isTip != s.IsMainChain {
				t.Fatalf("step %d %s: tip is %v, want tip=%v",
					i, s.Name, ix.Best().Hash(), s.IsMainChain)
			}
		case blocktests.OrphanBlock:
			res, err := ix.ProcessBlock(s.Block)
			if err != nil {
				t.Fatalf("step %d %s: refused: %v", i, s.Name, err)
			}
			if !res.Orphan || !ix.IsOrphan(s.Block.BlockHash()) {
				t.Fatalf("step %d %s: not kept as an orphan", i, s.Name)
			}
		case blocktests.RejectedBlock:
			before := ix.Best()
			_, err := ix.ProcessBlock(s.Block)
			if err == nil {
				t.Fatalf("step %d %s: accepted, want %v", i, s.Name,
					s.RejectCode)
			}
			if !errors.Is(err, s.RejectCode) {
				code, _ := headerchain.ErrorCodeOf(err)
				t.Fatalf("step %d %s: refused with %v (%v), want %v",
					i, s.Name, code, err, s.RejectCode)
			}
			if ix.Best() != before {
				t.Fatalf("step %d %s: a refused block moved the tip",
					i, s.Name)
			}
		case blocktests.ExpectedTip:
			if got := ix.Best().Hash(); got != s.Hash {
				t.Fatalf("step %d: tip %v, want %s (%v)", i, got,
					s.Name, s.Hash)
			}
		default:
			t.Fatalf("step %d: unknown step %T", i, step)
		}
	}
}
