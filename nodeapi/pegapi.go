package nodeapi

import (
	"context"
	"errors"
	"fmt"
	"math"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/opreturn"
	"github.com/mainstake/sidenode/pegbox"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
	"github.com/mainstake/sidenode/wallet"
)

// The API's view of the pegbox: PegService and WalletService.PegIn, read
// from the pegbox index's records (pegbox.FederationAt, Coins,
// DepositCount, DepositAt, DepositByTx, RefusedDeposits, Index.MaturedBy),
// each call in one store snapshot at the node's mainchain tip, and the
// best sidechain's minted count (sideblock.Chain.Minted). The withdrawal
// side is in pegoutapi.go.

// depositVout is the output of a deposit PegIn builds that pays the
// pegbox; the 'D' OP_RETURN follows it.
const depositVout = 0

// pegIndex returns the pegbox index, or an error on a node that runs
// without one.
func (b *Adapter) pegIndex() (Pegbox, error) {
	if b.pegbox == nil {
		return nil, api.Errorf(api.ErrUnimplemented, "the node runs no pegbox index")
	}
	return b.pegbox, nil
}

// pegOff refuses the peg's commands on a network whose engine elects no
// federation: a pow network without a notary set (docs/protocol.md §12.4).
func (b *Adapter) pegOff() error {
	if b.params == nil || b.params.Engine != chainparams.PoW {
		return nil
	}
	return api.Errorf(api.ErrFailedPrecondition, "the peg is off on network "+
		"%s: under the pow engine the federation is the notary set of a "+
		"season, and this network has none, so nothing would mint a "+
		"deposit or pay a withdrawal", b.params.Name)
}

// scriptAddress encodes pkScript as the address of a network, "" if it has
// none (an OP_RETURN, a bare multisig, a script that does not parse).
func scriptAddress(pkScript []byte, net *chaincfg.Params) string {
	class, addrs, _, err := txscript.ExtractPkScriptAddrs(pkScript, net)
	if err != nil || len(addrs) != 1 || class == txscript.MultiSigTy {
		return ""
	}
	return addrs[0].EncodeAddress()
}

// noFederation is the error of a call that needs the federation of an
// epoch that has none: before the first election.
func (b *Adapter) noFederation(epoch uint32) error {
	L := b.params.PegEpochLength
	return api.Errorf(api.ErrFailedPrecondition, "no federation yet: the first "+
		"is elected at height %d, the last block of pegbox epoch %d, from the "+
		"stakers' weights after it (or at the end of a later epoch, if no "+
		"ticket weighs anything then)", int32(epoch+1)*L-1, epoch)
}

// apiFederation converts a federation for the API, with its pkScript.
func (b *Adapter) apiFederation(f *pegbox.Federation) (api.PegFederation, []byte, error) {
	ws, err := f.WitnessScript(b.params.Main)
	if err != nil {
		return api.PegFederation{}, nil, err
	}
	addr, err := f.Address(b.params.Main)
	if err != nil {
		return api.PegFederation{}, nil, err
	}
	pkScript, err := txscript.PayToAddrScript(addr)
	if err != nil {
		return api.PegFederation{}, nil, err
	}
	out := api.PegFederation{Epoch: f.Epoch, Threshold: f.Threshold,
		Address: addr.EncodeAddress(), WitnessScript: ws}
	for _, k := range f.Keys {
		out.Keys = append(out.Keys, k.SerializeCompressed())
	}
	return out, pkScript, nil
}

// currentFederation returns the tip, the epoch of the next block and its
// federation, or the noFederation error.
func (b *Adapter) currentFederation(r store.Reader, x Pegbox) (int32, uint32, *pegbox.Federation, error) {
	tip, err := r.Tip()
	if err != nil {
		return 0, 0, nil, err
	}
	epoch := x.EpochOf(tip.Height + 1)
	fed, ok, err := pegbox.FederationAt(r, epoch)
	if err != nil {
		return 0, 0, nil, err
	}
	if !ok {
		return 0, 0, nil, b.noFederation(epoch)
	}
	return tip.Height, epoch, fed, nil
}

