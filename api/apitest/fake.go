// Package apitest provides a fake api.Backend and a helper that runs a real
// API server on a loopback port, for the tests of the api package and of
// its clients.
package apitest

import (
	"context"
	"sync"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/api"
)

// Backend is a fake api.Backend that serves fixed data. Set its fields
// before the server starts; it records the last requests it got.
type Backend struct {
	InfoValue    api.Info
	TicketList   []api.Ticket
	Winners      map[int32]api.Winner
	Publications map[int32]api.Publication
	Address      string
	BalanceValue api.Balance
	StakeResult  api.StakeResult
	WithdrawTxID chainhash.Hash

	// OwnTickets are the indexes in TicketList of the wallet's tickets.
	OwnTickets []int

	// MissReasons are the reasons of the missed slots of the wallet's
	// tickets, by draw height.
	MissReasons map[int32]string

	// TopUps are the top-ups TopUpStake recorded, by ticket id.
	TopUps map[uint64]int64

	// The sidechain: blocks by hash, the best chain by height,
	// transactions by id, unspent outputs by address (listed in the
	// order given), and the node's own sidechain address and balance.
	SideBlocks       map[chainhash.Hash]api.SideBlock
	SideBest         []chainhash.Hash
	SideTxs          map[chainhash.Hash]api.SideTx
	SideUtxos        map[string][]api.SideUtxo
	SideAddr         string
	SideBalanceValue api.SideBalance
	FeeEstimate      api.SideFeeEstimate
	SendSideTxID     chainhash.Hash

	// WalletTxsIn are the wallet's transactions that the mainchain block
	// at each height confirms, for SubscribeWalletTransactions; set them
	// before the server starts.
	WalletTxsIn map[int32][]api.WalletTx

	mu             sync.Mutex
	walletErr      error
	sideErr        error
	lastStake      *api.StakeRequest
	lastWithdraw   *api.WithdrawRequest
	lastRenew      *api.RenewRequest
	lastMinConf    int32
	sendMains      int
	lastBlockReq   *api.SideBlockRequest
	lastSend       *SideSend
	lastRawTx      *wire.MsgTx
	lastMnemonic   []string
	noPool         bool
	poolAuditFails bool

	// chains serves the subscriptions and the slot lists (chains.go).
	chains chains

	// peg serves PegService and PegIn (peg.go).
	peg peg

	// bans serves the ban methods of NodeService (bans.go).
	bans bans

	// operator serves OperatorService (operator.go).
	operator operator

	// alarms serves the alarm methods of NodeService (alarms.go).
	alarms alarms

	// mining serves MiningService (mining.go).
	mining mining

	// ConfirmationsOf are the confirmations statuses GetConfirmations
	// answers, by transaction id or block hash.
	ConfirmationsOf map[chainhash.Hash]api.Confirmations
}

// SideSend is a SendSide call the fake backend got.
type SideSend struct {
	To      string
	Amount  int64
	FeeRate int64
}

// Sidechain addresses the fake backend knows (regtest's sidechain HRP):
// SideAddress is the node's own, OtherSideAddress has no outputs.
const (
	SideAddress      = "sdrt1qw508d6qejxtdg4y5r3zarvary0c5xw7ku5t9fq"
	OtherSideAddress = "sdrt1qq6hag67dl53wl99vzg42z8eyzfz2xlkvk26rs5"
)

var _ api.Backend = (*Backend)(nil)

