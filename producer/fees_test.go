package producer

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/feeest"
	"github.com/mainstake/sidenode/mainstake"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/opreturn"
	"github.com/mainstake/sidenode/wallet"
)

// keysOnly is a Wallet with the keyring of a fixed seed.
type keysOnly struct{ keys *wallet.Keyring }

func (k keysOnly) OwnsStakeKey(pub []byte) (wallet.KeyRef, bool) {
	ref := wallet.KeyRef{Family: wallet.Stake}
	p, _ := k.keys.PubKey(ref)
	return ref, string(p.SerializeCompressed()) == string(pub)
}
func (k keysOnly) Keys() *wallet.Keyring { return k.keys }
func (k keysOnly) SideKey(*chaincfg.Params) (*btcec.PrivateKey, btcutil.Address, []byte, error) {
	return nil, nil, nil, errors.New("no side key")
}

// coinFunds is Funds over a list of coins of the keyring's receive key.
type coinFunds struct {
	keys  *wallet.Keyring
	mu    sync.Mutex
	coins []*wallet.Coin
	held  map[wire.OutPoint]bool
	topUp map[uint64]int64
}

func (f *coinFunds) TakeCoins(need, perInput int64) ([]*wallet.Coin, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var took []*wallet.Coin
	var have int64
	for _, c := range f.coins {
		if f.held[c.OutPoint] {
			continue
		}
		took = append(took, c)
		have += c.Value
		if have >= need+int64(len(took))*perInput {
			for _, c := range took {
				f.held[c.OutPoint] = true
			}
			return took, nil
		}
	}
	return nil, wallet.ErrNoCoins
}
func (f *coinFunds) ReleaseCoins(coins []*wallet.Coin) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range coins {
		delete(f.held, c.OutPoint)
	}
}
func (f *coinFunds) SignCoins(tx *wire.MsgTx, coins []*wallet.Coin, prevs txscript.PrevOutputFetcher) error {
	for i, in := range tx.TxIn {
		for _, c := range coins {
			if c.OutPoint != in.PreviousOutPoint {
				continue
			}
			priv, _ := f.keys.PrivKey(c.Key)
			wit, err := txscript.WitnessSignature(tx, txscript.NewTxSigHashes(tx, prevs), i,
				c.Value, c.PkScript, txscript.SigHashAll, priv, true)
			if err != nil {
				return err
			}
			in.Witness = wit
		}
	}
	return nil
}
func (f *coinFunds) HeaderChange() ([]byte, error) {
	_, script, err := f.keys.P2WPKH(wallet.KeyRef{Family: wallet.Change})
	return script, err
}
func (f *coinFunds) TopUp(ticket uint64) (int64, error) { return f.topUp[ticket], nil }
func (f *coinFunds) ClearTopUp(ticket uint64, amount int64) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.topUp[ticket] = max(f.topUp[ticket]-amount, 0)
	return nil
}

// sentFollower records broadcasts and forgets; best is the backend's tip.
type sentFollower struct {
	mu     sync.Mutex
	sent   []*wire.MsgTx
	forgot []chainhash.Hash
	best   int32
}

func (f *sentFollower) Status() mainwatch.Status {
	f.mu.Lock()
	defer f.mu.Unlock()
	var s mainwatch.Status
	s.Source.Best.Height = f.best
	return s
}
func (f *sentFollower) Broadcast(_ context.Context, tx *wire.MsgTx) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.sent = append(f.sent, tx)
	return nil
}
func (f *sentFollower) Forget(h chainhash.Hash) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.forgot = append(f.forgot, h)
}

// stepRates is a FeeRates whose rate the test sets; each Refresh is
// counted on refreshed.
type stepRates struct {
	mu        sync.Mutex
	rate      feeest.SatPerKVB
	refreshed chan struct{}
}

func (s *stepRates) Rate() feeest.Estimate {
	s.mu.Lock()
	defer s.mu.Unlock()
	return feeest.Estimate{Rate: s.rate}
}
func (s *stepRates) Refresh(context.Context) feeest.Estimate {
	e := s.Rate()
	s.refreshed <- struct{}{}
	return e
}

