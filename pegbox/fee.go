package pegbox

import (
	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
)

// SpendSequence is the sequence of every input of a pegbox spend. It
// signals replaceability (BIP125: below 0xfffffffe), so that the
// federation can replace a spend that does not confirm with one paying a
// higher fee. The spends have lock time 0, so the sequence enforces
// nothing else.
const SpendSequence = wire.MaxTxInSequenceNum - 2

// maxSigSize is the largest DER signature plus its sighash byte.
const maxSigSize = 73

// SpendVSize returns the virtual size tx will have once fed has signed
// every input: each witness carries the empty element OP_CHECKMULTISIG
// pops, Threshold signatures of the largest size, and the witness script.
// The size is an upper bound, the same for every member, so that fees
// derived from it are too.
func SpendVSize(tx *wire.MsgTx, fed *Federation, params *chaincfg.Params) (int64, error) {
	script, err := fed.WitnessScript(params)
	if err != nil {
		return 0, err
	}
	signed := tx.Copy()
	for _, in := range signed.TxIn {
		w := wire.TxWitness{nil}
		for i := 0; i < fed.Threshold; i++ {
			w = append(w, make([]byte, maxSigSize))
		}
		in.Witness = append(w, script)
	}
	weight := blockchain.GetTransactionWeight(btcutil.NewTx(signed))
	return (weight + blockchain.WitnessScaleFactor - 1) / blockchain.WitnessScaleFactor, nil
}

// BumpFee returns what a spend at a fee bump level adds to its base fee.
// The federation raises the level of a spend by one each PegBumpInterval
// blocks it waits unconfirmed (node/federation.go); level 0 is the spend as
// first built. The bump is the step times 2^level − 1, where the step is
// the larger of the base fee and twice the spend's virtual size in
// satoshis, capped at PegMaxBumpFee. So
// each level at least doubles the fee above the base, and each replacement
// adds at least 2 sat/vB of its size, more than the 1 sat/vB BIP125 asks a
// replacement to add for its own relay.
func BumpFee(p *chainparams.Params, level int, baseFee, vsize int64) int64 {
	if level <= 0 {
		return 0
	}
	step := baseFee
	if 2*vsize > step {
		step = 2 * vsize
	}
	if step <= 0 {
		return 0
	}
	bump := int64(0)
	for i := 0; i < level; i++ {
		bump = 2*bump + step // step·(2^level − 1)
		if bump >= p.PegMaxBumpFee {
			return p.PegMaxBumpFee
		}
	}
	return bump
}

// Bumped builds a pegbox spend of fed's coins at a fee bump level: build(0)
// is the spend at its base fee baseFee, and build(extra) the same spend
// paying extra more. When the coins cannot pay the bump of a level
// (ErrPegboxShort), it builds the highest level below that they can pay,
// which every member finds alike. It returns the spend and its level.
func Bumped(p *chainparams.Params, fed *Federation, level int, baseFee int64,
	build func(extra int64) (*wire.MsgTx, error)) (*wire.MsgTx, int, error) {

	tx, err := build(0)
	if err != nil || level == 0 {
		return tx, 0, err
	}
	vsize, err := SpendVSize(tx, fed, p.Main)
	if err != nil {
		return nil, 0, err
	}
	for ; level > 0; level-- {
		bumped, err := build(BumpFee(p, level, baseFee, vsize))
		if IsErrorCode(err, ErrPegboxShort) {
			continue
		}
		return bumped, level, err
	}
	return tx, 0, nil
}
