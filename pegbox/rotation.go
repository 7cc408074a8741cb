package pegbox

import (
	"bytes"

	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/opreturn"
)

// MaxRotationInputs bounds the coins one rotation moves, so that it stays
// below the standard weight limit (400,000) with a federation of
// MaxFederationSize keys; more coins take several rotations.
const MaxRotationInputs = 150

// Rotation is a built, unsigned rotation and what it spends.
type Rotation struct {
	Tx    *wire.MsgTx
	Coins []Coin // the coins it spends, in input order
	Fee   int64
}

// BuildRotation builds the rotation that moves the coins of from's pegbox
// to the pegbox of to, the federation of a later epoch, at a bump level:
// output 0 the 'R' OP_RETURN naming to's epoch, output 1 the coins' value
// less the fee to to's pegbox. The inputs are from's coins among coins, in
// SortCoins order, at most MaxRotationInputs, signalling replaceability.
// The fee is PegRotationFeeRate times the signed rotation's virtual size
// (SpendVSize), plus BumpFee at level, as much of it as leaves the output
// at least dust. Like BuildPayout, the result is a function of its
// arguments alone.
//
// It returns ErrNothingToRotate when from and to hold the same pegbox,
// when from has no coin, or when the coins are not worth the fee plus
// dust.
func BuildRotation(p *chainparams.Params, coins []Coin, from, to *Federation, level int) (*Rotation, error) {
	fromScript, err := from.PkScript(p.Main)
	if err != nil {
		return nil, err
	}
	toScript, err := to.PkScript(p.Main)
	if err != nil {
		return nil, err
	}
	if bytes.Equal(fromScript, toScript) {
		return nil, ruleErrorf(ErrNothingToRotate, "the epoch %d and %d "+
			"federations hold the same pegbox", from.Epoch, to.Epoch)
	}
	nullData, err := opreturn.Encode(p.SidechainID, &opreturn.Rotation{Epoch: to.Epoch})
	if err != nil {
		return nil, err
	}
	var spent []Coin
	for _, c := range coins {
		if bytes.Equal(c.PkScript, fromScript) {
			spent = append(spent, c)
		}
	}
	SortCoins(spent)
	if len(spent) > MaxRotationInputs {
		spent = spent[:MaxRotationInputs]
	}
	var total int64
	tx := wire.NewMsgTx(2)
	for _, c := range spent {
		in := wire.NewTxIn(&c.OutPoint, nil, nil)
		in.Sequence = SpendSequence
		tx.AddTxIn(in)
		total += c.Value
	}
	tx.AddTxOut(wire.NewTxOut(0, nullData))
	tx.AddTxOut(wire.NewTxOut(total, toScript))

	vsize, err := SpendVSize(tx, from, p.Main)
	if err != nil {
		return nil, err
	}
	base := p.PegRotationFeeRate * vsize
	fee := base + min(BumpFee(p, level, base, vsize), max(total-base-p.DustLimit, 0))
	if len(spent) == 0 || total-fee < p.DustLimit {
		return nil, ruleErrorf(ErrNothingToRotate, "the epoch %d pegbox holds "+
			"%d coins worth %d sat, not more than the rotation's fee of %d sat "+
			"plus dust", from.Epoch, len(spent), total, fee)
	}
	tx.TxOut[1].Value = total - fee
	return &Rotation{Tx: tx, Coins: spent, Fee: fee}, nil
}