type feeSim struct {
	p      *Producer
	tk     *mainstake.Ticket
	funds  *coinFunds
	fol    *sentFollower
	rates  *stepRates
	prevs  map[wire.OutPoint]*wire.TxOut
	ticks  chan time.Time
	params *chainparams.Params
}

func newFeeSim(t *testing.T, publisher int64, coins ...int64) *feeSim {
	keys, err := wallet.NewKeyring(make([]byte, 32), &chaincfg.RegressionNetParams)
	if err != nil {
		t.Fatal(err)
	}
	pub, _ := keys.PubKey(wallet.KeyRef{Family: wallet.Stake})
	s := &feeSim{
		tk: &mainstake.Ticket{ID: 4, Registration: mainstake.Registration{PubKey: pub},
			Current: wire.OutPoint{Hash: chainhash.Hash{1}, Index: 1}, CurrentValue: publisher, End: -1},
		funds: &coinFunds{keys: keys, held: make(map[wire.OutPoint]bool),
			topUp: make(map[uint64]int64)},
		fol:    &sentFollower{best: 10},
		rates:  &stepRates{rate: 2000, refreshed: make(chan struct{}, 16)},
		prevs:  make(map[wire.OutPoint]*wire.TxOut),
		ticks:  make(chan time.Time),
		params: &chainparams.Regtest,
	}
	ref := wallet.KeyRef{Family: wallet.Receive}
	_, script, err := keys.P2WPKH(ref)
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range coins {
		c := &wallet.Coin{OutPoint: wire.OutPoint{Hash: chainhash.Hash{2}, Index: uint32(i)},
			Value: v, PkScript: script, Key: ref}
		s.funds.coins = append(s.funds.coins, c)
		s.prevs[c.OutPoint] = wire.NewTxOut(v, script)
	}
	pubScript, _ := mainstake.PublisherScript(pub)
	s.prevs[s.tk.Current] = wire.NewTxOut(publisher, pubScript)
	s.p = New(Env{Params: s.params, Wallet: keysOnly{keys}, Funds: s.funds, Follower: s.fol,
		FeeRate: 2, Fees: s.rates, TopUpHeaders: 10,
		After: func(time.Duration) <-chan time.Time { return s.ticks }})
	return s
}

// check verifies tx against the sim's outputs: scripts, a valid header of
// the ticket, and returns its fee and vsize.
func (s *feeSim) check(t *testing.T, tx *wire.MsgTx) (fee, vsize int64) {
	t.Helper()
	if err := wallet.CheckTx(tx, txscript.NewMultiPrevOutFetcher(s.prevs)); err != nil {
		t.Fatalf("header tx fails its check: %v", err)
	}
	spend, err := mainstake.ClassifySpend(tx, s.tk.Current, s.tk.PubKey, s.params.SidechainID)
	if err != nil || spend.Class != mainstake.ValidHeader {
		t.Fatalf("not a header tx of the ticket: %+v %v", spend, err)
	}
	var in, out int64
	for _, i := range tx.TxIn {
		in += s.prevs[i.PreviousOutPoint].Value
	}
	for _, o := range tx.TxOut {
		out += o.Value
	}
	return in - out, (blockchainWeight(tx) + 3) / 4
}

func blockchainWeight(tx *wire.MsgTx) int64 {
	return int64(tx.SerializeSizeStripped()*3 + tx.SerializeSize())
}

var testHdr = opreturn.Header{PrevBlock: chainhash.Hash{5}, MerkleRoot: chainhash.Hash{6}}