// NewBackend returns a fake backend with n tickets, a winner and a
// publication at heights 10 and 11, a wallet that owns tickets 1 and 3
// (when they exist), a sidechain of three blocks (see addSidechain) and a
// pegbox with deposits (see addPeg).
func NewBackend(n int) *Backend {
	b := &Backend{
		Winners:      make(map[int32]api.Winner),
		Publications: make(map[int32]api.Publication),
		Address:      "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080",
		BalanceValue: api.Balance{Total: 150_000_000, Spendable: 100_000_000, MempoolWatched: true},
		StakeResult:  api.StakeResult{LockHeight: 2_100, PubKey: pubKey()},
		WithdrawTxID: hash(0xee),
	}
	b.addSidechain()
	for i := 0; i < n; i++ {
		end, state := int32(-1), api.TicketLive
		if i%5 == 4 {
			end, state = int32(200+i), api.TicketEnded
		}
		b.TicketList = append(b.TicketList, api.Ticket{
			ID:         uint64(i),
			TxID:       hash(byte(i)),
			Stake:      wire.OutPoint{Hash: hash(byte(i)), Index: 0},
			Value:      int64(i+1) * 100_000_000,
			LockHeight: uint32(2_000 + i),
			ConfHeight: int32(100 + i),
			PubKey:     pubKey(),
			EndHeight:  end,
			Publisher:  wire.OutPoint{Hash: hash(byte(i)), Index: 1},
			Weight:     api.Weight{Hi: 1, Lo: uint64(i)},
			State:      state,
		})
	}
	for _, i := range []int{1, 3} {
		if i < n {
			b.OwnTickets = append(b.OwnTickets, i)
		}
	}
	b.Winners[10] = api.Winner{Height: 10, BlockHash: hash(0xaa), Ticket: 1,
		TotalWeight: api.Weight{Hi: 2, Lo: 5}}
	b.Publications[11] = api.Publication{Height: 11, Ticket: 1, TxIndex: 3,
		TxID: hash(0xbb), PrevBlock: chainhash.Hash{}, MerkleRoot: hash(0xcc),
		BlockHash: hash(0xdd)}
	b.InfoValue = api.Info{
		Version:     "0.1.0-test",
		Network:     "regtest",
		SidechainID: 0xd07,
		Mainchain: api.MainchainState{TipHeight: 11, TipHash: hash(0x11),
			Backend: "btcd", Connected: true, BackendHeight: 11, Synced: true},
		NumTickets: uint64(n),
		StateHash:  hash(0x5a),
	}
	for _, i := range b.OwnTickets {
		b.InfoValue.OwnTickets = append(b.InfoValue.OwnTickets, uint64(i))
	}
	b.addChains()
	b.addPeg()
	return b
}

// addSidechain fills in a sidechain: blocks hash(0x40), hash(0x41) and
// hash(0x42) at heights 0 to 2 (lottery heights 100 to 102), the last with
// a coinbase and four more transactions; a staged block hash(0x50) that is
// not published; a transaction hash(0x60) in the mempool; outputs of
// SideAddress: two coinbases (one immature) and a payment.
func (b *Backend) addSidechain() {
	b.SideBlocks = make(map[chainhash.Hash]api.SideBlock)
	b.SideTxs = make(map[chainhash.Hash]api.SideTx)
	b.SideUtxos = make(map[string][]api.SideUtxo)
	tx := func(lockTime uint32) *wire.MsgTx {
		t := wire.NewMsgTx(2)
		t.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: hash(0x70), Index: lockTime}, nil,
			[][]byte{{0x30, 0x01}, pubKey()}))
		t.AddTxOut(wire.NewTxOut(50_000, []byte{0x00, 0x14, 1, 2, 3, 4, 5, 6, 7, 8,
			9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20}))
		t.LockTime = lockTime
		return t
	}
	prev := chainhash.Hash{}
	for h := 0; h < 3; h++ {
		hh := hash(0x40 + byte(h))
		blk := api.SideBlock{
			Hash: hh, PrevBlock: prev, MerkleRoot: hash(0x80 + byte(h)),
			Status: api.SideValid, Published: true, Height: uint64(h),
			LotteryHeight: int32(100 + h), PubHeight: int32(101 + h),
			PubTxID: hash(0x90 + byte(h)), OnBestChain: true,
			Confirmations: uint64(3 - h), HasBody: true, Size: 250,
			Raw: []byte{0xde, 0xad, byte(h)},
		}
		n := 1
		if h == 2 {
			n = 5
		}
		for i := 0; i < n; i++ {
			t := tx(uint32(10*h + i))
			txid := t.TxHash()
			blk.TxIDs = append(blk.TxIDs, txid)
			b.SideTxs[txid] = api.SideTx{Tx: t, Confirmed: true, BlockHash: hh,
				BlockHeight: uint64(h), LotteryHeight: int32(100 + h),
				Index: uint32(i), Confirmations: uint64(3 - h)}
		}
		b.SideBlocks[hh] = blk
		b.SideBest = append(b.SideBest, hh)
		prev = hh
	}
	b.SideBlocks[hash(0x50)] = api.SideBlock{Hash: hash(0x50), PrevBlock: prev,
		Status: api.SideUnpublished, HasBody: true, Size: 90,
		TxIDs: []chainhash.Hash{hash(0x51)}}
	pool := tx(999)
	b.SideTxs[pool.TxHash()] = api.SideTx{Tx: pool, InMempool: true}

	b.SideAddr = SideAddress
	script := []byte{0x00, 0x14, 0x75, 0x1e, 0x76, 0xe8, 0x19, 0x91, 0x96, 0xd4,
		0x54, 0x94, 0x1c, 0x45, 0xd1, 0xb3, 0xa3, 0x23, 0xf1, 0x43, 0x3b, 0xd6}
	b.SideUtxos[SideAddress] = []api.SideUtxo{
		{OutPoint: wire.OutPoint{Hash: hash(0xa0)}, Value: 5_000_000_000,
			PkScript: script, LotteryHeight: 1, Coinbase: true, Spendable: true},
		{OutPoint: wire.OutPoint{Hash: hash(0xa1), Index: 1}, Value: 70_000,
			PkScript: script, LotteryHeight: 101, Spendable: true},
		{OutPoint: wire.OutPoint{Hash: hash(0xa2)}, Value: 5_000_000_000,
			PkScript: script, LotteryHeight: 102, Coinbase: true},
	}
	b.SideBalanceValue = api.SideBalance{Address: SideAddress,
		Total: 10_000_070_000, Spendable: 5_000_020_000, Immature: 5_000_000_000,
		Pending: 50_000, Count: 3, SpendHeight: 103}
	b.FeeEstimate = api.SideFeeEstimate{FeeRate: 1_500, MinFeeRate: 1_000,
		MempoolTxs: 1, MempoolBytes: 200}
	b.SendSideTxID = hash(0xb5)
}

