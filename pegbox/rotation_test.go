package pegbox

import (
	"bytes"
	"testing"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/opreturn"
	"github.com/mainstake/sidenode/store"
)

func TestBumpFee(t *testing.T) {
	p := chainparams.Regtest // cap 100,000
	// The step is the larger of the base fee and twice the size.
	for _, c := range []struct {
		level       int
		base, vsize int64
		want        int64
	}{
		{0, 5000, 300, 0},
		{1, 5000, 300, 5000},
		{2, 5000, 300, 15000},
		{3, 5000, 300, 35000},
		{1, 1000, 800, 1600},
		{2, 1000, 800, 4800},
		{5, 5000, 300, 100_000}, // 155,000 capped
		{30, 5000, 300, 100_000},
	} {
		if got := BumpFee(&p, c.level, c.base, c.vsize); got != c.want {
			t.Errorf("BumpFee(%d, %d, %d) = %d, want %d", c.level, c.base, c.vsize, got, c.want)
		}
	}
}

// signAll has the first threshold members sign tx and returns it complete.
func signAll(t *testing.T, s *signingSetup, fed *Federation, tx *wire.MsgTx, coins []Coin) *wire.MsgTx {
	t.Helper()
	var members []*Signing
	for range fed.Keys {
		sg, err := NewSigning(tx, coins, fed, s.params)
		if err != nil {
			t.Fatal(err)
		}
		members = append(members, sg)
	}
	for i, priv := range s.privs[:fed.Threshold] {
		p, err := members[i].Sign(priv)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := members[0].Add(wirePacket(t, p)); err != nil && i != 0 {
			t.Fatal(err)
		}
	}
	signed, ok, err := members[0].Complete()
	if err != nil || !ok {
		t.Fatalf("complete: %v %v", ok, err)
	}
	return signed
}

func TestSpendVSizeBoundsTheSignedSize(t *testing.T) {
	s := newSigningSetup(t)
	pk, _ := s.fed.PkScript(s.params)
	tx, err := BuildPayout(chainhash.Hash{9}, s.ws, s.coins, pk, testSidechain, 546, 0)
	if err != nil {
		t.Fatal(err)
	}
	est, err := SpendVSize(tx, s.fed, s.params)
	if err != nil {
		t.Fatal(err)
	}
	signed := signAll(t, s, s.fed, tx, s.coins)
	weight := blockchain.GetTransactionWeight(btcutil.NewTx(signed))
	got := (weight + 3) / 4
	// At most one byte per signature shorter than the largest DER.
	slack := int64(len(tx.TxIn) * s.fed.Threshold)
	if got > est || est-got > slack {
		t.Fatalf("signed vsize %d, estimate %d", got, est)
	}
	for i, in := range tx.TxIn {
		if in.Sequence != SpendSequence {
			t.Errorf("input %d has sequence %x; a bump could not replace it", i, in.Sequence)
		}
	}
}

