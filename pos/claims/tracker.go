package claims

import "slices"

// Event is one entry of the best chain's history as the claim rules see it,
// in chain order: the reward record of an epoch that ended, or a claim a
// block included. Exactly one field is set.
type Event struct {
	Record *EpochRecord
	Claim  *Claim
}

// Tracker follows the chain: it holds the reward records of the ended
// epochs (the chain's history, which it can give as a History), the
// ledger, and each validator's earnings (the sum of all its deltas). The
// current epoch is the number of records: the epoch after the last ended
// one. A node keeps one in memory and builds it again with Recompute after
// initial block download or a restart; nothing of it is stored apart from
// the chain.
type Tracker struct {
	p      *Params
	keys   Keys
	domain [32]byte

	records []EpochRecord
	ledger  Ledger
	earned  []int64
}

// NewTracker returns a Tracker at epoch 0 with nothing recorded.
func NewTracker(p *Params, keys Keys, domain [32]byte) (*Tracker, error) {
	if err := p.Check(); err != nil {
		return nil, err
	}
	return &Tracker{p: p, keys: keys, domain: domain}, nil
}

// Record implements History.
func (t *Tracker) Record(e uint64) (*EpochRecord, bool) {
	if e >= uint64(len(t.records)) {
		return nil, false
	}
	return &t.records[e], true
}

// Epoch is the current epoch: the number of ended epochs recorded.
func (t *Tracker) Epoch() uint64 {
	return uint64(len(t.records))
}

// AddRecord ends the current epoch with its reward record, which must be
// for the current epoch and within MaxDelta (ErrBadRecord; nothing changes
// then).
func (t *Tracker) AddRecord(r EpochRecord) error {
	if r.Epoch != t.Epoch() {
		return ruleErrorf(ErrBadRecord, "record of epoch %d; the next is "+
			"epoch %d", r.Epoch, t.Epoch())
	}
	if err := r.check(); err != nil {
		return err
	}
	r.Deltas = slices.Clone(r.Deltas)
	for len(t.earned) < len(r.Deltas) {
		t.earned = append(t.earned, 0)
	}
	for i, d := range r.Deltas {
		t.earned[i] += d
	}
	t.records = append(t.records, r)
	return nil
}

// Claim validates a claim included in a block of the current epoch
// (Validate) and applies it; it returns the amount paid. A refused claim
// changes nothing.
func (t *Tracker) Claim(c *Claim) (uint64, error) {
	amt, err := Validate(t.p, &t.ledger, t, t.keys, c, t.Epoch(), t.domain)
	if err != nil {
		return 0, err
	}
	t.ledger.Apply(c)
	return amt, nil
}

// Ledger returns a copy of the ledger (the consensus state).
func (t *Tracker) Ledger() *Ledger {
	return &Ledger{Accounts: slices.Clone(t.ledger.Accounts)}
}

// Balance is validator v's unclaimed rewards: everything it earned (all
// its deltas, up to the last ended epoch) minus everything it claimed. It
// is negative when penalties since its last claim exceed its rewards. With
// records bounded by MaxDelta, the sums cannot overflow before 2^23 epochs
// of maximal deltas.
func (t *Tracker) Balance(v uint64) int64 {
	var e int64
	if v < uint64(len(t.earned)) {
		e = t.earned[v]
	}
	return e - int64(t.ledger.Account(v).Claimed)
}

// Balances returns Balance for validators 0 to n−1.
func (t *Tracker) Balances(n int) []int64 {
	out := make([]int64, n)
	for i := range out {
		out[i] = t.Balance(uint64(i))
	}
	return out
}

// Recompute builds a Tracker again from the chain's history, replaying
// every record and claim in order with the same rules; a record or claim
// the rules refuse means the history is not one a node accepted, and is
// returned as that error.
func Recompute(p *Params, keys Keys, domain [32]byte, history []Event) (*Tracker, error) {
	t, err := NewTracker(p, keys, domain)
	if err != nil {
		return nil, err
	}
	for _, ev := range history {
		switch {
		case ev.Record != nil:
			err = t.AddRecord(*ev.Record)
		case ev.Claim != nil:
			_, err = t.Claim(ev.Claim)
		}
		if err != nil {
			return nil, err
		}
	}
	return t, nil
}
