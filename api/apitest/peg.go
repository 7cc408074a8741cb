package apitest

import (
	"context"
	"crypto/sha256"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/api"
)

// The fake pegbox's dust limit, as regtest's.
const pegDustLimit = 546

// peg is the fake backend's pegbox (see addPeg).
type peg struct {
	info    api.PegInfo
	noFed   bool
	accept  []api.Deposit
	refused []api.RefusedDeposit
	coins   []api.PegboxCoin
	lastIn  *api.PegInRequest
	lastOut *api.PegOutRequest

	// withdrawals by outpoint, and the first of each transaction.
	withdrawals map[wire.OutPoint]api.WithdrawalStatus
	firstOut    map[chainhash.Hash]wire.OutPoint
	payouts     map[chainhash.Hash]api.PayoutCheck
}

// addPeg sets up the pegbox of NewBackend at the fake mainchain tip 11: a
// federation of one key for epoch 0, three accepted deposits (seq 0
// minted, seq 1 matured, seq 2 confirming) in transactions hash(0xd0) to
// hash(0xd2), whose outputs are the pegbox's three coins, two refused ones: a dust deposit hash(0xe0):1 and a
// transaction hash(0xe1) whose payload names no output; and withdrawals
// (see addWithdrawals).
func (b *Backend) addPeg() {
	p := &b.peg
	ws := append(append([]byte{0x51, 0x21}, pubKey()...), 0x51, 0xae) // 1-of-1
	sum := sha256.Sum256(ws)
	addr, err := btcutil.NewAddressWitnessScriptHash(sum[:], &chaincfg.RegressionNetParams)
	if err != nil {
		panic(err)
	}
	p.info = api.PegInfo{
		TipHeight: 11, Epoch: 0, EpochStart: 0, NextEpoch: 50,
		Federation: api.PegFederation{Epoch: 0, Keys: [][]byte{pubKey()}, Threshold: 1,
			Address: addr.EncodeAddress(), WitnessScript: ws},
		Balance: 3_000_000, Coins: 3, Deposits: 3, Matured: 2,
		DepositConfirmations: 2, DustLimit: pegDustLimit,
	}
	side := []byte{0x00, 0x14, 0x75, 0x1e, 0x76, 0xe8, 0x19, 0x91, 0x96, 0xd4,
		0x54, 0x94, 0x1c, 0x45, 0xd1, 0xb3, 0xa3, 0x23, 0xf1, 0x43, 0x3b, 0xd6}
	for i := 0; i < 3; i++ {
		d := api.Deposit{Seq: uint64(i), OutPoint: wire.OutPoint{Hash: hash(0xd0 + byte(i))},
			Value: 1_000_000, PegboxAddress: p.info.Federation.Address,
			SideScript: side, SideAddress: SideAddress, Height: int32(9 + i),
			TxIndex: 1, Confirmations: int32(3 - i), MatureHeight: int32(10 + i),
			Status: api.DepositMatured}
		switch i {
		case 0:
			d.Status = api.DepositMinted
		case 2:
			d.Status = api.DepositConfirming
		}
		p.accept = append(p.accept, d)
		// Each deposit's output is a coin of the pegbox.
		p.coins = append(p.coins, api.PegboxCoin{OutPoint: d.OutPoint, Value: d.Value,
			Address: d.PegboxAddress, Height: d.Height, Confirmations: d.Confirmations})
	}
	p.refused = []api.RefusedDeposit{
		{TxID: hash(0xe0), OutPoint: wire.OutPoint{Hash: hash(0xe0), Index: 1},
			HasOutPoint: true, Value: 300, Address: p.info.Federation.Address,
			SideScript: side, SideAddress: SideAddress, Height: 10, TxIndex: 2,
			Confirmations: 2, Reason: "ErrDepositDust",
			Message: "the deposit of 300 sat is below the dust limit of 546 sat",
			PegboxOutputs: []api.PegboxOutput{{OutPoint: wire.OutPoint{Hash: hash(0xe0), Index: 1},
				Value: 300, Address: p.info.Federation.Address}}},
		{TxID: hash(0xe1), Height: 11, TxIndex: 3, Confirmations: 1,
			Reason: "ErrBadDepositVout", Message: "the 'D' payload names no output"},
	}
	b.addWithdrawals()
}