// hash returns a hash whose internal bytes start with b and count up, so
// that a display-order mix-up shows in tests.
func hash(b byte) chainhash.Hash {
	var h chainhash.Hash
	for i := range h {
		h[i] = b + byte(i)
	}
	return h
}

// pubKey returns a 33-byte compressed public key's bytes (the secp256k1
// generator).
func pubKey() []byte {
	k := []byte{0x02, 0x79, 0xbe, 0x66, 0x7e, 0xf9, 0xdc, 0xbb, 0xac, 0x55,
		0xa0, 0x62, 0x95, 0xce, 0x87, 0x0b, 0x07, 0x02, 0x9b, 0xfc, 0xdb,
		0x2d, 0xce, 0x28, 0xd9, 0x59, 0xf2, 0x81, 0x5b, 0x16, 0xf8, 0x17,
		0x98}
	return k
}

// Info implements api.NodeBackend.
func (b *Backend) Info(context.Context) (*api.Info, error) {
	info := b.InfoValue
	return &info, nil
}

// StateHash implements api.NodeBackend: a hash derived from the height for
// heights 0 through the tip, ErrNotFound above.
func (b *Backend) StateHash(_ context.Context, height int32) (chainhash.Hash, chainhash.Hash, error) {
	if height > b.InfoValue.Mainchain.TipHeight {
		return chainhash.Hash{}, chainhash.Hash{}, api.Errorf(api.ErrNotFound,
			"no state hash for height %d: the tip is at height %d", height,
			b.InfoValue.Mainchain.TipHeight)
	}
	return hash(byte(height)), hash(byte(height) ^ 0x5a), nil
}

// Tickets implements api.MainchainBackend.
func (b *Backend) Tickets(_ context.Context, p api.Page) ([]api.Ticket, uint64, error) {
	return api.Paginate(b.TicketList, p), uint64(len(b.TicketList)), nil
}

// Winner implements api.MainchainBackend.
func (b *Backend) Winner(_ context.Context, height int32) (*api.Winner, error) {
	w, ok := b.Winners[height]
	if !ok {
		return nil, api.Errorf(api.ErrNotFound, "no winner after block %d", height)
	}
	return &w, nil
}

// Publication implements api.MainchainBackend.
func (b *Backend) Publication(_ context.Context, height int32) (*api.Publication, error) {
	p, ok := b.Publications[height]
	if !ok {
		return nil, api.Errorf(api.ErrNotFound, "no publication in block %d", height)
	}
	return &p, nil
}

// NewAddress implements api.WalletBackend.
func (b *Backend) NewAddress(context.Context) (string, error) {
	if err := b.walletError(); err != nil {
		return "", err
	}
	return b.Address, nil
}

