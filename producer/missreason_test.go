package producer

import (
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/feeest"
	"github.com/mainstake/sidenode/mainwatch"
)

// missScenario is one won draw, after block 10, and what the next block
// (11) says of it. Each ends in exactly one reason.
type missScenario struct {
	name string

	produce   bool       // Produced is called before block 11
	broadcast bool       // the header went out
	failed    MissReason // production's failure
	sentAt    time.Duration
	rate      int64 // sat/vB of the last header sent

	learned time.Duration // block 11's announcement; <0: none
	pool    []feeest.SeenTx
	block   []chainhash.Hash // block 11's transactions
	noSeen  bool             // no mempool data (neutrino)
	ended   bool             // block 11 ended the ticket's chain

	want MissReason
}

var (
	ownHeader = chainhash.Hash{0xee}
	cheapTx   = chainhash.Hash{0x01} // 2 sat/vB
	richTx    = chainhash.Hash{0x02} // 40 sat/vB
	t0        = time.Date(2026, 12, 7, 19, 0, 0, 0, time.UTC)
)

func seenPool() []feeest.SeenTx {
	return []feeest.SeenTx{
		{TxID: cheapTx, MempoolTx: feeest.MempoolTx{Fee: 400, VSize: 200}},
		{TxID: richTx, MempoolTx: feeest.MempoolTx{Fee: 8000, VSize: 200}},
		{TxID: ownHeader, MempoolTx: feeest.MempoolTx{Fee: 1000, VSize: 200}}, // 5 sat/vB
	}
}

var missScenarios = []missScenario{
	{name: "fee too low: the block took only richer transactions",
		produce: true, broadcast: true, sentAt: 1 * time.Second, rate: 5,
		learned: 60 * time.Second, pool: seenPool(),
		block: []chainhash.Hash{{0xcb}, richTx}, want: MissFeeTooLow},
	{name: "not included: the block took a cheaper transaction and not ours",
		produce: true, broadcast: true, sentAt: 1 * time.Second, rate: 5,
		learned: 60 * time.Second, pool: seenPool(),
		block: []chainhash.Hash{{0xcb}, richTx, cheapTx}, want: MissNotIncluded},
	{name: "fee too low: our own header among the block's ids does not lower the floor",
		produce: true, broadcast: true, sentAt: 1 * time.Second, rate: 5,
		learned: 60 * time.Second, pool: seenPool(),
		block: []chainhash.Hash{{0xcb}, richTx, ownHeader}, want: MissFeeTooLow},
	{name: "not mined: neutrino, no mempool data",
		produce: true, broadcast: true, sentAt: 1 * time.Second, rate: 5,
		learned: 60 * time.Second, noSeen: true,
		block: []chainhash.Hash{{0xcb}, richTx}, want: MissNotMined},
	{name: "not mined: no transaction of the block was in a snapshot",
		produce: true, broadcast: true, sentAt: 1 * time.Second, rate: 5,
		learned: 60 * time.Second, pool: seenPool(),
		block: []chainhash.Hash{{0xcb}, {0x77}}, want: MissNotMined},
	{name: "late: the header went out after the next block was announced",
		produce: true, broadcast: true, sentAt: 61 * time.Second, rate: 5,
		learned: 60 * time.Second, pool: seenPool(),
		block: []chainhash.Hash{{0xcb}, cheapTx}, want: MissLate},
	{name: "late: production still under way when the next block came",
		learned: 60 * time.Second, pool: seenPool(),
		block: []chainhash.Hash{{0xcb}, cheapTx}, want: MissLate},
	{name: "late: production found the mainchain moved on",
		produce: true, failed: MissLate, learned: 60 * time.Second, want: MissLate},
	{name: "no funds",
		produce: true, failed: MissNoFunds, learned: 60 * time.Second, want: MissNoFunds},
	{name: "not synced: block met while catching up",
		produce: true, failed: MissNotSynced, learned: -1, want: MissNotSynced},
	{name: "chain ended: block 11 spent the publisher output otherwise",
		produce: true, failed: MissBroadcast, learned: 60 * time.Second,
		ended: true, want: MissChainEnded},
	{name: "chain ended: even with the header sent",
		produce: true, broadcast: true, sentAt: time.Second, rate: 5,
		learned: 60 * time.Second, pool: seenPool(), ended: true,
		block: []chainhash.Hash{{0xcb}, cheapTx}, want: MissChainEnded},
}

