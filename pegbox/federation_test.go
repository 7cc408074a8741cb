package pegbox

import (
	"bytes"
	"math/rand"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/lottery"
)

func keys(t testing.TB, n int) []*btcec.PrivateKey {
	t.Helper()
	out := make([]*btcec.PrivateKey, n)
	for i := range out {
		var seed [32]byte
		seed[0], seed[31] = byte(i+1), 7
		out[i], _ = btcec.PrivKeyFromBytes(seed[:])
	}
	return out
}

func w(v uint64) lottery.Uint128 { return lottery.Uint128{Lo: v} }

func TestThreshold(t *testing.T) {
	for n, want := range map[int]int{1: 1, 2: 2, 3: 3, 4: 3, 5: 4, 6: 5, 7: 5, 15: 11, 20: 14} {
		if got := Threshold(n); got != want {
			t.Errorf("Threshold(%d) = %d, want %d", n, got, want)
		}
	}
}

func TestElect(t *testing.T) {
	k := keys(t, 6)
	stakers := []Staker{
		{PubKey: k[0].PubKey(), Weight: w(10)},
		{PubKey: k[1].PubKey(), Weight: w(30)},
		{PubKey: k[2].PubKey(), Weight: w(25)},
		{PubKey: k[0].PubKey(), Weight: w(25)}, // k0 totals 35: first
		{PubKey: k[3].PubKey(), Weight: w(5)},
		{PubKey: k[4].PubKey(), Weight: w(0)}, // no weight: never elected
		{PubKey: k[5].PubKey(), Weight: w(5)}, // ties with k3: the smaller key wins
	}
	fed, err := Elect(3, stakers, 4)
	if err != nil {
		t.Fatal(err)
	}
	if fed.Epoch != 3 || len(fed.Keys) != 4 || fed.Threshold != 3 {
		t.Fatalf("federation %+v", fed)
	}
	tieWinner := k[3].PubKey()
	if bytes.Compare(k[5].PubKey().SerializeCompressed(), tieWinner.SerializeCompressed()) < 0 {
		tieWinner = k[5].PubKey()
	}
	for _, want := range []*btcec.PublicKey{k[0].PubKey(), k[1].PubKey(), k[2].PubKey(), tieWinner} {
		if !fed.Has(want) {
			t.Errorf("member %x missing", want.SerializeCompressed())
		}
	}
	if fed.Has(k[4].PubKey()) {
		t.Error("a key of zero weight was elected")
	}
	for i := 1; i < len(fed.Keys); i++ {
		if bytes.Compare(fed.Keys[i-1].SerializeCompressed(), fed.Keys[i].SerializeCompressed()) >= 0 {
			t.Fatal("keys are not sorted")
		}
	}

	// The order of the stakers does not matter.
	params := &chaincfg.RegressionNetParams
	want, err := fed.Address(params)
	if err != nil {
		t.Fatal(err)
	}
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 20; i++ {
		rng.Shuffle(len(stakers), func(a, b int) { stakers[a], stakers[b] = stakers[b], stakers[a] })
		f, err := Elect(3, stakers, 4)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := f.Address(params)
		if got.String() != want.String() {
			t.Fatalf("shuffled stakers elect %v, want %v", got, want)
		}
	}

	// Fewer stakers than seats: a smaller federation.
	fed, err = Elect(0, []Staker{{PubKey: k[0].PubKey(), Weight: w(1)}, {PubKey: k[1].PubKey(), Weight: w(2)}}, 4)
	if err != nil || len(fed.Keys) != 2 || fed.Threshold != 2 {
		t.Fatalf("small federation %+v, %v", fed, err)
	}
	if _, err := Elect(0, []Staker{{PubKey: k[4].PubKey(), Weight: w(0)}}, 4); !IsErrorCode(err, ErrNoStakers) {
		t.Fatalf("no weight: %v", err)
	}
	for _, size := range []int{0, MaxFederationSize + 1} {
		if _, err := Elect(0, stakers, size); !IsErrorCode(err, ErrFederationSize) {
			t.Fatalf("size %d: %v", size, err)
		}
	}
}

