package mainstake

import (
	"fmt"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/mempool"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/opreturn"
)

// BuildHeaderTx builds and signs the header transaction that publishes hdr
// for ticket t (design reference §5): input 0 spends the ticket's current
// publisher outpoint, output 0 is the 'H' OP_RETURN, output 1 pays the rest
// back to the owner's P2WPKH and becomes the next publisher outpoint. The fee
// is feeRate sat/vbyte of the signed transaction. priv must be the ticket's
// key. It fails with ErrPublisherExhausted when the publisher output cannot
// pay the fee and keep output 1 above the dust limit.
func BuildHeaderTx(t *Ticket, hdr *opreturn.Header, sidechainID uint32,
	feeRate int64, priv *btcec.PrivateKey) (*wire.MsgTx, error) {

	if t == nil || hdr == nil || priv == nil || feeRate < 1 {
		return nil, ruleError(ErrInvalidArgument, "nil ticket, header or key, or fee rate below 1")
	}
	if !priv.PubKey().IsEqual(t.PubKey) {
		return nil, ruleError(ErrInvalidArgument, "the key is not the ticket's")
	}
	pubKey := t.PubKey.SerializeCompressed()
	nullData, err := opreturn.Encode(sidechainID, hdr)
	if err != nil {
		return nil, err
	}
	pubScript, err := PublisherScript(t.PubKey)
	if err != nil {
		return nil, err
	}
	// A fee rate above the publisher output's value cannot be paid by any
	// header transaction; refusing it here also keeps feeRate × vsize far
	// from overflowing (a wrapped fee would pay out more than the input).
	if t.CurrentValue <= 0 || feeRate > t.CurrentValue {
		return nil, ruleError(ErrPublisherExhausted, fmt.Sprintf(
			"publisher output of %d sat cannot pay %d sat/vB", t.CurrentValue, feeRate))
	}
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(&t.Current, nil, nil))
	tx.AddTxOut(wire.NewTxOut(0, nullData))
	tx.AddTxOut(wire.NewTxOut(t.CurrentValue, pubScript))

	// Size the transaction with the largest witness it can have, so that
	// the fee rate never falls below feeRate and the key signs once.
	tx.TxIn[0].Witness = wire.TxWitness{make([]byte, maxSigLen), pubKey}
	vsize := (blockchain.GetTransactionWeight(btcutil.NewTx(tx)) + 3) / 4
	fee := feeRate * vsize
	tx.TxOut[1].Value = t.CurrentValue - fee
	if tx.TxOut[1].Value <= 0 || mempool.IsDust(tx.TxOut[1], mempool.DefaultMinRelayTxFee) {
		return nil, ruleError(ErrPublisherExhausted, fmt.Sprintf(
			"publisher output of %d sat cannot pay a %d sat fee and stay above dust",
			t.CurrentValue, fee))
	}
	fetcher := txscript.NewCannedPrevOutputFetcher(pubScript, t.CurrentValue)
	sig, err := txscript.RawTxInWitnessSignature(tx, txscript.NewTxSigHashes(tx, fetcher), 0,
		t.CurrentValue, pubScript, txscript.SigHashAll, priv)
	if err != nil {
		return nil, err
	}
	tx.TxIn[0].Witness = wire.TxWitness{sig, pubKey}
	return tx, nil
}

// HeaderInput is a further input of a header transaction: a P2WPKH coin
// that adds value to pay the fee or to top the publisher output up
// (design reference §5 allows further inputs).
type HeaderInput struct {
	OutPoint wire.OutPoint
	Prev     *wire.TxOut
}

// RBFSequence is the sequence of every input of the header transactions
// NewHeaderTx builds: it signals BIP125 replaceability, so that the
// producer can replace its header transaction by one with a higher fee
// while the next block has not come.
const RBFSequence = wire.MaxTxInSequenceNum - 2

// HeaderTxVSize returns the virtual size of a header transaction with
// extra further P2WPKH inputs, every input carrying the largest signature
// it can have; a fee computed on it never pays less than its rate.
func HeaderTxVSize(extra int) int64 {
	tx := wire.NewMsgTx(2)
	pk := make([]byte, 33)
	for i := 0; i <= extra; i++ {
		tx.AddTxIn(&wire.TxIn{Witness: wire.TxWitness{make([]byte, maxSigLen), pk}})
	}
	// Every 'H' payload has the same length, whatever the sidechain.
	nullData, err := opreturn.Encode(1, &opreturn.Header{})
	if err != nil {
		panic(err) // a fixed, valid payload
	}
	tx.AddTxOut(wire.NewTxOut(0, nullData))
	tx.AddTxOut(wire.NewTxOut(0, make([]byte, 22)))
	return (blockchain.GetTransactionWeight(btcutil.NewTx(tx)) + 3) / 4
}

