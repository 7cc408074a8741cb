package round

import (
	"github.com/btcsuite/btcd/wire"
	"github.com/mainstake/sidenode/notarize"
	"github.com/mainstake/sidenode/psbtsign"
)

// Split keeps a notary's outputs split, so that it always has one to offer
// a round while the change of its last notarization is unconfirmed. When
// the wallet holds fewer than k outputs to the notary key pub's P2WPKH
// script worth at least unit (a round's input value: MinInputValue, with a
// margin for a higher fee rate), Split returns a transaction, signed
// through the wallet's key with psbtsign, that spends the wallet's largest
// such output (ties: the lowest outpoint) into outputs of exactly unit to
// the same script, as many as bring the count to k, and its change back to
// the script when that is at least MinChange (otherwise the change goes to
// the fee). It pays feeRate satoshis per virtual byte. With k outputs
// already, it returns nil.
//
// A largest output that cannot pay for one more usable output than it
// takes away is ErrCannotSplit; one that can pay for some but not all is
// split as far as it goes. The caller broadcasts the transaction.
func Split(w Wallet, pub [33]byte, unit int64, k int, feeRate int64) (*wire.MsgTx, error) {
	key, ok := w.NotaryKey(pub)
	if !ok {
		return nil, ruleErrorf(ErrCannotSplit, "the wallet does not hold notary "+
			"key %x", pub)
	}
	script := notarize.NotaryScript(pub)
	outs, err := w.Unspent(script)
	if err != nil {
		return nil, err
	}
	have := 0
	var big *Output
	for i := range outs {
		o := &outs[i]
		if o.Value >= unit {
			have++
		}
		if big == nil || o.Value > big.Value || (o.Value == big.Value &&
			lessOutPoint(o.OutPoint, big.OutPoint)) {
			big = o
		}
	}
	if have >= k {
		return nil, nil
	}
	if big == nil {
		return nil, ruleErrorf(ErrCannotSplit, "the wallet has no output to "+
			"notary key %x", pub)
	}
	lost := 0 // usable outputs the split spends
	if big.Value >= unit {
		lost = 1
	}
	for m := k - have + lost; m > lost; m-- {
		tx := wire.NewMsgTx(2)
		op := big.OutPoint
		tx.AddTxIn(wire.NewTxIn(&op, nil, nil))
		for i := 0; i < m; i++ {
			tx.AddTxOut(wire.NewTxOut(unit, script))
		}
		tx.AddTxOut(wire.NewTxOut(0, script))
		change := big.Value - int64(m)*unit - feeOf(tx, feeRate)
		if change < MinChange {
			tx.TxOut = tx.TxOut[:m]
			if big.Value-int64(m)*unit-feeOf(tx, feeRate) < 0 {
				continue
			}
		} else {
			tx.TxOut[m].Value = change
		}
		s, err := psbtsign.New(tx, []psbtsign.Input{{
			Prev: wire.NewTxOut(big.Value, script), Signers: [][]byte{pub[:]}, Need: 1}})
		if err != nil {
			return nil, err
		}
		if _, err := s.Sign(key); err != nil {
			return nil, err
		}
		signed, _, err := s.Complete()
		return signed, err
	}
	return nil, ruleErrorf(ErrCannotSplit, "the largest output of notary key "+
		"%x, %d sat, cannot pay for another output of %d sat at %d sat/vB",
		pub, big.Value, unit, feeRate)
}
