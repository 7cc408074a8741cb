package pool

import (
	"math/big"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

func TestConfigDefaults(t *testing.T) {
	c, err := Config{}.withDefaults()
	if err != nil {
		t.Fatal(err)
	}
	if c.Scheme != SchemePPLNS || c.Window != DefaultWindow ||
		c.MinPayout != DefaultMinPayout || c.Maturity != 100 ||
		c.PayoutBatch != DefaultPayoutBatch || c.MaxBatch != DefaultMaxBatch {
		t.Fatalf("defaults %+v", c)
	}
}

func TestConfigErrors(t *testing.T) {
	for name, c := range map[string]Config{
		"fee above 100%":      {FeeBps: 10001},
		"pps fee of 100%":     {Scheme: SchemePPS, FeeBps: 10000},
		"unknown scheme":      {Scheme: 7},
		"window both":         {Window: Window{Shares: 1, NetMilli: 1}},
		"window too many":     {Window: Window{Shares: maxWindowShares + 1}},
		"window too wide":     {Window: Window{NetMilli: maxNetMilli + 1}},
		"negative min payout": {MinPayout: -1},
		"negative interval":   {PayoutInterval: -time.Second},
		"batch too big":       {PayoutBatch: 10_001},
		"negative maturity":   {Maturity: -1},
		"hashrate window":     {HashrateWindow: time.Millisecond},
		"commit batch":        {MaxBatch: 50_001},
		"commit delay":        {CommitDelay: 2 * time.Second},
	} {
		if _, err := c.withDefaults(); !IsErrorCode(err, ErrConfig) {
			t.Errorf("%s: %v, want ErrConfig", name, err)
		}
	}
	if _, err := Open(nil, Config{FeeBps: 20000}, nil); !IsErrorCode(err, ErrConfig) {
		t.Errorf("Open with a bad config: %v", err)
	}
}

func TestParseWindowScheme(t *testing.T) {
	for in, want := range map[string]Window{
		"100000": {Shares: 100000},
		"2x":     {NetMilli: 2000},
		"0.5X":   {NetMilli: 500},
		" 1.25x": {NetMilli: 1250},
		"0.001x": {NetMilli: 1},
	} {
		got, err := ParseWindow(in)
		if err != nil || got != want {
			t.Errorf("ParseWindow(%q) = %+v, %v; want %+v", in, got, err,
				want)
		}
		if again, err := ParseWindow(got.String()); err != nil || again != got {
			t.Errorf("%q: String %q parses to %+v, %v", in, got.String(),
				again, err)
		}
	}
	for _, in := range []string{"", "0", "0x", "x", "1.2345x", "-1", "2y",
		"1e5", "101000000", "1000001x", ".5x"} {
		if _, err := ParseWindow(in); !IsErrorCode(err, ErrConfig) {
			t.Errorf("ParseWindow(%q): %v, want ErrConfig", in, err)
		}
	}
	if s, err := ParseScheme("PPS"); err != nil || s != SchemePPS {
		t.Errorf("ParseScheme(PPS) = %v, %v", s, err)
	}
	if _, err := ParseScheme("prop"); !IsErrorCode(err, ErrConfig) {
		t.Errorf("ParseScheme(prop): %v", err)
	}
}

func TestBadShares(t *testing.T) {
	clk := newClock()
	db := openStore(t, t.TempDir())
	defer db.Close()
	p, err := Open(db, Config{Now: clk.Now}, nil)
	if err != nil {
		t.Fatal(err)
	}
	good := mkShare(0, 10, 100, 1000, 1, clk.Now())
	for name, mut := range map[string]func(*Share){
		"no worker":     func(s *Share) { s.Worker = "" },
		"long worker":   func(s *Share) { s.Worker = string(make([]byte, 257)) },
		"no payout":     func(s *Share) { s.Payout = nil },
		"long payout":   func(s *Share) { s.Payout = make([]byte, 521) },
		"no work":       func(s *Share) { s.Work = new(big.Int) },
		"nil net":       func(s *Share) { s.NetWork = nil },
		"work over net": func(s *Share) { s.Work = big.NewInt(101) },
		"reward":        func(s *Share) { s.Reward = -1 },
		"height":        func(s *Share) { s.Height = -1 },
	} {
		s := good
		mut(&s)
		if err := p.AddShare(s); !IsErrorCode(err, ErrBadShare) {
			t.Errorf("%s: %v, want ErrBadShare", name, err)
		}
	}
	if st := p.Snapshot(); st.Accepted != 0 {
		t.Fatalf("bad shares counted: %d", st.Accepted)
	}
	// A share without a time takes the pool's clock.
	untimed := good
	untimed.Time = time.Time{}
	if err := p.AddShare(untimed); err != nil {
		t.Fatal(err)
	}
	if st := p.Snapshot(); !st.Workers[0].LastShare.Equal(clk.Now()) {
		t.Fatalf("untimed share at %v", st.Workers[0].LastShare)
	}
	p.Close()
	if err := p.AddShare(good); !IsErrorCode(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
}

// TestHashrate: the estimate is the window's work over the window, from
// the injected clock, and shares older than the window drop out.
func TestHashrate(t *testing.T) {
	clk := newClock()
	db := openStore(t, t.TempDir())
	defer db.Close()
	p, err := Open(db, Config{Now: clk.Now}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	for i := 0; i < 60; i++ {
		for w := 0; w < 2; w++ {
			if err := p.AddShare(mkShare(w, 6000*int64(w+1), 1<<30, 1,
				1, clk.Now())); err != nil {
				t.Fatal(err)
			}
		}
		clk.add(time.Second)
	}
	st := p.Snapshot()
	// 60 shares of 6,000 and of 12,000 over 600 s: 600 and 1,200 H/s.
	if st.Hashrate != 1800 || st.Workers[0].Hashrate != 600 ||
		st.Workers[1].Hashrate != 1200 || st.Workers[1].Accepted != 60 {
		t.Fatalf("%+v", st)
	}
	clk.add(11 * time.Minute)
	if st := p.Snapshot(); st.Hashrate != 0 || st.Accepted != 120 {
		t.Fatalf("after the window: %+v", st)
	}
}

func FuzzParseWindow(f *testing.F) {
	for _, s := range []string{"100000", "2x", "0.5x", "1.25x", "x", "",
		"0.0001x", "99999999999999999999x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		w, err := ParseWindow(s)
		if err != nil {
			if !IsErrorCode(err, ErrConfig) {
				t.Fatalf("%q: %v", s, err)
			}
			return
		}
		if (w.Shares == 0) == (w.NetMilli == 0) {
			t.Fatalf("%q: %+v", s, w)
		}
		if again, err := ParseWindow(w.String()); err != nil || again != w {
			t.Fatalf("%q -> %q -> %+v, %v", s, w.String(), again, err)
		}
	})
}

// FuzzDecodeRecords: no stored record, however damaged, makes a decoder
// panic; damage is ErrCorrupt.
func FuzzDecodeRecords(f *testing.F) {
	h := chainhash.Hash{7}
	s := shareRec{time: 5, worker: "a", payout: []byte{0x51},
		work: big.NewInt(9), netWork: big.NewInt(99), reward: 5,
		height: 3, credit: 4, block: &h}
	b := blockRec{hash: h, height: 3, reward: 100, worker: "a",
		netWork: big.NewInt(99), split: true, status: BlockPending,
		scheme: SchemePPLNS, fee: 1, allocs: []alloc{{payout: []byte{1},
			amount: 99, paid: 2}}}
	fu := funding{cursor: 3, used: 1, returned: []alloc{{payout: []byte{2},
		amount: 5}}}
	po := payoutRec{state: payoutSent, outs: []alloc{{payout: []byte{3},
		amount: 7}}, tx: []byte{1, 2}, txid: h}
	c := carryRec{carry: 5, accrued: 6}
	w := workerRec{accepted: 1, work: big.NewInt(3), last: 4}
	for _, seed := range [][]byte{s.encode(), b.encode(), fu.encode(),
		po.encode(), c.encode(), w.encode(), {1}, {}} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, v []byte) {
		errs := []error{}
		_, err := decodeShare(1, v)
		errs = append(errs, err)
		_, err = decodeBlock(1, v)
		errs = append(errs, err)
		_, err = decodeFunding(v)
		errs = append(errs, err)
		_, err = decodePayout(1, v)
		errs = append(errs, err)
		_, err = decodeCarry(v)
		errs = append(errs, err)
		_, err = decodeWorker(v)
		errs = append(errs, err)
		for _, err := range errs {
			if err != nil && !IsErrorCode(err, ErrCorrupt) {
				t.Fatalf("%x: %v", v, err)
			}
		}
	})
}

// TestRejects: rejects are counted by worker and code, and for the pool.
func TestRejects(t *testing.T) {
	clk := newClock()
	db := openStore(t, t.TempDir())
	defer db.Close()
	p, err := Open(db, Config{Now: clk.Now}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	s := mkShare(0, 10, 100, 1, 1, clk.Now())
	if err := p.AddShare(s); err != nil {
		t.Fatal(err)
	}
	p.AddReject(s.Worker, 23)
	p.AddReject(s.Worker, 23)
	p.AddReject(s.Worker, 21)
	p.AddReject("stranger", 24)
	st := p.Snapshot()
	if st.Rejects[23] != 2 || st.Rejects[21] != 1 || st.Rejects[24] != 1 ||
		len(st.Workers) != 2 {
		t.Fatalf("%+v", st)
	}
	for _, w := range st.Workers {
		if w.Name == s.Worker && (w.Rejects[23] != 2 || w.Accepted != 1) {
			t.Fatalf("%+v", w)
		}
	}
}
