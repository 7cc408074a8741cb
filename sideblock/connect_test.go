package sideblock_test

import (
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/sideblock/blocktests"
)

// opTrue is an output script anyone can spend (the checks under test fail
// before scripts run).
var opTrue = []byte{txscript.OP_TRUE}

// fakeOut returns an outpoint that no generated transaction has.
func fakeOut(i uint32) wire.OutPoint {
	return wire.OutPoint{Hash: chainhash.DoubleHashH([]byte("fake")), Index: i}
}

// blockSpending builds a block at lottery height 200 with one transaction
// per group of outpoints, each paying outValue to OP_TRUE.
func blockSpending(t *testing.T, outValue int64, groups ...[]wire.OutPoint) *sideblock.Block {
	t.Helper()
	cb, err := sideblock.NewCoinbaseTx(200, []byte("test"), wire.NewTxOut(0, opTrue))
	if err != nil {
		t.Fatal(err)
	}
	txs := []*wire.MsgTx{cb}
	for _, ops := range groups {
		tx := wire.NewMsgTx(2)
		for i := range ops {
			tx.AddTxIn(wire.NewTxIn(&ops[i], nil, nil))
		}
		tx.AddTxOut(wire.NewTxOut(outValue, opTrue))
		txs = append(txs, tx)
	}
	return sideblock.NewBlock(chainhash.Hash{}, txs)
}

// TestConnectAmountLimits checks the input and fee sums, which a chain with
// a capped supply cannot reach, against a view made up for the purpose.
func TestConnectAmountLimits(t *testing.T) {
	params := blocktests.Params()
	view := sideblock.NewMemUtxoView()
	for i := uint32(0); i < 4; i++ {
		view.AddUtxo(fakeOut(i), &sideblock.Utxo{
			Value: btcutil.MaxSatoshi, PkScript: opTrue, Height: 1,
		})
	}
	view.AddUtxo(fakeOut(9), &sideblock.Utxo{
		Value: btcutil.MaxSatoshi + 1, PkScript: opTrue, Height: 1,
	})

	cases := []struct {
		name  string
		block *sideblock.Block
		code  sideblock.ErrorCode
	}{
		{"input above max", blockSpending(t, 0,
			[]wire.OutPoint{fakeOut(9)}), sideblock.ErrBadTxInValue},
		{"inputs sum above max", blockSpending(t, 0,
			[]wire.OutPoint{fakeOut(0), fakeOut(1)}), sideblock.ErrBadTxInValue},
		{"fees sum above max", blockSpending(t, 0,
			[]wire.OutPoint{fakeOut(0)}, []wire.OutPoint{fakeOut(1)}),
			sideblock.ErrBadFees},
		{"wrong lottery height", blockSpending(t, 0), sideblock.ErrBadCoinbaseHeight},
	}
	for _, c := range cases {
		h := int32(200)
		if c.code == sideblock.ErrBadCoinbaseHeight {
			h = 201
		}
		if err := sideblock.CheckBlockSanity(c.block, params); err != nil {
			t.Fatalf("%s: sanity: %v", c.name, err)
		}
		_, _, err := sideblock.CheckConnectBlock(c.block, h, view, params)
		if !sideblock.IsErrorCode(err, c.code) {
			t.Errorf("%s: want %v, got %v", c.name, c.code, err)
		}
	}

	// The largest fee that fits is fine.
	ok := blockSpending(t, 0, []wire.OutPoint{fakeOut(2)})
	fees, spent, err := sideblock.CheckConnectBlock(ok, 200, view, params)
	if err != nil || fees != btcutil.MaxSatoshi || len(spent) != 1 ||
		spent[0].OutPoint != fakeOut(2) {
		t.Fatalf("max fee: %d %v %v", fees, spent, err)
	}
	if view.Len() != 5 {
		t.Fatal("CheckConnectBlock changed the view")
	}
}

