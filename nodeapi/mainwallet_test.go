package nodeapi

import (
	"context"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/store"
	"github.com/mainstake/sidenode/wallet"
)

// recordingFollower keeps the transactions handed to the mainchain backend.
type recordingFollower struct {
	mu  sync.Mutex
	txs []*wire.MsgTx
}

func (*recordingFollower) Status() mainwatch.Status { return mainwatch.Status{} }
func (f *recordingFollower) Broadcast(_ context.Context, tx *wire.MsgTx) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.txs = append(f.txs, tx)
	return nil
}

// TestMainWallet drives the wallet's payments through the adapter: a send
// checked and broadcast, its coin gone from the balance at once, the
// history, a fee bump, and the seed's passphrase and backup.
func TestMainWallet(t *testing.T) {
	s := newPegSim(t)
	seedFile := filepath.Join(t.TempDir(), "wallet.seed")
	seed, err := wallet.CreateSeed(seedFile, []byte("pass"), make([]byte, 32), wallet.KDF{N: 16, R: 8, P: 1})
	if err != nil {
		t.Fatal(err)
	}
	keys, err := wallet.NewKeyring(seed.BIP32(), s.p.Main)
	if err != nil {
		t.Fatal(err)
	}
	w, err := wallet.New(keys, s.db, mainwatch.NewWatchList(), s.p.Main)
	if err != nil {
		t.Fatal(err)
	}
	f := new(recordingFollower)
	b := New(Env{Params: s.p, DB: s.db, Wallet: w, Follower: f, SeedFile: seedFile})
	ctx := context.Background()

	connect := func(txs ...*wire.MsgTx) {
		t.Helper()
		height := int32(len(s.hashes))
		hdr := s.p.Main.GenesisBlock.Header
		if height > 0 {
			hdr = wire.BlockHeader{PrevBlock: s.hashes[height-1], Nonce: uint32(height)}
		}
		blk := &mainwatch.Block{Height: height, Hash: hdr.BlockHash(), Header: hdr}
		for i, tx := range txs {
			blk.Txs = append(blk.Txs, mainwatch.Tx{Index: i + 1, MsgTx: tx})
		}
		err := s.db.ConnectBlock(store.BlockID{Height: height, Hash: blk.Hash}, hdr.PrevBlock,
			func(wr *store.Writer) error { return w.ConnectBlock(wr, blk) })
		if err != nil {
			t.Fatal(err)
		}
		s.hashes = append(s.hashes, blk.Hash)
	}
	addr, err := w.NewAddress(wallet.Receive)
	if err != nil {
		t.Fatal(err)
	}
	own, _ := txscript.PayToAddrScript(addr)
	connect()
	connect(s.tx(wire.NewTxOut(100_000, own)), s.tx(wire.NewTxOut(50_000, own)))
	connect()

	foreign, _ := btcutil.NewAddressWitnessPubKeyHash(make([]byte, 20), s.p.Main)
	mainnet, _ := btcutil.NewAddressWitnessPubKeyHash(make([]byte, 20), &chaincfg.MainNetParams)
	side, _ := btcutil.NewAddressWitnessPubKeyHash(make([]byte, 20), s.p.Side)
	for _, tc := range []struct {
		to     string
		amount int64
		want   string
	}{
		{side.EncodeAddress(), 10_000, "sidechain address"},
		{mainnet.EncodeAddress(), 10_000, "to_address"},
		{foreign.EncodeAddress(), 100, "dust"},
		{foreign.EncodeAddress(), wallet.MaxAmount + 1, "amount_sat"},
	} {
		_, err := b.SendMain(ctx, tc.to, tc.amount, 0)
		wantAPICode(t, tc.to, err, api.ErrInvalidArgument)
		if err != nil && !strings.Contains(err.Error(), tc.want) {
			t.Errorf("SendMain to %s: %v does not say %q", tc.to, err, tc.want)
		}
	}
	_, err = b.SendMain(ctx, foreign.EncodeAddress(), 1_000_000, 0)
	wantAPICode(t, "more than the wallet has", err, api.ErrFailedPrecondition)
	if len(f.txs) != 0 {
		t.Fatalf("%d transactions broadcast by refused sends", len(f.txs))
	}

	sent, err := b.SendMain(ctx, foreign.EncodeAddress(), 60_000, 3)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.txs) != 1 || f.txs[0].TxHash() != sent.TxID || sent.Fee < 3*(sent.VSize-1) || sent.Fee > 3*sent.VSize {
		t.Fatalf("send %+v, %d broadcast", sent, len(f.txs))
	}
	change := 100_000 - 60_000 - sent.Fee
	bal, err := b.Balance(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	// The 100,000 coin is spent from the moment of the send.
	if bal.Confirmed != 50_000 || bal.Spendable != 50_000 || bal.Unconfirmed != change ||
		bal.SpentUnconfirmed != 100_000 || bal.Total != 50_000+change {
		t.Fatalf("balance after the send %+v (change %d)", bal, change)
	}
	if bal0, _ := b.Balance(ctx, 0); bal0.Confirmed != 50_000+change {
		t.Fatalf("balance at min_conf 0 %+v", bal0)
	}
	coins, total, err := b.WalletCoins(ctx, 0, api.Page{Limit: 10})
	if err != nil || total != 2 || coins[1].Confirmations != 0 || !coins[1].Change ||
		coins[0].Address != addr.EncodeAddress() {
		t.Fatalf("coins %+v %d %v", coins, total, err)
	}

	txs, total, err := b.WalletTransactions(ctx, api.Page{Limit: 10, Reversed: true})
	if err != nil || total != 3 || txs[0].TxID != sent.TxID || txs[0].Confirmed ||
		!txs[0].Replaceable || txs[0].Fee != sent.Fee || txs[1].Confirmations != 2 {
		t.Fatalf("history %+v %d %v", txs, total, err)
	}

	// The stream's view of the same history: block 1 confirms both
	// receipts, block 2 nothing, the unconfirmed send is in no block, and
	// a block off the chain is not on it.
	inBlock, onChain, err := b.WalletTransactionsIn(ctx, api.MainRef{Height: 1, Hash: s.hashes[1]})
	if err != nil || !onChain || len(inBlock) != 2 || !inBlock[0].Confirmed ||
		inBlock[0].Height != 1 || inBlock[0].Confirmations != 2 ||
		inBlock[0].Received+inBlock[1].Received != 150_000 {
		t.Fatalf("transactions in block 1: %+v %v %v", inBlock, onChain, err)
	}
	if inBlock, onChain, err = b.WalletTransactionsIn(ctx, api.MainRef{Height: 2, Hash: s.hashes[2]}); err != nil ||
		!onChain || len(inBlock) != 0 {
		t.Fatalf("transactions in block 2: %+v %v %v", inBlock, onChain, err)
	}
	if inBlock, onChain, err = b.WalletTransactionsIn(ctx, api.MainRef{Height: 1, Hash: s.hashes[2]}); err != nil ||
		onChain || len(inBlock) != 0 {
		t.Fatalf("a block off the chain: %+v %v %v", inBlock, onChain, err)
	}

	_, err = b.BumpFee(ctx, chainhash.Hash{7}, 10)
	wantAPICode(t, "bump of a foreign tx", err, api.ErrNotFound)
	_, err = b.BumpFee(ctx, sent.TxID, 3)
	wantAPICode(t, "bump at the same rate", err, api.ErrInvalidArgument)
	bump, err := b.BumpFee(ctx, sent.TxID, 10)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.txs) != 2 || f.txs[1].TxHash() != bump.TxID || bump.Replaced != sent.TxID ||
		bump.OldFee != sent.Fee || bump.Fee != 10*sent.VSize {
		t.Fatalf("bump %+v, %d broadcast", bump, len(f.txs))
	}
	if _, total, _ := b.WalletTransactions(ctx, api.Page{Limit: 10}); total != 3 {
		t.Fatalf("%d transactions after the bump, want the replacement in place of the original", total)
	}
	connect(f.txs[1])
	_, err = b.BumpFee(ctx, bump.TxID, 20)
	wantAPICode(t, "bump of a confirmed tx", err, api.ErrFailedPrecondition)
	got, err := b.WalletTransaction(ctx, bump.TxID)
	if err != nil || !got.Confirmed || got.Confirmations != 1 || got.Raw.TxHash() != bump.TxID {
		t.Fatalf("mined replacement %+v %v", got, err)
	}
	_, err = b.WalletTransaction(ctx, sent.TxID)
	wantAPICode(t, "the replaced tx", err, api.ErrNotFound)

	_, err = b.BackupSeed(ctx, []byte("wrong"))
	wantAPICode(t, "backup with a wrong passphrase", err, api.ErrInvalidArgument)
	backup, err := b.BackupSeed(ctx, []byte("pass"))
	if err != nil || hex.EncodeToString(backup.Seed) != hex.EncodeToString(seed.BIP32()) ||
		!strings.HasPrefix(backup.MasterXprv, "tprv") || backup.Legacy ||
		strings.Join(backup.Mnemonic, " ") != strings.Repeat("abandon ", 23)+"art" {
		t.Fatalf("backup %+v %v", backup, err)
	}
	_, _, err = b.ChangePassphrase(ctx, []byte("wrong"), []byte("new"))
	wantAPICode(t, "change with a wrong passphrase", err, api.ErrInvalidArgument)
	if _, _, err := b.ChangePassphrase(ctx, []byte("pass"), []byte("new")); err != nil {
		t.Fatal(err)
	}
	if _, err := wallet.OpenSeed(seedFile, []byte("new")); err != nil {
		t.Fatalf("the new passphrase does not open the seed: %v", err)
	}
}

