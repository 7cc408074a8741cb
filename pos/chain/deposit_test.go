package chain

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/pos/bls"
	"github.com/mainstake/sidenode/pos/registry"
	"github.com/mainstake/sidenode/sideblock"
)

// matureCoinbases returns validator v's coinbase outputs that a block at
// height can spend.
func matureCoinbases(st *State, v uint64, height int32) []wire.OutPoint {
	script := st.Registry.Validators[v].WithdrawalScript
	var out []wire.OutPoint
	st.Utxo.ForEach(func(op wire.OutPoint, u *sideblock.Utxo) bool {
		if u.IsCoinbase && bytes.Equal(u.PkScript, script) && u.Height+sideblock.SideCoinbaseMaturity <= height {
			out = append(out, op)
		}
		return true
	})
	return out
}

// depositTx spends ins (validator v's coinbases, signed with its owner
// key) into one deposit output of all their value.
func depositTx(t *testing.T, st *State, v uint64, ins []wire.OutPoint, d *Deposit) *wire.MsgTx {
	t.Helper()
	script, err := DepositScript(d)
	if err != nil {
		t.Fatal(err)
	}
	tx := wire.NewMsgTx(2)
	fetch := txscript.NewMultiPrevOutFetcher(nil)
	var total int64
	for _, op := range ins {
		u, _ := st.Utxo.FetchUtxo(op)
		fetch.AddPrevOut(op, wire.NewTxOut(u.Value, u.PkScript))
		total += u.Value
		tx.AddTxIn(wire.NewTxIn(&op, nil, nil))
	}
	tx.AddTxOut(wire.NewTxOut(total, script))
	priv := chainparams.DevValidatorOwnerKey(int(v))
	hashes := txscript.NewTxSigHashes(tx, fetch)
	code, err := txscript.NewScriptBuilder().AddOp(txscript.OP_DUP).AddOp(txscript.OP_HASH160).
		AddData(btcutil.Hash160(priv.PubKey().SerializeCompressed())).
		AddOp(txscript.OP_EQUALVERIFY).AddOp(txscript.OP_CHECKSIG).Script()
	if err != nil {
		t.Fatal(err)
	}
	for i, op := range ins {
		u, _ := st.Utxo.FetchUtxo(op)
		sig, err := txscript.RawTxInWitnessSignature(tx, hashes, i, u.Value, code, txscript.SigHashAll, priv)
		if err != nil {
			t.Fatal(err)
		}
		tx.TxIn[i].Witness = wire.TxWitness{sig, priv.PubKey().SerializeCompressed()}
	}
	return tx
}

// TestDeposits: a transaction spending two matured coinbases (one coin)
// into a deposit for a new key makes a validator; half a coin is below the
// minimum, and a deposit signed by another key proves nothing: both are
// refused with ErrBadDeposit and the head stays.
func TestDeposits(t *testing.T) {
	s := newSim(t, []bool{true, true, true, true})
	for i := 0; i < 110; i++ {
		s.step()
	}
	tr := &tree{t: t, cfg: s.cfg, keys: s.keys, c: s.nodes[0]}
	head, st := s.nodes[0].Head()
	slot := s.slot + 1
	var v uint64
	var coins []wire.OutPoint
	for v = 0; v < 4; v++ {
		if coins = matureCoinbases(st, v, st.Height+1); len(coins) >= 2 {
			break
		}
	}
	if len(coins) < 2 {
		t.Fatal("no validator has two mature coinbases")
	}
	ikm := sha256.Sum256([]byte("a new validator"))
	newKey, err := bls.GenerateKey(ikm[:])
	if err != nil {
		t.Fatal(err)
	}
	owner := []byte{0x00, 0x14, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}
	proposer := tr.proposer(head, slot)

	half := depositTx(t, st, v, coins[:1], s.cfg.NewDeposit(newKey, owner))
	b := tr.build(head, slot, nil)
	b.Body.Transactions = append(b.Body.Transactions, half)
	tr.reseal(head, b, s.keys[proposer])
	tr.reject("half a coin", b, slot, ErrBadDeposit)
	if _, err := tr.c.AcceptBlock(b, slot); !errors.Is(err, registry.ErrDepositBelowMinimum) {
		t.Fatalf("half a coin: %v, want the registry's ErrDepositBelowMinimum", err)
	}

	forged := s.cfg.NewDeposit(newKey, owner)
	forged.Signature = sign(s.keys[0], s.cfg.DepositMessage(forged.PublicKey, owner))
	b = tr.build(head, slot, nil)
	b.Body.Transactions = append(b.Body.Transactions, depositTx(t, st, v, coins[:2], forged))
	tr.reseal(head, b, s.keys[proposer])
	tr.reject("proof by another key", b, slot, ErrBadDeposit)

	good := depositTx(t, st, v, coins[:2], s.cfg.NewDeposit(newKey, owner))
	b = tr.build(head, slot, &Proposal{Transactions: []*wire.MsgTx{good}})
	r := tr.accept("one coin", b, slot)
	after := tr.state(r)
	n := len(after.Registry.Validators)
	nv := after.Registry.Validators[n-1]
	if n != 5 || nv.PublicKey != newKey.PublicKey().Bytes() || nv.Balance != 100_000_000 ||
		!bytes.Equal(nv.WithdrawalScript, owner) || len(after.Inactivity) != 5 {
		t.Fatalf("%d validators, the new one %+v", n, nv)
	}
	if _, ok := after.Utxo.FetchUtxo(coins[0]); ok {
		t.Fatal("the deposit's coins are still unspent")
	}
}

// TestParseDeposit: what is and is not a deposit output.
func TestParseDeposit(t *testing.T) {
	cfg := testConfig(t)
	key := devKeys(t)[0]
	d := cfg.NewDeposit(key, []byte{0x51})
	script, err := DepositScript(d)
	if err != nil {
		t.Fatal(err)
	}
	got, ok, err := parseDeposit(script)
	if err != nil || !ok || got.PublicKey != d.PublicKey || got.Signature != d.Signature || !bytes.Equal(got.WithdrawalScript, []byte{0x51}) {
		t.Fatalf("round trip: %v %v", ok, err)
	}
	for name, s := range map[string][]byte{
		"trailing op":    append(append([]byte(nil), script...), txscript.OP_TRUE),
		"no script":      mustScript(t, append(append([]byte("SNDP\x01"), d.PublicKey[:]...), d.Signature[:]...)),
		"version 2":      mustScript(t, append([]byte("SNDP\x02"), script[len(script)-(1+48+96+1):]...)),
		"script too big": rawPush(append(append(append([]byte("SNDP\x01"), d.PublicKey[:]...), d.Signature[:]...), make([]byte, MaxDepositScript+1)...)),
	} {
		if _, ok, err := parseDeposit(s); !ok || !IsErrorCode(err, ErrBadDeposit) {
			t.Errorf("%s: %v %v", name, ok, err)
		}
	}
	other, _ := txscript.NullDataScript([]byte("SNCLxxxx"))
	if _, ok, _ := parseDeposit(other); ok {
		t.Error("another OP_RETURN is a deposit")
	}
}

func mustScript(t *testing.T, payload []byte) []byte {
	s, err := txscript.NewScriptBuilder().AddOp(txscript.OP_RETURN).AddData(payload).Script()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// rawPush is OP_RETURN OP_PUSHDATA2 payload, for payloads txscript's
// builder refuses.
func rawPush(payload []byte) []byte {
	return append([]byte{txscript.OP_RETURN, txscript.OP_PUSHDATA2, byte(len(payload)), byte(len(payload) >> 8)}, payload...)
}
