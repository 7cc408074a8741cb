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

	mu           sync.Mutex
	walletErr    error
	lastStake    *api.StakeRequest
	lastWithdraw *api.WithdrawRequest
	lastMinConf  int32
}

var _ api.Backend = (*Backend)(nil)

// NewBackend returns a fake backend with n tickets, a winner and a
// publication at heights 10 and 11, and a wallet that owns tickets 1 and 3
// (when they exist).
func NewBackend(n int) *Backend {
	b := &Backend{
		Winners:      make(map[int32]api.Winner),
		Publications: make(map[int32]api.Publication),
		Address:      "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080",
		BalanceValue: api.Balance{Total: 150_000_000, Spendable: 100_000_000},
		StakeResult:  api.StakeResult{LockHeight: 2_100, PubKey: pubKey()},
		WithdrawTxID: hash(0xee),
	}
	for i := 0; i < n; i++ {
		end := int32(-1)
		if i%5 == 4 {
			end = int32(200 + i)
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
	return b
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
	b.mu.Unlock()
	bal := b.BalanceValue
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
	var own []api.Ticket
	for _, i := range b.OwnTickets {
		own = append(own, b.TicketList[i])
	}
	return api.Paginate(own, p), uint64(len(own)), nil
}

// WithdrawStake implements api.WalletBackend.
func (b *Backend) WithdrawStake(_ context.Context, req api.WithdrawRequest) (chainhash.Hash, error) {
	if err := b.walletError(); err != nil {
		return chainhash.Hash{}, err
	}
	b.mu.Lock()
	b.lastWithdraw = &req
	b.mu.Unlock()
	return b.WithdrawTxID, nil
}

// SetWalletErr makes every wallet method return err (nil: work again).
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

	// Config is the configuration it runs with.
	Config api.Config
}

// StartServer starts an API server for b on a free loopback port, with its
// files in a new temporary dir, and stops it when the test ends. modify,
// if not nil, changes the configuration first.
func StartServer(t testing.TB, b api.Backend, modify func(*api.Config)) *Server {
	t.Helper()
	dir := t.TempDir()
	cfg := api.DefaultConfig(dir, "regtest")
	cfg.Listeners = []string{"127.0.0.1:0"}
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
	return &Server{Server: srv, Dir: dir, Addr: srv.Addrs()[0].String(), Config: cfg}
}
