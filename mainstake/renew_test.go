package mainstake

import (
	"bytes"
	"testing"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
)

const (
	renewValue     = 50_000_000
	renewPublisher = 200_000
	renewRate      = 2
	renewConf      = testLock + 1
	renewLock      = renewConf + 50
)

// coldTicket returns a ticket of the cold-owner form (publisher key
// testKey(1)) and its owner's key, which plays the outside wallet.
func coldTicket(t *testing.T) (*Ticket, *btcec.PrivateKey) {
	t.Helper()
	return coldTicketFor(t)
}

// coldTicketFor is coldTicket for tests and fuzz targets.
func coldTicketFor(t testing.TB) (*Ticket, *btcec.PrivateKey) {
	t.Helper()
	_, pub := testKey(1)
	owner, err := btcec.NewPrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	return &Ticket{Registration: Registration{
		Stake:        wire.OutPoint{Hash: chainhash.Hash{9}, Index: 1},
		Value:        renewValue,
		LockHeight:   testLock,
		PubKey:       pub,
		Cold:         true,
		OwnerKeyHash: OwnerKeyHash(owner.PubKey()),
	}}, owner
}

// outsideSign plays the owner's wallet: it reads the PSBT, signs input 0
// with owner over the witness script the PSBT gives, and adds the
// signature as a partial signature through btcd's psbt package.
func outsideSign(t testing.TB, packet *psbt.Packet, owner *btcec.PrivateKey) *psbt.Packet {
	t.Helper()
	b64, err := packet.B64Encode()
	if err != nil {
		t.Fatal(err)
	}
	p, err := psbt.NewFromRawBytes(bytes.NewReader([]byte(b64)), true)
	if err != nil {
		t.Fatal(err)
	}
	in := p.Inputs[0]
	fetcher := txscript.NewCannedPrevOutputFetcher(in.WitnessUtxo.PkScript, in.WitnessUtxo.Value)
	sig, err := txscript.RawTxInWitnessSignature(p.UnsignedTx,
		txscript.NewTxSigHashes(p.UnsignedTx, fetcher), 0, in.WitnessUtxo.Value,
		in.WitnessScript, in.SighashType, owner)
	if err != nil {
		t.Fatal(err)
	}
	u, err := psbt.NewUpdater(p)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.Sign(0, sig, owner.PubKey().SerializeCompressed(), nil, in.WitnessScript); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestRenewHot renews a plain-form stake with its key: one transaction
// that the script engine accepts, whose outputs are a registration of the
// same key.
func TestRenewHot(t *testing.T) {
	p := testParams()
	tk, priv := stakeTicket(t, renewValue, testLock)
	tx, err := BuildRenewal(p, tk, renewLock, renewPublisher, renewRate)
	if err != nil {
		t.Fatal(err)
	}
	if tx.LockTime != testLock || tx.TxIn[0].Sequence != WithdrawalSequence {
		t.Fatalf("lock time %d, sequence %x", tx.LockTime, tx.TxIn[0].Sequence)
	}
	stakeScript := mustScript(tk.StakePkScript())
	prevs := txscript.NewCannedPrevOutputFetcher(stakeScript, tk.Value)
	if err := SignStakeInput(tx, 0, tk, prevs, priv); err != nil {
		t.Fatal(err)
	}
	if err := verifyStakeSpend(t, tk, tx); err != nil {
		t.Fatal(err)
	}
	reg, err := CheckRenewal(p, tx, tk, renewConf, renewPublisher, renewRate)
	if err != nil {
		t.Fatal(err)
	}
	if reg.Cold || !reg.PubKey.IsEqual(tk.PubKey) || reg.LockHeight != renewLock {
		t.Fatalf("renewed registration %+v", reg)
	}
	if err := standardAt(tx, int32(testLock)+1); err != nil {
		t.Fatalf("not standard at the first height it may be mined: %v", err)
	}
	// Fee: the asked rate, never below, at most the rate of the largest
	// signature.
	fee := tk.Value - reg.Value - renewPublisher - p.DustLimit
	if vs := vsizeOf(tx); fee < renewRate*vs || fee > renewRate*(vs+1) {
		t.Fatalf("fee %d for %d vB", fee, vs)
	}
	// The stake's key alone signs it.
	other, _ := testKey(5)
	requireCode(t, SignStakeInput(tx, 0, tk, prevs, other), ErrInvalidArgument)
}

// TestRenewCold renews a cold-owner stake through a PSBT: the node builds
// it, the owner's wallet signs it with btcd's psbt package, the node
// finalizes and checks it, and the script engine accepts it.
func TestRenewCold(t *testing.T) {
	p := testParams()
	tk, owner := coldTicket(t)
	tx, err := BuildRenewal(p, tk, renewLock, renewPublisher, renewRate)
	if err != nil {
		t.Fatal(err)
	}
	packet, err := StakeSpendPSBT(tx, tk)
	if err != nil {
		t.Fatal(err)
	}
	in := packet.Inputs[0]
	if in.WitnessUtxo == nil || !bytes.Equal(in.WitnessScript, mustScript(tk.StakeWitnessScript())) ||
		packet.UnsignedTx.LockTime != testLock ||
		packet.UnsignedTx.TxIn[0].Sequence != WithdrawalSequence {
		t.Fatalf("PSBT input %+v", in)
	}
	// The node's hot key cannot sign it.
	hot, _ := testKey(1)
	if _, err := FinalizeStakeSpend(outsideSign(t, packet, hot), tk); !IsErrorCode(err, ErrInvalidArgument) {
		t.Fatalf("finalized with the hot key's signature: %v", err)
	}
	signed, err := FinalizeStakeSpend(outsideSign(t, packet, owner), tk)
	if err != nil {
		t.Fatal(err)
	}
	if err := verifyStakeSpend(t, tk, signed); err != nil {
		t.Fatal(err)
	}
	reg, err := CheckRenewal(p, signed, tk, renewConf, renewPublisher, renewRate)
	if err != nil {
		t.Fatal(err)
	}
	if !reg.Cold || reg.OwnerKeyHash != tk.OwnerKeyHash || !reg.PubKey.IsEqual(tk.PubKey) {
		t.Fatalf("renewed registration %+v", reg)
	}
	// A PSBT the owner's wallet finalized itself is taken as it is.
	fin := outsideSign(t, packet, owner)
	fin.Inputs[0].FinalScriptWitness = witnessBytes(t, signed.TxIn[0].Witness)
	fin.Inputs[0].PartialSigs = nil
	again, err := FinalizeStakeSpend(fin, tk)
	if err != nil || again.TxHash() != signed.TxHash() || verifyStakeSpend(t, tk, again) != nil {
		t.Fatalf("finalized PSBT: %v", err)
	}
}

// witnessBytes serializes a witness stack as a PSBT's final script
// witness.
func witnessBytes(t *testing.T, w wire.TxWitness) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := psbt.WriteTxWitness(&buf, w); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestRenewalPaysElsewhere: a renewal given back that pays anywhere but a
// new stake of the same owner is refused, each with its code.
func TestRenewalPaysElsewhere(t *testing.T) {
	_, thief := testKey(6)
	thiefScript := mustScript(PublisherScript(thief))
	tests := []struct {
		name   string
		mutate func(tx *wire.MsgTx, tk *Ticket, p *chainparams.Params)
		code   ErrorCode
	}{
		{"stake to another owner", func(tx *wire.MsgTx, tk *Ticket, p *chainparams.Params) {
			h := OwnerKeyHash(thief)
			rebuilt, err := buildRegistration(p, tx.TxOut[1].Value, renewLock, tk.PubKey, &h, renewPublisher)
			if err != nil {
				t.Fatal(err)
			}
			tx.TxOut = rebuilt.TxOut
		}, ErrRenewal},
		{"stake script to another owner only", func(tx *wire.MsgTx, tk *Ticket, p *chainparams.Params) {
			tx.TxOut[1].PkScript = mustScript(ColdStakePkScript(renewLock, OwnerKeyHash(thief)))
		}, ErrColdStakeScript},
		{"siphoned to an extra output", func(tx *wire.MsgTx, tk *Ticket, p *chainparams.Params) {
			tx.TxOut[1].Value -= 1_000_000
			tx.AddTxOut(wire.NewTxOut(1_000_000, thiefScript))
		}, ErrRenewal},
		{"siphoned into the publisher output", func(tx *wire.MsgTx, tk *Ticket, p *chainparams.Params) {
			tx.TxOut[1].Value -= 1_000_000
			tx.TxOut[2].Value += 1_000_000
		}, ErrRenewal},
		{"siphoned into the registry", func(tx *wire.MsgTx, tk *Ticket, p *chainparams.Params) {
			tx.TxOut[1].Value -= 1_000_000
			tx.TxOut[3].Value += 1_000_000
		}, ErrRenewal},
		{"burnt in several registry outputs", func(tx *wire.MsgTx, tk *Ticket, p *chainparams.Params) {
			tx.TxOut[1].Value -= 2 * p.DustLimit
			tx.AddTxOut(wire.NewTxOut(p.DustLimit, tx.TxOut[3].PkScript))
			tx.AddTxOut(wire.NewTxOut(p.DustLimit, tx.TxOut[3].PkScript))
		}, ErrRenewal},
		{"final sequence", func(tx *wire.MsgTx, tk *Ticket, p *chainparams.Params) {
			tx.TxIn[0].Sequence = wire.MaxTxInSequenceNum
		}, ErrRenewal},
		{"lock time below the stake's", func(tx *wire.MsgTx, tk *Ticket, p *chainparams.Params) {
			tx.LockTime = tk.LockHeight - 1
		}, ErrRenewal},
		{"lock time a time", func(tx *wire.MsgTx, tk *Ticket, p *chainparams.Params) {
			tx.LockTime = MaxLockHeight + 5
		}, ErrRenewal},
		{"siphoned to the fee", func(tx *wire.MsgTx, tk *Ticket, p *chainparams.Params) {
			tx.TxOut[1].Value -= 1_000_000
		}, ErrRenewal},
		{"more out than in", func(tx *wire.MsgTx, tk *Ticket, p *chainparams.Params) {
			tx.TxOut[1].Value += 1_000_000
		}, ErrRenewal},
		{"another input", func(tx *wire.MsgTx, tk *Ticket, p *chainparams.Params) {
			tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Index: 5}, nil, nil))
		}, ErrRenewal},
		{"another stake", func(tx *wire.MsgTx, tk *Ticket, p *chainparams.Params) {
			tx.TxIn[0].PreviousOutPoint.Index++
		}, ErrRenewal},
		{"no registration", func(tx *wire.MsgTx, tk *Ticket, p *chainparams.Params) {
			tx.TxOut = []*wire.TxOut{wire.NewTxOut(tx.TxOut[1].Value, thiefScript)}
		}, ErrNoPayload},
		{"lock too soon", func(tx *wire.MsgTx, tk *Ticket, p *chainparams.Params) {
			p.MinStakeLock = renewLock - renewConf + 1
		}, ErrLockTooSoon},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			p := testParams()
			tk, _ := coldTicket(t)
			tx, err := BuildRenewal(p, tk, renewLock, renewPublisher, renewRate)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := CheckRenewal(p, tx, tk, renewConf, renewPublisher, renewRate); err != nil {
				t.Fatalf("unchanged: %v", err)
			}
			test.mutate(tx, tk, p)
			reg, err := CheckRenewal(p, tx, tk, renewConf, renewPublisher, renewRate)
			if reg != nil {
				t.Fatalf("accepted %+v", reg)
			}
			requireCode(t, err, test.code)
		})
	}
	// A plain stake cannot be renewed into the cold form, nor the other
	// way round: the owner stays the owner.
	p := testParams()
	plain, _ := stakeTicket(t, renewValue, testLock)
	_, plain.PubKey = testKey(1)
	cold, _ := coldTicket(t)
	tx, err := BuildRenewal(p, cold, renewLock, renewPublisher, renewRate)
	if err != nil {
		t.Fatal(err)
	}
	plain.Stake = cold.Stake
	_, err = CheckRenewal(p, tx, plain, renewConf, renewPublisher, renewRate)
	requireCode(t, err, ErrRenewal)
}