// SetNoFederation makes the fake pegbox have no federation (true) or the
// one of NewBackend (false).
func (b *Backend) SetNoFederation(none bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.peg.noFed = none
}

func (b *Backend) noFederation() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.peg.noFed
}

// PegInfo implements api.PegBackend.
func (b *Backend) PegInfo(context.Context) (*api.PegInfo, error) {
	if b.noFederation() {
		return nil, api.Errorf(api.ErrFailedPrecondition, "no federation yet: the "+
			"first is elected at height 49")
	}
	info := b.peg.info
	return &info, nil
}

// Deposits implements api.PegBackend.
func (b *Backend) Deposits(_ context.Context, p api.Page) ([]api.Deposit, uint64, error) {
	return api.Paginate(b.peg.accept, p), uint64(len(b.peg.accept)), nil
}

// RefusedDeposits implements api.PegBackend.
func (b *Backend) RefusedDeposits(_ context.Context, p api.Page) ([]api.RefusedDeposit, uint64, error) {
	return api.Paginate(b.peg.refused, p), uint64(len(b.peg.refused)), nil
}

// PegboxCoins implements api.PegBackend.
func (b *Backend) PegboxCoins(_ context.Context, p api.Page) ([]api.PegboxCoin, uint64, error) {
	return api.Paginate(b.peg.coins, p), uint64(len(b.peg.coins)), nil
}

// Deposit implements api.PegBackend.
func (b *Backend) Deposit(_ context.Context, q api.DepositQuery) (*api.DepositLookup, error) {
	for i := range b.peg.accept {
		d := b.peg.accept[i]
		if d.OutPoint == q.OutPoint || (!q.ByOutPoint && d.OutPoint.Hash == q.TxID) {
			return &api.DepositLookup{Accepted: &d}, nil
		}
	}
	for i := range b.peg.refused {
		r := b.peg.refused[i]
		if (r.HasOutPoint && r.OutPoint == q.OutPoint) || (!q.ByOutPoint && r.TxID == q.TxID) {
			return &api.DepositLookup{Refused: &r}, nil
		}
	}
	return nil, api.Errorf(api.ErrNotFound, "no deposit in transaction %v", q.TxID)
}

// PegIn implements api.WalletBackend: it refuses an amount below the dust
// limit and an address other than SideAddress and OtherSideAddress, and
// records the request. With PSBTOnly it works without a wallet.
func (b *Backend) PegIn(_ context.Context, req api.PegInRequest) (*api.PegInResult, error) {
	if err := b.walletError(); err != nil && !req.PSBTOnly {
		return nil, err
	}
	if req.Amount < pegDustLimit {
		return nil, api.Errorf(api.ErrInvalidArgument, "amount_sat %d is below "+
			"the dust limit of %d sat", req.Amount, pegDustLimit)
	}
	if err := b.checkSideAddress(req.SideAddress); err != nil {
		return nil, err
	}
	if b.noFederation() {
		return nil, api.Errorf(api.ErrFailedPrecondition, "no federation yet")
	}
	b.mu.Lock()
	b.peg.lastIn = &req
	b.mu.Unlock()
	res := &api.PegInResult{Vout: 0, PegboxAddress: b.peg.info.Federation.Address,
		Epoch: b.peg.info.Epoch, AcceptedUntil: 59, SideScript: []byte{0x00, 0x14}}
	if req.PSBTOnly {
		res.PSBT = "cHNidP8BAAoCAAAAAAAAAAAAAA=="
	} else {
		txid := hash(0xf0)
		res.TxID = &txid
	}
	return res, nil
}

