package mainstake

import (
	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/mempool"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// WithdrawalSequence is the nSequence of a withdrawal's input: not final
// (CHECKLOCKTIMEVERIFY fails on an input whose nSequence is 0xffffffff, and
// the transaction's nLockTime is only enforced when some input is not
// final), with the BIP68 disable bit set so that no relative lock applies.
const WithdrawalSequence uint32 = wire.MaxTxInSequenceNum - 1

// maxSigLen is the largest DER signature btcec makes, with its sighash
// byte: 0x30 len 0x02 len r(≤33) 0x02 len s(≤32, low S) hashtype.
const maxSigLen = 72

// StakeSpendable reports whether a withdrawal of t's stake can be mined in
// the next mainchain block when the tip is at tipHeight.
//
// A withdrawal has nLockTime = t.LockHeight, which satisfies the stake
// script's CHECKLOCKTIMEVERIFY (it needs nLockTime ≥ the lock). Consensus
// finality then allows the transaction in a block of height H only when
// nLockTime < H (blockchain.IsFinalizedTransaction). So the first block
// that can hold a withdrawal is at height t.LockHeight + 1, and the
// mempool, which checks finality for the next block, accepts it once the
// tip is at t.LockHeight: tipHeight + 1 > t.LockHeight.
func StakeSpendable(t *Ticket, tipHeight int32) bool {
	if t == nil {
		return false
	}
	return int64(tipHeight)+1 > int64(t.LockHeight)
}

// FirstWithdrawalHeight is the height of the first mainchain block that can
// hold a withdrawal of a stake locked until lockHeight: lockHeight + 1
// (see StakeSpendable).
func FirstWithdrawalHeight(lockHeight uint32) int64 {
	return int64(lockHeight) + 1
}

// BuildStakeWithdrawal builds and signs the transaction that spends ticket
// t's stake back to the owner after its lock height:
//
//   - version 2, nLockTime = t.LockHeight;
//   - one input spending t.Stake, nSequence WithdrawalSequence, witness
//     <signature> <t.StakeWitnessScript()> (plain form) or <signature>
//     <owner pubkey> <t.StakeWitnessScript()> (cold-owner form) with a
//     BIP143 SigHashAll signature over that witness script by priv;
//   - one output paying t.Value − fee to dest, an output script.
//
// The fee is feeRate sat/vbyte of the signed transaction, counted with the
// largest signature so that the rate never falls below feeRate. The
// transaction can be mined from height FirstWithdrawalHeight(t.LockHeight)
// on (StakeSpendable); BuildStakeWithdrawal does not check the tip.
//
// It fails with ErrInvalidArgument for a nil ticket, key or destination, a
// fee rate below 1, or a key that cannot spend the stake (OwnedBy), with
// ErrLockNotHeight for a lock that is not a block height, and with
// ErrWithdrawalDust when the stake cannot pay the fee and leave an output
// above btcd's dust limit for dest.
func BuildStakeWithdrawal(t *Ticket, dest []byte, feeRate int64,
	priv *btcec.PrivateKey) (*wire.MsgTx, error) {

	if t == nil || t.PubKey == nil || priv == nil || len(dest) == 0 {
		return nil, ruleError(ErrInvalidArgument, "nil ticket, key or destination")
	}
	if feeRate < 1 {
		return nil, ruleErrorf(ErrInvalidArgument, "fee rate %d below 1 sat/vB", feeRate)
	}
	if !t.OwnedBy(priv.PubKey()) {
		return nil, ruleError(ErrInvalidArgument, "the key is not the ticket's")
	}
	witnessScript, err := t.StakeWitnessScript()
	if err != nil {
		return nil, err
	}
	// A fee rate above the stake's value cannot be paid by any
	// transaction; refusing it here also keeps feeRate × vsize far from
	// overflowing.
	if t.Value <= 0 || feeRate > t.Value {
		return nil, ruleErrorf(ErrWithdrawalDust, "a stake of %d sat cannot "+
			"pay %d sat/vB", t.Value, feeRate)
	}

	// The transaction's size does not depend on the fee (an output value
	// is 8 bytes whatever it is), so size it once with a zero fee.
	tx := withdrawalTx(t, dest, t.LockHeight, 0)
	if err := signStakeSpend(tx, t, witnessScript, priv); err != nil {
		return nil, err
	}
	weight := blockchain.GetTransactionWeight(btcutil.NewTx(tx)) +
		int64(maxSigLen-len(tx.TxIn[0].Witness[0]))
	vsize := (weight + blockchain.WitnessScaleFactor - 1) / blockchain.WitnessScaleFactor
	fee := feeRate * vsize

	tx.TxOut[0].Value = t.Value - fee
	if tx.TxOut[0].Value <= 0 || mempool.IsDust(tx.TxOut[0], mempool.DefaultMinRelayTxFee) {
		return nil, ruleErrorf(ErrWithdrawalDust, "a stake of %d sat cannot pay "+
			"a %d sat fee and leave an output above the dust limit", t.Value, fee)
	}
	if err := signStakeSpend(tx, t, witnessScript, priv); err != nil {
		return nil, err
	}
	return tx, nil
}

// withdrawalTx returns the unsigned withdrawal of t with the given lock
// time and fee.
func withdrawalTx(t *Ticket, dest []byte, lockTime uint32, fee int64) *wire.MsgTx {
	tx := wire.NewMsgTx(2)
	tx.LockTime = lockTime
	in := wire.NewTxIn(&t.Stake, nil, nil)
	in.Sequence = WithdrawalSequence
	tx.AddTxIn(in)
	tx.AddTxOut(wire.NewTxOut(t.Value-fee, append([]byte(nil), dest...)))
	return tx
}

// signStakeSpend sets the witness of input 0 of tx, which spends t's stake:
// <BIP143 SigHashAll signature> [<owner pubkey>] <witnessScript>.
func signStakeSpend(tx *wire.MsgTx, t *Ticket, witnessScript []byte,
	priv *btcec.PrivateKey) error {

	pkScript, err := t.StakePkScript()
	if err != nil {
		return err
	}
	fetcher := txscript.NewCannedPrevOutputFetcher(pkScript, t.Value)
	sig, err := txscript.RawTxInWitnessSignature(tx, txscript.NewTxSigHashes(tx, fetcher),
		0, t.Value, witnessScript, txscript.SigHashAll, priv)
	if err != nil {
		return wrapError(ErrInvalidArgument, "sign the stake spend", err)
	}
	tx.TxIn[0].Witness = StakeWitness(&t.Registration, sig,
		priv.PubKey().SerializeCompressed(), witnessScript)
	return nil
}

// StakeWitness returns the witness that spends r's stake with sig, a
// signature with its sighash byte by the key pub (compressed):
// <sig> <witnessScript> in the plain form, <sig> <pub> <witnessScript> in
// the cold-owner form.
func StakeWitness(r *Registration, sig, pub, witnessScript []byte) wire.TxWitness {
	if r.Cold {
		return wire.TxWitness{sig, pub, witnessScript}
	}
	return wire.TxWitness{sig, witnessScript}
}

// BuildStakeWithdrawalPSBT returns the withdrawal BuildStakeWithdrawal
// would build, unsigned, as a PSBT for the wallet that holds the stake's
// owner key (StakeSpendPSBT): the way to withdraw a stake of the
// cold-owner form, whose key the node never holds. nLockTime is
// t.LockHeight and input 0's nSequence WithdrawalSequence; the fee is
// feeRate sat/vB of the transaction with the largest witness the owner can
// make. It fails as BuildStakeWithdrawal does, without the key checks.
func BuildStakeWithdrawalPSBT(t *Ticket, dest []byte, feeRate int64) (*psbt.Packet, error) {
	if t == nil || t.PubKey == nil || len(dest) == 0 {
		return nil, ruleError(ErrInvalidArgument, "nil ticket or destination")
	}
	if feeRate < 1 {
		return nil, ruleErrorf(ErrInvalidArgument, "fee rate %d below 1 sat/vB", feeRate)
	}
	if t.Value <= 0 || feeRate > t.Value {
		return nil, ruleErrorf(ErrWithdrawalDust, "a stake of %d sat cannot "+
			"pay %d sat/vB", t.Value, feeRate)
	}
	tx := withdrawalTx(t, dest, t.LockHeight, 0)
	vsize, err := stakeSpendVSize(tx, t)
	if err != nil {
		return nil, err
	}
	fee := feeRate * vsize
	tx.TxOut[0].Value = t.Value - fee
	if tx.TxOut[0].Value <= 0 || mempool.IsDust(tx.TxOut[0], mempool.DefaultMinRelayTxFee) {
		return nil, ruleErrorf(ErrWithdrawalDust, "a stake of %d sat cannot pay "+
			"a %d sat fee and leave an output above the dust limit", t.Value, fee)
	}
	return StakeSpendPSBT(tx, t)
}