// TestColdWithdrawalPSBT: a cold stake's withdrawal is a PSBT with the
// CLTV lock time and a non-final sequence, which the owner's key signs
// and the node's keys cannot.
func TestColdWithdrawalPSBT(t *testing.T) {
	tk, owner := coldTicket(t)
	dest := p2wpkhScript(t)
	hot, _ := testKey(1)
	if _, err := BuildStakeWithdrawal(tk, dest, 2, hot); !IsErrorCode(err, ErrInvalidArgument) {
		t.Fatalf("withdrawal signed by the hot key: %v", err)
	}
	packet, err := BuildStakeWithdrawalPSBT(tk, dest, 2)
	if err != nil {
		t.Fatal(err)
	}
	utx := packet.UnsignedTx
	if utx.LockTime != tk.LockHeight || utx.TxIn[0].Sequence != WithdrawalSequence ||
		len(utx.TxOut) != 1 || !bytes.Equal(utx.TxOut[0].PkScript, dest) {
		t.Fatalf("withdrawal %+v", utx)
	}
	tx, err := FinalizeStakeSpend(outsideSign(t, packet, owner), tk)
	if err != nil {
		t.Fatal(err)
	}
	if err := verifyStakeSpend(t, tk, tx); err != nil {
		t.Fatal(err)
	}
	fee := tk.Value - tx.TxOut[0].Value
	if vs := vsizeOf(tx); fee < 2*vs || fee > 2*(vs+1) {
		t.Fatalf("fee %d for %d vB", fee, vs)
	}
	// The same withdrawal signed directly with the owner's key.
	direct, err := BuildStakeWithdrawal(tk, dest, 2, owner)
	if err != nil {
		t.Fatal(err)
	}
	if err := verifyStakeSpend(t, tk, direct); err != nil {
		t.Fatal(err)
	}
}

// vsizeOf returns tx's virtual size.
func vsizeOf(tx *wire.MsgTx) int64 {
	w := blockchain.GetTransactionWeight(btcutil.NewTx(tx))
	return (w + blockchain.WitnessScaleFactor - 1) / blockchain.WitnessScaleFactor
}
