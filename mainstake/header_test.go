package mainstake

import (
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/opreturn"
)

const headerID = 0x00000d07

// headerTx builds a header transaction that spends publisher with input 0
// and a fee input 1, and has the 'H' OP_RETURN, the next publisher output
// and a change output.
func headerTx(t testing.TB, publisher wire.OutPoint, pub *btcec.PublicKey,
	h *opreturn.Header) *wire.MsgTx {

	t.Helper()
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(&publisher, nil, nil))
	tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: hashOf("fee")}, nil, nil))
	tx.AddTxOut(wire.NewTxOut(0, encode(t, headerID, h)))
	tx.AddTxOut(wire.NewTxOut(1000, mustScript(PublisherScript(pub))))
	tx.AddTxOut(wire.NewTxOut(5000, mustScript(PublisherScript(pub))))
	return tx
}

func TestParseHeaderTx(t *testing.T) {
	_, pub := testKey(1)
	publisher := wire.OutPoint{Hash: hashOf("registration"), Index: 2}
	h := &opreturn.Header{PrevBlock: hashOf("prev"), MerkleRoot: hashOf("root")}
	tx := headerTx(t, publisher, pub, h)

	got, next, err := ParseHeaderTx(tx, publisher, pub, headerID)
	if err != nil {
		t.Fatal(err)
	}
	if *got != *h {
		t.Fatalf("header %+v, want %+v", got, h)
	}
	if next != (wire.OutPoint{Hash: tx.TxHash(), Index: 1}) {
		t.Fatalf("next publisher %v", next)
	}

	// A chain of two headers; the first no longer applies to the second.
	tx2 := headerTx(t, next, pub, &opreturn.Header{PrevBlock: chainhash.Hash{}})
	if _, next2, err := ParseHeaderTx(tx2, next, pub, headerID); err != nil ||
		next2.Hash != tx2.TxHash() {
		t.Fatalf("second header: %v", err)
	}
	_, _, err = ParseHeaderTx(tx2, publisher, pub, headerID)
	requireCode(t, err, ErrHeaderInput)
}

func TestParseHeaderTxRules(t *testing.T) {
	_, pub := testKey(1)
	_, other := testKey(2)
	publisher := wire.OutPoint{Hash: hashOf("registration"), Index: 2}
	h := &opreturn.Header{PrevBlock: hashOf("prev"), MerkleRoot: hashOf("root")}

	tests := []struct {
		name   string
		mutate func(tx *wire.MsgTx)
		code   ErrorCode
	}{
		{"no inputs", func(tx *wire.MsgTx) { tx.TxIn = nil }, ErrHeaderInput},
		{"input 0 other", func(tx *wire.MsgTx) {
			tx.TxIn[0].PreviousOutPoint.Index++
		}, ErrHeaderInput},
		{"publisher in input 1", func(tx *wire.MsgTx) {
			tx.TxIn[0], tx.TxIn[1] = tx.TxIn[1], tx.TxIn[0]
		}, ErrHeaderInput},

		{"no op_return", func(tx *wire.MsgTx) {
			tx.TxOut[0].PkScript = tx.TxOut[2].PkScript
		}, ErrNoPayload},
		{"two op_returns", func(tx *wire.MsgTx) {
			tx.TxOut[2].PkScript = tx.TxOut[0].PkScript
		}, ErrNoPayload},
		{"other sidechain", func(tx *wire.MsgTx) {
			tx.TxOut[0].PkScript = encode(t, headerID+1, h)
		}, ErrNoPayload},
		{"malformed", func(tx *wire.MsgTx) {
			tx.TxOut[0].PkScript = []byte{txscript.OP_RETURN}
		}, ErrNoPayload},

		{"stake payload", func(tx *wire.MsgTx) {
			tx.TxOut[0].PkScript = encode(t, headerID,
				opreturn.NewStake(100, 1, 2, pub))
		}, ErrWrongKind},

		{"op_return last", func(tx *wire.MsgTx) {
			tx.TxOut[0], tx.TxOut[2] = tx.TxOut[2], tx.TxOut[0]
		}, ErrHeaderOutputOrder},
		{"op_return second", func(tx *wire.MsgTx) {
			tx.TxOut[0], tx.TxOut[1] = tx.TxOut[1], tx.TxOut[0]
		}, ErrHeaderOutputOrder},

		{"no output 1", func(tx *wire.MsgTx) {
			tx.TxOut = tx.TxOut[:1]
		}, ErrPublisherScript},
		{"output 1 other key", func(tx *wire.MsgTx) {
			tx.TxOut[1].PkScript = mustScript(PublisherScript(other))
		}, ErrPublisherScript},
		{"output 1 stake script", func(tx *wire.MsgTx) {
			tx.TxOut[1].PkScript = mustScript(StakePkScript(100, pub))
		}, ErrPublisherScript},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			tx := headerTx(t, publisher, pub, h)
			test.mutate(tx)
			got, next, err := ParseHeaderTx(tx, publisher, pub, headerID)
			if got != nil || next != (wire.OutPoint{}) {
				t.Errorf("result %v %v with error", got, next)
			}
			requireCode(t, err, test.code)

			// Every one of these spends, if it spends the publisher
			// outpoint at all, ends the chain.
			s, err := ClassifySpend(tx, publisher, pub, headerID)
			if err != nil {
				t.Fatal(err)
			}
			spends := false
			for _, in := range tx.TxIn {
				spends = spends || in.PreviousOutPoint == publisher
			}
			want := NotSpent
			if spends {
				want = EndsChain
				requireCode(t, s.Reason, test.code)
			}
			if s.Class != want {
				t.Fatalf("class %v, want %v", s.Class, want)
			}
			end, err := IsPublisherChainEnd(tx, publisher, pub, headerID)
			if err != nil || end != spends {
				t.Fatalf("IsPublisherChainEnd = %v, %v", end, err)
			}
		})
	}

	tx := headerTx(t, publisher, pub, h)
	for _, args := range []struct {
		tx  *wire.MsgTx
		pub *btcec.PublicKey
		id  uint32
	}{{nil, pub, headerID}, {tx, nil, headerID}, {tx, pub, 0}} {
		_, _, err := ParseHeaderTx(args.tx, publisher, args.pub, args.id)
		requireCode(t, err, ErrInvalidArgument)
		_, err = ClassifySpend(args.tx, publisher, args.pub, args.id)
		requireCode(t, err, ErrInvalidArgument)
		_, err = IsPublisherChainEnd(args.tx, publisher, args.pub, args.id)
		requireCode(t, err, ErrInvalidArgument)
	}
}

