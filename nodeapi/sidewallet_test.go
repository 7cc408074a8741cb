package nodeapi

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/mainstake"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/opreturn"
	"github.com/mainstake/sidenode/pegbox"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
	"github.com/mainstake/sidenode/wallet"
)

// sideSim is an Adapter on an in-memory store, a sidechain whose
// mainchain blocks are synthetic (as sideblock's tests drive it), and a
// wallet whose sidechain key the coinbases pay. With peg set, every
// mainchain block also runs the pegbox index, on mainTxs and with stakers.
type sideSim struct {
	t       testing.TB
	b       *Adapter
	db      *store.DB
	chain   *sideblock.Chain
	pool    *sideblock.Mempool
	own     []byte
	mainTip int32
	hashes  []chainhash.Hash

	peg     *pegbox.Index
	stakers []pegbox.Staker
	mainTxs []*wire.MsgTx // the next mainchain block's transactions
}

const simSubsidy = 50_000_000

func newSideSim(t testing.TB) *sideSim {
	t.Helper()
	params := chainparams.Regtest
	params.SideSubsidy = simSubsidy
	db, err := store.Open("", store.Options{InMemory: true,
		Genesis: *chaincfg.RegressionNetParams.GenesisHash, Network: "regtest"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	keys, err := wallet.NewKeyring(make([]byte, 32), params.Main)
	if err != nil {
		t.Fatal(err)
	}
	wlt, err := wallet.New(keys, db, mainwatch.NewWatchList(), params.Main)
	if err != nil {
		t.Fatal(err)
	}
	chain, err := sideblock.NewChain(db, &params)
	if err != nil {
		t.Fatal(err)
	}
	pool := sideblock.NewMempool(chain, &params, sideblock.MempoolConfig{})
	s := &sideSim{t: t, db: db, chain: chain, pool: pool, mainTip: -1,
		b: New(Env{Params: &params, DB: db, Wallet: wlt, Sidechain: chain, Mempool: pool})}
	if _, _, s.own, err = s.b.sideKey(); err != nil {
		t.Fatal(err)
	}
	s.next(nil)
	return s
}

// next connects the next mainchain block, publishing block in it.
func (s *sideSim) next(block *sideblock.Block) {
	s.t.Helper()
	h := s.mainTip + 1
	hash := *chaincfg.RegressionNetParams.GenesisHash
	var prev chainhash.Hash
	if h > 0 {
		hash = chainhash.DoubleHashH([]byte(fmt.Sprintf("main/%d", h)))
		prev = s.hashes[h-1]
	}
	var pub *mainstake.Publication
	if block != nil {
		if err := s.chain.StageOwnBody(block); err != nil {
			s.t.Fatal(err)
		}
		pub = &mainstake.Publication{Height: h,
			TxID:   chainhash.DoubleHashH([]byte(fmt.Sprintf("pub/%d", h))),
			Header: opreturn.Header{PrevBlock: block.Header.PrevBlock, MerkleRoot: block.Header.MerkleRoot}}
	}
	var res *sideblock.Result
	mb := &mainwatch.Block{Height: h, Hash: hash}
	for i, tx := range s.mainTxs {
		mb.Txs = append(mb.Txs, mainwatch.Tx{Index: i + 1, MsgTx: tx})
	}
	s.mainTxs = nil
	err := s.db.ConnectBlock(store.BlockID{Height: h, Hash: hash}, prev, func(w *store.Writer) error {
		if s.peg != nil {
			_, err := s.peg.ConnectBlock(w, mb, pegbox.StakerList(s.stakers))
			if err != nil {
				return err
			}
		}
		var err error
		res, err = s.chain.ConnectMainBlock(w, h, pub)
		return err
	})
	if err != nil {
		s.t.Fatal(err)
	}
	if err := s.chain.Committed(); err != nil {
		s.t.Fatal(err)
	}
	if err := s.pool.ProcessResult(res); err != nil {
		s.t.Fatal(err)
	}
	s.mainTip = h
	s.hashes = append(s.hashes, hash)
}

// produce builds a block on the tip from the mempool, paying the node, and
// publishes it in the next mainchain block.
func (s *sideSim) produce() *sideblock.Block {
	s.t.Helper()
	var block *sideblock.Block
	err := s.db.View(func(r store.Reader) error {
		var err error
		block, err = s.chain.NewBlockTemplate(r, s.mainTip, s.own, s.pool.Select(sideblock.TemplateTxBytes))
		return err
	})
	if err != nil {
		s.t.Fatal(err)
	}
	s.next(block)
	if h, _, _ := s.chain.Tip(); h != block.BlockHash() {
		s.t.Fatalf("produced block %v did not connect", block.BlockHash())
	}
	return block
}

func (s *sideSim) balance() *api.SideBalance {
	s.t.Helper()
	bal, err := s.b.SideBalance(context.Background())
	if err != nil {
		s.t.Fatal(err)
	}
	return bal
}

func otherAddress(t testing.TB, params *chainparams.Params) (string, []byte) {
	priv, _ := btcec.PrivKeyFromBytes(chainhash.DoubleHashB([]byte("other")))
	addr, err := sideblock.SideP2WPKHAddress(priv.PubKey(), params)
	if err != nil {
		t.Fatal(err)
	}
	script, err := txscript.PayToAddrScript(addr)
	if err != nil {
		t.Fatal(err)
	}
	return addr.EncodeAddress(), script
}

func TestSideWalletSend(t *testing.T) {
	s := newSideSim(t)
	ctx := context.Background()
	b := s.b
	to, toScript := otherAddress(t, b.params)

	addr, err := b.SideAddress(ctx)
	if err != nil || !strings.HasPrefix(addr, "sdrt1q") {
		t.Fatalf("side address %q, %v", addr, err)
	}

	s.produce() // lottery height 0
	s.produce() // lottery height 1
	for s.mainTip < 100 {
		s.next(nil)
	}
	// At spend height 100 the first coinbase is mature, the second not.
	bal := s.balance()
	want := api.SideBalance{Address: addr, Total: 2 * simSubsidy, Spendable: simSubsidy,
		Immature: simSubsidy, Count: 2, SpendHeight: 100}
	if *bal != want {
		t.Fatalf("balance %+v, want %+v", *bal, want)
	}

	txid, err := b.SendSide(ctx, to, 10_000_000, 0)
	if err != nil {
		t.Fatal(err)
	}
	stx, err := b.SideTransaction(ctx, txid)
	if err != nil || !stx.InMempool || stx.Confirmed {
		t.Fatalf("sent transaction %+v, %v", stx, err)
	}
	tx := stx.Tx
	fee := int64(simSubsidy) - tx.TxOut[0].Value - tx.TxOut[1].Value
	if len(tx.TxIn) != 1 || tx.TxOut[0].Value != 10_000_000 ||
		string(tx.TxOut[0].PkScript) != string(toScript) || string(tx.TxOut[1].PkScript) != string(s.own) ||
		fee*1000/int64(tx.SerializeSize()) < s.pool.MinFeeRate() || fee > 1000 {
		t.Fatalf("payment %v: fee %d for %d bytes", tx.TxHash(), fee, tx.SerializeSize())
	}
	if bal := s.balance(); bal.Pending != simSubsidy || bal.Spendable != 0 {
		t.Fatalf("balance with the payment pending %+v", bal)
	}
	// Nothing else is mature and unspent.
	_, err = b.SendSide(ctx, to, 1_000, 0)
	if !api.IsErrorCode(err, api.ErrFailedPrecondition) || !strings.Contains(err.Error(), "immature") {
		t.Fatalf("second payment: %v", err)
	}

	// The payment confirms; the change is spendable at once, the
	// payee's output is listed.
	block := s.produce() // lottery height 100
	stx, err = b.SideTransaction(ctx, txid)
	if err != nil || stx.InMempool || !stx.Confirmed || stx.BlockHash != block.BlockHash() ||
		stx.Index != 1 || stx.Confirmations != 1 || stx.BlockHeight != 2 {
		t.Fatalf("confirmed payment %+v, %v", stx, err)
	}
	utxos, total, err := b.SideUnspent(ctx, to, api.Page{Limit: 10})
	if err != nil || total != 1 || utxos[0].Value != 10_000_000 || !utxos[0].Spendable ||
		utxos[0].OutPoint != (wire.OutPoint{Hash: txid}) {
		t.Fatalf("payee's outputs %+v (%d), %v", utxos, total, err)
	}
	for _, bad := range []string{"", "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080", "sdrt1qnotanaddress"} {
		if _, _, err := b.SideUnspent(ctx, bad, api.Page{Limit: 1}); !api.IsErrorCode(err, api.ErrInvalidArgument) {
			t.Fatalf("SideUnspent(%q): %v", bad, err)
		}
	}
	payee, err := b.SideAddressBalance(ctx, to)
	if err != nil || payee.Total != 10_000_000 || payee.Count != 1 {
		t.Fatalf("payee's balance %+v, %v", payee, err)
	}
	// At spend height 101 the second coinbase has matured; the third
	// (lottery height 100, with the payment's fee) has not.
	bal = s.balance()
	if bal.Spendable != simSubsidy+tx.TxOut[1].Value || bal.Immature != simSubsidy+fee ||
		bal.Pending != 0 || bal.Count != 3 || bal.SpendHeight != 101 {
		t.Fatalf("balance after the payment %+v", bal)
	}

	// The oldest coin, all but less than dust: no change output.
	all := simSubsidy - sideFee(sideTxSize(1, toScript), 1000) - 100
	txid2, err := b.SendSide(ctx, to, all, 1000)
	if err != nil {
		t.Fatal(err)
	}
	stx, _ = b.SideTransaction(ctx, txid2)
	if len(stx.Tx.TxOut) != 1 || stx.Tx.TxOut[0].Value != all {
		t.Fatalf("payment of the change %v", stx.Tx)
	}

	// Blocks, by height and by hash.
	blk, err := b.SideBlock(ctx, api.SideBlockRequest{Height: 2, ByHeight: true, Raw: true})
	if err != nil || blk.Hash != block.BlockHash() || len(blk.TxIDs) != 2 || blk.TxIDs[1] != txid ||
		blk.Status != api.SideValid || !blk.OnBestChain || blk.Confirmations != 1 ||
		blk.LotteryHeight != 100 || blk.PubHeight != 101 || len(blk.Raw) != sideblock.HeaderSize+blk.Size {
		t.Fatalf("block at height 2: %+v, %v", blk, err)
	}
	if _, err := b.SideBlock(ctx, api.SideBlockRequest{Height: 3, ByHeight: true}); !api.IsErrorCode(err, api.ErrNotFound) {
		t.Fatalf("block above the tip: %v", err)
	}
	if _, err := b.SideBlock(ctx, api.SideBlockRequest{Hash: chainhash.Hash{1}}); !api.IsErrorCode(err, api.ErrNotFound) {
		t.Fatalf("unknown block: %v", err)
	}
	if _, err := b.SideTransaction(ctx, chainhash.Hash{1}); !api.IsErrorCode(err, api.ErrNotFound) {
		t.Fatalf("unknown transaction: %v", err)
	}

	// Refusals carry the rule's name.
	err = sendErr(b.SendSideTransaction(ctx, tx))
	if !api.IsErrorCode(err, api.ErrFailedPrecondition) || !strings.HasPrefix(err.Error(), "ErrMissingTxOut: ") {
		t.Fatalf("resending a confirmed payment: %v", err)
	}
	unsigned := stx.Tx.Copy()
	unsigned.TxIn[0].Witness = nil
	unsigned.TxOut[0].Value--
	err = sendErr(b.SendSideTransaction(ctx, unsigned))
	if !api.IsErrorCode(err, api.ErrFailedPrecondition) || !strings.HasPrefix(err.Error(), "ErrMempoolConflict: ") {
		t.Fatalf("conflicting transaction: %v", err)
	}
	if !sideblock.IsErrorCode(err, sideblock.ErrMempoolConflict) {
		t.Fatalf("the rule error is not wrapped: %v", err)
	}

	for _, tc := range []struct {
		to      string
		amount  int64
		feeRate int64
		code    api.ErrorCode
	}{
		{"bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080", 1000, 0, api.ErrInvalidArgument},
		{to, 1000, 1, api.ErrInvalidArgument},
		{to, 1000, maxSideFeeRate + 1, api.ErrInvalidArgument},
		{to, 100 * simSubsidy, 0, api.ErrFailedPrecondition},
	} {
		if _, err := b.SendSide(ctx, tc.to, tc.amount, tc.feeRate); !api.IsErrorCode(err, tc.code) {
			t.Errorf("SendSide(%s, %d, %d): %v, want %v", tc.to, tc.amount, tc.feeRate, err, tc.code)
		}
	}

	e, err := b.SideFeeEstimate(ctx)
	if err != nil || e.FeeRate != s.pool.MinFeeRate() || e.MempoolTxs != 1 {
		t.Fatalf("fee estimate %+v, %v", e, err)
	}

	b.wallet = nil
	if _, err := b.SendSide(ctx, to, 1000, 0); !api.IsErrorCode(err, api.ErrNoWallet) {
		t.Fatalf("without a wallet: %v", err)
	}
}

func sendErr(_ chainhash.Hash, err error) error { return err }

// TestBuildSideSpendSkipsDust: coins worth less than their input costs
// are left alone.
func TestBuildSideSpendSkipsDust(t *testing.T) {
	priv, _ := btcec.PrivKeyFromBytes(chainhash.DoubleHashB([]byte("k")))
	own := []byte{txscript.OP_0, txscript.OP_DATA_20, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
		11, 12, 13, 14, 15, 16, 17, 18, 19, 20}
	coin := func(i byte, v int64) sideblock.OutPointUtxo {
		return sideblock.OutPointUtxo{OutPoint: wire.OutPoint{Hash: chainhash.Hash{i}},
			Utxo: sideblock.Utxo{Value: v, PkScript: own, Height: int32(i)}}
	}
	coins := []sideblock.OutPointUtxo{coin(1, 0), coin(2, 100), coin(3, 1_000_000)}
	tx, err := buildSideSpend(coins, 1000, func(wire.OutPoint) bool { return false },
		priv, own, own, 500_000, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(tx.TxIn) != 1 || tx.TxIn[0].PreviousOutPoint != coins[2].OutPoint || len(tx.TxOut) != 2 {
		t.Fatalf("spend %v", tx)
	}
}

// TestSideIncoming: the side balance's incoming is what mempool
// transactions of others pay the node's address; the change of its own
// send is not incoming, and a payment counts as a coin, not as incoming,
// once in a block.
func TestSideIncoming(t *testing.T) {
	s := newSideSim(t)
	ctx := context.Background()
	b := s.b
	to, toScript := otherAddress(t, b.params)
	otherKey, _ := btcec.PrivKeyFromBytes(chainhash.DoubleHashB([]byte("other")))

	s.produce()
	s.produce()
	for s.mainTip < 100 {
		s.next(nil)
	}
	if _, err := b.SendSide(ctx, to, 10_000_000, 0); err != nil {
		t.Fatal(err)
	}
	if bal := s.balance(); bal.Incoming != 0 || bal.Pending != simSubsidy {
		t.Fatalf("the change of the node's own send counts as incoming: %+v", bal)
	}
	s.produce()

	// The payee pays 4,000,000 back: incoming until it is in a block.
	coins, spendHeight, err := b.sideCoins(toScript)
	if err != nil || len(coins) != 1 {
		t.Fatalf("payee's coins %+v, %v", coins, err)
	}
	back, err := buildSideSpend(coins, spendHeight, func(wire.OutPoint) bool { return false },
		otherKey, toScript, s.own, 4_000_000, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := b.SendSideTransaction(ctx, back); err != nil {
		t.Fatal(err)
	}
	before := s.balance()
	if before.Incoming != 4_000_000 {
		t.Fatalf("balance with a payment in the mempool %+v", before)
	}
	s.produce()
	after := s.balance()
	if after.Incoming != 0 || after.Total-before.Total < 4_000_000 {
		t.Fatalf("balance once the payment is in a block %+v (before %+v)", after, before)
	}
}
