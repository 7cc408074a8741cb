package nodeapi

import (
	"context"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/opreturn"
	"github.com/mainstake/sidenode/pegbox"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
	"github.com/mainstake/sidenode/wallet"
	"github.com/mainstake/sidenode/withdraw"
)

// The withdrawal side of the peg for the API: WalletService.PegOut pays a
// withdrawal output from the node's sidechain coins (through spendSide, as
// SendSide pays), PegService.GetWithdrawal follows it from the mempool to
// its payout, and PegService.VerifyPayout checks a payout with
// withdraw.VerifyPayout against the sideblock's published header.

// The mainchain fee budget of the withdrawals PegOut builds: node policy,
// not consensus. The federation spends the withdrawals' budgets on the
// payout's fee, so a budget too low for the payout to relay would hold up
// every withdrawal of the sideblock until fee bumping exists.
const (
	// PegOutDefaultFee is the budget of a request that gives none.
	PegOutDefaultFee = 5_000

	// pegOutMinFee is the smallest budget PegOut accepts.
	pegOutMinFee = 1_000
)

// withdrawalDest decodes a mainchain address of the node's network into
// the destination script of a withdrawal.
func (b *Adapter) withdrawalDest(field, addr string) ([]byte, error) {
	a, err := btcutil.DecodeAddress(addr, b.params.Main)
	if err != nil || !a.IsForNet(b.params.Main) {
		return nil, addressError(field, mainchainWord, addr, b.params)
	}
	script, err := txscript.PayToAddrScript(a)
	if err != nil {
		return nil, api.Errorf(api.ErrInvalidArgument, "%s %s: a withdrawal "+
			"cannot pay this kind of address", field, addr)
	}
	return script, nil
}

func (b *Adapter) PegOut(_ context.Context, req api.PegOutRequest) (*api.PegOutResult, error) {
	if err := b.pegOff(); err != nil {
		return nil, err
	}
	priv, _, own, err := b.sideKey()
	if err != nil {
		return nil, err
	}
	dest, err := b.withdrawalDest("destination_address", req.Destination)
	if err != nil {
		return nil, err
	}
	if err := checkAmount("amount_sat", req.Amount); err != nil {
		return nil, err
	}
	fee := req.Fee
	if fee == 0 {
		fee = PegOutDefaultFee
	}
	// Both at most 21M BTC: the sum cannot overflow.
	if fee > wallet.MaxAmount || req.Amount+fee > wallet.MaxAmount {
		return nil, api.Errorf(api.ErrInvalidArgument, "amount_sat %d + fee_sat %d "+
			"is above %d sat", req.Amount, fee, int64(wallet.MaxAmount))
	}
	if fee < pegOutMinFee {
		return nil, api.Errorf(api.ErrInvalidArgument, "fee_sat %d is below the "+
			"node's minimum mainchain fee budget of %d sat: the payout pays its "+
			"fee from the budgets and must relay", fee, pegOutMinFee)
	}
	// The block rule (CheckBlockSanity): value − fee, the amount, at
	// least the dust limit.
	if req.Amount < b.params.DustLimit {
		return nil, api.Errorf(api.ErrInvalidArgument, "%v: amount_sat %d is "+
			"below the dust limit of %d sat", sideblock.ErrWithdrawalBelowDust,
			req.Amount, b.params.DustLimit)
	}
	script, err := sideblock.WithdrawalScript(fee, dest)
	if err != nil {
		code, _ := sideblock.ErrorCodeOf(err)
		return nil, api.Errorf(api.ErrInvalidArgument, "%v: destination_address %s: %w",
			code, req.Destination, err)
	}
	burned := req.Amount + fee
	tx, feeRate, err := b.spendSide(priv, own, script, burned, req.FeeRate)
	if err != nil {
		return nil, err
	}
	txid := tx.TxHash()
	log.Infof("Withdrawal %v:0: %d sat to %s on the mainchain, %d sat burned "+
		"(fee budget %d), at %d sat/kB", txid, req.Amount, req.Destination, burned,
		fee, feeRate)
	return &api.PegOutResult{TxID: txid, Vout: 0, Burned: burned}, nil
}

// apiWithdrawal converts a withdrawal for the API.
func (b *Adapter) apiWithdrawal(w *sideblock.Withdrawal) api.Withdrawal {
	return api.Withdrawal{OutPoint: w.OutPoint, Value: w.Value, Fee: w.Fee,
		PkScript: w.PkScript, Address: scriptAddress(w.PkScript, b.params.Main)}
}