func TestPayoutExtraFee(t *testing.T) {
	s := newSigningSetup(t)
	pk, _ := s.fed.PkScript(s.params)
	side := chainhash.Hash{3}
	base, err := BuildPayout(side, s.ws, s.coins, pk, testSidechain, 546, 0)
	if err != nil {
		t.Fatal(err)
	}
	// The withdrawals burn 700,000 from 800,000 of coins: the change is
	// 100,000; a bump of 40,000 comes out of it, the payments unchanged.
	bumped, err := BuildPayout(side, s.ws, s.coins, pk, testSidechain, 546, 40_000)
	if err != nil {
		t.Fatal(err)
	}
	last := len(base.TxOut) - 1
	if len(bumped.TxOut) != len(base.TxOut) || bumped.TxOut[last].Value != base.TxOut[last].Value-40_000 {
		t.Fatalf("change %d, then %d", base.TxOut[last].Value, bumped.TxOut[last].Value)
	}
	for i := 1; i < last; i++ {
		if bumped.TxOut[i].Value != base.TxOut[i].Value {
			t.Errorf("output %d changed with the bump", i)
		}
	}
	// A bump the coins cannot pay, or that leaves dust, is ErrPegboxShort.
	for _, extra := range []int64{100_000 - 545, 100_001} {
		if _, err := BuildPayout(side, s.ws, s.coins, pk, testSidechain, 546, extra); !IsErrorCode(err, ErrPegboxShort) {
			t.Errorf("extra %d: %v, want ErrPegboxShort", extra, err)
		}
	}
	// Bumped at level 1 adds the larger of the budgets and twice the size.
	p := chainparams.Regtest
	vsize, _ := SpendVSize(base, s.fed, s.params)
	build := func(coins []Coin) func(int64) (*wire.MsgTx, error) {
		return func(extra int64) (*wire.MsgTx, error) {
			return BuildPayout(side, s.ws, coins, pk, testSidechain, 546, extra)
		}
	}
	tx, level, err := Bumped(&p, s.fed, 1, 4000, build(s.coins))
	if err != nil || level != 1 || tx.TxOut[last].Value != base.TxOut[last].Value-max(4000, 2*vsize) {
		t.Fatalf("level 1: %d, change %d (vsize %d), %v", level, tx.TxOut[last].Value, vsize, err)
	}
	// With a change of 50,000 the coins pay level 3 (28,000) but not 4
	// (60,000): asked for level 30, every member builds level 3.
	poorer := []Coin{s.coins[0], s.coins[1]}
	poorer[1].Value -= 50_000
	tx, level, err = Bumped(&p, s.fed, 30, 4000, build(poorer))
	if err != nil || level != 3 || tx.TxOut[last].Value != 50_000-28_000 {
		t.Fatalf("level 30 on short coins: level %d, %v", level, err)
	}
}