// TestPegboxSpend checks with btcd's script engine that the pegbox is a
// standard threshold multisig: Threshold signatures spend it, one fewer
// does not.
func TestPegboxSpend(t *testing.T) {
	params := &chaincfg.RegressionNetParams
	privs := keys(t, 4)
	var stakers []Staker
	for i, p := range privs {
		stakers = append(stakers, Staker{PubKey: p.PubKey(), Weight: w(uint64(100 - i))})
	}
	fed, err := Elect(1, stakers, 4)
	if err != nil {
		t.Fatal(err)
	}
	ws, err := fed.WitnessScript(params)
	if err != nil {
		t.Fatal(err)
	}
	if class := txscript.GetScriptClass(ws); class != txscript.MultiSigTy {
		t.Fatalf("witness script class %v", class)
	}
	pkScript, err := fed.PkScript(params)
	if err != nil {
		t.Fatal(err)
	}
	if class := txscript.GetScriptClass(pkScript); class != txscript.WitnessV0ScriptHashTy {
		t.Fatalf("pegbox script class %v", class)
	}

	const value = 1_000_000
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: chainhash.Hash{1}}, nil, nil))
	tx.AddTxOut(wire.NewTxOut(value-1000, pkScript))
	fetcher := txscript.NewCannedPrevOutputFetcher(pkScript, value)
	hashes := txscript.NewTxSigHashes(tx, fetcher)

	// Signatures in the order of the sorted keys, as CHECKMULTISIG needs.
	privOf := func(k *btcec.PublicKey) *btcec.PrivateKey {
		for _, p := range privs {
			if p.PubKey().IsEqual(k) {
				return p
			}
		}
		t.Fatal("no private key")
		return nil
	}
	spend := func(n int) error {
		wit := wire.TxWitness{nil}
		for _, k := range fed.Keys[:n] {
			sig, err := txscript.RawTxInWitnessSignature(tx, hashes, 0, value, ws,
				txscript.SigHashAll, privOf(k))
			if err != nil {
				t.Fatal(err)
			}
			wit = append(wit, sig)
		}
		tx.TxIn[0].Witness = append(wit, ws)
		vm, err := txscript.NewEngine(pkScript, tx, 0, txscript.StandardVerifyFlags,
			nil, hashes, value, fetcher)
		if err != nil {
			return err
		}
		return vm.Execute()
	}
	if err := spend(fed.Threshold); err != nil {
		t.Fatalf("%d of %d signatures: %v", fed.Threshold, len(fed.Keys), err)
	}
	if err := spend(fed.Threshold - 1); err == nil {
		t.Fatalf("%d of %d signatures spent the pegbox", fed.Threshold-1, len(fed.Keys))
	}
}

func TestPayoutAllowed(t *testing.T) {
	p := chainparams.Regtest
	p.SideWithdrawalDepth, p.WithdrawalConfirmations, p.PegRateLimit = 3, 2, 1000
	tests := []struct {
		side, confs  int32
		paid, amount int64
		want         ErrorCode // -1: allowed
	}{
		{3, 2, 0, 500, -1},
		{2, 2, 0, 500, ErrTooShallow},
		{3, 1, 0, 500, ErrTooShallow},
		{3, 2, 600, 400, -1},
		{3, 2, 600, 401, ErrRateLimited},
		{3, 2, 0, 5000, -1}, // a quiet period lets a big payout through
	}
	for _, tc := range tests {
		err := PayoutAllowed(&p, tc.side, tc.confs, tc.paid, tc.amount)
		if tc.want < 0 && err != nil || tc.want >= 0 && !IsErrorCode(err, tc.want) {
			t.Errorf("%+v: %v", tc, err)
		}
	}
}
