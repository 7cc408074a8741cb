package apitest

import (
	"context"
	"math"
	"strings"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/wallet"
)

// The fake wallet's payments: one coin, one confirmed and one unconfirmed
// transaction, and the passphrase FakePassphrase.

// FakePassphrase is the passphrase of the fake wallet's seed.
const FakePassphrase = "correct horse"

// WalletTxID is the fake wallet's unconfirmed transaction; ConfirmedTxID
// its confirmed one.
var (
	WalletTxID    = hash(0xc1)
	ConfirmedTxID = hash(0xc2)
)

// SendMain implements api.WalletBackend.
func (b *Backend) SendMain(_ context.Context, to string, amount, feeRate int64) (*api.SendResult, error) {
	if err := b.walletError(); err != nil {
		return nil, err
	}
	if to != MainAddress && to != b.Address {
		return nil, api.Errorf(api.ErrInvalidArgument, "to_address %q is not a regtest address", to)
	}
	b.mu.Lock()
	b.sendMains++
	b.mu.Unlock()
	return &api.SendResult{TxID: hash(0xc3), Fee: 141 * max(feeRate, 2), VSize: 141}, nil
}

// SendMainCount returns how many SendMain calls the fake accepted.
func (b *Backend) SendMainCount() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.sendMains
}

// WalletCoins implements api.WalletBackend.
func (b *Backend) WalletCoins(_ context.Context, minConf int32, p api.Page) ([]api.WalletCoin, uint64, error) {
	if err := b.walletError(); err != nil {
		return nil, 0, err
	}
	coins := []api.WalletCoin{{OutPoint: wire.OutPoint{Hash: ConfirmedTxID}, Value: 100_000_000,
		Address: b.Address, Height: 100, Confirmations: 6}}
	if minConf == 0 {
		coins = append(coins, api.WalletCoin{OutPoint: wire.OutPoint{Hash: WalletTxID, Index: 1},
			Value: 40_000_000, Address: b.Address, Change: true})
	}
	return pageOf(coins, p), uint64(len(coins)), nil
}

func (b *Backend) walletTxs() []api.WalletTx {
	return []api.WalletTx{
		{TxID: ConfirmedTxID, Confirmed: true, Height: 100, Confirmations: 6,
			Received: 100_000_000, Fee: -1},
		{TxID: WalletTxID, Received: 40_000_000, Sent: 100_000_000, Fee: 282, Replaceable: true},
	}
}

// WalletTransactions implements api.WalletBackend.
func (b *Backend) WalletTransactions(_ context.Context, p api.Page) ([]api.WalletTx, uint64, error) {
	if err := b.walletError(); err != nil {
		return nil, 0, err
	}
	txs := b.walletTxs()
	return pageOf(txs, p), uint64(len(txs)), nil
}

// WalletTransaction implements api.WalletBackend.
func (b *Backend) WalletTransaction(_ context.Context, txid chainhash.Hash) (*api.WalletTx, error) {
	if err := b.walletError(); err != nil {
		return nil, err
	}
	for _, t := range b.walletTxs() {
		if t.TxID == txid {
			tx := wire.NewMsgTx(2)
			tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: ConfirmedTxID}, nil, [][]byte{{1}}))
			tx.AddTxOut(wire.NewTxOut(40_000_000, mainScript))
			t.Raw = tx
			return &t, nil
		}
	}
	return nil, api.Errorf(api.ErrNotFound, "mainchain transaction %v is not one of the wallet's", txid)
}

// BumpFee implements api.WalletBackend.
func (b *Backend) BumpFee(_ context.Context, txid chainhash.Hash, feeRate int64) (*api.BumpResult, error) {
	if err := b.walletError(); err != nil {
		return nil, err
	}
	switch {
	case txid == ConfirmedTxID:
		return nil, api.Errorf(api.ErrFailedPrecondition, "%v is already confirmed", txid)
	case txid != WalletTxID:
		return nil, api.Errorf(api.ErrNotFound, "%v is not a transaction of the wallet", txid)
	case feeRate <= 2:
		return nil, api.Errorf(api.ErrInvalidArgument, "fee_rate_sat_vb %d is not above 2 sat/vB", feeRate)
	}
	return &api.BumpResult{TxID: hash(0xc4), Replaced: txid, OldFee: 282, Fee: 141 * feeRate}, nil
}

// ChangePassphrase implements api.WalletBackend.
func (b *Backend) ChangePassphrase(_ context.Context, current, _ []byte) (string, string, error) {
	if err := b.walletError(); err != nil {
		return "", "", err
	}
	if string(current) != FakePassphrase {
		return "", "", api.Errorf(api.ErrInvalidArgument, "current_passphrase: wrong wallet passphrase")
	}
	return "/fake/wallet.seed", "", nil
}