// TestApplyUndoErrors checks ApplyBlock's and UndoBlock's refusals, and that
// a failed UndoBlock changes nothing.
func TestApplyUndoErrors(t *testing.T) {
	view := sideblock.NewMemUtxoView()
	view.AddUtxo(fakeOut(0), &sideblock.Utxo{Value: 10, PkScript: opTrue, Height: 1})
	b := blockSpending(t, 5, []wire.OutPoint{fakeOut(0)})

	missing := blockSpending(t, 5, []wire.OutPoint{fakeOut(7)})
	if _, err := sideblock.ApplyBlock(view.Clone(), missing); !sideblock.IsErrorCode(err, sideblock.ErrMissingTxOut) {
		t.Errorf("apply with a missing input: %v", err)
	}
	noHeight := blockSpending(t, 5)
	noHeight.Transactions[0].TxIn[0].SignatureScript = []byte{txscript.OP_NOP, txscript.OP_NOP}
	if _, err := sideblock.ApplyBlock(view.Clone(), noHeight); !sideblock.IsErrorCode(err, sideblock.ErrBadUndoData) {
		t.Errorf("apply without coinbase height: %v", err)
	}
	if _, err := sideblock.ApplyBlock(view.Clone(), &sideblock.Block{}); !sideblock.IsErrorCode(err, sideblock.ErrBadUndoData) {
		t.Errorf("apply of an empty block: %v", err)
	}

	spent, err := sideblock.ApplyBlock(view, b)
	if err != nil || len(spent) != 1 {
		t.Fatalf("apply: %v %v", spent, err)
	}
	if _, ok := view.FetchUtxo(fakeOut(0)); ok {
		t.Fatal("input still unspent")
	}
	out, ok := view.FetchUtxo(wire.OutPoint{Hash: b.Transactions[1].TxHash()})
	if !ok || out.Value != 5 || out.Height != 200 || out.IsCoinbase {
		t.Fatalf("new output %+v", out)
	}
	cbOut, ok := view.FetchUtxo(wire.OutPoint{Hash: b.Transactions[0].TxHash()})
	if !ok || !cbOut.IsCoinbase {
		t.Fatalf("coinbase output %+v", cbOut)
	}

	before := view.Clone()
	wrong := []sideblock.SpentOutput{{OutPoint: fakeOut(1), Utxo: spent[0].Utxo}}
	for name, undo := range map[string][]sideblock.SpentOutput{
		"none":           nil,
		"wrong outpoint": wrong,
		"one too many":   append(append([]sideblock.SpentOutput{}, spent...), spent[0]),
	} {
		err := sideblock.UndoBlock(view, b, undo)
		if !sideblock.IsErrorCode(err, sideblock.ErrBadUndoData) {
			t.Errorf("undo with %s: %v", name, err)
		}
		if view.Len() != before.Len() {
			t.Fatalf("failed undo with %s changed the view", name)
		}
	}
	if err := sideblock.UndoBlock(view, b, spent); err != nil {
		t.Fatal(err)
	}
	if view.Len() != 1 {
		t.Fatalf("view has %d outputs after undo", view.Len())
	}
	if u, ok := view.FetchUtxo(fakeOut(0)); !ok || u.Value != 10 || u.Height != 1 {
		t.Fatalf("restored output %+v", u)
	}
}

// TestSideAddresses checks that sidechain addresses use the sidechain's
// bech32 HRP and that mainchain addresses do not decode as sidechain ones.
func TestSideAddresses(t *testing.T) {
	priv, _ := btcec.PrivKeyFromBytes(chainhash.DoubleHashB([]byte("addr")))
	pub := priv.PubKey()

	for _, p := range []*chainparams.Params{&chainparams.Mainnet,
		&chainparams.Testnet3, &chainparams.Regtest} {
		wpkh, err := sideblock.SideP2WPKHAddress(pub, p)
		if err != nil {
			t.Fatal(err)
		}
		tr, err := sideblock.SideP2TRAddress(pub, nil, p)
		if err != nil {
			t.Fatal(err)
		}
		root := chainhash.DoubleHashB([]byte("root"))
		trTree, err := sideblock.SideP2TRAddress(pub, root, p)
		if err != nil {
			t.Fatal(err)
		}
		if trTree.String() == tr.String() {
			t.Fatal("script root does not change the P2TR address")
		}
		for _, a := range []btcutil.Address{wpkh, tr, trTree} {
			s := a.EncodeAddress()
			if !strings.HasPrefix(s, p.Side.Bech32HRPSegwit+"1") {
				t.Errorf("%s: %s lacks the sidechain HRP", p.Name, s)
			}
			got, err := sideblock.DecodeSideAddress(s, p)
			if err != nil || got.EncodeAddress() != s {
				t.Errorf("%s: decode %s: %v", p.Name, s, err)
			}
			// Not a mainchain address.
			if m, err := btcutil.DecodeAddress(s, p.Main); err == nil && m.IsForNet(p.Main) {
				t.Errorf("%s: %s decodes as a mainchain address", p.Name, s)
			}
		}
		wantTR, _ := txscript.PayToTaprootScript(txscript.ComputeTaprootKeyNoScript(pub))
		if got, _ := txscript.PayToAddrScript(tr); string(got) != string(wantTR) {
			t.Errorf("%s: BIP86 P2TR script differs", p.Name)
		}

		// Mainchain addresses of the same keys do not decode.
		mainWPKH, _ := btcutil.NewAddressWitnessPubKeyHash(
			btcutil.Hash160(pub.SerializeCompressed()), p.Main)
		mainTR, _ := btcutil.NewAddressTaproot(
			wantTR[2:], p.Main)
		mainPKH, _ := btcutil.NewAddressPubKeyHash(
			btcutil.Hash160(pub.SerializeCompressed()), p.Main)
		for _, a := range []btcutil.Address{mainWPKH, mainTR, mainPKH} {
			if _, err := sideblock.DecodeSideAddress(a.EncodeAddress(), p); err == nil {
				t.Errorf("%s: mainchain address %s decodes as a "+
					"sidechain address", p.Name, a.EncodeAddress())
			}
		}
	}

	// Another network's sidechain address is refused too.
	reg, _ := sideblock.SideP2WPKHAddress(pub, &chainparams.Regtest)
	if _, err := sideblock.DecodeSideAddress(reg.EncodeAddress(), &chainparams.Mainnet); err == nil {
		t.Error("regtest sidechain address decodes on mainnet")
	}

	// A network built elsewhere can be registered, twice.
	custom := chainparams.Regtest
	side := *custom.Side
	side.Net = 0x0badcafe
	side.Bech32HRPSegwit = "sxyz"
	custom.Side = &side
	for i := 0; i < 2; i++ {
		if err := sideblock.RegisterSideParams(&custom); err != nil {
			t.Fatal(err)
		}
	}
	a, _ := sideblock.SideP2WPKHAddress(pub, &custom)
	if _, err := sideblock.DecodeSideAddress(a.EncodeAddress(), &custom); err != nil {
		t.Errorf("registered custom network: %v", err)
	}
}