// txWithdrawal returns the withdrawal output of tx that q names: the one at
// q.OutPoint, or the first.
func (b *Adapter) txWithdrawal(tx *wire.MsgTx, q api.WithdrawalQuery) (api.Withdrawal, error) {
	txid := tx.TxHash()
	for vout, out := range tx.TxOut {
		if q.ByOutPoint && uint32(vout) != q.OutPoint.Index {
			continue
		}
		fee, dest, ok, err := sideblock.ParseWithdrawalScript(out.PkScript)
		if !ok || err != nil {
			continue
		}
		w := sideblock.Withdrawal{OutPoint: wire.OutPoint{Hash: txid, Index: uint32(vout)},
			Value: out.Value, Fee: fee, PkScript: dest}
		return b.apiWithdrawal(&w), nil
	}
	if q.ByOutPoint {
		return api.Withdrawal{}, api.Errorf(api.ErrNotFound, "%v is no withdrawal "+
			"output", q.OutPoint)
	}
	return api.Withdrawal{}, api.Errorf(api.ErrNotFound, "transaction %v has no "+
		"withdrawal output", txid)
}

// sideTx finds a sidechain transaction on the best chain (ct set) or in
// the mempool.
func (b *Adapter) sideTx(txid chainhash.Hash) (*wire.MsgTx, *sideblock.ConfirmedTx, error) {
	chain, pool := b.sidechain, b.pool
	// The best chain, the mempool, and the best chain again: a block may
	// take the transaction out of the mempool in between.
	for i := 0; i < 2; i++ {
		ct, ok, err := chain.ConfirmedTx(txid)
		if err != nil {
			return nil, nil, err
		}
		if ok {
			return ct.Tx, ct, nil
		}
		if i == 0 && pool != nil {
			if tx, ok := pool.Get(txid); ok {
				return tx, nil, nil
			}
		}
	}
	return nil, nil, api.Errorf(api.ErrNotFound, "transaction %v is neither in "+
		"the best sidechain nor in the mempool", txid)
}