func TestBuildRotation(t *testing.T) {
	s := newSigningSetup(t)
	p := chainparams.Regtest
	next, err := Elect(3, stakersOf(keys(t, 8)[4:]), 4)
	if err != nil {
		t.Fatal(err)
	}
	nextScript, _ := next.PkScript(s.params)
	stranger := Coin{OutPoint: wire.OutPoint{Hash: chainhash.Hash{7}}, Value: 900_000,
		PkScript: nextScript, Height: 5}
	coins := append([]Coin{stranger}, s.coins...)

	rot, err := BuildRotation(&p, coins, s.fed, next, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(rot.Coins) != 2 || len(rot.Tx.TxIn) != 2 || rot.Tx.TxIn[0].PreviousOutPoint != s.coins[0].OutPoint {
		t.Fatalf("rotation spends %+v", rot.Coins)
	}
	_, payload, err := opreturn.FindInTx(rot.Tx, testSidechain)
	if err != nil {
		t.Fatal(err)
	}
	if r, ok := payload.(*opreturn.Rotation); !ok || r.Epoch != 3 {
		t.Fatalf("payload %+v", payload)
	}
	vsize, _ := SpendVSize(rot.Tx, s.fed, s.params)
	if rot.Fee != p.PegRotationFeeRate*vsize || rot.Tx.TxOut[1].Value != 800_000-rot.Fee ||
		!bytes.Equal(rot.Tx.TxOut[1].PkScript, nextScript) {
		t.Fatalf("fee %d (vsize %d), output %+v", rot.Fee, vsize, rot.Tx.TxOut[1])
	}
	// The old federation's signatures complete it.
	signAll(t, s, s.fed, rot.Tx, rot.Coins)

	// Bumped, it spends the same coins for more.
	bumped, err := BuildRotation(&p, coins, s.fed, next, 1)
	if err != nil || bumped.Fee != rot.Fee+max(rot.Fee, 2*vsize) || bumped.Tx.TxIn[0].PreviousOutPoint != rot.Tx.TxIn[0].PreviousOutPoint {
		t.Fatalf("bumped fee %d (base %d): %v", bumped.Fee, rot.Fee, err)
	}

	// A bump never takes the output below dust.
	small := []Coin{{OutPoint: wire.OutPoint{Index: 2}, Value: 3000, PkScript: s.coins[0].PkScript}}
	if rot, err := BuildRotation(&p, small, s.fed, next, 30); err != nil || rot.Tx.TxOut[1].Value != 546 {
		t.Fatalf("rotation of 3,000 sat at level 30: %+v, %v", rot, err)
	}

	// Nothing to rotate: the same pegbox, no coins, coins worth no more
	// than the fee plus dust.
	same := &Federation{Epoch: 3, Keys: s.fed.Keys, Threshold: s.fed.Threshold}
	dust := []Coin{{OutPoint: wire.OutPoint{Index: 1}, Value: 700, PkScript: s.coins[0].PkScript}}
	for name, c := range map[string]struct {
		coins []Coin
		to    *Federation
	}{"same": {coins, same}, "none": {[]Coin{stranger}, next}, "dust": {dust, next}} {
		if _, err := BuildRotation(&p, c.coins, s.fed, c.to, 0); !IsErrorCode(err, ErrNothingToRotate) {
			t.Errorf("%s: %v, want ErrNothingToRotate", name, err)
		}
	}

	// Many coins take several rotations, oldest first.
	var many []Coin
	for i := 0; i < MaxRotationInputs+10; i++ {
		many = append(many, Coin{OutPoint: wire.OutPoint{Index: uint32(i)}, Value: 10_000,
			PkScript: s.coins[0].PkScript, Height: int32(1000 - i)})
	}
	rot, err = BuildRotation(&p, many, s.fed, next, 0)
	if err != nil || len(rot.Tx.TxIn) != MaxRotationInputs || rot.Coins[0].Height != 1000-int32(len(many))+1 {
		t.Fatalf("rotation of %d coins: %d inputs, %v", len(many), len(rot.Tx.TxIn), err)
	}
}

// TestIndexRecordsRotations connects a rotation: the index records it and
// the block as the last pegbox spend, and the flows count its fee as
// outflow.
func TestIndexRecordsRotations(t *testing.T) {
	c := newTestChain(t)
	L := c.p.PegEpochLength
	privs := keys(t, 8)
	c.stakers = stakersOf(privs[:4])
	c.to(L - 1) // elects epoch 1
	box1 := c.pkScript(1)
	good := deposit(t, 100_000, box1, 1)
	c.connect(good)
	c.view(func(r store.Reader) error {
		if h, err := LastSpendHeight(r); err != nil || h != -1 {
			t.Fatalf("last spend before any: %d %v", h, err)
		}
		return nil
	})
	c.stakers = stakersOf(privs[4:])
	c.to(2*L - 1) // elects epoch 2, other keys
	box2 := c.pkScript(2)
	if bytes.Equal(box1, box2) {
		t.Fatal("the federation did not change")
	}
	var from, to *Federation
	var coins []Coin
	c.view(func(r store.Reader) error {
		from, _, _ = FederationAt(r, 1)
		to, _, _ = FederationAt(r, 2)
		coins, _ = Coins(r)
		if got, ok, err := c.x.FederationOfCoin(r, coins[0]); err != nil || !ok || got.Epoch != 1 {
			t.Fatalf("FederationOfCoin: %+v %v %v", got, ok, err)
		}
		return nil
	})
	rot, err := BuildRotation(c.p, coins, from, to, 0)
	if err != nil {
		t.Fatal(err)
	}
	res := c.connect(rot.Tx)
	height := 2 * L
	if len(res.Rotations) != 1 || res.Rotations[0].Epoch != 2 || res.Rotations[0].Moved != 100_000-rot.Fee {
		t.Fatalf("rotations %+v", res.Rotations)
	}
	if f := c.balanced(); f.Outflow != rot.Fee {
		t.Fatalf("flows %+v, fee %d", f, rot.Fee)
	}
	c.view(func(r store.Reader) error {
		if h, err := LastSpendHeight(r); err != nil || h != height {
			t.Fatalf("last spend %d %v, want %d", h, err, height)
		}
		list, err := Rotations(r)
		if err != nil || len(list) != 1 || list[0].TxID != rot.Tx.TxHash() || list[0].Height != height {
			t.Fatalf("stored rotations %+v %v", list, err)
		}
		coins, _ := Coins(r)
		if len(coins) != 1 || !bytes.Equal(coins[0].PkScript, box2) {
			t.Fatalf("coins after the rotation %+v", coins)
		}
		return nil
	})
	// A reorg undoes it.
	c.disconnect()
	c.view(func(r store.Reader) error {
		list, _ := Rotations(r)
		h, _ := LastSpendHeight(r)
		if len(list) != 0 || h != -1 {
			t.Fatalf("after the reorg: %d rotations, last spend %d", len(list), h)
		}
		return nil
	})
}