func (b *Adapter) PegInfo(context.Context) (*api.PegInfo, error) {
	x, err := b.pegIndex()
	if err != nil {
		return nil, err
	}
	L, grace := b.params.PegEpochLength, b.params.PegGraceBlocks
	info := &api.PegInfo{DepositConfirmations: b.params.DepositConfirmations,
		DustLimit: b.params.DustLimit}
	err = b.db.View(func(r store.Reader) error {
		tip, epoch, fed, err := b.currentFederation(r, x)
		if err != nil {
			return err
		}
		info.TipHeight, info.Epoch = tip, epoch
		info.EpochStart = int32(epoch) * L
		info.NextEpoch = info.EpochStart + L
		var pkScript []byte
		info.Federation, pkScript, err = b.apiFederation(fed)
		if err != nil {
			return err
		}
		// The previous epoch's pegbox, while the next block may still pay
		// it (pegbox.Index.PegboxesAt).
		if epoch > 0 && tip+1 < info.EpochStart+grace {
			prev, ok, err := pegbox.FederationAt(r, epoch-1)
			if err != nil {
				return err
			}
			if ok {
				pf, prevScript, err := b.apiFederation(prev)
				if err != nil {
					return err
				}
				if string(prevScript) != string(pkScript) {
					info.Previous, info.GraceEnd = &pf, info.EpochStart+grace-1
				}
			}
		}
		coins, err := pegbox.Coins(r)
		if err != nil {
			return err
		}
		for _, c := range coins {
			info.Balance += c.Value
			if string(c.PkScript) == string(pkScript) {
				info.CurrentBalance += c.Value
			}
		}
		info.Coins = uint64(len(coins))
		rotations, err := pegbox.Rotations(r)
		if err != nil {
			return err
		}
		info.Rotations = uint64(len(rotations))
		if n := len(rotations); n > 0 {
			last := rotations[n-1]
			info.LastRotation = &api.PegRotation{TxID: last.TxID, Height: last.Height,
				Epoch: last.Epoch, Spent: last.Spent, Moved: last.Moved}
		}
		if info.Deposits, err = pegbox.DepositCount(r); err != nil {
			return err
		}
		if info.Matured, err = x.MaturedBy(r, tip); err != nil {
			return err
		}
		info.Audit, err = b.pegAudit(r)
		info.Audit.PegboxBalance = info.Balance
		return err
	})
	if err != nil {
		return nil, err
	}
	return info, nil
}

// pegAudit gathers the supply audit from one store snapshot: the
// pegbox's flows, the verdict on every spend of pegbox coins, the value
// of the deposits the best sidechain minted, its withdrawals, paid or
// not, and its unspent outputs. It reads every spend, every minted
// deposit, every block with withdrawals and the sidechain's whole UTXO
// set: an audit, not a hot path.
func (b *Adapter) pegAudit(r store.Reader) (api.PegAudit, error) {
	var a api.PegAudit
	flows, err := pegbox.FlowsAt(r)
	if err != nil {
		return a, err
	}
	a.Accepted, a.Unbacked, a.Outflow = flows.Accepted, flows.Unbacked, flows.Outflow
	// Only a valid payout pays its sideblock's withdrawals, and only a
	// valid rotation's fee is the pegbox's.
	validPayout := make(map[chainhash.Hash]bool)
	var js []pegbox.Judgement
	if b.pegAuditor != nil {
		if js, err = b.pegAuditor.JudgeAll(r); err != nil {
			return a, err
		}
	} else {
		spends, err := pegbox.Spends(r)
		if err != nil {
			return a, err
		}
		for _, s := range spends {
			js = append(js, pegbox.Judgement{Spend: s, Verdict: pegbox.Unchecked})
		}
	}
	for _, j := range js {
		switch j.Verdict {
		case pegbox.ValidPayout:
			validPayout[j.SideBlock] = true
		case pegbox.ValidRotation:
			a.RotationFees += j.Out()
		case pegbox.Unchecked:
			a.Unchecked += j.Out()
			a.UncheckedCount++
		case pegbox.Unexplained:
			a.Unexplained += j.Out()
			msg := ""
			if j.Err != nil {
				msg = j.Err.Error()
			}
			a.UnexplainedSpends = append(a.UnexplainedSpends, api.PegUnexplained{
				TxID: j.TxID, Height: j.Height, TxIndex: j.TxIndex, Code: j.Code.String(),
				Message: msg, Spent: j.Spent, Out: j.Out()})
		}
	}
	if b.sidechain == nil {
		return a, nil
	}
	tip, err := sideblock.ChainTipAt(r)
	if err != nil {
		return a, err
	}
	for seq := uint64(0); seq < tip.Minted; seq++ {
		rec, err := pegbox.DepositAt(r, seq)
		if err != nil {
			return a, err
		}
		a.Minted += rec.Value
	}
	a.SideBlocks = int64(tip.Height) + 1
	a.SideSubsidy = b.params.SideSubsidy * a.SideBlocks
	if a.SideUtxoValue, err = sideblock.UtxoValueAt(r); err != nil {
		return a, err
	}
	blocks, err := sideblock.WithdrawalBlocks(r, 0, math.MaxInt)
	if err != nil {
		return a, err
	}
	for _, wb := range blocks {
		block, _, err := b.sidechain.Block(wb.Hash)
		if err != nil {
			return a, err
		}
		var value int64
		for _, w := range sideblock.BlockWithdrawals(block.Transactions) {
			value += w.Value
		}
		a.Burned += value
		if validPayout[wb.Hash] {
			a.Paid += value
		}
	}
	return a, nil
}

