package withdraw

import (
	"bytes"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/opreturn"
	"github.com/mainstake/sidenode/sideblock"
)

// Proof proves one withdrawal of a sideblock: the leaf and its branch in
// the block's withdrawal tree.
type Proof struct {
	Withdrawal sideblock.Withdrawal
	Branch     sideblock.MerkleBranch
}

// Evidence is what a payout is checked against: the sideblock header as it
// was published on the mainchain, the block's transaction root, and one
// proof per withdrawal of the block, in order.
type Evidence struct {
	Header sideblock.Header
	TxRoot chainhash.Hash
	Proofs []Proof
}

// VerifyPayout checks that tx pays exactly the withdrawals of the
// sideblock whose published header ev holds: output 0 is the 'W' OP_RETURN
// naming that block, output i+1 pays withdrawal i its value less its fee
// budget to its destination, and at most one more output returns change to
// a script isPegbox accepts. Each withdrawal must be proven against the
// header's merkle root. It returns nil or a *RuleError saying what is wrong.
//
// It does not look at the inputs: that they spend pegbox coins, and so the
// fee, are for the caller, who has the mainchain.
func VerifyPayout(tx *wire.MsgTx, sidechainID uint32, ev *Evidence,
	isPegbox func(pkScript []byte) bool) error {

	vout, payload, err := opreturn.FindInTx(tx, sidechainID)
	if err != nil {
		return ruleErrorf(ErrNotPayout, "not a payout: %v", err)
	}
	w, ok := payload.(*opreturn.Payout)
	if !ok || vout != 0 {
		return ruleErrorf(ErrNotPayout, "output %d carries a %v payload; a "+
			"payout carries 'W' in output 0", vout, payload.Kind())
	}
	if want := ev.Header.BlockHash(); w.SideBlock != want {
		return ruleErrorf(ErrWrongSideBlock, "payout names sideblock %v; the "+
			"evidence is for %v", w.SideBlock, want)
	}

	n := len(ev.Proofs)
	if n == 0 {
		return ruleErrorf(ErrIncompleteProofs, "no withdrawal proofs")
	}
	for i := range ev.Proofs {
		leaf := &ev.Proofs[i].Withdrawal
		if leaf.Index != uint32(i) || leaf.Count != uint32(n) {
			return ruleErrorf(ErrIncompleteProofs, "proof %d is for withdrawal "+
				"%d of %d; the evidence holds %d proofs", i, leaf.Index, leaf.Count, n)
		}
		err := sideblock.VerifyWithdrawal(ev.Proofs[i].Branch, leaf, ev.TxRoot,
			ev.Header.MerkleRoot)
		if err != nil {
			return ruleErrorf(ErrBadProof, "withdrawal %d: %v", i, err)
		}
	}

	if len(tx.TxOut) < n+1 {
		return ruleErrorf(ErrMissingOutput, "payout has %d outputs for %d "+
			"withdrawals", len(tx.TxOut)-1, n)
	}
	for i := range ev.Proofs {
		leaf := &ev.Proofs[i].Withdrawal
		out := tx.TxOut[i+1]
		if out.Value != leaf.Amount() {
			return ruleErrorf(ErrWrongAmount, "output %d pays %d sat; withdrawal "+
				"%d asks %d sat (%d less a fee budget of %d)", i+1, out.Value, i,
				leaf.Amount(), leaf.Value, leaf.Fee)
		}
		if !bytes.Equal(out.PkScript, leaf.PkScript) {
			return ruleErrorf(ErrWrongScript, "output %d pays %x; withdrawal %d "+
				"asks for %x", i+1, out.PkScript, i, leaf.PkScript)
		}
	}
	switch extra := tx.TxOut[n+1:]; {
	case len(extra) > 1:
		return ruleErrorf(ErrExtraOutput, "payout has %d outputs after the "+
			"withdrawals; at most one change output", len(extra))
	case len(extra) == 1 && !isPegbox(extra[0].PkScript):
		return ruleErrorf(ErrExtraOutput, "output %d pays %x, which is no "+
			"pegbox", n+1, extra[0].PkScript)
	}
	return nil
}