// failingFollower refuses every broadcast once fail is set.
type failingFollower struct {
	recordingFollower
	fail bool
}

func (f *failingFollower) Broadcast(ctx context.Context, tx *wire.MsgTx) error {
	if f.fail {
		return errors.New("btcd is away")
	}
	return f.recordingFollower.Broadcast(ctx, tx)
}

// TestBumpFeeFailedBroadcastReleases: when the broadcast of a bump that
// added a coin fails, the coin is spendable again, as a failed send's are.
func TestBumpFeeFailedBroadcastReleases(t *testing.T) {
	s := newPegSim(t)
	keys, err := wallet.NewKeyring(make([]byte, 32), s.p.Main)
	if err != nil {
		t.Fatal(err)
	}
	w, err := wallet.New(keys, s.db, mainwatch.NewWatchList(), s.p.Main)
	if err != nil {
		t.Fatal(err)
	}
	f := new(failingFollower)
	b := New(Env{Params: s.p, DB: s.db, Wallet: w, Follower: f})
	ctx := context.Background()
	addr, err := w.NewAddress(wallet.Receive)
	if err != nil {
		t.Fatal(err)
	}
	own, _ := txscript.PayToAddrScript(addr)
	for _, txs := range [][]*wire.MsgTx{nil, {s.tx(wire.NewTxOut(100_000, own)), s.tx(wire.NewTxOut(50_000, own))}, nil} {
		connectWalletBlock(t, s, w, txs...)
	}
	foreign, _ := btcutil.NewAddressWitnessPubKeyHash(make([]byte, 20), s.p.Main)
	// No change: the bump must add the 50,000 coin.
	sent, err := b.SendMain(ctx, foreign.EncodeAddress(), 99_800, 1)
	if err != nil {
		t.Fatal(err)
	}
	f.fail = true
	_, err = b.BumpFee(ctx, sent.TxID, 20)
	wantAPICode(t, "bump whose broadcast fails", err, api.ErrUnavailable)
	bal, err := b.Balance(ctx, 1)
	if err != nil || bal.Spendable != 50_000 || bal.Confirmed != 50_000 || bal.SpentUnconfirmed != 100_000 {
		t.Fatalf("balance after the failed bump %+v %v", bal, err)
	}
	f.fail = false
	if _, err := b.SendMain(ctx, foreign.EncodeAddress(), 40_000, 1); err != nil {
		t.Fatalf("the coin the failed bump added is not spendable: %v", err)
	}
}