// minted returns how many deposits the best sidechain has minted; 0 on a
// node without a sidechain. It reads the chain's tip, so it must not run
// inside a store callback.
func (b *Adapter) minted() (uint64, error) {
	if b.sidechain == nil {
		return 0, nil
	}
	return b.sidechain.Minted()
}

// apiDeposit converts an accepted deposit at mainchain tip tip, where the
// first matured deposits in mint order are matured and the first minted
// are minted.
func (b *Adapter) apiDeposit(rec *pegbox.DepositRecord, tip int32, matured, minted uint64) api.Deposit {
	d := api.Deposit{
		Seq:           rec.Seq,
		OutPoint:      rec.OutPoint,
		Value:         rec.Value,
		PegboxAddress: scriptAddress(rec.PkScript, b.params.Main),
		SideScript:    rec.SideScript,
		SideAddress:   scriptAddress(rec.SideScript, b.params.Side),
		Height:        rec.Height,
		TxIndex:       rec.TxIndex,
		Confirmations: tip - rec.Height + 1,
		MatureHeight:  rec.Height + b.params.DepositConfirmations - 1,
		Status:        api.DepositConfirming,
	}
	switch {
	case rec.Seq < minted:
		d.Status = api.DepositMinted
	case rec.Seq < matured:
		d.Status = api.DepositMatured
	}
	return d
}

// refusalMessage says in words why a deposit was refused. The store keeps
// the rule's code, not the message of the moment, so the words are made
// again from the record.
func (b *Adapter) refusalMessage(ref *pegbox.Refused) string {
	switch ref.Code {
	case pegbox.ErrNotPegbox:
		to := scriptAddress(ref.PkScript, b.params.Main)
		if to == "" {
			to = fmt.Sprintf("script %x", ref.PkScript)
		}
		return fmt.Sprintf("deposit output %v pays %s, which is no current or "+
			"grace-period pegbox of block %d", ref.OutPoint, to, ref.Height)
	case pegbox.ErrDepositDust:
		return fmt.Sprintf("deposit output %v of %d sat is below the dust "+
			"limit of %d sat", ref.OutPoint, ref.Value, b.params.DustLimit)
	case pegbox.ErrBadSideScript:
		return fmt.Sprintf("deposit %v names sidechain script %x, which is not "+
			"a P2PKH, P2SH, P2WPKH, P2WSH or P2TR script", ref.OutPoint, ref.SideScript)
	case pegbox.ErrBadDepositVout:
		return "the 'D' payload's deposit vout names no output of the " +
			"transaction, or names its OP_RETURN"
	case pegbox.ErrManyDeposits:
		return "the transaction pays a pegbox and has several OP_RETURN " +
			"outputs; a deposit has exactly one"
	case pegbox.ErrDepositSpendsPegbox:
		return fmt.Sprintf("deposit output %v of %d sat is funded by pegbox coins: "+
			"only the federation can sign that spend, and a deposit must bring "+
			"coins into the pegbox from outside; the spend is unexplained "+
			"(see the supply audit)", ref.OutPoint, ref.Value)
	case pegbox.ErrNoDeposit:
		return "the transaction pays a pegbox without a readable 'D' payload " +
			"for this sidechain: no OP_RETURN output, or one that does not parse"
	}
	return ref.Code.String()
}

