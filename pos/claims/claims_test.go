package claims

import (
	"bytes"
	"encoding/binary"
	"math/rand"
	"testing"

	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"github.com/mainstake/sidenode/pos/bls"
	"github.com/mainstake/sidenode/pos/ffg"
)

// TestErrorCodeStrings keeps errorCodeStrings complete.
func TestErrorCodeStrings(t *testing.T) {
	for c := ErrorCode(0); c < numErrorCodes; c++ {
		if errorCodeStrings[c] == "" {
			t.Errorf("code %d has no name", c)
		}
	}
	if len(errorCodeStrings) != int(numErrorCodes) {
		t.Errorf("%d names for %d codes", len(errorCodeStrings), numErrorCodes)
	}
}

func wantCode(t *testing.T, err error, c ErrorCode) {
	t.Helper()
	if !IsErrorCode(err, c) {
		t.Fatalf("got %v, want %v", err, c)
	}
}

var domain = [32]byte{0xd0, 0x4a}

// keyring is the validators' secret keys; it implements Keys.
type keyring []*bls.SecretKey

func (k keyring) PublicKey(i uint64) (*bls.PublicKey, bool) {
	if i >= uint64(len(k)) {
		return nil, false
	}
	return k[i].PublicKey(), true
}

func newKeyring(t testing.TB, n int) keyring {
	k := make(keyring, n)
	for i := range k {
		ikm := make([]byte, 32)
		binary.BigEndian.PutUint64(ikm, uint64(i)+7)
		sk, err := bls.GenerateKey(ikm)
		if err != nil {
			t.Fatal(err)
		}
		k[i] = sk
	}
	return k
}

func signed(k keyring, v, from, to, amount uint64) *Claim {
	c := &Claim{Validator: v, FromEpoch: from, ToEpoch: to, Amount: amount}
	c.Sign(k[v], domain)
	return c
}

