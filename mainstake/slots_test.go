package mainstake

import (
	"errors"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/lottery"
	"github.com/mainstake/sidenode/store"
)

// stakedChain returns a test chain with three tickets, connected up to the
// first height with a winner.
func stakedChain(t *testing.T) (*testChain, *BlockResult) {
	c := newTestChain(t)
	c.connect()
	var keys [3]*btcec.PrivateKey
	for i := range keys {
		keys[i], _ = btcec.NewPrivateKey()
	}
	res := c.connect(
		register(t, c.p, keys[0], 100_000, 400),
		register(t, c.p, keys[1], 300_000, 400),
		register(t, c.p, keys[2], 50_000, 2000),
	)
	for res.Winner == nil {
		res = c.connect()
	}
	return c, res
}

// step connects the next block: with the winner's publication when publish
// is set and the previous block drew one, else empty.
func (c *testChain) step(prev *BlockResult, publish bool) *BlockResult {
	if publish && prev.Winner != nil {
		w := c.ticket(prev.Winner.Ticket)
		return c.connect(ticketHeaderTx(c.t, c.p, w, chainhash.Hash{byte(prev.Height)}))
	}
	return c.connect()
}

// slotsByScan lists the publications and missed slots by reading every
// height's records.
func (c *testChain) slotsByScan() (pubs, missed []int32) {
	c.t.Helper()
	err := c.db.View(func(r store.Reader) error {
		tip, err := r.Tip()
		if err != nil {
			return err
		}
		for h := int32(0); h <= tip.Height; h++ {
			_, havePub, err := PublicationAt(r, h)
			if err != nil {
				return err
			}
			if havePub {
				pubs = append(pubs, h)
			}
			_, won, err := WinnerAt(r, h)
			if err != nil {
				return err
			}
			if won && h+1 <= tip.Height {
				_, next, err := PublicationAt(r, h+1)
				if err != nil {
					return err
				}
				if !next {
					missed = append(missed, h)
				}
			}
		}
		return nil
	})
	if err != nil {
		c.t.Fatal(err)
	}
	return pubs, missed
}

// checkSlots compares the indexes with a scan, page by page both ways.
func (c *testChain) checkSlots() {
	c.t.Helper()
	wantPubs, wantMissed := c.slotsByScan()
	err := c.db.View(func(r store.Reader) error {
		np, nm, err := SlotCounts(r)
		if err != nil {
			return err
		}
		if np != uint64(len(wantPubs)) || nm != uint64(len(wantMissed)) {
			c.t.Fatalf("SlotCounts = %d, %d; a scan finds %d publications, "+
				"%d missed slots", np, nm, len(wantPubs), len(wantMissed))
		}
		for _, reversed := range []bool{false, true} {
			for _, limit := range []uint32{1, 3, 1000} {
				var gotPubs, gotMissed []int32
				for off := uint64(0); off < np+2; off += uint64(limit) {
					ps, total, err := Publications(r, off, limit, reversed)
					if err != nil {
						return err
					}
					if total != np || len(ps) > int(limit) {
						c.t.Fatalf("Publications(%d, %d): %d of total %d", off, limit, len(ps), total)
					}
					for _, p := range ps {
						gotPubs = append(gotPubs, p.Height)
					}
				}
				for off := uint64(0); off < nm+2; off += uint64(limit) {
					ws, total, err := MissedSlots(r, off, limit, reversed)
					if err != nil {
						return err
					}
					if total != nm || len(ws) > int(limit) {
						c.t.Fatalf("MissedSlots(%d, %d): %d of total %d", off, limit, len(ws), total)
					}
					for _, w := range ws {
						gotMissed = append(gotMissed, w.Height)
					}
				}
				if reversed {
					reverse(gotPubs)
					reverse(gotMissed)
				}
				if !equalHeights(gotPubs, wantPubs) || !equalHeights(gotMissed, wantMissed) {
					c.t.Fatalf("limit %d reversed %v: publications %v missed %v; "+
						"a scan finds %v and %v", limit, reversed, gotPubs,
						gotMissed, wantPubs, wantMissed)
				}
			}
		}
		return nil
	})
	if err != nil {
		c.t.Fatal(err)
	}
}

func reverse(s []int32) {
	for i, j := 0, len(s)-1; i < j; i, j = i+1, j-1 {
		s[i], s[j] = s[j], s[i]
	}
}