// LastPegIn returns the last PegIn request, or nil.
func (b *Backend) LastPegIn() *api.PegInRequest {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.peg.lastIn
}

// DepositTxID returns the transaction id of the fake's accepted deposit
// seq (0 to 2).
func DepositTxID(seq int) chainhash.Hash { return hash(0xd0 + byte(seq)) }

// RefusedTxID returns the transaction id of the fake's refused deposit i
// (0: dust, 1: no output named).
func RefusedTxID(i int) chainhash.Hash { return hash(0xe0 + byte(i)) }

// The fake's withdrawal defaults, as the node's.
const (
	pegOutDefaultFee = 5_000
	pegOutMinFee     = 1_000
)

// MainAddress is a regtest mainchain address the fake's withdrawals pay,
// and mainScript its script.
const MainAddress = "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"

var mainScript = []byte{0x00, 0x14, 0x75, 0x1e, 0x76, 0xe8, 0x19, 0x91, 0x96,
	0xd4, 0x54, 0x94, 0x1c, 0x45, 0xd1, 0xb3, 0xa3, 0x23, 0xf1, 0x43, 0x3b, 0xd6}

// WithdrawalTxID returns the sidechain transaction of the fake's
// withdrawal i: 0 pending (output 0), 1 included in the best chain's
// block at height 2 (output 1, the first withdrawal of the transaction),
// 2 paid (output 0) by PayoutTxID(0).
func WithdrawalTxID(i int) chainhash.Hash { return hash(0xc0 + byte(i)) }

// PayoutTxID returns a mainchain payout the fake knows: 0 valid, 1 one that
// pays a wrong amount.
func PayoutTxID(i int) chainhash.Hash { return hash(0xc8 + byte(i)) }

// PayoutAmount is what the fake's valid payouts pay their one withdrawal;
// VerifyPayout takes a raw transaction whose output 1 pays it as valid.
const PayoutAmount = 49_995_000

// addWithdrawals sets up the withdrawals of WithdrawalTxID and the payouts
// of PayoutTxID.
func (b *Backend) addWithdrawals() {
	p := &b.peg
	p.withdrawals = make(map[wire.OutPoint]api.WithdrawalStatus)
	p.firstOut = make(map[chainhash.Hash]wire.OutPoint)
	p.payouts = make(map[chainhash.Hash]api.PayoutCheck)
	w := func(i int, vout uint32) api.Withdrawal {
		return api.Withdrawal{OutPoint: wire.OutPoint{Hash: WithdrawalTxID(i), Index: vout},
			Value: PayoutAmount + pegOutDefaultFee, Fee: pegOutDefaultFee,
			PkScript: mainScript, Address: MainAddress}
	}
	add := func(st api.WithdrawalStatus) {
		st.RequiredSideDepth, st.RequiredConfirmations = 2, 2
		p.withdrawals[st.OutPoint] = st
		p.firstOut[st.OutPoint.Hash] = st.OutPoint
	}
	add(api.WithdrawalStatus{Withdrawal: w(0, 0), Stage: api.WithdrawalPending})
	included := api.WithdrawalStatus{Withdrawal: w(1, 1), Stage: api.WithdrawalIncluded,
		SideBlock: b.SideBest[2], SideHeight: 2, SideDepth: 1, PubHeight: 103,
		PubConfirmations: 1, Index: 0, Count: 2,
		Branch: []chainhash.Hash{hash(0x31)}, TxRoot: hash(0x32), MerkleRoot: hash(0x82)}
	add(included)
	paid := included
	paid.Withdrawal, paid.Stage, paid.SideBlock, paid.SideHeight = w(2, 0), api.WithdrawalPaid, b.SideBest[0], 0
	paid.SideDepth, paid.PubHeight, paid.PubConfirmations, paid.Count = 3, 101, 3, 1
	paid.Branch, paid.MerkleRoot = nil, hash(0x80)
	paid.PayoutTxID, paid.PayoutHeight, paid.PayoutConfirmations = PayoutTxID(0), 104, 1
	add(paid)

	side := b.SideBest[0]
	p.payouts[PayoutTxID(0)] = api.PayoutCheck{TxID: PayoutTxID(0), Valid: true,
		SideBlock: &side, OnBestChain: true, Withdrawals: []api.Withdrawal{paid.Withdrawal},
		Seen: true, Height: 104, Confirmations: 1}
	p.payouts[PayoutTxID(1)] = api.PayoutCheck{TxID: PayoutTxID(1), Code: "ErrWrongAmount",
		Message: "output 1 pays 1000 sat; withdrawal 0 asks 49995000 sat", SideBlock: &side,
		OnBestChain: true, Withdrawals: []api.Withdrawal{paid.Withdrawal},
		Seen: true, Height: 103, Confirmations: 2}
}