// Balance implements api.WalletBackend.
func (b *Backend) Balance(_ context.Context, minConf int32) (*api.Balance, error) {
	if err := b.walletError(); err != nil {
		return nil, err
	}
	b.mu.Lock()
	b.lastMinConf = minConf
	bal := b.BalanceValue
	b.mu.Unlock()
	return &bal, nil
}

// CreateStake implements api.WalletBackend.
func (b *Backend) CreateStake(_ context.Context, req api.StakeRequest) (*api.StakeResult, error) {
	if err := b.walletError(); err != nil {
		return nil, err
	}
	b.mu.Lock()
	b.lastStake = &req
	b.mu.Unlock()
	res := b.StakeResult
	if req.PSBTOnly {
		res.PSBT = "cHNidP8BAAoCAAAAAAAAAAAAAA=="
	} else {
		txid := hash(0xcd)
		res.TxID = &txid
	}
	return &res, nil
}

// ListStakes implements api.WalletBackend.
func (b *Backend) ListStakes(_ context.Context, p api.Page) ([]api.Ticket, uint64, error) {
	if err := b.walletError(); err != nil {
		return nil, 0, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	var own []api.Ticket
	for _, i := range b.OwnTickets {
		own = append(own, b.TicketList[i])
	}
	return api.Paginate(own, p), uint64(len(own)), nil
}

// WithdrawStake implements api.WalletBackend.
func (b *Backend) WithdrawStake(_ context.Context, req api.WithdrawRequest) (*api.WithdrawResult, error) {
	if err := b.walletError(); err != nil {
		return nil, err
	}
	b.mu.Lock()
	b.lastWithdraw = &req
	b.mu.Unlock()
	if req.PSBTOnly {
		return &api.WithdrawResult{PSBT: "cHNidP8BAAoCAAAAAAAAAAAAAA=="}, nil
	}
	txid := b.WithdrawTxID
	return &api.WithdrawResult{TxID: &txid}, nil
}

// RenewStake implements api.WalletBackend: it records the request and
// answers a renewal broadcast with WithdrawTxID.
func (b *Backend) RenewStake(_ context.Context, req api.RenewRequest) (*api.RenewResult, error) {
	if err := b.walletError(); err != nil {
		return nil, err
	}
	b.mu.Lock()
	b.lastRenew = &req
	b.mu.Unlock()
	txid := b.WithdrawTxID
	return &api.RenewResult{TxID: &txid, LockHeight: 1000 + req.LockBlocks}, nil
}

// LastRenew returns the last RenewStake request, or nil.
func (b *Backend) LastRenew() *api.RenewRequest {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.lastRenew
}

// TopUpStake implements api.WalletBackend: it records the top-up of one
// of OwnTickets, and refuses any other ticket with NotFound.
func (b *Backend) TopUpStake(_ context.Context, ticket uint64, amount int64) (*api.TopUpResult, error) {
	if err := b.walletError(); err != nil {
		return nil, err
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, i := range b.OwnTickets {
		if b.TicketList[i].ID == ticket {
			if b.TopUps == nil {
				b.TopUps = make(map[uint64]int64)
			}
			b.TopUps[ticket] += amount
			return &api.TopUpResult{Pending: b.TopUps[ticket]}, nil
		}
	}
	return nil, api.Errorf(api.ErrNotFound, "ticket %d is not one of this wallet's stakes", ticket)
}

// SideBlock implements api.SidechainBackend.
func (b *Backend) SideBlock(_ context.Context, req api.SideBlockRequest) (*api.SideBlock, error) {
	if err := b.sidechainError(); err != nil {
		return nil, err
	}
	b.mu.Lock()
	b.lastBlockReq = &req
	b.mu.Unlock()
	h := req.Hash
	if req.ByHeight {
		if req.Height >= uint64(len(b.SideBest)) {
			return nil, api.Errorf(api.ErrNotFound, "no best-chain block at height %d", req.Height)
		}
		h = b.SideBest[req.Height]
	}
	blk, ok := b.SideBlocks[h]
	if !ok {
		return nil, api.Errorf(api.ErrNotFound, "no sidechain block %v", h)
	}
	if !req.Raw {
		blk.Raw = nil
	}
	return &blk, nil
}

// SideTransaction implements api.SidechainBackend.
func (b *Backend) SideTransaction(_ context.Context, txid chainhash.Hash) (*api.SideTx, error) {
	if err := b.sidechainError(); err != nil {
		return nil, err
	}
	tx, ok := b.SideTxs[txid]
	if !ok {
		return nil, api.Errorf(api.ErrNotFound, "no sidechain transaction %v", txid)
	}
	return &tx, nil
}

// checkSideAddress accepts the addresses of SideUtxos and OtherSideAddress.
func (b *Backend) checkSideAddress(addr string) error {
	if _, ok := b.SideUtxos[addr]; !ok && addr != OtherSideAddress {
		return api.Errorf(api.ErrInvalidArgument, "address %s is not a regtest "+
			"sidechain address", addr)
	}
	return nil
}

// SideUnspent implements api.SidechainBackend.
func (b *Backend) SideUnspent(_ context.Context, addr string, p api.Page) ([]api.SideUtxo, uint64, error) {
	if err := b.sidechainError(); err != nil {
		return nil, 0, err
	}
	if err := b.checkSideAddress(addr); err != nil {
		return nil, 0, err
	}
	us := b.SideUtxos[addr]
	return api.Paginate(us, p), uint64(len(us)), nil
}

// SideAddressBalance implements api.SidechainBackend.
func (b *Backend) SideAddressBalance(_ context.Context, addr string) (*api.SideBalance, error) {
	if err := b.sidechainError(); err != nil {
		return nil, err
	}
	if err := b.checkSideAddress(addr); err != nil {
		return nil, err
	}
	bal := api.SideBalance{Address: addr, SpendHeight: b.SideBalanceValue.SpendHeight}
	for _, u := range b.SideUtxos[addr] {
		bal.Total += u.Value
		bal.Count++
		if u.Spendable {
			bal.Spendable += u.Value
		} else {
			bal.Immature += u.Value
		}
	}
	return &bal, nil
}

// SideAddressHistory implements api.SidechainBackend: SideAddress
// received a coinbase at height 1 and spent it at height 2, paying
// OtherSideAddress; the fake's tip is 2.
func (b *Backend) SideAddressHistory(_ context.Context, addr string, blocks uint32, p api.Page) (*api.SideHistory, error) {
	if err := b.sidechainError(); err != nil {
		return nil, err
	}
	if err := b.checkSideAddress(addr); err != nil {
		return nil, err
	}
	var txs []api.SideWalletTx
	switch addr {
	case SideAddress:
		txs = []api.SideWalletTx{
			{TxID: hash(0xd1), Height: 1, Confirmations: 2, Received: 5_000_000_000, Coinbase: true},
			{TxID: hash(0xd2), Height: 2, Confirmations: 1, Received: 1_000, Sent: 5_000_000_000},
		}
	case OtherSideAddress:
		txs = []api.SideWalletTx{{TxID: hash(0xd2), Height: 2, Confirmations: 1, Received: 4_999_998_000}}
	}
	from := max(0, 2-int32(blocks)+1)
	var in []api.SideWalletTx
	for _, t := range txs {
		if t.Height >= from {
			in = append(in, t)
		}
	}
	return &api.SideHistory{Address: addr, Txs: pageOf(in, p), Total: uint64(len(in)),
		FromHeight: from, Tip: 2}, nil
}

// SendSideTransaction implements api.SidechainBackend: it refuses a
// coinbase as the mempool does, and takes and records anything else.
func (b *Backend) SendSideTransaction(_ context.Context, tx *wire.MsgTx) (chainhash.Hash, error) {
	if err := b.sidechainError(); err != nil {
		return chainhash.Hash{}, err
	}
	null := wire.OutPoint{Index: wire.MaxPrevOutIndex}
	if len(tx.TxIn) == 1 && tx.TxIn[0].PreviousOutPoint == null {
		return chainhash.Hash{}, api.Errorf(api.ErrInvalidArgument,
			"ErrMempoolCoinbase: transaction %v is a coinbase", tx.TxHash())
	}
	b.mu.Lock()
	b.lastRawTx = tx
	b.mu.Unlock()
	return tx.TxHash(), nil
}

// SideFeeEstimate implements api.SidechainBackend.
func (b *Backend) SideFeeEstimate(context.Context) (*api.SideFeeEstimate, error) {
	if err := b.sidechainError(); err != nil {
		return nil, err
	}
	e := b.FeeEstimate
	return &e, nil
}

// SideAddress implements api.WalletBackend.
func (b *Backend) SideAddress(context.Context) (string, error) {
	if err := b.walletError(); err != nil {
		return "", err
	}
	return b.SideAddr, nil
}

// SideBalance implements api.WalletBackend.
func (b *Backend) SideBalance(context.Context) (*api.SideBalance, error) {
	if err := b.walletError(); err != nil {
		return nil, err
	}
	bal := b.SideBalanceValue
	return &bal, nil
}

// SendSide implements api.WalletBackend: it pays up to the spendable
// balance, and records the request.
func (b *Backend) SendSide(_ context.Context, to string, amount, feeRate int64) (chainhash.Hash, error) {
	if err := b.walletError(); err != nil {
		return chainhash.Hash{}, err
	}
	if err := b.checkSideAddress(to); err != nil {
		return chainhash.Hash{}, err
	}
	if amount > b.SideBalanceValue.Spendable {
		return chainhash.Hash{}, api.Errorf(api.ErrFailedPrecondition,
			"%d sat spendable, %d asked for", b.SideBalanceValue.Spendable, amount)
	}
	b.mu.Lock()
	b.lastSend = &SideSend{To: to, Amount: amount, FeeRate: feeRate}
	b.mu.Unlock()
	return b.SendSideTxID, nil
}

// SetSidechainErr makes every sidechain method return err (nil: work
// again).
func (b *Backend) SetSidechainErr(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sideErr = err
}

func (b *Backend) sidechainError() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sideErr
}

// LastBlockRequest returns the last SideBlock request, or nil.
func (b *Backend) LastBlockRequest() *api.SideBlockRequest {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.lastBlockReq
}

// LastSend returns the last SendSide request, or nil.
func (b *Backend) LastSend() *SideSend {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.lastSend
}

// LastRawTx returns the last transaction SendSideTransaction took, or nil.
func (b *Backend) LastRawTx() *wire.MsgTx {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.lastRawTx
}

// SetWalletErr makes every wallet method return err (nil: work again).
// SetMempoolWatched sets the balance's MempoolWatched: false answers as a
// neutrino node does.
func (b *Backend) SetMempoolWatched(on bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.BalanceValue.MempoolWatched = on
}

func (b *Backend) SetWalletErr(err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.walletErr = err
}

func (b *Backend) walletError() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.walletErr
}