func equalHeights(a, b []int32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestSlotIndexes builds a chain of published and missed slots, and checks
// the indexes against a scan of every height, also after the store undid
// blocks and a different branch replaced them.
func TestSlotIndexes(t *testing.T) {
	c, res := stakedChain(t)
	c.checkSlots()
	pattern := []bool{true, true, false, true, false, false, true, true, true, false}
	for _, publish := range pattern {
		res = c.step(res, publish)
	}
	c.checkSlots()
	pubs, missed := c.slotsByScan()
	if len(pubs) < 4 || len(missed) < 3 {
		t.Fatalf("publications %v, missed %v: the pattern made too few", pubs, missed)
	}

	for i := 0; i < 4; i++ {
		c.disconnect()
		c.checkSlots()
	}
	// Another branch, with the opposite choices.
	var tip *BlockResult
	err := c.db.View(func(r store.Reader) error {
		id, err := r.Tip()
		if err != nil {
			return err
		}
		wn, ok, err := WinnerAt(r, id.Height)
		tip = &BlockResult{Height: id.Height}
		if ok {
			tip.Winner = wn
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	res = tip
	for _, publish := range pattern[len(pattern)-4:] {
		res = c.step(res, !publish)
	}
	c.checkSlots()
}

// TestWinnerProofVerifies checks that the proof stored with every draw
// verifies against the tickets with the lottery's reference draw.
func TestWinnerProofVerifies(t *testing.T) {
	c, res := stakedChain(t)
	for i := 0; i < 12; i++ {
		res = c.step(res, i%3 != 0)
	}
	var tickets []lottery.Ticket
	ends := make(map[lottery.TicketID]int32)
	draws := 0
	err := c.db.View(func(r store.Reader) error {
		all, err := Tickets(r)
		if err != nil {
			return err
		}
		for _, tk := range all {
			tickets = append(tickets, lotteryTicket(tk))
			if !tk.Live() {
				ends[tk.ID] = tk.End
			}
		}
		for h := int32(0); h < int32(len(c.hashes)); h++ {
			wn, ok, err := WinnerAt(r, h)
			if err != nil {
				return err
			}
			if !ok {
				continue
			}
			proof, ok := wn.Proof(c.p.SidechainID)
			if !ok {
				t.Fatalf("the winner at %d has no proof", h)
			}
			if err := proof.Verify(c.p, tickets, ends); err != nil {
				t.Fatalf("the proof of the draw at %d: %v", h, err)
			}
			if proof.End.Cmp(proof.Start) <= 0 || proof.R.Cmp(proof.Start) < 0 ||
				proof.R.Cmp(proof.End) >= 0 {
				t.Fatalf("draw at %d: r %v outside [%v, %v)", h, proof.R, proof.Start, proof.End)
			}
			draws++
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if draws < 10 {
		t.Fatalf("only %d draws checked", draws)
	}

	// A proof with a wrong number fails.
	wn := res.Winner
	proof, _ := wn.Proof(c.p.SidechainID)
	proof.R = proof.End // just outside the winner's range
	if err := proof.Verify(c.p, tickets, ends); err == nil {
		t.Fatal("a proof with a wrong r verified")
	}
}

// TestOldWinnerRecord reads a winner record of the first, shorter form:
// the winner without its proof.
func TestOldWinnerRecord(t *testing.T) {
	c, res := stakedChain(t)
	old := *res.Winner
	old.HasProof = false
	rec := encodeWinner(&old)
	if len(rec) != winnerRecordLen {
		t.Fatalf("record of %d bytes, want %d", len(rec), winnerRecordLen)
	}
	full := encodeWinner(res.Winner)
	if len(full) != winnerProofRecordLen {
		t.Fatalf("record of %d bytes, want %d", len(full), winnerProofRecordLen)
	}
	err := c.db.Update(func(w *store.PlainWriter) error {
		return w.Set(heightKey(keyWinnerPrefix, res.Height), rec)
	})
	if err != nil {
		t.Fatal(err)
	}
	var got *Winner
	err = c.db.View(func(r store.Reader) error {
		var err error
		got, _, err = WinnerAt(r, res.Height)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := *res.Winner
	want.R, want.Start, want.End, want.HasProof = lottery.Uint128{}, lottery.Uint128{}, lottery.Uint128{}, false
	if *got != want {
		t.Fatalf("old record decoded as %+v, want %+v", got, want)
	}
	if _, ok := got.Proof(c.p.SidechainID); ok {
		t.Fatal("an old record has a proof")
	}
	for _, n := range []int{0, winnerRecordLen - 1, winnerRecordLen + 1, winnerProofRecordLen + 1} {
		if _, err := decodeWinner(1, make([]byte, n)); err == nil {
			t.Errorf("a winner record of %d bytes decoded", n)
		}
	}
}

// TestSlotIndexMissingOnOldDataDir connects blocks without the index, as a
// node from before it did: the index stays absent and says so.
func TestSlotIndexMissingOnOldDataDir(t *testing.T) {
	c := newTestChain(t)
	c.connect()
	// The counters of an older node's data dir: none.
	err := c.db.Update(func(w *store.PlainWriter) error {
		return w.Delete(keySlotCounts)
	})
	if err != nil {
		t.Fatal(err)
	}
	c.connect()
	err = c.db.View(func(r store.Reader) error {
		if _, _, err := SlotCounts(r); !errors.Is(err, ErrNoSlotIndex) {
			t.Errorf("SlotCounts: %v, want ErrNoSlotIndex", err)
		}
		if _, _, err := Publications(r, 0, 10, false); !errors.Is(err, ErrNoSlotIndex) {
			t.Errorf("Publications: %v, want ErrNoSlotIndex", err)
		}
		if _, _, err := MissedSlots(r, 0, 10, false); !errors.Is(err, ErrNoSlotIndex) {
			t.Errorf("MissedSlots: %v, want ErrNoSlotIndex", err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// A fresh data dir has empty indexes before its first block, and
	// counters from the genesis block on.
	fresh := newTestChain(t)
	for i := 0; i < 2; i++ {
		err = fresh.db.View(func(r store.Reader) error {
			np, nm, err := SlotCounts(r)
			if err != nil || np != 0 || nm != 0 {
				t.Errorf("fresh data dir: SlotCounts = %d, %d, %v", np, nm, err)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		fresh.connect()
	}
}