// connectWalletBlock connects the next block of s, holding txs, to the
// store and the wallet.
func connectWalletBlock(t *testing.T, s *pegSim, w *wallet.Wallet, txs ...*wire.MsgTx) {
	t.Helper()
	height := int32(len(s.hashes))
	hdr := s.p.Main.GenesisBlock.Header
	if height > 0 {
		hdr = wire.BlockHeader{PrevBlock: s.hashes[height-1], Nonce: uint32(height)}
	}
	blk := &mainwatch.Block{Height: height, Hash: hdr.BlockHash(), Header: hdr}
	for i, tx := range txs {
		blk.Txs = append(blk.Txs, mainwatch.Tx{Index: i + 1, MsgTx: tx})
	}
	err := s.db.ConnectBlock(store.BlockID{Height: height, Hash: blk.Hash}, hdr.PrevBlock,
		func(wr *store.Writer) error { return w.ConnectBlock(wr, blk) })
	if err != nil {
		t.Fatal(err)
	}
	s.hashes = append(s.hashes, blk.Hash)
}

// fakeMainTxs is btcd's getrawtransaction over a map.
type fakeMainTxs struct {
	txs   map[chainhash.Hash]*wire.MsgTx
	block chainhash.Hash
	err   error
}

func (f *fakeMainTxs) GetRawTransaction(_ context.Context, txid chainhash.Hash) (*wire.MsgTx,
	*chainhash.Hash, uint64, bool, error) {
	if f.err != nil {
		return nil, nil, 0, false, f.err
	}
	tx, ok := f.txs[txid]
	if !ok {
		return nil, nil, 0, false, nil
	}
	return tx, &f.block, 4, true, nil
}

