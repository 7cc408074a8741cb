package registry

import (
	"bytes"
	"encoding/binary"
	"math/rand"
	"testing"

	"github.com/mainstake/sidenode/pos/bls"
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

var keyCache = map[int][bls.PublicKeySize]byte{}

// pubkey returns the public key of test validator n.
func pubkey(t testing.TB, n int) [bls.PublicKeySize]byte {
	if k, ok := keyCache[n]; ok {
		return k
	}
	ikm := make([]byte, 32)
	binary.BigEndian.PutUint64(ikm, uint64(n)+1)
	sk, err := bls.GenerateKey(ikm)
	if err != nil {
		t.Fatal(err)
	}
	k := sk.PublicKey().Bytes()
	keyCache[n] = k
	return k
}

var script = []byte{0x00, 0x14, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}

func deposit(t testing.TB, p *Params, s *State, n int, amount uint64) uint64 {
	t.Helper()
	i, err := ApplyDeposit(p, s, &Deposit{PublicKey: pubkey(t, n), WithdrawalScript: script, Amount: amount})
	if err != nil {
		t.Fatal(err)
	}
	return i
}

// activeState has n validators active from epoch 0 at the maximum
// effective balance, at the given epoch.
func activeState(t testing.TB, p *Params, n int, epoch uint64) *State {
	s := &State{}
	for k := range n {
		deposit(t, p, s, k, p.MaxEffectiveBalance)
		s.Validators[k].EligibilityEpoch = 0
		s.Validators[k].ActivationEpoch = 0
	}
	s.Epoch = epoch
	return s
}

func TestParams(t *testing.T) {
	for _, p := range []Params{Mainnet, Devnet} {
		if err := p.Check(); err != nil {
			t.Fatal(err)
		}
	}
	if Devnet.SlotsPerEpoch != 8 || Mainnet.SlotsPerEpoch != 32 {
		t.Fatal("slots per epoch")
	}
	for _, mod := range []func(*Params){
		func(p *Params) { p.EffectiveBalanceIncrement = 0 },
		func(p *Params) { p.HysteresisQuotient = 0 },
		func(p *Params) { p.ChurnLimitQuotient = 0 },
		func(p *Params) { p.MinPerEpochChurnLimit = 0 },
		func(p *Params) { p.MinDeposit = 0 },
		func(p *Params) { p.MaxEffectiveBalance++ },
		func(p *Params) { p.MinActivationBalance = p.MaxEffectiveBalance + 1 },
		func(p *Params) { p.SlotsPerEpoch = 0 },
		func(p *Params) { p.MaxSeedLookahead = 1 << 40 },
	} {
		p := Mainnet
		mod(&p)
		wantCode(t, p.Check(), ErrBadParams)
		_, err := ApplyDeposit(&p, &State{}, &Deposit{})
		wantCode(t, err, ErrBadParams)
	}
}

func TestDeposit(t *testing.T) {
	p := &Devnet
	s := &State{}
	_, err := ApplyDeposit(p, s, &Deposit{PublicKey: pubkey(t, 0), WithdrawalScript: script, Amount: p.MinDeposit - 1})
	wantCode(t, err, ErrDepositBelowMinimum)
	_, err = ApplyDeposit(p, s, &Deposit{PublicKey: pubkey(t, 0), Amount: p.MinDeposit})
	wantCode(t, err, ErrBadDeposit)
	_, err = ApplyDeposit(p, s, &Deposit{PublicKey: pubkey(t, 0), WithdrawalScript: make([]byte, MaxWithdrawalScriptLen+1), Amount: p.MinDeposit})
	wantCode(t, err, ErrBadDeposit)
	bad := pubkey(t, 0)
	bad[47] ^= 1
	_, err = ApplyDeposit(p, s, &Deposit{PublicKey: bad, WithdrawalScript: script, Amount: p.MinDeposit})
	wantCode(t, err, ErrBadDeposit)
	if len(s.Validators) != 0 {
		t.Fatal("a refused deposit added a validator")
	}

	// 1.7 coins: effective balance 1 coin, nothing set.
	i := deposit(t, p, s, 0, 170_000_000)
	v := s.Validators[i]
	if i != 0 || v.Balance != 170_000_000 || v.EffectiveBalance != 100_000_000 ||
		v.EligibilityEpoch != FarFutureEpoch || v.ActivationEpoch != FarFutureEpoch ||
		!bytes.Equal(v.WithdrawalScript, script) {
		t.Fatalf("%+v", v)
	}
	// A top-up may be below the minimum, not zero, and keeps the script.
	_, err = ApplyDeposit(p, s, &Deposit{PublicKey: pubkey(t, 0), Amount: 0})
	wantCode(t, err, ErrDepositBelowMinimum)
	j, err := ApplyDeposit(p, s, &Deposit{PublicKey: pubkey(t, 0), WithdrawalScript: []byte{1}, Amount: 5})
	if err != nil || j != 0 || s.Validators[0].Balance != 170_000_005 ||
		!bytes.Equal(s.Validators[0].WithdrawalScript, script) {
		t.Fatalf("top-up: %v %+v", err, s.Validators[0])
	}
	s.Validators[0].Balance = ^uint64(0) - 1
	_, err = ApplyDeposit(p, s, &Deposit{PublicKey: pubkey(t, 0), Amount: 5})
	wantCode(t, err, ErrBadDeposit)
	// A large deposit is capped.
	k := deposit(t, p, s, 1, 100*p.MaxEffectiveBalance)
	if s.Validators[k].EffectiveBalance != p.MaxEffectiveBalance {
		t.Fatal("cap")
	}
}

func TestChurnLimit(t *testing.T) {
	p := &Mainnet
	for _, c := range []struct{ active, want uint64 }{
		{0, 4}, {262_143, 4}, {327_679, 4}, {327_680, 5}, {1_000_000, 15},
	} {
		if got := p.ChurnLimit(c.active); got != c.want {
			t.Errorf("ChurnLimit(%d) = %d, want %d", c.active, got, c.want)
		}
	}
}

// TestActivationQueue: eligibility at the next epoch, activation only once
// the eligibility epoch is finalized, in (eligibility, index) order, at
// most the churn limit per epoch, at current + 1 + MaxSeedLookahead.
func TestActivationQueue(t *testing.T) {
	p := &Devnet // churn limit 4 below 160 active
	s := &State{Epoch: 3}
	for k := range 6 {
		deposit(t, p, s, k, p.MaxEffectiveBalance)
	}
	deposit(t, p, s, 6, p.MaxEffectiveBalance-1) // not eligible
	if err := ProcessEpoch(p, s, 0); err != nil {
		t.Fatal(err)
	}
	for k := range 6 {
		if s.Validators[k].EligibilityEpoch != 4 || s.Validators[k].ActivationEpoch != FarFutureEpoch {
			t.Fatalf("validator %d: %+v", k, s.Validators[k])
		}
	}
	if s.Validators[6].EligibilityEpoch != FarFutureEpoch {
		t.Fatal("validator below the activation balance became eligible")
	}
	// Validator 7 is eligible earlier than validators 0..5.
	deposit(t, p, s, 7, p.MaxEffectiveBalance)
	s.Validators[7].EligibilityEpoch = 2
	// Not finalized yet: nothing activates.
	if err := ProcessEpoch(p, s, 3); err != nil {
		t.Fatal(err)
	}
	if s.Validators[7].ActivationEpoch != 5+p.MaxSeedLookahead || s.Validators[0].ActivationEpoch != FarFutureEpoch {
		t.Fatalf("finalized 3: %+v", s.Validators)
	}
	// Epoch 5, eligibility 4 finalized: 0, 1, 2, 3 (churn 4), not 4, 5.
	if err := ProcessEpoch(p, s, 4); err != nil {
		t.Fatal(err)
	}
	for k := range 6 {
		want := uint64(FarFutureEpoch)
		if k < 4 {
			want = 6 + p.MaxSeedLookahead
		}
		if s.Validators[k].ActivationEpoch != want {
			t.Fatalf("validator %d activation %d, want %d", k, s.Validators[k].ActivationEpoch, want)
		}
	}
	if err := ProcessEpoch(p, s, 4); err != nil {
		t.Fatal(err)
	}
	if s.Validators[4].ActivationEpoch != 7+p.MaxSeedLookahead || s.Validators[5].ActivationEpoch != 7+p.MaxSeedLookahead {
		t.Fatal("second batch")
	}
	if s.Epoch != 7 {
		t.Fatal("epoch")
	}
}

func TestHysteresis(t *testing.T) {
	p := &Mainnet // increment 1e8, h = 25e6, down 25e6, up 125e6
	for _, c := range []struct{ bal, eff, want uint64 }{
		{32e8, 32e8, 32e8},
		{32e8 - 25e6, 32e8, 32e8},      // exactly down: kept
		{32e8 - 25e6 - 1, 32e8, 31e8},  // below: rounded down
		{31e8 + 125e6, 31e8, 31e8},     // exactly up: kept
		{31e8 + 125e6 + 1, 31e8, 32e8}, // above: raised
		{40e8, 31e8, 32e8},             // capped
		{0, 1e8, 0},                    //
		{20_000_000, 0, 0},             // small balance, eff 0, below up
		{125_000_001, 0, 1e8},          //
		{^uint64(0), 32e8, 32e8},       // no overflow
		{^uint64(0), 0, 32e8},          //
		{0, ^uint64(0) - 1<<20, 0},     // no underflow
	} {
		s := &State{Validators: []Validator{{Balance: c.bal, EffectiveBalance: c.eff}}}
		UpdateEffectiveBalances(p, s)
		if got := s.Validators[0].EffectiveBalance; got != c.want {
			t.Errorf("balance %d effective %d: got %d, want %d", c.bal, c.eff, got, c.want)
		}
	}
}

// TestVoluntaryExit covers each refusal and the exit queue's churn.
func TestVoluntaryExit(t *testing.T) {
	p := &Devnet
	s := activeState(t, p, 10, 2)
	wantCode(t, VoluntaryExit(p, s, 10), ErrUnknownValidator)
	wantCode(t, VoluntaryExit(p, s, 0), ErrExitTooEarly)
	s.Epoch = p.ShardCommitteePeriod
	deposit(t, p, s, 10, p.MaxEffectiveBalance)
	wantCode(t, VoluntaryExit(p, s, 10), ErrNotActive)
	// Five exits at churn limit 4: four at the activation-exit epoch, the
	// fifth one later.
	want := p.ActivationExitEpoch(s.Epoch)
	for k := range uint64(5) {
		if err := VoluntaryExit(p, s, k); err != nil {
			t.Fatal(err)
		}
		e := want
		if k == 4 {
			e++
		}
		v := s.Validators[k]
		if v.ExitEpoch != e || v.WithdrawableEpoch != e+p.MinValidatorWithdrawabilityDelay {
			t.Fatalf("exit %d: %+v", k, v)
		}
	}
	wantCode(t, VoluntaryExit(p, s, 0), ErrAlreadyExiting)
	// Exited validators are no longer active.
	s.Epoch = want + 1
	wantCode(t, VoluntaryExit(p, s, 0), ErrAlreadyExiting)
	if s.ActiveCount() != 5 {
		t.Fatalf("active %d", s.ActiveCount())
	}
}

// TestWithdraw: the coins are paid once, from the withdrawable epoch on.
func TestWithdraw(t *testing.T) {
	p := &Devnet
	s := activeState(t, p, 5, p.ShardCommitteePeriod)
	if err := VoluntaryExit(p, s, 1); err != nil {
		t.Fatal(err)
	}
	_, _, err := Withdraw(s, 1)
	wantCode(t, err, ErrNotWithdrawable)
	_, _, err = Withdraw(s, 7)
	wantCode(t, err, ErrUnknownValidator)
	for s.Epoch < s.Validators[1].WithdrawableEpoch {
		_, _, err = Withdraw(s, 1)
		wantCode(t, err, ErrNotWithdrawable)
		if err := ProcessEpoch(p, s, 0); err != nil {
			t.Fatal(err)
		}
	}
	amt, sc, err := Withdraw(s, 1)
	if err != nil || amt != p.MaxEffectiveBalance || !bytes.Equal(sc, script) {
		t.Fatalf("%v %d %x", err, amt, sc)
	}
	_, _, err = Withdraw(s, 1)
	wantCode(t, err, ErrNotWithdrawable)
}

// TestSlash: the forced exit, the slashed flag and the extended
// withdrawable epoch; an ejection by balance.
func TestSlash(t *testing.T) {
	p := &Devnet
	s := activeState(t, p, 5, 3)
	wantCode(t, Slash(p, s, 9), ErrUnknownValidator)
	if err := Slash(p, s, 2); err != nil {
		t.Fatal(err)
	}
	v := s.Validators[2]
	if !v.Slashed || v.ExitEpoch != p.ActivationExitEpoch(3) ||
		v.WithdrawableEpoch != 3+p.EpochsPerSlashingsVector {
		t.Fatalf("%+v", v)
	}
	// An exiting validator keeps its exit epoch.
	s.Epoch = p.ShardCommitteePeriod
	if err := VoluntaryExit(p, s, 3); err != nil {
		t.Fatal(err)
	}
	exit := s.Validators[3].ExitEpoch
	if err := Slash(p, s, 3); err != nil {
		t.Fatal(err)
	}
	if s.Validators[3].ExitEpoch != exit || s.Validators[3].WithdrawableEpoch != s.Epoch+p.EpochsPerSlashingsVector {
		t.Fatalf("%+v", s.Validators[3])
	}
	// Penalty to the ejection balance: exited at the epoch's end.
	taken, err := Penalize(s, 4, p.MaxEffectiveBalance-p.EjectionBalance+p.EffectiveBalanceIncrement/2)
	if err != nil || taken != p.MaxEffectiveBalance-p.EjectionBalance+p.EffectiveBalanceIncrement/2 {
		t.Fatal(err, taken)
	}
	// The registry update looks at the effective balance before this
	// epoch's hysteresis step, so the ejection comes an epoch later.
	if err := ProcessEpoch(p, s, 0); err != nil {
		t.Fatal(err)
	}
	if s.Validators[4].ExitEpoch != FarFutureEpoch || s.Validators[4].EffectiveBalance != p.EjectionBalance-p.EffectiveBalanceIncrement {
		t.Fatalf("%+v", s.Validators[4])
	}
	if err := ProcessEpoch(p, s, 0); err != nil {
		t.Fatal(err)
	}
	if taken, _ := Penalize(s, 4, ^uint64(0)); taken != p.EjectionBalance-p.EffectiveBalanceIncrement/2 || s.Validators[4].Balance != 0 {
		t.Fatal("saturating penalty", taken)
	}
	if s.Validators[4].ExitEpoch == FarFutureEpoch {
		t.Fatalf("not ejected: %+v", s.Validators[4])
	}
	if s.Validators[0].ExitEpoch != FarFutureEpoch {
		t.Fatal("a full validator was ejected")
	}
}

func TestEpochLimit(t *testing.T) {
	s := &State{Epoch: maxEpoch - 1}
	wantCode(t, ProcessEpoch(&Devnet, s, 0), ErrEpochRegression)
}

// randomState runs random deposits, exits, slashings and epochs.
func randomState(t testing.TB, rng *rand.Rand, p *Params, steps int) *State {
	s := &State{}
	for range steps {
		switch rng.Intn(6) {
		case 0, 1:
			_, _ = ApplyDeposit(p, s, &Deposit{PublicKey: pubkey(t, rng.Intn(40)),
				WithdrawalScript: script[:1+rng.Intn(len(script))], Amount: uint64(rng.Int63n(int64(2 * p.MaxEffectiveBalance)))})
		case 2:
			_ = VoluntaryExit(p, s, uint64(rng.Intn(len(s.Validators)+1)))
		case 3:
			if rng.Intn(4) == 0 {
				_ = Slash(p, s, uint64(rng.Intn(len(s.Validators)+1)))
			}
		case 4:
			_, _ = Penalize(s, uint64(rng.Intn(len(s.Validators)+1)), uint64(rng.Int63n(int64(p.MaxEffectiveBalance))))
		case 5:
			if err := ProcessEpoch(p, s, s.Epoch-min(s.Epoch, 2)); err != nil {
				t.Fatal(err)
			}
		}
	}
	return s
}

// TestRandomInvariants: over random histories the churn limit is never
// exceeded and effective balances stay multiples of the increment, at most
// the maximum.
func TestRandomInvariants(t *testing.T) {
	p := &Devnet
	rng := rand.New(rand.NewSource(1))
	for range 30 {
		s := randomState(t, rng, p, 300)
		acts := map[uint64]uint64{}
		exits := map[uint64]uint64{}
		for _, v := range s.Validators {
			if v.EffectiveBalance%p.EffectiveBalanceIncrement != 0 || v.EffectiveBalance > p.MaxEffectiveBalance {
				t.Fatalf("%+v", v)
			}
			if v.ActivationEpoch != FarFutureEpoch {
				acts[v.ActivationEpoch]++
			}
			if v.ExitEpoch != FarFutureEpoch {
				exits[v.ExitEpoch]++
			}
		}
		for e, n := range acts {
			if n > p.ChurnLimit(uint64(len(s.Validators))) {
				t.Fatalf("%d activations at epoch %d", n, e)
			}
		}
		for e, n := range exits {
			if n > p.ChurnLimit(uint64(len(s.Validators))) {
				t.Fatalf("%d exits at epoch %d", n, e)
			}
		}
	}
}

// TestEncodeRoundTrip: Decode(Encode(s)) encodes to the same bytes and
// hash; a change of any field changes the hash.
func TestEncodeRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	for range 20 {
		s := randomState(t, rng, &Devnet, 200)
		b := s.Encode()
		d, err := Decode(b)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(d.Encode(), b) || d.Hash() != s.Hash() {
			t.Fatal("round trip")
		}
		c := s.Clone()
		if len(c.Validators) > 0 {
			c.Validators[0].Slashed = !c.Validators[0].Slashed
			if c.Hash() == s.Hash() {
				t.Fatal("hash ignores slashed")
			}
		}
	}
}

func TestDecodeRefuses(t *testing.T) {
	s := activeState(t, &Devnet, 2, 1)
	b := s.Encode()
	for name, mod := range map[string]func([]byte) []byte{
		"version":   func(b []byte) []byte { b[0] = 2; return b },
		"short":     func(b []byte) []byte { return b[:len(b)-1] },
		"trailing":  func(b []byte) []byte { return append(b, 0) },
		"count":     func(b []byte) []byte { b[16] = 3; return b },
		"slashed":   func(b []byte) []byte { b[17+48+2+len(script)+16] = 2; return b },
		"script":    func(b []byte) []byte { b[17+48] = 0; b[17+48+1] = 0; return b },
		"duplicate": func(b []byte) []byte { n := fixedValidatorSize + len(script); copy(b[17+n:], b[17:17+48]); return b },
		"epoch":     func(b []byte) []byte { b[1] = 0x10; return b },
		"empty":     func([]byte) []byte { return nil },
	} {
		_, err := Decode(mod(bytes.Clone(b)))
		if !IsErrorCode(err, ErrMalformed) {
			t.Errorf("%s: %v", name, err)
		}
	}
}