// LastStake returns the last CreateStake request, or nil.
func (b *Backend) LastStake() *api.StakeRequest {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.lastStake
}

// LastWithdraw returns the last WithdrawStake request, or nil.
func (b *Backend) LastWithdraw() *api.WithdrawRequest {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.lastWithdraw
}

// LastMinConf returns the min_conf of the last Balance call.
func (b *Backend) LastMinConf() int32 {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.lastMinConf
}

// Server is an API server started by StartServer.
type Server struct {
	*api.Server

	// Dir holds its files: tls.cert, tls.key, admin.cred, readonly.cred.
	Dir string

	// Addr is the address it listens on, 127.0.0.1:<port>.
	Addr string

	// RESTAddr is the address its REST gateway listens on,
	// 127.0.0.1:<port>; empty if modify turned the gateway off.
	RESTAddr string

	// Config is the configuration it runs with.
	Config api.Config
}

// StartServer starts an API server for b on a free loopback port, and its
// REST gateway on another, with its files in a new temporary dir, and
// stops it when the test ends. modify, if not nil, changes the
// configuration first.
func StartServer(t testing.TB, b api.Backend, modify func(*api.Config)) *Server {
	t.Helper()
	dir := t.TempDir()
	cfg := api.DefaultConfig(dir, "regtest")
	cfg.Listeners = []string{"127.0.0.1:0"}
	cfg.RESTListeners = []string{"127.0.0.1:0"}
	if modify != nil {
		modify(&cfg)
	}
	srv, err := api.New(cfg, b)
	if err != nil {
		t.Fatalf("api.New: %v", err)
	}
	if err := srv.Start(); err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(srv.Stop)
	s := &Server{Server: srv, Dir: dir, Addr: srv.Addrs()[0].String(), Config: cfg}
	if addrs := srv.RESTAddrs(); len(addrs) > 0 {
		s.RESTAddr = addrs[0].String()
	}
	return s
}
