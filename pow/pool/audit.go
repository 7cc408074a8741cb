package pool

import (
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/store"
)

// BlockAudit is one block's books, in satoshis: what its coinbase earns
// the pool (0 once orphaned), what of its credits was paid, what is still
// owed (immature while pending), and the pool's fee.
type BlockAudit struct {
	Hash   chainhash.Hash
	Height int32
	Status BlockStatus
	Scheme Scheme
	Earned int64
	Paid   int64
	Owed   int64
	Fee    int64
}

// Audit is the pool's books as recorded in the store.
type Audit struct {
	Blocks []BlockAudit // in the order found

	// Totals over the blocks.
	Earned, Paid, Owed, Fee int64

	// PaidOut is what the recorded payouts paid: it equals Paid.
	PaidOut int64

	// PPSAccrued is every PPS credit ever given to shares; PPSFunded
	// what blocks funded of it; PPSUnfunded the rest (returned credits
	// and shares from the funding cursor on). PPSAccrued = PPSFunded +
	// PPSUnfunded.
	PPSAccrued, PPSFunded, PPSUnfunded int64
}

// Audit reads the pool's books from one snapshot of the store and checks
// them: for every block, earned = paid + owed + fee with no credit
// negative or paid beyond its amount, an orphaned block credits nothing;
// every account was paid by the payouts exactly what the blocks record as
// paid to it; under PPS, no account was funded more than its shares'
// credits, and the credits accrued are exactly those funded plus those
// still unfunded (no share funded twice, none lost). It returns the books
// and, if any check fails, an *Error with code ErrAudit naming it.
func (p *Pool) Audit() (*Audit, error) {
	p.mu.Lock()
	if err := p.settleLocked(); err != nil {
		p.mu.Unlock()
		return nil, err
	}
	p.mu.Unlock()

	var (
		au       Audit
		blocks   []*blockRec
		payouts  []*payoutRec
		fund     = &funding{cursor: 1}
		accrued  = make(map[string]int64)
		lastSeq  uint64
		unfunded int64
	)
	err := p.db.View(func(r store.Reader) error {
		if v, err := r.Get(keyLastSeq); err == nil && len(v) == 8 {
			lastSeq = beUint64(v)
		}
		if err := r.Iterate(keyBlockPrefix, func(k, v []byte) error {
			b, err := decodeBlock(beUint64(k[len(keyBlockPrefix):]), v)
			blocks = append(blocks, b)
			return err
		}); err != nil {
			return err
		}
		if err := r.Iterate(keyPayoutPrefix, func(k, v []byte) error {
			po, err := decodePayout(beUint64(k[len(keyPayoutPrefix):]), v)
			payouts = append(payouts, po)
			return err
		}); err != nil {
			return err
		}
		if err := r.Iterate(keyCarryPrefix, func(k, v []byte) error {
			c, err := decodeCarry(v)
			if err == nil {
				accrued[string(k[len(keyCarryPrefix):])] = c.accrued
			}
			return err
		}); err != nil {
			return err
		}
		if v, err := r.Get(keyFunding); err == nil {
			if fund, err = decodeFunding(v); err != nil {
				return err
			}
			if fund.cursor == 0 {
				fund.cursor = 1
			}
		}
		for _, e := range fund.returned {
			unfunded += e.amount
		}
		used := fund.used
		return walkForward(r, fund.cursor, lastSeq, func(s *shareRec) (bool, error) {
			unfunded += s.credit - used
			used = 0
			return true, nil
		})
	})
	if err != nil {
		return nil, wrapError(ErrStore, err, "reading the pool's books")
	}

	var problems []string
	bad := func(format string, args ...any) {
		problems = append(problems, fmt.Sprintf(format, args...))
	}
	paidTo := make(map[string]int64)
	funded := make(map[string]int64)
	for _, b := range blocks {
		ba := BlockAudit{Hash: b.hash, Height: b.height, Status: b.status,
			Scheme: b.scheme, Fee: b.fee}
		if b.status != BlockOrphaned {
			ba.Earned = b.reward
		}
		if b.fee < 0 {
			bad("%v: negative fee %d", b, b.fee)
		}
		for _, a := range b.allocs {
			if a.amount < 0 || a.paid < 0 || a.paid > a.amount {
				bad("%v: credit to %x of %d satoshis with %d "+
					"paid", b, a.payout, a.amount, a.paid)
			}
			ba.Paid += a.paid
			ba.Owed += a.amount - a.paid
			paidTo[string(a.payout)] += a.paid
			if b.scheme == SchemePPS && b.status != BlockOrphaned {
				funded[string(a.payout)] += a.amount
			}
		}
		switch {
		case b.status == BlockOrphaned && (len(b.allocs) > 0 || b.fee != 0):
			bad("%v: orphaned but still credits %d accounts and a "+
				"fee of %d", b, len(b.allocs), b.fee)
		case b.status != BlockOrphaned && !b.split:
			bad("%v: its reward is not split", b)
		case ba.Earned != ba.Paid+ba.Owed+ba.Fee:
			bad("%v: earned %d != paid %d + owed %d + fee %d", b,
				ba.Earned, ba.Paid, ba.Owed, ba.Fee)
		}
		au.Blocks = append(au.Blocks, ba)
		au.Earned += ba.Earned
		au.Paid += ba.Paid
		au.Owed += ba.Owed
		au.Fee += ba.Fee
	}
	paidOut := make(map[string]int64)
	for _, po := range payouts {
		for _, o := range po.outs {
			paidOut[string(o.payout)] += o.amount
			au.PaidOut += o.amount
		}
	}
	for k, v := range paidOut {
		if paidTo[k] != v {
			bad("account %x: payouts paid %d satoshis, its blocks "+
				"record %d paid", k, v, paidTo[k])
		}
	}
	for k, v := range paidTo {
		if _, ok := paidOut[k]; !ok && v != 0 {
			bad("account %x: its blocks record %d satoshis paid, no "+
				"payout paid it", k, v)
		}
	}
	for k, v := range funded {
		au.PPSFunded += v
		if v > accrued[k] {
			bad("account %x: blocks funded %d satoshis of PPS credit, "+
				"its shares earned %d", k, v, accrued[k])
		}
	}
	for _, v := range accrued {
		au.PPSAccrued += v
	}
	au.PPSUnfunded = unfunded
	if au.PPSAccrued != au.PPSFunded+au.PPSUnfunded {
		bad("PPS credits accrued %d != funded %d + unfunded %d",
			au.PPSAccrued, au.PPSFunded, au.PPSUnfunded)
	}
	if len(problems) > 0 {
		msg := problems[0]
		if len(problems) > 1 {
			msg += fmt.Sprintf(" (and %d more)", len(problems)-1)
		}
		return &au, poolError(ErrAudit, "pool audit: %s", msg)
	}
	return &au, nil
}
