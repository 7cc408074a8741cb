package round

import (
	"testing"
	"time"
)

// TestRound64of13 is Komodo's size: 64 notaries, 13 to sign. The round
// completes in one attempt; the figures (messages, signature checks, the
// machine time of the whole in-process round) are logged for the
// development notes, not asserted.
func TestRound64of13(t *testing.T) {
	if testing.Short() || raceOn {
		t.Skip("64 notaries: a few seconds of signature checks, ten times " +
			"that under the race detector (the 5-notary tests cover the same code)")
	}
	net := newTestNetParams(t, bigParams(64, 13), 64, 1)
	chain := testChain(12)
	start := time.Now()
	net.tip(chain)
	msgs := 0
	for net.step() {
		msgs++
	}
	elapsed := time.Since(start)
	tx, ok := net.final()
	if !ok {
		t.Fatal("no notarization in the first attempt")
	}
	n := net.check(tx, chain)
	if len(n.Signers) != 13 {
		t.Fatalf("%d signers", len(n.Signers))
	}
	t.Logf("64 notaries, threshold 13: %d messages, each checked by 63 notaries; "+
		"whole round in process %v, %v per notary (every notary's checks run "+
		"here one after another); fee %d sat at 2 sat/vB, %d vbytes", msgs,
		elapsed.Round(time.Millisecond), (elapsed / 64).Round(time.Millisecond),
		net.fee(tx), (weightOf(tx)+3)/4)
}