// apiRefused converts a refused deposit at mainchain tip tip. Everything
// it shows is recorded with the refusal: what the federation did with the
// coins since changes nothing.
func (b *Adapter) apiRefused(ref *pegbox.Refused, tip int32) api.RefusedDeposit {
	out := api.RefusedDeposit{
		TxID:          ref.OutPoint.Hash,
		Height:        ref.Height,
		TxIndex:       ref.TxIndex,
		Confirmations: tip - ref.Height + 1,
		Reason:        ref.Code.String(),
		Message:       b.refusalMessage(ref),
	}
	var total int64
	for _, c := range ref.PegboxOutputs {
		out.PegboxOutputs = append(out.PegboxOutputs, api.PegboxOutput{OutPoint: c.OutPoint,
			Value: c.Value, Address: scriptAddress(c.PkScript, b.params.Main)})
		total += c.Value
	}
	// A refusal whose payload named no output of the transaction is
	// recorded at index MaxPrevOutIndex, which a 'D' payload (one byte)
	// cannot name.
	if ref.OutPoint.Index != wire.MaxPrevOutIndex {
		out.OutPoint, out.HasOutPoint = ref.OutPoint, true
		out.Value = ref.Value
		out.Address = scriptAddress(ref.PkScript, b.params.Main)
		out.SideScript = ref.SideScript
		out.SideAddress = scriptAddress(ref.SideScript, b.params.Side)
		return out
	}
	if len(out.PegboxOutputs) == 0 {
		return out
	}
	// The record names no output: the first that paid a pegbox shows the
	// user which of their coins the refusal concerns.
	first := out.PegboxOutputs[0]
	out.OutPoint, out.HasOutPoint, out.Value, out.Address = first.OutPoint, true, first.Value, first.Address
	paid := fmt.Sprintf("output %v pays %d sat to pegbox address %s", first.OutPoint, first.Value, first.Address)
	if n := len(out.PegboxOutputs); n > 1 {
		paid = fmt.Sprintf("%s (%d outputs pay the pegbox %d sat in all)", paid, n, total)
	}
	out.Message = fmt.Sprintf("%s, but %s", paid, out.Message)
	return out
}

