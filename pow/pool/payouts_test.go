package pool

import (
	"testing"
	"time"
)

// TestPayoutsListed: the recorded payouts are listed from the books,
// paged as the API pages, with what each paid, and after a restart too.
func TestPayoutsListed(t *testing.T) {
	clk := newClock()
	dir := t.TempDir()
	db := openStore(t, dir)
	cfg := Config{Maturity: 1, MinPayout: 1, Now: clk.Now}
	payer := newFakePayer()
	p, err := Open(db, cfg, payer)
	if err != nil {
		t.Fatal(err)
	}
	chain := newFakeChain()
	for i := range 3 {
		s := mkShare(i, 10, 100, 1000, int32(i+1), clk.Now())
		s.Block = blockHash(i)
		chain.best[*s.Block] = int32(i + 1)
		if err := p.AddShare(s); err != nil {
			t.Fatal(err)
		}
		chain.tip = int32(i + 1)
		if err := p.TipChanged(chain); err != nil {
			t.Fatal(err)
		}
		if res, err := p.Payout(); err != nil || res.Outputs == 0 {
			t.Fatalf("payout %d: %+v, %v", i, res, err)
		}
		clk.add(time.Minute)
	}
	p.Close()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db = openStore(t, dir)
	defer db.Close()
	if p, err = Open(db, cfg, payer); err != nil {
		t.Fatal(err)
	}
	defer p.Close()

	all, total := p.Payouts(0, 10, false)
	if total != 3 || len(all) != 3 {
		t.Fatalf("%d payouts listed of %d, want 3", len(all), total)
	}
	var paid int64
	for i, r := range all {
		if r.ID != uint64(i+1) || !r.Sent || payer.sent[r.TxID] != 1 || len(r.Tx) == 0 ||
			len(r.Outputs) == 0 || r.Time.IsZero() {
			t.Fatalf("payout %d: %+v", i, r)
		}
		for _, o := range r.Outputs {
			paid += o.Amount
		}
	}
	if au := mustAudit(t, p); au.PaidOut != paid {
		t.Fatalf("the payouts listed pay %d, the audit %d", paid, au.PaidOut)
	}
	if pg, total := p.Payouts(0, 2, true); total != 3 || len(pg) != 2 || pg[0].ID != 3 || pg[1].ID != 2 {
		t.Fatalf("newest first, 2: %+v", pg)
	}
	if pg, _ := p.Payouts(2, 5, false); len(pg) != 1 || pg[0].ID != 3 {
		t.Fatalf("from 2: %+v", pg)
	}
	if pg, total := p.Payouts(3, 5, false); len(pg) != 0 || total != 3 {
		t.Fatalf("past the end: %+v", pg)
	}
}