func TestClassifySpend(t *testing.T) {
	_, pub := testKey(1)
	publisher := wire.OutPoint{Hash: hashOf("registration"), Index: 2}
	h := &opreturn.Header{MerkleRoot: hashOf("root")}

	// A valid header moves the chain.
	tx := headerTx(t, publisher, pub, h)
	s, err := ClassifySpend(tx, publisher, pub, headerID)
	if err != nil {
		t.Fatal(err)
	}
	if s.Class != ValidHeader || *s.Header != *h || s.Reason != nil ||
		s.Next != (wire.OutPoint{Hash: tx.TxHash(), Index: 1}) {
		t.Fatalf("got %+v", s)
	}
	if end, err := IsPublisherChainEnd(tx, publisher, pub, headerID); err != nil || end {
		t.Fatalf("IsPublisherChainEnd = %v, %v", end, err)
	}

	// A plain payment from the publisher output ends it.
	pay := wire.NewMsgTx(2)
	pay.AddTxIn(wire.NewTxIn(&publisher, nil, nil))
	pay.AddTxOut(wire.NewTxOut(900, mustScript(PublisherScript(pub))))
	s, err = ClassifySpend(pay, publisher, pub, headerID)
	if err != nil {
		t.Fatal(err)
	}
	if s.Class != EndsChain || s.Header != nil || s.Next != (wire.OutPoint{}) {
		t.Fatalf("got %+v", s)
	}
	requireCode(t, s.Reason, ErrNoPayload)

	// A transaction that does not touch the outpoint does nothing, even a
	// valid header of another ticket.
	otherPublisher := wire.OutPoint{Hash: hashOf("other"), Index: 1}
	s, err = ClassifySpend(headerTx(t, otherPublisher, pub, h), publisher,
		pub, headerID)
	if err != nil || s.Class != NotSpent {
		t.Fatalf("got %+v, %v", s, err)
	}

	for c, want := range map[SpendClass]string{NotSpent: "NotSpent",
		ValidHeader: "ValidHeader", EndsChain: "EndsChain",
		SpendClass(7): "SpendClass(7)"} {
		if c.String() != want {
			t.Errorf("%d.String() = %q", int(c), c.String())
		}
	}
}