// PegOut implements api.WalletBackend: it refuses an address that is not
// a regtest mainchain address, an amount below the dust limit and a fee
// budget below 1,000 sat (0 is 5,000), and records the request.
func (b *Backend) PegOut(_ context.Context, req api.PegOutRequest) (*api.PegOutResult, error) {
	if err := b.walletError(); err != nil {
		return nil, err
	}
	addr, err := btcutil.DecodeAddress(req.Destination, &chaincfg.RegressionNetParams)
	if err != nil || !addr.IsForNet(&chaincfg.RegressionNetParams) {
		return nil, api.Errorf(api.ErrInvalidArgument, "destination_address %q is not "+
			"a regtest mainchain address", req.Destination)
	}
	fee := req.Fee
	if fee == 0 {
		fee = pegOutDefaultFee
	}
	switch {
	case fee < pegOutMinFee:
		return nil, api.Errorf(api.ErrInvalidArgument, "fee_sat %d is below %d", fee, pegOutMinFee)
	case req.Amount < pegDustLimit:
		return nil, api.Errorf(api.ErrInvalidArgument, "ErrWithdrawalBelowDust: "+
			"amount_sat %d is below the dust limit", req.Amount)
	}
	b.mu.Lock()
	b.peg.lastOut = &req
	b.mu.Unlock()
	return &api.PegOutResult{TxID: hash(0xb6), Vout: 0, Burned: req.Amount + fee}, nil
}

// LastPegOut returns the last PegOut request, or nil.
func (b *Backend) LastPegOut() *api.PegOutRequest {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.peg.lastOut
}

// Withdrawal implements api.PegBackend.
func (b *Backend) Withdrawal(_ context.Context, q api.WithdrawalQuery) (*api.WithdrawalStatus, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	op := q.OutPoint
	if !q.ByOutPoint {
		first, ok := b.peg.firstOut[q.TxID]
		if !ok {
			return nil, api.Errorf(api.ErrNotFound, "no withdrawal in transaction %v", q.TxID)
		}
		op = first
	}
	st, ok := b.peg.withdrawals[op]
	if !ok {
		return nil, api.Errorf(api.ErrNotFound, "no withdrawal at %v", op)
	}
	return &st, nil
}

// VerifyPayout implements api.PegBackend: the payouts of PayoutTxID by
// txid; a raw transaction is valid when its output 1 pays PayoutAmount.
func (b *Backend) VerifyPayout(_ context.Context, q api.PayoutQuery) (*api.PayoutCheck, error) {
	if q.Tx == nil {
		c, ok := b.peg.payouts[q.TxID]
		if !ok {
			return nil, api.Errorf(api.ErrNotFound, "no payout %v", q.TxID)
		}
		return &c, nil
	}
	c := b.peg.payouts[PayoutTxID(0)]
	c.TxID, c.Seen, c.Height, c.Confirmations = q.Tx.TxHash(), false, 0, 0
	if len(q.Tx.TxOut) < 2 || q.Tx.TxOut[1].Value != PayoutAmount {
		c.Valid, c.Code, c.Message = false, "ErrWrongAmount", "output 1 does not pay "+
			"withdrawal 0"
	}
	return &c, nil
}
