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
	lastIn  *api.PegInRequest
}

// addPeg sets up the pegbox of NewBackend at the fake mainchain tip 11: a
// federation of one key for epoch 0, three accepted deposits (seq 0 and 1
// matured, seq 2 confirming) in transactions hash(0xd0) to hash(0xd2),
// and two refused ones: a dust deposit hash(0xe0):1 and a transaction
// hash(0xe1) whose payload names no output.
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
		if i == 2 {
			d.Status = api.DepositConfirming
		}
		p.accept = append(p.accept, d)
	}
	p.refused = []api.RefusedDeposit{
		{TxID: hash(0xe0), OutPoint: wire.OutPoint{Hash: hash(0xe0), Index: 1},
			HasOutPoint: true, Value: 300, Address: p.info.Federation.Address,
			SideScript: side, SideAddress: SideAddress, Height: 10, TxIndex: 2,
			Confirmations: 2, Reason: "ErrDepositDust",
			Message: "the deposit of 300 sat is below the dust limit of 546 sat"},
		{TxID: hash(0xe1), Height: 11, TxIndex: 3, Confirmations: 1,
			Reason: "ErrBadDepositVout", Message: "the 'D' payload names no output"},
	}
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