// TestMainTransaction: the wallet's own mainchain transactions come from
// its records, others from btcd; one neither knows is NotFound saying so
// in the user's terms, with or without btcd (neutrino).
func TestMainTransaction(t *testing.T) {
	s := newPegSim(t)
	keys, err := wallet.NewKeyring(make([]byte, 32), s.p.Main)
	if err != nil {
		t.Fatal(err)
	}
	w, err := wallet.New(keys, s.db, mainwatch.NewWatchList(), s.p.Main)
	if err != nil {
		t.Fatal(err)
	}
	addr, err := w.NewAddress(wallet.Receive)
	if err != nil {
		t.Fatal(err)
	}
	own, _ := txscript.PayToAddrScript(addr)
	received := s.tx(wire.NewTxOut(100_000, own))
	connectWalletBlock(t, s, w)
	connectWalletBlock(t, s, w, received)
	foreign := s.tx(wire.NewTxOut(5_000, []byte{0x51}))
	btcd := &fakeMainTxs{txs: map[chainhash.Hash]*wire.MsgTx{foreign.TxHash(): foreign},
		block: chainhash.Hash{0xbb}}
	ctx := context.Background()

	b := New(Env{Params: s.p, DB: s.db, Wallet: w, Follower: new(recordingFollower), MainTxs: btcd})
	got, err := b.MainTransaction(ctx, received.TxHash())
	if err != nil || got.Source != "wallet" || got.Tx.TxHash() != received.TxHash() ||
		got.Confirmations != 1 || got.BlockHash == nil || *got.BlockHash != s.hashes[1] {
		t.Fatalf("the wallet's transaction %+v %v", got, err)
	}
	got, err = b.MainTransaction(ctx, foreign.TxHash())
	if err != nil || got.Source != "btcd" || got.Tx.TxHash() != foreign.TxHash() ||
		got.Confirmations != 4 || *got.BlockHash != btcd.block {
		t.Fatalf("btcd's transaction %+v %v", got, err)
	}
	_, err = b.MainTransaction(ctx, chainhash.Hash{9})
	wantAPICode(t, "unknown to btcd", err, api.ErrNotFound)
	if err == nil || !strings.Contains(err.Error(), "not in this node's wallet, and btcd does not know it: "+
		"btcd needs --txindex to find confirmed transactions of others") {
		t.Fatalf("unknown to btcd: %v", err)
	}
	btcd.err = errors.New("connection refused")
	_, err = b.MainTransaction(ctx, foreign.TxHash())
	wantAPICode(t, "btcd away", err, api.ErrUnavailable)

	neutrino := New(Env{Params: s.p, DB: s.db, Wallet: w, Follower: new(recordingFollower)})
	if got, err := neutrino.MainTransaction(ctx, received.TxHash()); err != nil || got.Source != "wallet" {
		t.Fatalf("the wallet's transaction with neutrino %+v %v", got, err)
	}
	_, err = neutrino.MainTransaction(ctx, foreign.TxHash())
	wantAPICode(t, "others' with neutrino", err, api.ErrNotFound)
	if err == nil || !strings.Contains(err.Error(), "only the wallet's own mainchain transactions") {
		t.Fatalf("others' with neutrino: %v", err)
	}
}

// TestBackupSeedLegacy: the backup of a wallet whose seed file predates
// word backups (version 1) is its hex seed, marked legacy, without words:
// words made from that seed would restore another wallet.
func TestBackupSeedLegacy(t *testing.T) {
	s := newPegSim(t)
	raw, err := os.ReadFile("../wallet/testdata/seed-v1.json")
	if err != nil {
		t.Fatal(err)
	}
	seedFile := filepath.Join(t.TempDir(), "wallet.seed")
	if err := os.WriteFile(seedFile, raw, 0o600); err != nil {
		t.Fatal(err)
	}
	seed, err := wallet.OpenSeed(seedFile, []byte("legacy pass"))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := wallet.NewKeyring(seed.BIP32(), s.p.Main)
	if err != nil {
		t.Fatal(err)
	}
	w, err := wallet.New(keys, s.db, mainwatch.NewWatchList(), s.p.Main)
	if err != nil {
		t.Fatal(err)
	}
	b := New(Env{Params: s.p, DB: s.db, Wallet: w, SeedFile: seedFile})
	backup, err := b.BackupSeed(context.Background(), []byte("legacy pass"))
	const seedHex = "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
	if err != nil || !backup.Legacy || backup.Mnemonic != nil || hex.EncodeToString(backup.Seed) != seedHex {
		t.Fatalf("legacy backup %+v %v", backup, err)
	}
}