func (b *Adapter) Withdrawal(_ context.Context, q api.WithdrawalQuery) (*api.WithdrawalStatus, error) {
	tx, ct, err := b.sideTx(q.TxID)
	if err != nil {
		return nil, err
	}
	w, err := b.txWithdrawal(tx, q)
	if err != nil {
		return nil, err
	}
	st := &api.WithdrawalStatus{Withdrawal: w, Stage: api.WithdrawalPending,
		RequiredSideDepth:     b.params.SideWithdrawalDepth,
		RequiredConfirmations: b.params.WithdrawalConfirmations}
	if ct == nil {
		return st, nil
	}

	// Its block's withdrawals, for its position and its proof.
	hash := ct.Block.Hash
	block, _, err := b.sidechain.Block(hash)
	if err != nil {
		return nil, err
	}
	if block == nil {
		return nil, api.Errorf(api.ErrUnavailable, "the body of sideblock %v "+
			"left the store; ask again", hash)
	}
	ws := sideblock.BlockWithdrawals(block.Transactions)
	i := -1
	for j := range ws {
		if ws[j].OutPoint == w.OutPoint {
			i = j
			break
		}
	}
	if i < 0 {
		return nil, fmt.Errorf("withdrawal %v is not among the withdrawals "+
			"of sideblock %v", w.OutPoint, hash)
	}
	branch, err := sideblock.WithdrawalBranch(ws, i)
	if err != nil {
		return nil, err
	}
	st.Index, st.Count, st.Branch = uint32(i), uint32(len(ws)), branch.Hashes
	st.TxRoot = sideblock.CalcTxRoot(block.Transactions)

	// Depths and the payout, in one snapshot.
	var (
		moved bool
		info  *sideblock.BlockInfo
		side  sideblock.ChainTip
		tip   int32
		pay   *pegbox.Payout
	)
	err = b.db.View(func(r store.Reader) error {
		t, err := r.Tip()
		if err != nil {
			return err
		}
		tip = t.Height
		if side, err = sideblock.ChainTipAt(r); err != nil {
			return err
		}
		var ok bool
		info, ok, err = sideblock.BlockInfoAt(r, hash)
		if err != nil {
			return err
		}
		if !ok || !info.OnBestChain {
			moved = true
			return nil
		}
		if b.pegbox != nil {
			p, ok, err := pegbox.PayoutOf(r, hash)
			if err != nil {
				return err
			}
			if ok {
				pay = p
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if moved {
		return nil, api.Errorf(api.ErrUnavailable, "sideblock %v left the best "+
			"sidechain during the request; ask again", hash)
	}
	st.SideBlock, st.SideHeight, st.MerkleRoot = hash, info.Height, info.MerkleRoot
	st.SideDepth = side.Height - info.Height + 1
	st.PubHeight, st.PubConfirmations = info.PubHeight, tip-info.PubHeight+1
	switch {
	case pay != nil:
		st.Stage = api.WithdrawalPaid
		st.PayoutTxID, st.PayoutHeight = pay.TxID, pay.Height
		st.PayoutConfirmations = tip - pay.Height + 1
	case pegbox.PayoutAllowed(b.params, st.SideDepth, st.PubConfirmations, 0, 0) == nil:
		st.Stage = api.WithdrawalPayable
	default:
		st.Stage = api.WithdrawalIncluded
	}
	return st, nil
}

// invalid marks a check as failed by rule code, with msg saying why.
func invalid(c *api.PayoutCheck, code withdraw.ErrorCode, msg string) *api.PayoutCheck {
	c.Valid, c.Code, c.Message = false, code.String(), msg
	return c
}

func (b *Adapter) VerifyPayout(_ context.Context, q api.PayoutQuery) (*api.PayoutCheck, error) {
	x, err := b.pegIndex()
	if err != nil {
		return nil, err
	}
	tx := q.Tx
	txid := q.TxID
	if tx != nil {
		txid = tx.TxHash()
	}
	var (
		rec  *pegbox.Payout
		seen bool
		tip  int32
	)
	err = b.db.View(func(r store.Reader) error {
		t, err := r.Tip()
		if err != nil {
			return err
		}
		tip = t.Height
		rec, seen, err = pegbox.PayoutByTx(r, txid)
		return err
	})
	if err != nil {
		return nil, err
	}
	if tx == nil {
		switch {
		case !seen:
			return nil, api.Errorf(api.ErrNotFound, "the node saw no payout %v "+
				"mined; pass the transaction as raw_tx_hex to check it", txid)
		case rec.Tx == nil:
			return nil, api.Errorf(api.ErrFailedPrecondition, "the node's record "+
				"of payout %v predates keeping the transaction; pass it as "+
				"raw_tx_hex", txid)
		}
		tx = rec.Tx
	}
	out := &api.PayoutCheck{TxID: txid, Seen: seen}
	if seen {
		out.Height, out.Confirmations = rec.Height, tip-rec.Height+1
	}

	// The sideblock the 'W' payload names. Without one, VerifyPayout
	// says why from the transaction alone.
	noPegbox := func([]byte) bool { return false }
	_, payload, perr := opreturn.FindInTx(tx, b.params.SidechainID)
	w, ok := payload.(*opreturn.Payout)
	if perr != nil || !ok {
		err := withdraw.VerifyPayout(tx, b.params.SidechainID, &withdraw.Evidence{}, noPegbox)
		return b.payoutResult(out, err)
	}
	side := w.SideBlock
	out.SideBlock = &side
	block, info, err := b.sidechain.Block(side)
	if sideblock.IsErrorCode(err, sideblock.ErrBlockNotFound) || (err == nil && info == nil) {
		return invalid(out, withdraw.ErrWrongSideBlock, "the payout names sideblock "+
			side.String()+", whose header this node has not seen published on "+
			"the mainchain"), nil
	}
	if err != nil {
		return nil, err
	}
	if block == nil {
		return nil, api.Errorf(api.ErrFailedPrecondition, "the node does not have "+
			"the body of sideblock %v, which the payout names: it cannot check "+
			"the withdrawals", side)
	}
	out.OnBestChain = info.OnBestChain

	// The evidence: the published header, the body's tx root and every
	// withdrawal with its branch. A body that does not match its header
	// cannot prove anything.
	ws := sideblock.BlockWithdrawals(block.Transactions)
	txRoot := sideblock.CalcTxRoot(block.Transactions)
	if sideblock.HeaderMerkleRoot(txRoot, sideblock.WithdrawalRoot(ws)) != info.MerkleRoot {
		return nil, api.Errorf(api.ErrFailedPrecondition, "the node's copy of "+
			"sideblock %v does not match its published header", side)
	}
	ev := &withdraw.Evidence{
		Header: sideblock.Header{PrevBlock: info.PrevBlock, MerkleRoot: info.MerkleRoot},
		TxRoot: txRoot,
	}
	for i := range ws {
		branch, err := sideblock.WithdrawalBranch(ws, i)
		if err != nil {
			return nil, err
		}
		ev.Proofs = append(ev.Proofs, withdraw.Proof{Withdrawal: ws[i], Branch: branch})
		out.Withdrawals = append(out.Withdrawals, b.apiWithdrawal(&ws[i]))
	}

	// Change may go to a pegbox of the block that confirmed the payout,
	// or, for one not seen mined, of the next block.
	height := tip + 1
	if seen {
		height = rec.Height
	}
	var boxes pegbox.ScriptSet
	err = b.db.View(func(r store.Reader) error {
		var err error
		boxes, err = x.PegboxesNear(r, height)
		return err
	})
	if err != nil {
		return nil, err
	}
	err = withdraw.VerifyPayout(tx, b.params.SidechainID, ev, boxes.IsPegbox)
	return b.payoutResult(out, err)
}

// payoutResult completes a check with what withdraw.VerifyPayout said: a
// rule error makes it invalid; another error is the node's own.
func (b *Adapter) payoutResult(out *api.PayoutCheck, err error) (*api.PayoutCheck, error) {
	if err == nil {
		out.Valid = true
		return out, nil
	}
	var re *withdraw.RuleError
	if errors.As(err, &re) {
		return invalid(out, re.ErrorCode, re.Description), nil
	}
	return nil, err
}
