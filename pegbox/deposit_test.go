package pegbox

import (
	"bytes"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/opreturn"
)

const testSidechain = 0x0d07

var (
	pegboxScript = append([]byte{txscript.OP_0, 32}, bytes.Repeat([]byte{0xaa}, 32)...)
	otherScript  = append([]byte{txscript.OP_0, 32}, bytes.Repeat([]byte{0xbb}, 32)...)
	sideScript   = append([]byte{txscript.OP_0, 20}, bytes.Repeat([]byte{0xcc}, 20)...)
)

func nullData(t testing.TB, p opreturn.Payload) []byte {
	t.Helper()
	s, err := opreturn.Encode(testSidechain, p)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func depositTx(t testing.TB, vout uint8, side []byte, outs ...*wire.TxOut) *wire.MsgTx {
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: chainhash.Hash{5}}, nil, nil))
	for _, o := range outs {
		tx.AddTxOut(o)
	}
	tx.AddTxOut(wire.NewTxOut(0, nullData(t, &opreturn.Deposit{Vout: vout, SideScript: side})))
	return tx
}

func TestParseDeposit(t *testing.T) {
	boxes := ScriptSet{pegboxScript}
	const dust = 546

	// A good deposit, with change before it.
	tx := depositTx(t, 1, sideScript, wire.NewTxOut(9_000, otherScript),
		wire.NewTxOut(100_000, pegboxScript))
	dep, err := ParseDeposit(tx, testSidechain, boxes, dust)
	if err != nil {
		t.Fatal(err)
	}
	if dep.OutPoint != (wire.OutPoint{Hash: tx.TxHash(), Index: 1}) || dep.Value != 100_000 ||
		!bytes.Equal(dep.SideScript, sideScript) || !bytes.Equal(dep.PkScript, pegboxScript) {
		t.Fatalf("deposit %+v", dep)
	}

	payout := wire.NewMsgTx(2)
	payout.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: chainhash.Hash{6}}, nil, nil))
	payout.AddTxOut(wire.NewTxOut(0, nullData(t, &opreturn.Payout{SideBlock: chainhash.Hash{1}})))
	payout.AddTxOut(wire.NewTxOut(50_000, otherScript))
	payout.AddTxOut(wire.NewTxOut(900_000, pegboxScript))

	plain := wire.NewMsgTx(2)
	plain.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: chainhash.Hash{7}}, nil, nil))
	plain.AddTxOut(wire.NewTxOut(50_000, otherScript))

	noPayload := wire.NewMsgTx(2)
	noPayload.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: chainhash.Hash{8}}, nil, nil))
	noPayload.AddTxOut(wire.NewTxOut(50_000, pegboxScript))

	twoReturns := depositTx(t, 0, sideScript, wire.NewTxOut(50_000, pegboxScript))
	twoReturns.AddTxOut(wire.NewTxOut(0, []byte{txscript.OP_RETURN}))

	broken := wire.NewMsgTx(2)
	broken.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: chainhash.Hash{9}}, nil, nil))
	broken.AddTxOut(wire.NewTxOut(50_000, pegboxScript))
	bad := nullData(t, &opreturn.Deposit{Vout: 0, SideScript: sideScript})
	bad[2] = 'X' // the magic's first byte
	broken.AddTxOut(wire.NewTxOut(0, bad))

	tests := []struct {
		name string
		tx   *wire.MsgTx
		want ErrorCode
		op   opreturn.ErrorCode // when the opreturn package reports it
	}{
		{"plain payment", plain, ErrNoDeposit, -1},
		{"federation payout", payout, ErrNoDeposit, -1},
		{"to no pegbox", depositTx(t, 0, sideScript, wire.NewTxOut(100_000, otherScript)), ErrNotPegbox, -1},
		{"dust", depositTx(t, 0, sideScript, wire.NewTxOut(545, pegboxScript)), ErrDepositDust, -1},
		{"vout out of range", depositTx(t, 7, sideScript, wire.NewTxOut(100_000, pegboxScript)), ErrBadDepositVout, -1},
		{"vout is the OP_RETURN", depositTx(t, 1, sideScript, wire.NewTxOut(100_000, pegboxScript)), ErrBadDepositVout, -1},
		{"side script is OP_RETURN", depositTx(t, 0, []byte{txscript.OP_RETURN, 1, 2},
			wire.NewTxOut(100_000, pegboxScript)), ErrBadSideScript, -1},
		{"several OP_RETURNs", twoReturns, ErrManyDeposits, -1},
		{"pays a pegbox without payload", noPayload, -1, opreturn.ErrNoOpReturn},
		{"pays a pegbox with a broken payload", broken, -1, opreturn.ErrBadMagic},
	}
	for _, tc := range tests {
		_, err := ParseDeposit(tc.tx, testSidechain, boxes, dust)
		switch {
		case tc.want >= 0 && !IsErrorCode(err, tc.want):
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		case tc.op >= 0 && !opreturn.IsErrorCode(err, tc.op):
			t.Errorf("%s: %v, want %v", tc.name, err, tc.op)
		}
	}
}

// FuzzParseDeposit feeds arbitrary transactions to ParseDeposit: it must
// never panic, and a deposit it accepts pays a pegbox above dust.
func FuzzParseDeposit(f *testing.F) {
	var buf bytes.Buffer
	tx := depositTx(f, 0, sideScript, wire.NewTxOut(100_000, pegboxScript))
	_ = tx.Serialize(&buf)
	f.Add(buf.Bytes())
	f.Add([]byte{})
	boxes := ScriptSet{pegboxScript}
	f.Fuzz(func(t *testing.T, b []byte) {
		var tx wire.MsgTx
		if err := tx.Deserialize(bytes.NewReader(b)); err != nil {
			return
		}
		dep, err := ParseDeposit(&tx, testSidechain, boxes, 546)
		if err == nil && (!boxes.IsPegbox(dep.PkScript) || dep.Value < 546) {
			t.Fatalf("accepted %+v", dep)
		}
	})
}