func (b *Adapter) Deposits(_ context.Context, p api.Page) ([]api.Deposit, uint64, error) {
	x, err := b.pegIndex()
	if err != nil {
		return nil, 0, err
	}
	// The minted count is read before the snapshot: a deposit the best
	// chain minted a moment later shows as matured.
	minted, err := b.minted()
	if err != nil {
		return nil, 0, err
	}
	var (
		out   []api.Deposit
		total uint64
	)
	err = b.db.View(func(r store.Reader) error {
		tip, err := r.Tip()
		if err != nil {
			return err
		}
		if total, err = pegbox.DepositCount(r); err != nil {
			return err
		}
		matured, err := x.MaturedBy(r, tip.Height)
		if err != nil {
			return err
		}
		// Only the page's records are read: a page costs the same at
		// any offset.
		idx := pageIndexes(total, p)
		out = make([]api.Deposit, 0, len(idx))
		for _, seq := range idx {
			rec, err := pegbox.DepositAt(r, seq)
			if err != nil {
				return err
			}
			out = append(out, b.apiDeposit(rec, tip.Height, matured, minted))
		}
		return b.fillMintedBy(r, out)
	})
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// fillMintedBy sets MintedBy on the minted deposits of ds to the best
// sidechain's block that minted each, as r shows it, finding them all in
// one walk back from the sidechain's tip. It reads only: the minting
// block is not consensus state and is not stored.
func (b *Adapter) fillMintedBy(r store.Reader, ds []api.Deposit) error {
	if b.sidechain == nil {
		return nil
	}
	var seqs []uint64
	for i := range ds {
		if ds[i].Status == api.DepositMinted {
			seqs = append(seqs, ds[i].Seq)
		}
	}
	if len(seqs) == 0 {
		return nil
	}
	found, err := sideblock.MintingBlocksAt(r, seqs)
	if err != nil {
		return err
	}
	for i := range ds {
		if info, ok := found[ds[i].Seq]; ok && ds[i].Status == api.DepositMinted {
			ds[i].MintedBy = &api.SideRef{Height: info.Height, Hash: info.Hash}
		}
	}
	return nil
}

// pageIndexes returns the positions in a list of n items that page p
// selects, as api.Paginate would pick them, without building the list.
func pageIndexes(n uint64, p api.Page) []uint64 {
	if p.Offset >= n || p.Limit == 0 {
		return []uint64{}
	}
	count := min(n-p.Offset, uint64(p.Limit))
	out := make([]uint64, count)
	for i := range out {
		j := p.Offset + uint64(i)
		if p.Reversed {
			j = n - 1 - j
		}
		out[i] = j
	}
	return out
}

// PegboxCoins implements api.PegBackend: the pegbox index's coins, in
// pegbox.Coins' order (oldest first).
func (b *Adapter) PegboxCoins(_ context.Context, p api.Page) ([]api.PegboxCoin, uint64, error) {
	if _, err := b.pegIndex(); err != nil {
		return nil, 0, err
	}
	var (
		out   []api.PegboxCoin
		total uint64
	)
	err := b.db.View(func(r store.Reader) error {
		tip, err := r.Tip()
		if err != nil {
			return err
		}
		all, err := pegbox.Coins(r)
		if err != nil {
			return err
		}
		total = uint64(len(all))
		page := api.Paginate(all, p)
		out = make([]api.PegboxCoin, len(page))
		for i, c := range page {
			out[i] = api.PegboxCoin{OutPoint: c.OutPoint, Value: c.Value,
				Address: scriptAddress(c.PkScript, b.params.Main), Height: c.Height,
				Confirmations: max(tip.Height-c.Height+1, 0)}
		}
		return nil
	})
	return out, total, err
}

func (b *Adapter) RefusedDeposits(_ context.Context, p api.Page) ([]api.RefusedDeposit, uint64, error) {
	if _, err := b.pegIndex(); err != nil {
		return nil, 0, err
	}
	var (
		out   []api.RefusedDeposit
		total uint64
	)
	err := b.db.View(func(r store.Reader) error {
		tip, err := r.Tip()
		if err != nil {
			return err
		}
		all, err := pegbox.RefusedDeposits(r)
		if err != nil {
			return err
		}
		total = uint64(len(all))
		page := api.Paginate(all, p)
		out = make([]api.RefusedDeposit, len(page))
		for i := range page {
			out[i] = b.apiRefused(&page[i], tip.Height)
		}
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

func (b *Adapter) Deposit(_ context.Context, q api.DepositQuery) (*api.DepositLookup, error) {
	x, err := b.pegIndex()
	if err != nil {
		return nil, err
	}
	minted, err := b.minted()
	if err != nil {
		return nil, err
	}
	found := &api.DepositLookup{}
	err = b.db.View(func(r store.Reader) error {
		tip, err := r.Tip()
		if err != nil {
			return err
		}
		// The index by transaction: a transaction carries at most one
		// deposit, accepted or refused.
		acc, ref, ok, err := pegbox.DepositByTx(r, q.TxID)
		if err != nil || !ok {
			return err
		}
		switch {
		case acc != nil && (!q.ByOutPoint || acc.OutPoint == q.OutPoint):
			matured, err := x.MaturedBy(r, tip.Height)
			if err != nil {
				return err
			}
			d := []api.Deposit{b.apiDeposit(acc, tip.Height, matured, minted)}
			if err := b.fillMintedBy(r, d); err != nil {
				return err
			}
			found.Accepted = &d[0]
		case ref != nil:
			out := b.apiRefused(ref, tip.Height)
			if !q.ByOutPoint || (out.HasOutPoint && out.OutPoint == q.OutPoint) {
				found.Refused = &out
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if found.Accepted == nil && found.Refused == nil {
		if q.ByOutPoint {
			return nil, api.Errorf(api.ErrNotFound, "no deposit at %v", q.OutPoint)
		}
		return nil, api.Errorf(api.ErrNotFound, "no deposit in transaction %v", q.TxID)
	}
	return found, nil
}

// depositOutputs returns the outputs of a deposit of amount to pkScript
// for sideScript: the pegbox output at depositVout, then the 'D'
// OP_RETURN naming it.
func depositOutputs(sidechainID uint32, amount int64, pkScript, sideScript []byte) ([]*wire.TxOut, error) {
	nullData, err := opreturn.Encode(sidechainID, &opreturn.Deposit{Vout: depositVout,
		SideScript: sideScript})
	if err != nil {
		return nil, err
	}
	return []*wire.TxOut{wire.NewTxOut(amount, pkScript), wire.NewTxOut(0, nullData)}, nil
}

func (b *Adapter) PegIn(ctx context.Context, req api.PegInRequest) (*api.PegInResult, error) {
	if err := b.pegOff(); err != nil {
		return nil, err
	}
	if b.wallet == nil && !req.PSBTOnly {
		return nil, errNoWallet
	}
	x, err := b.pegIndex()
	if err != nil {
		return nil, err
	}
	if err := checkAmount("amount_sat", req.Amount); err != nil {
		return nil, err
	}
	feeRate, err := mainFeeRate("fee_rate_sat_vb", req.FeeRate)
	if err != nil {
		return nil, err
	}
	if req.Amount < b.params.DustLimit {
		return nil, api.Errorf(api.ErrInvalidArgument, "amount_sat %d is below the "+
			"dust limit of %d sat: the pegbox refuses such a deposit and never "+
			"mints it", req.Amount, b.params.DustLimit)
	}
	sideScript, err := b.sideScript("side_address", req.SideAddress)
	if err != nil {
		return nil, err
	}
	var (
		epoch uint32
		fed   *pegbox.Federation
	)
	err = b.db.View(func(r store.Reader) error {
		var err error
		_, epoch, fed, err = b.currentFederation(r, x)
		return err
	})
	if err != nil {
		return nil, err
	}
	addr, err := fed.Address(b.params.Main)
	if err != nil {
		return nil, err
	}
	pkScript, err := txscript.PayToAddrScript(addr)
	if err != nil {
		return nil, err
	}
	outs, err := depositOutputs(b.params.SidechainID, req.Amount, pkScript, sideScript)
	if err != nil {
		return nil, api.Errorf(api.ErrInvalidArgument, "side_address: %w", err)
	}
	// The deposit rules themselves must accept what is about to be paid.
	check := wire.NewMsgTx(2)
	for _, o := range outs {
		check.AddTxOut(o)
	}
	if _, err := pegbox.ParseDeposit(check, b.params.SidechainID,
		pegbox.ScriptSet{pkScript}, b.params.DustLimit); err != nil {
		return nil, api.Errorf(api.ErrInvalidArgument, "the deposit would be refused: %w", err)
	}
	L := b.params.PegEpochLength
	res := &api.PegInResult{
		Vout:          depositVout,
		PegboxAddress: addr.EncodeAddress(),
		Epoch:         epoch,
		AcceptedUntil: int32(epoch+1)*L + b.params.PegGraceBlocks - 1,
		SideScript:    sideScript,
	}
	if req.PSBTOnly {
		res.PSBT, err = wallet.FundingPSBT(outs)
		return res, err
	}
	tx, err := b.wallet.Fund(outs, feeRate, apiStakeMinConf)
	if err != nil {
		return nil, api.Errorf(api.ErrFailedPrecondition, "%w", err)
	}
	if len(tx.TxOut) < 2 || string(tx.TxOut[depositVout].PkScript) != string(pkScript) {
		b.wallet.Release(tx)
		return nil, errors.New("the wallet moved the deposit's outputs")
	}
	if err := b.broadcastFunded(ctx, tx); err != nil {
		return nil, err
	}
	txid := tx.TxHash()
	res.TxID = &txid
	return res, nil
}