// TestMissReasons runs the named scenarios through the ledger: each miss
// gets exactly one reason, counted once.
func TestMissReasons(t *testing.T) {
	for _, sc := range missScenarios {
		t.Run(sc.name, func(t *testing.T) {
			var seen feeest.Seen
			seen.Add(sc.pool)
			seen.Add(nil) // btcd dropped the block's transactions
			var l Ledger
			l.Won(10, 7)
			if sc.produce {
				l.Produced(10, sc.broadcast, sc.failed)
				if sc.broadcast {
					l.Sent(10, ownHeader, feeest.FromSatPerVB(sc.rate), t0.Add(sc.sentAt))
				}
			}
			next := NextBlock{Ended: sc.ended}
			if sc.learned >= 0 {
				next.Learned = t0.Add(sc.learned)
			}
			if !sc.noSeen {
				next.Floor = func(skip []chainhash.Hash) (feeest.SatPerKVB, bool) {
					f, _, known := seen.Floor(sc.block, skip...)
					return f, known
				}
			}
			l.Decided(10, false, next)
			r, ok := l.Reason(10)
			if !ok || r != sc.want {
				t.Fatalf("reason %v (%v), want %v", r, ok, sc.want)
			}
			st := wantStats(t, &l, 1, boolN(sc.broadcast), 0, 1)
			if st.MissReasons[sc.want] != 1 {
				t.Fatalf("reasons %v", st.MissReasons)
			}
		})
	}
}

func boolN(b bool) uint64 {
	if b {
		return 1
	}
	return 0
}

// TestMissReasonRebid: the fee comparison uses the rate of the last
// replacement, and leaves out every header transaction of the slot.
func TestMissReasonRebid(t *testing.T) {
	var seen feeest.Seen
	seen.Add(seenPool())
	var l Ledger
	l.Won(10, 7)
	l.Produced(10, true, MissNone)
	l.Sent(10, ownHeader, feeest.FromSatPerVB(1), t0)
	l.Sent(10, cheapTx, feeest.FromSatPerVB(2), t0.Add(time.Second)) // the replacement
	l.Decided(10, false, NextBlock{Learned: t0.Add(time.Minute),
		Floor: func(skip []chainhash.Hash) (feeest.SatPerKVB, bool) {
			f, _, known := seen.Floor([]chainhash.Hash{ownHeader, cheapTx, richTx}, skip...)
			return f, known
		}})
	if r, _ := l.Reason(10); r != MissFeeTooLow {
		t.Fatalf("reason %v, want %v", r, MissFeeTooLow)
	}
}

// TestBehind: production for a draw whose block the node met while
// catching up is not synced; one whose next block came after the node
// learned of it as the tip is late.
func TestBehind(t *testing.T) {
	for _, c := range []struct {
		name      string
		announced bool
		best      int32
		want      MissReason
	}{
		{"at the tip", true, 10, MissNone},
		{"at the tip, block met while catching up", false, 10, MissNone},
		{"next block found", true, 11, MissLate},
		{"two blocks behind", true, 12, MissNotSynced},
		{"catching up, one behind", false, 11, MissNotSynced},
	} {
		b := &mainwatch.Block{Height: 10}
		if c.announced {
			b.Announced = t0
		}
		got, err := behind(b, c.best)
		if got != c.want || (err != nil) != (c.want != MissNone) {
			t.Errorf("%s: %v, %v; want %v", c.name, got, err, c.want)
		}
	}
}

// TestLedgerRecent: the window of the latest decided draws.
func TestLedgerRecent(t *testing.T) {
	var l Ledger
	for h := int32(1); h <= 5; h++ {
		l.Won(h, 1)
		l.Decided(h, h%2 == 0, NextBlock{})
	}
	l.Won(6, 1) // pending
	got := l.Recent(3)
	if len(got) != 3 || !got[0] || got[1] || !got[2] {
		t.Fatalf("recent %v, want [true false true]", got)
	}
}
