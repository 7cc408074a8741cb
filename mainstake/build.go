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