func TestParams(t *testing.T) {
	for _, p := range []Params{Devnet, Mainnet} {
		if err := p.Check(); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []Params{{MaxClaimRange: 0}, {MaxClaimRange: 1<<20 + 1}, {MaxClaimRange: 1, Cooldown: 1<<32 + 1}} {
		wantCode(t, p.Check(), ErrBadParams)
		_, err := NewTracker(&p, keyring{}, domain)
		wantCode(t, err, ErrBadParams)
	}
}

func TestPayload(t *testing.T) {
	k := newKeyring(t, 1)
	c := signed(k, 0, 3, 9, 12345)
	s := c.Script()
	if len(c.Payload()) != PayloadSize || PayloadSize != 133 {
		t.Fatal("size")
	}
	got, err := ParseClaim(s)
	if err != nil || *got != *c {
		t.Fatalf("%v %+v", err, got)
	}
	push := func(data []byte) []byte {
		b, _ := txscript.NewScriptBuilder().AddOp(txscript.OP_RETURN).AddData(data).Script()
		return b
	}
	p := c.Payload()
	badTag := bytes.Clone(p)
	badTag[0] = 'X'
	badVer := bytes.Clone(p)
	badVer[4] = 2
	badSig := bytes.Clone(p)
	badSig[unsignedSize] ^= 0x40 // the infinity flag on a non-zero point
	// OP_PUSHDATA2 for a 133-byte push is not canonical.
	pd2 := append([]byte{txscript.OP_RETURN, txscript.OP_PUSHDATA2, PayloadSize, 0}, p...)
	for name, sc := range map[string][]byte{
		"empty":      nil,
		"no return":  s[1:],
		"short":      push(p[:PayloadSize-1]),
		"long":       push(append(bytes.Clone(p), 0)),
		"tag":        push(badTag),
		"version":    push(badVer),
		"signature":  push(badSig),
		"pushdata2":  pd2,
		"trailing":   append(bytes.Clone(s), txscript.OP_NOP),
		"two pushes": append(bytes.Clone(s), 0x01, 0x00),
		"truncated":  s[:len(s)-1],
	} {
		_, err := ParseClaim(sc)
		if !IsErrorCode(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}

	tx := wire.NewMsgTx(2)
	tx.AddTxOut(wire.NewTxOut(5000, []byte{txscript.OP_TRUE}))
	tx.AddTxOut(wire.NewTxOut(0, push([]byte("other data"))))
	if c, err := ParseClaimTx(tx); c != nil || err != nil {
		t.Fatal("not a claim", c, err)
	}
	tx.AddTxOut(wire.NewTxOut(0, s))
	if got, err := ParseClaimTx(tx); err != nil || *got != *c {
		t.Fatal(err)
	}
	tx.TxOut[2].Value = 1
	_, err = ParseClaimTx(tx)
	wantCode(t, err, ErrMalformed)
	tx.TxOut[2].Value = 0
	tx.AddTxOut(wire.NewTxOut(0, push(badVer)))
	_, err = ParseClaimTx(tx)
	wantCode(t, err, ErrMalformed)
}

func TestRecordFromDeltas(t *testing.T) {
	r, err := RecordFromDeltas(4, []ffg.Delta{{Reward: 10, Penalty: 3}, {Penalty: 7}, {}})
	if err != nil || r.Epoch != 4 || r.Deltas[0] != 7 || r.Deltas[1] != -7 || r.Deltas[2] != 0 {
		t.Fatal(err, r)
	}
	_, err = RecordFromDeltas(4, []ffg.Delta{{Reward: MaxDelta + 1}})
	wantCode(t, err, ErrBadRecord)
}

// tracker returns a tracker over 3 validators with records for epochs
// 0..n−1: validator 0 earns 10 a epoch, validator 1 loses 5 in epochs 0–1
// and earns 3 after, validator 2 is not in the records.
func tracker(t *testing.T, k keyring, n uint64) *Tracker {
	tr, err := NewTracker(&Devnet, k, domain)
	if err != nil {
		t.Fatal(err)
	}
	for e := range n {
		d := int64(3)
		if e < 2 {
			d = -5
		}
		if err := tr.AddRecord(EpochRecord{Epoch: e, Deltas: []int64{10, d}}); err != nil {
			t.Fatal(err)
		}
	}
	return tr
}

// TestValidateRules refuses each bad claim with its code and leaves the
// ledger as it was; then pays a good one once.
func TestValidateRules(t *testing.T) {
	k := newKeyring(t, 4)
	tr := tracker(t, k, 10) // current epoch 10; cooldown 4: up to epoch 5
	wrongSig := signed(k, 0, 0, 5, 60)
	wrongSig.Signature = signed(k, 1, 0, 5, 60).Signature
	otherDomain := &Claim{Validator: 0, FromEpoch: 0, ToEpoch: 5, Amount: 60}
	otherDomain.Sign(k[0], [32]byte{1})
	for name, c := range map[string]struct {
		c    *Claim
		code ErrorCode
	}{
		"unknown":      {&Claim{Validator: 4, ToEpoch: 1}, ErrUnknownValidator},
		"reversed":     {signed(k, 0, 3, 2, 10), ErrBadRange},
		"too long":     {signed(k, 0, 0, Devnet.MaxClaimRange, 10), ErrBadRange},
		"gap":          {signed(k, 0, 1, 5, 50), ErrGapInRange},
		"cooldown":     {signed(k, 0, 0, 6, 70), ErrBeforeCooldown},
		"cooldown max": {signed(k, 0, 0, 1<<63, 70), ErrBadRange},
		"not earned":   {signed(k, 1, 0, 1, 0), ErrNothingToClaim},
		"not earned 2": {signed(k, 1, 0, 4, 0), ErrNothingToClaim}, // −10 + 9
		"no record":    {signed(k, 2, 0, 5, 0), ErrNothingToClaim},
		"too much":     {signed(k, 0, 0, 5, 61), ErrAmountMismatch},
		"too little":   {signed(k, 0, 0, 5, 59), ErrAmountMismatch},
		"signature":    {wrongSig, ErrBadSignature},
		"domain":       {otherDomain, ErrBadSignature},
	} {
		before := tr.Ledger().Hash()
		_, err := tr.Claim(c.c)
		if !IsErrorCode(err, c.code) {
			t.Errorf("%s: got %v, want %v", name, err, c.code)
		}
		if tr.Ledger().Hash() != before {
			t.Fatalf("%s: a refused claim changed the ledger", name)
		}
	}
	// Paid once.
	good := signed(k, 0, 0, 5, 60)
	if amt, err := tr.Claim(good); err != nil || amt != 60 {
		t.Fatal(err, amt)
	}
	_, err := tr.Claim(good)
	wantCode(t, err, ErrOverlappingRange)
	_, err = tr.Claim(signed(k, 0, 3, 5, 30))
	wantCode(t, err, ErrOverlappingRange)
	if tr.Balance(0) != 40 || tr.Ledger().Account(0) != (Account{NextEpoch: 6, Claimed: 60}) {
		t.Fatal(tr.Balance(0), tr.Ledger().Account(0))
	}
	// Validator 1: −10 then +3 a epoch; epochs 0–5 give 2.
	if amt, err := tr.Claim(signed(k, 1, 0, 5, 2)); err != nil || amt != 2 {
		t.Fatal(err)
	}
	// The next epoch ends: epoch 6 becomes claimable.
	_, err = tr.Claim(signed(k, 0, 6, 6, 10))
	wantCode(t, err, ErrBeforeCooldown)
	if err := tr.AddRecord(EpochRecord{Epoch: 10, Deltas: []int64{10}}); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Claim(signed(k, 0, 6, 6, 10)); err != nil {
		t.Fatal(err)
	}
	// A history missing a record: ErrNoRecord.
	short := &Tracker{p: &Devnet}
	_, err = Validate(&Devnet, &Ledger{}, short, k, signed(k, 0, 0, 0, 10), 10, domain)
	wantCode(t, err, ErrNoRecord)
}

func TestAddRecord(t *testing.T) {
	tr := tracker(t, keyring{}, 2)
	wantCode(t, tr.AddRecord(EpochRecord{Epoch: 3}), ErrBadRecord)
	wantCode(t, tr.AddRecord(EpochRecord{Epoch: 1}), ErrBadRecord)
	wantCode(t, tr.AddRecord(EpochRecord{Epoch: 2, Deltas: []int64{-MaxDelta - 1}}), ErrBadRecord)
	if tr.Epoch() != 2 {
		t.Fatal("a refused record was added")
	}
}

func TestLedgerEncoding(t *testing.T) {
	l := &Ledger{Accounts: []Account{{NextEpoch: 3, Claimed: 9}, {}, {NextEpoch: 1, Claimed: 1}, {}, {}}}
	b := l.Encode()
	if len(b) != 8+3*16 {
		t.Fatal("trailing zero accounts encoded")
	}
	d, err := DecodeLedger(b)
	if err != nil || !bytes.Equal(d.Encode(), b) {
		t.Fatal(err)
	}
	for name, bad := range map[string][]byte{
		"empty":     nil,
		"short":     b[:len(b)-1],
		"trailing":  append(bytes.Clone(b), 0),
		"zero last": (&Ledger{}).Encode()[:0],
		"count":     append([]byte{0, 0, 0, 0, 0, 0, 0, 1}, make([]byte, 16)...),
		"huge":      []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff},
	} {
		if _, err := DecodeLedger(bad); !IsErrorCode(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// step is one step of a random history: a record, or a claim attempt.
type step struct {
	record *EpochRecord
	claim  *Claim
}

// model is an independent account of what a claim may take: per validator,
// the next unclaimed epoch, and every record, summed afresh per claim.
type model struct {
	records [][]int64
	next    map[uint64]uint64
	claimed map[uint64]int64
}

func (m *model) sum(v, from, to uint64) int64 {
	var s int64
	for e := from; e <= to; e++ {
		if v < uint64(len(m.records[e])) {
			s += m.records[e][v]
		}
	}
	return s
}

// randomSteps makes a random history of records and claim attempts, some
// valid and some not, with the codes the model expects.
func randomSteps(rng *rand.Rand, k keyring, p *Params, n int) ([]step, []ErrorCode) {
	m := &model{next: map[uint64]uint64{}, claimed: map[uint64]int64{}}
	var steps []step
	var want []ErrorCode
	const ok = ErrorCode(-1)
	for range n {
		cur := uint64(len(m.records))
		if rng.Intn(3) > 0 || cur <= p.Cooldown {
			d := make([]int64, rng.Intn(len(k)+1))
			for i := range d {
				d[i] = rng.Int63n(3000) - 1000
			}
			m.records = append(m.records, d)
			steps = append(steps, step{record: &EpochRecord{Epoch: cur, Deltas: d}})
			want = append(want, ok)
			continue
		}
		v := uint64(rng.Intn(len(k)))
		from := m.next[v]
		last := cur - p.Cooldown - 1 // the last claimable epoch
		if from > last {
			continue
		}
		to := from + uint64(rng.Int63n(int64(min(last-from+1, p.MaxClaimRange))))
		sum := m.sum(v, from, to)
		amt := uint64(max(sum, 0))
		code := ok
		switch rng.Intn(6) {
		case 0:
			amt++
			code = ErrAmountMismatch
		case 1:
			if from > 0 {
				from--
				sum = m.sum(v, from, to)
				amt = uint64(max(sum, 0))
				code = ErrOverlappingRange
			}
		case 2:
			to = cur - p.Cooldown
			sum = m.sum(v, from, min(to, cur-1))
			amt = uint64(max(sum, 0))
			code = ErrBeforeCooldown
		}
		if to-from >= p.MaxClaimRange {
			code = ErrBadRange
		}
		if code == ok && sum <= 0 {
			code = ErrNothingToClaim
		}
		if code == ErrAmountMismatch && sum <= 0 {
			code = ErrNothingToClaim
		}
		c := signed(k, v, from, to, amt)
		if code == ok {
			m.next[v] = to + 1
			m.claimed[v] += sum
		}
		steps = append(steps, step{claim: c})
		want = append(want, code)
	}
	return steps, want
}

// TestRecomputeAfterRestart is the property test: over random histories, a
// node that never stopped and a node that stopped at a random point, lost
// everything but the chain, recomputed its state from the chain's history
// with Recompute and went on, end with the same balances and ledger; and
// the claims each accepts are exactly those an independent model expects.
func TestRecomputeAfterRestart(t *testing.T) {
	k := newKeyring(t, 5)
	p := &Params{Cooldown: 2, MaxClaimRange: 64}
	rng := rand.New(rand.NewSource(6))
	var paid, refused int
	for run := range 40 {
		steps, want := randomSteps(rng, k, p, 60+rng.Intn(60))
		never, _ := NewTracker(p, k, domain)
		restartAt := rng.Intn(len(steps) + 1)
		var history []Event
		var restarted *Tracker
		for i, s := range steps {
			if i == restartAt {
				var err error
				if restarted, err = Recompute(p, k, domain, history); err != nil {
					t.Fatal(err)
				}
			}
			apply := func(tr *Tracker) error {
				if s.record != nil {
					return tr.AddRecord(*s.record)
				}
				_, err := tr.Claim(s.claim)
				return err
			}
			err := apply(never)
			if want[i] == -1 {
				if err != nil {
					t.Fatalf("run %d step %d: %v", run, i, err)
				}
				if s.claim != nil {
					paid++
				}
				history = append(history, Event{Record: s.record, Claim: s.claim})
			} else {
				wantCode(t, err, want[i])
				refused++
			}
			if restarted != nil {
				if err2 := apply(restarted); (err == nil) != (err2 == nil) {
					t.Fatalf("run %d step %d: %v, after restart %v", run, i, err, err2)
				}
			}
		}
		if restarted == nil {
			restarted, _ = Recompute(p, k, domain, history)
		}
		full, err := Recompute(p, k, domain, history)
		if err != nil {
			t.Fatal(err)
		}
		for _, tr := range []*Tracker{restarted, full} {
			if tr.Ledger().Hash() != never.Ledger().Hash() || tr.Epoch() != never.Epoch() {
				t.Fatalf("run %d: ledgers differ", run)
			}
			for v := range uint64(len(k)) {
				if tr.Balance(v) != never.Balance(v) {
					t.Fatalf("run %d validator %d: balance %d, never stopped %d", run, v, tr.Balance(v), never.Balance(v))
				}
			}
		}
		// Balance = all deltas − all claims, and the claims took exactly
		// the deltas up to each validator's last claimed epoch.
		for v := range uint64(len(k)) {
			var all, upto int64
			a := never.Ledger().Account(v)
			for e := range never.Epoch() {
				r, _ := never.Record(e)
				all += r.delta(v)
				if e < a.NextEpoch {
					upto += r.delta(v)
				}
			}
			if never.Balance(v) != all-int64(a.Claimed) || int64(a.Claimed) != upto {
				t.Fatalf("run %d validator %d: balance %d, earned %d, claimed %d, up to %d", run, v, never.Balance(v), all, a.Claimed, upto)
			}
		}
	}
	if paid < 50 || refused < 50 {
		t.Fatalf("%d claims paid, %d refused: the histories test too little", paid, refused)
	}
	t.Logf("%d claims paid, %d refused", paid, refused)
}