// BackupSeed implements api.WalletBackend.
func (b *Backend) BackupSeed(_ context.Context, pass []byte) (*api.SeedBackup, error) {
	if err := b.walletError(); err != nil {
		return nil, err
	}
	if string(pass) != FakePassphrase {
		return nil, api.Errorf(api.ErrInvalidArgument, "passphrase: wrong wallet passphrase")
	}
	return &api.SeedBackup{Seed: make([]byte, 64), Mnemonic: FakeMnemonic(), MasterXprv: "tprv-fake",
		Derivation: []string{"m/84'/1'/0'/0/i receive"}}, nil
}

// FakeMnemonic returns the fake wallet's words: those of all-zero entropy.
func FakeMnemonic() []string {
	return append(strings.Fields(strings.Repeat("abandon ", 23)), "art")
}

// CreateWallet implements api.WalletBackend as a node waiting for its
// wallet does: a new wallet has FakeMnemonic's words; a restore takes the
// words of a wallet's backup (LastMnemonic returns them), and refuses
// others as the node does.
func (b *Backend) CreateWallet(_ context.Context, _ []byte, mnemonic []string) (string, *api.SeedBackup, error) {
	if len(mnemonic) > 0 {
		if _, err := wallet.ParseMnemonic(strings.Join(mnemonic, " ")); err != nil {
			return "", nil, api.Errorf(api.ErrInvalidArgument, "mnemonic: %v", err)
		}
	}
	b.mu.Lock()
	b.lastMnemonic = append([]string(nil), mnemonic...)
	b.mu.Unlock()
	if len(mnemonic) > 0 {
		return "/fake/wallet.seed", &api.SeedBackup{Seed: make([]byte, 64)}, nil
	}
	return "/fake/wallet.seed", &api.SeedBackup{Seed: make([]byte, 64), Mnemonic: FakeMnemonic()}, nil
}

// LastMnemonic returns the words of the last CreateWallet call (nil for a
// new wallet).
func (b *Backend) LastMnemonic() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.lastMnemonic...)
}

// UnlockWallet implements api.WalletBackend as a node waiting for its
// wallet does: FakePassphrase opens it.
func (b *Backend) UnlockWallet(_ context.Context, pass []byte) (string, error) {
	if string(pass) != FakePassphrase {
		return "", api.Errorf(api.ErrInvalidArgument, "passphrase: wrong wallet passphrase")
	}
	return "/fake/wallet.seed", nil
}

// SideTransactions implements api.WalletBackend: the coinbases of the
// fake's sidechain that pay its address.
func (b *Backend) SideTransactions(_ context.Context, blocks uint32, p api.Page) (*api.SideHistory, error) {
	if err := b.walletError(); err != nil {
		return nil, err
	}
	txs := []api.SideWalletTx{
		{TxID: hash(0xd1), Height: 1, Confirmations: 2, Received: 5_000_000_000, Coinbase: true},
		{TxID: hash(0xd2), Height: 2, Confirmations: 1, Received: 1_000, Sent: 5_000_000_000},
	}
	return &api.SideHistory{Address: SideAddress, Txs: pageOf(txs, p), Total: uint64(len(txs)),
		FromHeight: max(0, 2-int32(blocks)+1), Tip: 2}, nil
}

// pageOf returns the page p of items.
func pageOf[T any](items []T, p api.Page) []T {
	n := uint64(len(items))
	if p.Offset >= n {
		return nil
	}
	out := make([]T, 0, n-p.Offset)
	for i := p.Offset; i < n && uint64(len(out)) < uint64(p.Limit); i++ {
		j := i
		if p.Reversed {
			j = n - 1 - i
		}
		out = append(out, items[j])
	}
	return out
}

// ForeignMainTxID is a mainchain transaction of others that the fake's
// btcd knows, in a block.
var ForeignMainTxID = foreignMainTx().TxHash()

func foreignMainTx() *wire.MsgTx {
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: chainhash.Hash{0xf0}}, nil, [][]byte{{2}}))
	tx.AddTxOut(wire.NewTxOut(70_000_000, mainScript))
	return tx
}

// MainTransaction implements api.MainchainBackend: the wallet's
// transactions, and ForeignMainTxID as btcd would find it.
func (b *Backend) MainTransaction(ctx context.Context, txid chainhash.Hash) (*api.MainTx, error) {
	if t, err := b.WalletTransaction(ctx, txid); err == nil {
		return &api.MainTx{Tx: t.Raw, Confirmations: int32(min(t.Confirmations, math.MaxInt32)), Source: "wallet"}, nil
	}
	if txid == ForeignMainTxID {
		block := chainhash.Hash{0xb1}
		return &api.MainTx{Tx: foreignMainTx(), BlockHash: &block, Confirmations: 3, Source: "btcd"}, nil
	}
	return nil, api.Errorf(api.ErrNotFound, "mainchain transaction %v is not in this node's wallet, "+
		"and btcd does not know it: btcd needs --txindex to find confirmed transactions of others", txid)
}
