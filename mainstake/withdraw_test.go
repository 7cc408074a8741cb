package mainstake

import (
	"testing"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/mempool"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// stakeTicket returns a ticket of value sat locked until lock, owned by a
// new key.
func stakeTicket(t *testing.T, value int64, lock uint32) (*Ticket, *btcec.PrivateKey) {
	t.Helper()
	priv, err := btcec.NewPrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	return &Ticket{Registration: Registration{
		Stake:      wire.OutPoint{Hash: chainhash.Hash{7}, Index: 1},
		Value:      value,
		LockHeight: lock,
		PubKey:     priv.PubKey(),
	}}, priv
}

// verifyStakeSpend runs input 0 of tx against t's stake output in btcd's
// script engine with the standard flags.
func verifyStakeSpend(t *testing.T, tk *Ticket, tx *wire.MsgTx) error {
	t.Helper()
	pkScript, err := tk.StakePkScript()
	if err != nil {
		t.Fatal(err)
	}
	fetcher := txscript.NewCannedPrevOutputFetcher(pkScript, tk.Value)
	vm, err := txscript.NewEngine(pkScript, tx, 0, txscript.StandardVerifyFlags, nil,
		txscript.NewTxSigHashes(tx, fetcher), tk.Value, fetcher)
	if err != nil {
		t.Fatal(err)
	}
	return vm.Execute()
}

// standardAt applies btcd's relay policy to tx as the mempool does when the
// next block has height next.
func standardAt(tx *wire.MsgTx, next int32) error {
	return mempool.CheckTransactionStandard(btcutil.NewTx(tx), next,
		time.Unix(1_700_000_000, 0), defaultMinRelayTxFee, 2)
}

func p2wpkhScript(t *testing.T) []byte {
	t.Helper()
	priv, _ := btcec.NewPrivateKey()
	s, err := PublisherScript(priv.PubKey())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestBuildStakeWithdrawal(t *testing.T) {
	const lock = 800_000
	dest := p2wpkhScript(t)
	for _, feeRate := range []int64{1, 3, 250} {
		tk, priv := stakeTicket(t, 1_000_000, lock)
		tx, err := BuildStakeWithdrawal(tk, dest, feeRate, priv)
		if err != nil {
			t.Fatal(err)
		}

		// Its shape.
		if tx.Version != 2 || tx.LockTime != lock || len(tx.TxIn) != 1 || len(tx.TxOut) != 1 {
			t.Fatalf("shape: version %d, lock time %d, %d inputs, %d outputs",
				tx.Version, tx.LockTime, len(tx.TxIn), len(tx.TxOut))
		}
		in := tx.TxIn[0]
		if in.PreviousOutPoint != tk.Stake || in.Sequence != 0xfffffffe || len(in.SignatureScript) != 0 {
			t.Fatalf("input: %v sequence %#x sigScript %x", in.PreviousOutPoint,
				in.Sequence, in.SignatureScript)
		}
		ws, _ := StakeScript(lock, tk.PubKey)
		if len(in.Witness) != 2 || string(in.Witness[1]) != string(ws) {
			t.Fatalf("witness: %x", in.Witness)
		}
		if sig := in.Witness[0]; len(sig) > maxSigLen ||
			txscript.SigHashType(sig[len(sig)-1]) != txscript.SigHashAll {
			t.Fatalf("signature %x: want at most %d bytes, SigHashAll", sig, maxSigLen)
		}
		if string(tx.TxOut[0].PkScript) != string(dest) {
			t.Fatalf("output script %x, want %x", tx.TxOut[0].PkScript, dest)
		}

		// It spends the stake under btcd's script engine.
		if err := verifyStakeSpend(t, tk, tx); err != nil {
			t.Fatalf("fee rate %d: script: %v", feeRate, err)
		}

		// It pays at least feeRate, and at most one vbyte more than the
		// largest signature needs.
		vsize := (blockchainWeight(tx) + 3) / 4
		fee := tk.Value - tx.TxOut[0].Value
		if fee < feeRate*vsize || fee > feeRate*(vsize+1) {
			t.Fatalf("fee %d for %d vbytes at %d sat/vB", fee, vsize, feeRate)
		}

		// It is standard and final from the block after the lock height
		// on, and not before: consensus needs nLockTime < block height.
		if err := standardAt(tx, lock+1); err != nil {
			t.Fatalf("not standard in block %d: %v", lock+1, err)
		}
		if err := standardAt(tx, lock); err == nil {
			t.Fatalf("standard in block %d, the lock height", lock)
		}
		if !blockchain.IsFinalizedTransaction(btcutil.NewTx(tx), lock+1, time.Unix(0, 0)) ||
			blockchain.IsFinalizedTransaction(btcutil.NewTx(tx), lock, time.Unix(0, 0)) {
			t.Fatal("finality: want final in block lock+1 only")
		}
	}
}

// TestStakeWithdrawalLockTime checks that the stake script itself enforces
// the lock: a withdrawal built and signed by the same code with nLockTime
// one below the lock height fails CHECKLOCKTIMEVERIFY, and one with a
// final input fails too.
func TestStakeWithdrawalLockTime(t *testing.T) {
	const lock = 1_234
	tk, priv := stakeTicket(t, 100_000, lock)
	dest := p2wpkhScript(t)
	ws, err := StakeScript(lock, tk.PubKey)
	if err != nil {
		t.Fatal(err)
	}

	// The control: the same path with the ticket's lock verifies.
	tx := withdrawalTx(tk, dest, lock, 500)
	if err := signStakeSpend(tx, tk, ws, priv); err != nil {
		t.Fatal(err)
	}
	if err := verifyStakeSpend(t, tk, tx); err != nil {
		t.Fatalf("control: %v", err)
	}

	early := withdrawalTx(tk, dest, lock-1, 500)
	if err := signStakeSpend(early, tk, ws, priv); err != nil {
		t.Fatal(err)
	}
	if err := verifyStakeSpend(t, tk, early); !txscript.IsErrorCode(err, txscript.ErrUnsatisfiedLockTime) {
		t.Fatalf("nLockTime below the lock: got %v, want ErrUnsatisfiedLockTime", err)
	}

	final := withdrawalTx(tk, dest, lock, 500)
	final.TxIn[0].Sequence = wire.MaxTxInSequenceNum
	if err := signStakeSpend(final, tk, ws, priv); err != nil {
		t.Fatal(err)
	}
	if err := verifyStakeSpend(t, tk, final); !txscript.IsErrorCode(err, txscript.ErrUnsatisfiedLockTime) {
		t.Fatalf("final input: got %v, want ErrUnsatisfiedLockTime", err)
	}
}

func TestBuildStakeWithdrawalRefusals(t *testing.T) {
	dest := p2wpkhScript(t)
	tk, priv := stakeTicket(t, 100_000, 500)
	other, _ := btcec.NewPrivateKey()

	requireCode(t, mustFail(BuildStakeWithdrawal(tk, dest, 2, other)), ErrInvalidArgument)
	requireCode(t, mustFail(BuildStakeWithdrawal(tk, dest, 0, priv)), ErrInvalidArgument)
	requireCode(t, mustFail(BuildStakeWithdrawal(tk, dest, -5, priv)), ErrInvalidArgument)
	requireCode(t, mustFail(BuildStakeWithdrawal(nil, dest, 2, priv)), ErrInvalidArgument)
	requireCode(t, mustFail(BuildStakeWithdrawal(tk, nil, 2, priv)), ErrInvalidArgument)
	requireCode(t, mustFail(BuildStakeWithdrawal(tk, dest, 2, nil)), ErrInvalidArgument)

	// A lock that is not a height.
	bad, badPriv := stakeTicket(t, 100_000, MaxLockHeight)
	requireCode(t, mustFail(BuildStakeWithdrawal(bad, dest, 2, badPriv)), ErrLockNotHeight)

	// Dust: a stake that leaves less than the dust limit after the fee,
	// and a fee rate above the stake's value.
	small, smallPriv := stakeTicket(t, 400, 500)
	requireCode(t, mustFail(BuildStakeWithdrawal(small, dest, 1, smallPriv)), ErrWithdrawalDust)
	requireCode(t, mustFail(BuildStakeWithdrawal(tk, dest, 1_000, priv)), ErrWithdrawalDust)
	requireCode(t, mustFail(BuildStakeWithdrawal(tk, dest, 1<<62, priv)), ErrWithdrawalDust)

	// The boundary: btcd's dust limit for a P2WPKH output at the default
	// relay fee is 294 sat. A stake that leaves exactly that after the fee
	// is withdrawn, and the withdrawal is standard; one satoshi less is
	// refused.
	probe, err := BuildStakeWithdrawal(tk, dest, 5, priv)
	if err != nil {
		t.Fatal(err)
	}
	fee := tk.Value - probe.TxOut[0].Value
	edge, edgePriv := stakeTicket(t, fee+294, 500)
	tx, err := BuildStakeWithdrawal(edge, dest, 5, edgePriv)
	if err != nil {
		t.Fatalf("stake leaving 294 sat: %v", err)
	}
	if tx.TxOut[0].Value != 294 {
		t.Fatalf("output %d, want 294", tx.TxOut[0].Value)
	}
	if err := standardAt(tx, 501); err != nil {
		t.Fatal(err)
	}
	edge.Value--
	requireCode(t, mustFail(BuildStakeWithdrawal(edge, dest, 5, edgePriv)), ErrWithdrawalDust)
}

func mustFail(_ *wire.MsgTx, err error) error { return err }

func TestStakeSpendable(t *testing.T) {
	tk := &Ticket{Registration: Registration{LockHeight: 1000}}
	for _, c := range []struct {
		tip  int32
		want bool
	}{{-1, false}, {0, false}, {998, false}, {999, false}, {1000, true}, {1001, true}} {
		if got := StakeSpendable(tk, c.tip); got != c.want {
			t.Errorf("tip %d: spendable %v, want %v", c.tip, got, c.want)
		}
	}
	if FirstWithdrawalHeight(1000) != 1001 {
		t.Fatal("first withdrawal height")
	}
	if StakeSpendable(nil, 5000) {
		t.Fatal("nil ticket spendable")
	}
	// StakeSpendable agrees with the mempool: at tip 1000 the next block
	// (1001) accepts the withdrawal, at tip 999 it does not.
	tk2, priv := stakeTicket(t, 100_000, 1000)
	tx, err := BuildStakeWithdrawal(tk2, p2wpkhScript(t), 2, priv)
	if err != nil {
		t.Fatal(err)
	}
	for _, tip := range []int32{999, 1000} {
		if (standardAt(tx, tip+1) == nil) != StakeSpendable(tk2, tip) {
			t.Errorf("tip %d: StakeSpendable disagrees with the mempool", tip)
		}
	}
}
