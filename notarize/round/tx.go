package round

import (
	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/wire"
	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/notarize"
)

// MinChange is the least change, in satoshis, a round's transaction pays
// back to each notary: well above the dust limit of a P2WPKH output (294
// satoshis at the default relay fee), so that no output makes the
// transaction non-standard.
const MinChange = 1000

// Dummy witness sizes used to size a transaction before it is signed: the
// longest DER signature with its sighash byte, and a compressed key.
const (
	maxSigSize = 73
	pubKeySize = 33
)

// feeOf returns the fee of tx at feeRate satoshis per virtual byte, tx's
// inputs counted as signed P2WPKH spends with the longest signature. Its
// weight is btcd's.
func feeOf(tx *wire.MsgTx, feeRate int64) int64 {
	sized := tx.Copy()
	for _, in := range sized.TxIn {
		in.Witness = wire.TxWitness{make([]byte, maxSigSize), make([]byte, pubKeySize)}
	}
	w := blockchain.GetTransactionWeight(btcutil.NewTx(sized))
	vsize := (w + blockchain.WitnessScaleFactor - 1) / blockchain.WitnessScaleFactor
	return vsize * feeRate
}

// Shares returns the fee of a round's transaction with n inputs at feeRate
// and what each input pays of it, in input order: the fee split evenly,
// the first (fee mod n) inputs paying one satoshi more. The fee is feeRate
// times the transaction's virtual size with every signature counted at
// its longest (73 bytes), so the signed transaction pays at least feeRate.
func Shares(p notarize.Payload, params *chainparams.Params, n int, feeRate int64) (int64, []int64, error) {
	tx, err := skeleton(p, params, make([]notarize.NotaryUTXO, n))
	if err != nil {
		return 0, nil, err
	}
	fee := feeOf(tx, feeRate)
	shares := make([]int64, n)
	for i := range shares {
		shares[i] = fee / int64(n)
		if int64(i) < fee%int64(n) {
			shares[i]++
		}
	}
	return fee, shares, nil
}

// MinInputValue returns the least value an input of a round with the
// season's threshold of inputs at feeRate may have: the largest fee share
// and MinChange.
func MinInputValue(p notarize.Payload, params *chainparams.Params, feeRate int64) (int64, error) {
	season := &params.Notary.Seasons[p.Season]
	_, shares, err := Shares(p, params, season.Threshold, feeRate)
	if err != nil {
		return 0, err
	}
	return shares[0] + MinChange, nil
}

// skeleton returns the round's transaction for inputs with zero change:
// version 2, lock time 0, the inputs in the given order (final
// sequence), output 0 the `N` payload of p, then one change output per
// input to the input's own script.
func skeleton(p notarize.Payload, params *chainparams.Params, inputs []notarize.NotaryUTXO) (*wire.MsgTx, error) {
	script, err := notarize.EncodePayload(p, params)
	if err != nil {
		return nil, err
	}
	tx := wire.NewMsgTx(2)
	tx.AddTxOut(wire.NewTxOut(0, script))
	season := &params.Notary.Seasons[p.Season]
	for i := range inputs {
		op := inputs[i].OutPoint
		tx.AddTxIn(wire.NewTxIn(&op, nil, nil))
		k := inputs[i].Notary
		if k < 0 || k >= len(season.Pubkeys) {
			k = 0 // sizing only (Shares): every change script is 22 bytes
		}
		tx.AddTxOut(wire.NewTxOut(0, notarize.NotaryScript(season.Pubkeys[k])))
	}
	return tx, nil
}

// BuildTx returns the unsigned notarization of p spending inputs (an input
// set, in its order) at feeRate: the `N` output first, then each notary's
// change, its input's value less its fee share (Shares), in input order.
// An input that cannot pay its share and MinChange is ErrNoInput.
func BuildTx(p notarize.Payload, params *chainparams.Params, inputs []notarize.NotaryUTXO, feeRate int64) (*wire.MsgTx, error) {
	tx, err := skeleton(p, params, inputs)
	if err != nil {
		return nil, err
	}
	fee := feeOf(tx, feeRate)
	n := int64(len(inputs))
	for i, in := range inputs {
		share := fee / n
		if int64(i) < fee%n {
			share++
		}
		change := in.Value - share
		if change < MinChange {
			return nil, ruleErrorf(ErrNoInput, "notary %d's input of %d sat "+
				"cannot pay its fee share of %d sat and %d sat of change",
				in.Notary, in.Value, share, MinChange)
		}
		tx.TxOut[1+i].Value = change
	}
	return tx, nil
}
