package pegbox

import (
	"bytes"

	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/opreturn"
)

// Deposit is a mainchain output that pays a pegbox and names the sidechain
// script to credit.
type Deposit struct {
	OutPoint   wire.OutPoint
	Value      int64
	PkScript   []byte // the pegbox script the output pays
	SideScript []byte // the sidechain scriptPubKey to mint to
}

// Pegboxes tells which mainchain scripts are pegboxes that accept deposits
// at a height: the current epoch's and those still in their grace period.
type Pegboxes interface {
	IsPegbox(pkScript []byte) bool
}

// ScriptSet is a Pegboxes of fixed scripts.
type ScriptSet [][]byte

// IsPegbox implements Pegboxes.
func (s ScriptSet) IsPegbox(pkScript []byte) bool {
	for _, p := range s {
		if bytes.Equal(p, pkScript) {
			return true
		}
	}
	return false
}

// ParseDeposit recognises a deposit: tx's one OP_RETURN carries a 'D'
// payload for sidechainID whose deposit vout names a pegbox output of at
// least dust satoshis, and whose sidechain script is one the sidechain can
// spend.
//
// The error says why a transaction is not a deposit. ErrNoDeposit means it
// neither carries a 'D' payload nor pays a pegbox, or it is the
// federation's own payout or rotation: it is no business of the deposit
// rules. Every other error is a failed deposit that the node reports and
// never mints: a 'D' payload that does not parse or names a bad output
// (ErrBadDepositVout), an output that pays no pegbox (ErrNotPegbox), dust
// (ErrDepositDust), a sidechain script that cannot be spent
// (ErrBadSideScript), and a transaction that pays a pegbox with a broken or
// missing 'D' payload (ErrManyDeposits for several OP_RETURNs, or the
// opreturn package's error).
func ParseDeposit(tx *wire.MsgTx, sidechainID uint32, pegboxes Pegboxes,
	dust int64) (*Deposit, error) {

	paysPegbox := false
	for _, out := range tx.TxOut {
		if pegboxes.IsPegbox(out.PkScript) {
			paysPegbox = true
			break
		}
	}
	vout, payload, err := opreturn.FindInTx(tx, sidechainID)
	if err != nil {
		switch {
		case !paysPegbox:
			return nil, ruleErrorf(ErrNoDeposit, "not a deposit: %v", err)
		case opreturn.IsErrorCode(err, opreturn.ErrMultipleOpReturn):
			return nil, ruleErrorf(ErrManyDeposits, "pays a pegbox with "+
				"several OP_RETURN outputs: %v", err)
		}
		return nil, err
	}
	d, ok := payload.(*opreturn.Deposit)
	if !ok {
		switch payload.(type) {
		case *opreturn.Payout, *opreturn.Rotation:
			// The federation's own transactions pay change to the
			// pegbox.
			return nil, ruleErrorf(ErrNoDeposit, "a %v transaction, not a "+
				"deposit", payload.Kind())
		}
		if !paysPegbox {
			return nil, ruleErrorf(ErrNoDeposit, "a %v transaction, not a "+
				"deposit", payload.Kind())
		}
		return nil, ruleErrorf(ErrNoDeposit, "pays a pegbox but carries a "+
			"%v payload instead of a deposit", payload.Kind())
	}
	if int(d.Vout) >= len(tx.TxOut) || int(d.Vout) == vout {
		return nil, ruleErrorf(ErrBadDepositVout, "deposit vout %d names no "+
			"paying output of a transaction with %d outputs", d.Vout, len(tx.TxOut))
	}
	out := tx.TxOut[d.Vout]
	dep := &Deposit{
		OutPoint:   wire.OutPoint{Hash: tx.TxHash(), Index: uint32(d.Vout)},
		Value:      out.Value,
		PkScript:   out.PkScript,
		SideScript: d.SideScript,
	}
	if !pegboxes.IsPegbox(out.PkScript) {
		return dep, ruleErrorf(ErrNotPegbox, "deposit output %v pays %x, "+
			"which is no current or grace-period pegbox", dep.OutPoint, out.PkScript)
	}
	if out.Value < dust {
		return dep, ruleErrorf(ErrDepositDust, "deposit output %v of %d sat "+
			"is below the dust limit of %d sat", dep.OutPoint, out.Value, dust)
	}
	switch txscript.GetScriptClass(d.SideScript) {
	case txscript.PubKeyHashTy, txscript.ScriptHashTy, txscript.WitnessV0PubKeyHashTy,
		txscript.WitnessV0ScriptHashTy, txscript.WitnessV1TaprootTy:
	default:
		return dep, ruleErrorf(ErrBadSideScript, "deposit %v names sidechain "+
			"script %x, which is not a P2PKH, P2SH, P2WPKH, P2WSH or P2TR "+
			"script", dep.OutPoint, d.SideScript)
	}
	return dep, nil
}
