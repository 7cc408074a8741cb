package mainstake

import (
	"bytes"
	"testing"

	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/opreturn"
)

// FuzzParseRegistration feeds arbitrary serialized transactions to
// ParseRegistration and ClassifySpend. Neither may panic, and whatever
// ParseRegistration accepts must satisfy every rule of a registration.
func FuzzParseRegistration(f *testing.F) {
	p := testParams()
	_, pub := testKey(1)
	seed := func(tx *wire.MsgTx, conf int32) {
		var buf bytes.Buffer
		if err := tx.Serialize(&buf); err != nil {
			f.Fatal(err)
		}
		f.Add(buf.Bytes(), conf)
	}
	tx := buildTest(f, p)
	seed(tx, testConf)
	seed(tx, testLock)
	tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: hashOf("in")}, nil,
		[][]byte{{1, 2}, {3}}))
	seed(tx, testConf)
	// The cold-owner form, valid and broken one rule at a time (the
	// cases of TestColdRegistrationRules).
	for _, c := range coldCases(f, p) {
		tx := buildColdTest(f, p)
		conf := int32(testConf)
		if c.mutate != nil {
			conf = c.mutate(tx, p)
		}
		seed(tx, conf)
	}
	pubOut := wire.OutPoint{Hash: hashOf("registration"), Index: 2}
	seed(headerTx(f, pubOut, pub, &opreturn.Header{}), 0)
	f.Add([]byte{}, int32(0))
	f.Add([]byte{1, 0, 0, 0, 0, 1}, int32(-1))

	f.Fuzz(func(t *testing.T, raw []byte, conf int32) {
		var tx wire.MsgTx
		if err := tx.Deserialize(bytes.NewReader(raw)); err != nil {
			return
		}
		p := testParams()
		reg, err := ParseRegistration(&tx, conf, p)
		if err == nil {
			checkRegistration(t, &tx, reg, p.MinStakeValue)
		} else if reg != nil {
			t.Fatalf("registration %+v with error %v", reg, err)
		} else if _, ok := err.(*RuleError); !ok {
			t.Fatalf("error %T %v is not a *RuleError", err, err)
		}

		for _, in := range tx.TxIn {
			s, err := ClassifySpend(&tx, in.PreviousOutPoint, pub,
				p.SidechainID)
			if err != nil || s.Class == NotSpent {
				t.Fatalf("spend of an input classified %v, %v",
					s.Class, err)
			}
			if (s.Class == ValidHeader) != (s.Header != nil) {
				t.Fatalf("class %v with header %v", s.Class, s.Header)
			}
		}
	})
}

// checkRegistration checks an accepted registration against tx.
func checkRegistration(t *testing.T, tx *wire.MsgTx, reg *Registration,
	minValue int64) {

	t.Helper()
	h := tx.TxHash()
	if reg.TxHash != h || reg.Stake.Hash != h || reg.Publisher.Hash != h ||
		reg.Stake.Index == reg.Publisher.Index {
		t.Fatalf("outpoints %+v", reg)
	}
	stake := tx.TxOut[reg.Stake.Index]
	want := mustScript(StakePkScript(reg.LockHeight, reg.PubKey))
	if reg.Cold {
		want = mustScript(ColdStakePkScript(reg.LockHeight, reg.OwnerKeyHash))
		if reg.OwnerKeyHash == OwnerKeyHash(reg.PubKey) {
			t.Fatal("cold registration owned by its publisher key")
		}
	}
	if !bytes.Equal(stake.PkScript, want) ||
		stake.Value != reg.Value || reg.Value < minValue {
		t.Fatalf("stake output %+v", stake)
	}
	if want := mustScript(PublisherScript(reg.PubKey)); !bytes.Equal(
		tx.TxOut[reg.Publisher.Index].PkScript, want) {
		t.Fatal("publisher output")
	}
}