// A publisher output that cannot pay the fee: wallet coins pay it, and
// refill the output to twice TopUpHeaders headers' worth.
func TestFundHeaderAddsWalletInputs(t *testing.T) {
	s := newFeeSim(t, 500, 100_000)
	b, err := s.p.fundHeader(10, s.tk, testHdr, nil, 20_000, true)
	if err != nil {
		t.Fatal(err)
	}
	fee, vsize := s.check(t, b.tx)
	if len(b.tx.TxIn) != 2 || fee < 20*vsize {
		t.Fatalf("%d inputs, fee %d for %d vB at 20 sat/vB", len(b.tx.TxIn), fee, vsize)
	}
	if want := 2 * 10 * s.p.headerWorth(); b.tx.TxOut[1].Value < want || b.tx.TxOut[1].Value > want+1 {
		t.Fatalf("publisher output refilled to %d, want %d", b.tx.TxOut[1].Value, want)
	}
	// The rest of the coin goes back to the wallet as change (output 2).
	if len(b.tx.TxOut) != 3 || b.tx.TxOut[2].Value < 80_000 {
		t.Fatalf("no change to the wallet: %v", b.tx.TxOut)
	}
	// Without wallet coins the slot is missed as no funds.
	s = newFeeSim(t, 500)
	if _, err := s.p.fundHeader(10, s.tk, testHdr, nil, 20_000, true); !errors.Is(err, ErrNoFunds) {
		t.Fatalf("no coins: %v", err)
	}
}

// The operator's top-up goes into the publisher output, on top of what
// it holds less the fee.
func TestFundHeaderCarriesTopUp(t *testing.T) {
	s := newFeeSim(t, 1_000_000, 30_000, 40_000)
	s.funds.topUp[4] = 50_000
	b, err := s.p.fundHeader(10, s.tk, testHdr, nil, 2000, true)
	if err != nil {
		t.Fatal(err)
	}
	fee, _ := s.check(t, b.tx)
	// The wallet pays the top-up and what its own inputs and change add
	// to the fee.
	if got, want := b.tx.TxOut[1].Value, int64(1_000_000+50_000)-fee; got < want || got >= 1_050_000 {
		t.Fatalf("publisher output %d, want %d to 1050000", got, want)
	}
	if b.topUp != 50_000 {
		t.Fatalf("bid carries %d sat of top-up", b.topUp)
	}
	s.p.sent(10, b)
}

// The caps: a header never pays more than --publish.maxheaderfee, nor
// more than what --publish.maxdayfee leaves of the day; when they leave
// less than the relay floor, no header goes out.
func TestFundHeaderCaps(t *testing.T) {
	s := newFeeSim(t, 1_000_000)
	s.p.env.MaxHeaderFee = 3_000
	b, err := s.p.fundHeader(10, s.tk, testHdr, nil, 500_000, true) // 500 sat/vB
	if err != nil {
		t.Fatal(err)
	}
	if fee, _ := s.check(t, b.tx); fee != 3_000 {
		t.Fatalf("fee %d, want the cap of 3000", fee)
	}
	now := time.Unix(1_000_000, 0)
	s.p.env.Now = func() time.Time { return now }
	s.p.env.MaxDayFee = 3_500
	s.p.sent(10, b)
	b, err = s.p.fundHeader(11, s.tk, testHdr, nil, 500_000, true)
	if err != nil {
		t.Fatal(err)
	}
	if fee, _ := s.check(t, b.tx); fee != 500 {
		t.Fatalf("fee %d, want the 500 sat the day's cap leaves", fee)
	}
	s.p.sent(11, b)
	if _, err := s.p.fundHeader(12, s.tk, testHdr, nil, 2000, true); !errors.Is(err, ErrFeeCap) {
		t.Fatalf("day's cap spent: %v", err)
	}
	// A day later the cap is free again.
	now = now.Add(24 * time.Hour)
	if _, err := s.p.fundHeader(12, s.tk, testHdr, nil, 2000, true); err != nil {
		t.Fatalf("next day: %v", err)
	}
}

