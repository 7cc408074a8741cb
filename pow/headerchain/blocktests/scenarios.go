package blocktests

import (
	"time"

	"github.com/btcsuite/btcd/wire"

	hc "github.com/mainstake/sidenode/pow/headerchain"
	"github.com/mainstake/sidenode/sideblock"
)

// scenarios is the block tree, as a list of named steps.
func (g *generator) scenarios() {
	// ---------------------------------------------------------------
	// A valid chain.
	//
	//   genesis -> b1 -> b2 -> b3 -> b4
	// ---------------------------------------------------------------
	g.nextBlock("b1", "genesis")
	g.accepted()
	g.nextBlock("b2", "b1")
	g.accepted()
	g.nextBlock("b3", "b2")
	g.accepted()
	g.nextBlock("b4", "b3")
	g.accepted()
	g.expectTip("b4")

	g.rejectedAs("b4", hc.ErrDuplicateBlock)

	// ---------------------------------------------------------------
	// Header rules. None of these headers is stored.
	// ---------------------------------------------------------------
	g.nextBlock("wrong-bits", "b4", withBits(Bits-1))
	g.rejected(hc.ErrBadBits)

	g.nextBlock("high-hash", "b4", highHash())
	g.rejected(hc.ErrHighHash)

	// Median time past of b4: the median of genesis..b4, whose times
	// are GenesisTime + 0, 2, 4, 6, 8 s; the median is +4 s. A child
	// must be later: +4 s is refused, +5 s (before its parent's time)
	// is accepted.
	mtp := GenesisTime.Add(2 * Spacing)
	g.nextBlock("time-at-mtp", "b4", withTime(mtp))
	g.rejected(hc.ErrTimeTooOld)
	g.nextBlock("time-before-mtp", "b4", withTime(mtp.Add(-time.Second)))
	g.rejected(hc.ErrTimeTooOld)

	// The future-time limit: exactly two hours past the clock passes,
	// one second more does not. The block at the limit goes on a side
	// branch (from b2, so with less work than b4).
	limit := Now.Add(hc.DefaultMaxFutureBlockTime)
	g.nextBlock("time-too-new", "b4", withTime(limit.Add(time.Second)))
	g.rejected(hc.ErrTimeTooNew)
	g.nextBlock("time-at-limit", "b2", withTime(limit))
	g.acceptedBeside()
	g.expectTip("b4")

	// ---------------------------------------------------------------
	// The body: the merkle commitment of §6, the coinbase height and
	// sideblock's sanity rules.
	// ---------------------------------------------------------------
	// A body that does not match its header is a bad copy: the header
	// stays unjudged, and the right body is accepted afterwards.
	b5 := g.nextBlock("b5", "b4")
	other := coinbase(g.heights["b5"], "another body", nil)
	g.nextBlock("b5-wrong-body", "b4", withBody(other))
	g.blocks["b5-wrong-body"].Header = b5.Header
	g.rejected(hc.ErrBadMerkleRoot)
	g.acceptedAs("b5", true)

	// The coinbase must name the block's height. This condemns the
	// header: sent again, or built on, it is refused as known invalid.
	g.nextBlock("coinbase-height-wrong", "b5", coinbaseHeight(7))
	g.rejected(hc.ErrBadCoinbaseHeight)
	g.rejectedAs("coinbase-height-wrong", hc.ErrKnownInvalid)
	g.nextBlock("child-of-invalid", "coinbase-height-wrong")
	g.rejected(hc.ErrKnownInvalid)

	// sideblock's own rules apply to the body (here: a second
	// coinbase), as ErrBadBody wrapping sideblock's code.
	second, err := sideblock.NewCoinbaseTx(6, []byte("second"),
		wire.NewTxOut(0, []byte{0x51}))
	must(err)
	g.nextBlock("second-coinbase", "b5", withTxs(second))
	g.rejected(hc.ErrBadBody)

	// ---------------------------------------------------------------
	// Block weight: base_size·4 + signature_count·384 ≤ 4,000,000 WU.
	// Weights are multiples of 4, so the smallest step over the limit
	// is one byte (4 WU) or one signature (384 WU).
	// ---------------------------------------------------------------
	g.nextBlock("weight-one-byte-over", "b5", withWeight(hc.MaxBlockWeight+4, 0))
	g.rejected(hc.ErrBlockTooHeavy)
	g.nextBlock("weight-one-sig-over", "b5",
		withWeight(hc.MaxBlockWeight+hc.SignatureWeight, 1001))
	g.rejected(hc.ErrBlockTooHeavy)
	g.nextBlock("weight-sigs-at-limit", "b5", withWeight(hc.MaxBlockWeight, 1000))
	g.accepted()
	g.nextBlock("b6", "b5", withWeight(hc.MaxBlockWeight, 0))
	// b6 has the work of its sibling: it is the tip if its hash is lower.
	g.acceptedAs("b6", lowerHash(g.blocks["b6"], g.blocks["weight-sigs-at-limit"]))
	g.nextBlock("b7", "b6")
	g.accepted()
	g.expectTip("b7")

	// ---------------------------------------------------------------
	// Fork choice: most cumulative work; on equal work, the lower hash,
	// whatever the order of arrival.
	//
	//   b7 -> b8
	//     \-> f8 -> f9 -> f10      (reorg: more work)
	// ---------------------------------------------------------------
	g.nextBlock("b8", "b7")
	g.accepted()
	g.nextBlock("f8", "b7")
	g.acceptedAs("f8", lowerHash(g.blocks["f8"], g.blocks["b8"]))
	g.nextBlock("f9", "f8")
	g.accepted()
	g.nextBlock("f10", "f9")
	g.accepted()
	g.expectTip("f10")

	// Two siblings of equal work, the higher hash first, then the lower
	// one, which takes over; and a third, higher again, which does not.
	g.nextBlock("t11a", "f10")
	g.nextBlock("t11b", "f10")
	g.nextBlock("t11c", "f10")
	lo, mid, hi := sort3(g, "t11a", "t11b", "t11c")
	g.acceptedAs(mid, true)
	g.acceptedAs(lo, true)
	g.acceptedAs(hi, false)
	g.expectTip(lo)

	// ---------------------------------------------------------------
	// Orphans: children arrive before their parent and are connected
	// when it comes.
	//
	//   lo -> o12 -> o13 -> o14
	// ---------------------------------------------------------------
	g.nextBlock("o12", lo)
	g.nextBlock("o13", "o12")
	g.nextBlock("o14", "o13")
	g.orphanedAs("o14")
	g.orphanedAs("o13")
	g.rejectedAs("o13", hc.ErrDuplicateBlock)
	g.acceptedAs("o12", false) // its orphans follow it: o14 is the tip
	g.expectTip("o14")

	// An orphan may claim a height up to MaxOrphanAhead above the tip;
	// one more is refused before its hash is computed. The orphan's
	// parent is a block the index never sees.
	tipH := g.heights["o14"]
	g.nextBlock("unseen", "o14")
	g.nextBlock("orphan-at-limit", "unseen", coinbaseHeight(tipH+MaxOrphanAhead))
	g.orphaned()
	g.nextBlock("orphan-too-far", "unseen", coinbaseHeight(tipH+MaxOrphanAhead+1))
	g.rejected(hc.ErrTooFarAhead)
	g.nextBlock("orphan-high-hash", "unseen", highHash())
	g.rejected(hc.ErrHighHash)
	g.nextBlock("orphan-bits-over-limit", "unseen", withBits(0x2100ffff))
	g.rejected(hc.ErrTargetOutOfRange)
	g.expectTip("o14")
}

// sort3 returns three block names ordered by hash, lowest first.
func sort3(g *generator, a, b, c string) (string, string, string) {
	n := []string{a, b, c}
	for i := 0; i < 3; i++ {
		for j := i + 1; j < 3; j++ {
			if lowerHash(g.blocks[n[j]], g.blocks[n[i]]) {
				n[i], n[j] = n[j], n[i]
			}
		}
	}
	return n[0], n[1], n[2]
}