// ChangeOutputVSize is the virtual size a P2WPKH change output adds to a
// header transaction.
const ChangeOutputVSize = 31

// NewHeaderTx builds the unsigned header transaction that publishes hdr for
// ticket t (design reference §5): input 0 spends the ticket's current
// publisher outpoint, inputs 1… spend extra, output 0 is the 'H'
// OP_RETURN, and output 1 pays the owner's P2WPKH everything the inputs
// hold less fee sat and less change, if set, which is output 2 (the
// wallet's change from the further inputs); output 1 becomes the next
// publisher outpoint. Every input
// signals BIP125 replaceability (RBFSequence). It fails with
// ErrPublisherExhausted when output 1 would be dust. Sign input 0 with
// SignHeaderInput and the extra inputs with their owner's keys, in any
// order, once the transaction is complete.
func NewHeaderTx(t *Ticket, hdr *opreturn.Header, sidechainID uint32,
	extra []HeaderInput, fee int64, change *wire.TxOut) (*wire.MsgTx, error) {

	if t == nil || hdr == nil || fee < 0 {
		return nil, ruleError(ErrInvalidArgument, "nil ticket or header, or a negative fee")
	}
	nullData, err := opreturn.Encode(sidechainID, hdr)
	if err != nil {
		return nil, err
	}
	pubScript, err := PublisherScript(t.PubKey)
	if err != nil {
		return nil, err
	}
	if t.CurrentValue <= 0 || t.CurrentValue > btcutil.MaxSatoshi {
		return nil, ruleError(ErrPublisherExhausted, fmt.Sprintf(
			"publisher output holds %d sat", t.CurrentValue))
	}
	have := t.CurrentValue
	tx := wire.NewMsgTx(2)
	in := wire.NewTxIn(&t.Current, nil, nil)
	in.Sequence = RBFSequence
	tx.AddTxIn(in)
	for _, e := range extra {
		if e.Prev == nil || e.Prev.Value <= 0 || e.Prev.Value > btcutil.MaxSatoshi ||
			have > btcutil.MaxSatoshi-e.Prev.Value {
			return nil, ruleError(ErrInvalidArgument, fmt.Sprintf(
				"further input %v has no value or too much", e.OutPoint))
		}
		have += e.Prev.Value
		in := wire.NewTxIn(&e.OutPoint, nil, nil)
		in.Sequence = RBFSequence
		tx.AddTxIn(in)
	}
	tx.AddTxOut(wire.NewTxOut(0, nullData))
	out := wire.NewTxOut(have-fee, pubScript)
	tx.AddTxOut(out)
	if change != nil {
		if change.Value <= 0 || change.Value > have || mempool.IsDust(change, mempool.DefaultMinRelayTxFee) {
			return nil, ruleError(ErrInvalidArgument, fmt.Sprintf(
				"change of %d sat is dust or more than the inputs", change.Value))
		}
		out.Value -= change.Value
		tx.AddTxOut(change)
	}
	if out.Value <= 0 || mempool.IsDust(out, mempool.DefaultMinRelayTxFee) {
		return nil, ruleError(ErrPublisherExhausted, fmt.Sprintf(
			"inputs of %d sat cannot pay a %d sat fee and keep the publisher "+
				"output above dust", have, fee))
	}
	return tx, nil
}

// HeaderPrevOuts returns the previous outputs of a header transaction
// NewHeaderTx built, for signing and checking.
func HeaderPrevOuts(t *Ticket, extra []HeaderInput) (*txscript.MultiPrevOutFetcher, error) {
	pubScript, err := PublisherScript(t.PubKey)
	if err != nil {
		return nil, err
	}
	prevs := txscript.NewMultiPrevOutFetcher(nil)
	prevs.AddPrevOut(t.Current, wire.NewTxOut(t.CurrentValue, pubScript))
	for _, e := range extra {
		prevs.AddPrevOut(e.OutPoint, e.Prev)
	}
	return prevs, nil
}

// SignHeaderInput signs input 0 of a header transaction of ticket t with
// the ticket's key; prevs gives every input's previous output.
func SignHeaderInput(tx *wire.MsgTx, t *Ticket, prevs txscript.PrevOutputFetcher,
	priv *btcec.PrivateKey) error {

	if priv == nil || !priv.PubKey().IsEqual(t.PubKey) {
		return ruleError(ErrInvalidArgument, "the key is not the ticket's")
	}
	pubScript, err := PublisherScript(t.PubKey)
	if err != nil {
		return err
	}
	sig, err := txscript.RawTxInWitnessSignature(tx, txscript.NewTxSigHashes(tx, prevs), 0,
		t.CurrentValue, pubScript, txscript.SigHashAll, priv)
	if err != nil {
		return err
	}
	tx.TxIn[0].Witness = wire.TxWitness{sig, t.PubKey.SerializeCompressed()}
	return nil
}