// The day's fees outlive a restart: a producer started on the same
// --publish.maxdayfee file counts what the one before it paid, a corrupt
// file counts as an empty day, and entries older than a day are dropped.
func TestDayFeesSurviveRestart(t *testing.T) {
	file := filepath.Join(t.TempDir(), "headerfees.json")
	now := time.Unix(2_000_000, 0)
	s := newFeeSim(t, 1_000_000)
	s.p.env.Now = func() time.Time { return now }
	s.p.days.file = file
	s.p.env.MaxDayFee = 3_500
	b, err := s.p.fundHeader(10, s.tk, testHdr, nil, 10_000, true)
	if err != nil {
		t.Fatal(err)
	}
	s.p.sent(10, b)
	paid, _ := s.check(t, b.tx)

	// A restart: a new producer on the same file.
	restarted := New(Env{DayFeesFile: file, Now: func() time.Time { return now }})
	if got := restarted.days.spent(now, 11); got != paid {
		t.Fatalf("after a restart the day's fees are %d, want %d", got, paid)
	}
	later := now.Add(24 * time.Hour)
	if got := New(Env{DayFeesFile: file, Now: func() time.Time { return later }}).days.spent(later, 11); got != 0 {
		t.Fatalf("a day later the fees are %d, want 0", got)
	}
	if err := os.WriteFile(file, []byte("{garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got := New(Env{DayFeesFile: file, Now: func() time.Time { return now }}).days.spent(now, 11); got != 0 {
		t.Fatalf("corrupt file: %d", got)
	}
}

// While the next block has not come, a higher needed rate replaces the
// header transaction: same publication and inputs, a fee higher by the
// relay increment at least, within the cap; the replaced one is forgotten.
func TestRebidReplaces(t *testing.T) {
	s := newFeeSim(t, 200_000, 100_000)
	s.p.env.MaxHeaderFee = 20_000
	b, err := s.p.fundHeader(10, s.tk, testHdr, nil, 2000, true)
	if err != nil {
		t.Fatal(err)
	}
	s.p.sent(10, b)
	made := &Production{height: 10, tx: b.tx, bid: b}
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() { s.p.rebid(made, stop); close(done) }()

	<-s.rates.refreshed // the first look: nothing to do at the same rate
	s.rates.mu.Lock()
	s.rates.rate = 50_000 // a spike to 50 sat/vB
	s.rates.mu.Unlock()
	s.ticks <- time.Time{}
	<-s.rates.refreshed
	s.ticks <- time.Time{} // the replacement went out before this tick was taken
	<-s.rates.refreshed
	s.fol.mu.Lock()
	if len(s.fol.sent) != 1 || len(s.fol.forgot) != 1 || s.fol.forgot[0] != b.tx.TxHash() {
		t.Fatalf("sent %d, forgot %v", len(s.fol.sent), s.fol.forgot)
	}
	repl := s.fol.sent[0]
	s.fol.mu.Unlock()
	fee, vsize := s.check(t, repl)
	oldFee, _ := s.check(t, b.tx)
	if fee < oldFee+vsize || fee < 50*vsize || fee > 20_000 {
		t.Fatalf("replacement fee %d (old %d, %d vB)", fee, oldFee, vsize)
	}
	for i, in := range repl.TxIn {
		if in.Sequence != mainstake.RBFSequence || in.PreviousOutPoint != b.tx.TxIn[i].PreviousOutPoint {
			t.Fatalf("input %d: %v", i, in)
		}
	}
	if string(repl.TxOut[0].PkScript) != string(b.tx.TxOut[0].PkScript) {
		t.Fatal("the replacement publishes another header")
	}
	// A spike above the cap: no replacement can outbid, none goes out.
	s.rates.mu.Lock()
	s.rates.rate = 1_000_000
	s.rates.mu.Unlock()
	s.p.env.MaxHeaderFee = fee
	s.ticks <- time.Time{}
	<-s.rates.refreshed
	// The next block: the rebid ends.
	close(stop)
	<-done
	s.fol.mu.Lock()
	defer s.fol.mu.Unlock()
	if len(s.fol.sent) != 1 {
		t.Fatalf("%d transactions sent, want the one replacement", len(s.fol.sent))
	}
}
