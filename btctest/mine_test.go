package btctest

import (
	"testing"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
)

// inMempool reports whether btcd's mempool holds txid.
func inMempool(t *testing.T, h *Harness, txid chainhash.Hash) bool {
	t.Helper()
	pool, err := h.Client().GetRawMempool()
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range pool {
		if *id == txid {
			return true
		}
	}
	return false
}

// confirmations returns how many blocks of the best chain confirm txid: 0
// when no block of it does.
func confirmations(t *testing.T, h *Harness, txid chainhash.Hash) uint64 {
	t.Helper()
	v, err := h.Client().GetRawTransactionVerbose(&txid)
	if err != nil {
		return 0
	}
	return v.Confirmations
}

// blockTxids returns the txids of a block, coinbase first.
func blockTxids(t *testing.T, h *Harness, hash *chainhash.Hash) []chainhash.Hash {
	t.Helper()
	b, err := h.Client().GetBlock(hash)
	if err != nil {
		t.Fatal(err)
	}
	var ids []chainhash.Hash
	for _, tx := range b.Transactions {
		ids = append(ids, tx.TxHash())
	}
	return ids
}

// TestMineBlock mines a block that holds exactly a transaction the harness
// chose and that btcd's relay policy refuses, with the witness commitment
// its witness needs, and checks the block btcd stored.
func TestMineBlock(t *testing.T) {
	h := spendableHarness(t)
	// Two OP_RETURN outputs: valid, but not standard.
	null := func(b byte) *wire.TxOut {
		s, err := txscript.NullDataScript([]byte{b})
		if err != nil {
			t.Fatal(err)
		}
		return wire.NewTxOut(0, s)
	}
	tx, err := h.Fund([]*wire.TxOut{null(1), null(2)}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Client().SendRawTransaction(tx, true); err == nil {
		t.Fatal("btcd relayed a transaction with two OP_RETURN outputs")
	}
	// Another transaction waits in the mempool; the block leaves it out.
	other := sendSelf(t, h, 100_000)

	height, _, _ := h.Tip()
	hash, err := h.MineBlock([]*wire.MsgTx{tx})
	if err != nil {
		t.Fatal(err)
	}
	newHeight, tip, _ := h.Tip()
	if newHeight != height+1 || tip != *hash {
		t.Fatalf("tip %d %v after MineBlock of %v at %d", newHeight, tip, hash, height+1)
	}
	block, err := h.Client().GetBlock(hash)
	if err != nil {
		t.Fatal(err)
	}
	if len(block.Transactions) != 2 || block.Transactions[1].TxHash() != tx.TxHash() {
		t.Fatalf("block holds %v, want the coinbase and %v", blockTxids(t, h, hash), tx.TxHash())
	}
	cb := block.Transactions[0]
	if subsidy := blockchain.CalcBlockSubsidy(newHeight, h.Params); len(cb.TxOut) != 2 ||
		cb.TxOut[0].Value != subsidy || string(cb.TxOut[0].PkScript) != string(h.MiningScript) {
		t.Fatalf("coinbase outputs %v, want %d sat to the mining script and the commitment",
			cb.TxOut, subsidy)
	}
	if _, ok := blockchain.ExtractWitnessCommitment(btcutil.NewTx(cb)); !ok {
		t.Fatal("the coinbase has no witness commitment")
	}
	if err := blockchain.ValidateWitnessCommitment(btcutil.NewBlock(block)); err != nil {
		t.Fatal(err)
	}
	if !inMempool(t, h, other.TxHash()) || confirmations(t, h, other.TxHash()) != 0 {
		t.Fatalf("%v left the mempool", other.TxHash())
	}

	// A block with no transaction needs no commitment.
	hash, err = h.MineBlock(nil)
	if err != nil {
		t.Fatal(err)
	}
	block, err = h.Client().GetBlock(hash)
	if err != nil {
		t.Fatal(err)
	}
	if len(block.Transactions) != 1 || len(block.Transactions[0].TxOut) != 1 {
		t.Fatalf("empty block: %v", blockTxids(t, h, hash))
	}

	// generate still mines the rest, and the wallet spends on.
	if _, err := h.Generate(1); err != nil {
		t.Fatal(err)
	}
	if confirmations(t, h, other.TxHash()) != 1 {
		t.Fatalf("%v not mined by generate", other.TxHash())
	}
}

// TestGenerateExcluding keeps a transaction and its child out of three
// blocks that mine everything else; generate then mines both.
func TestGenerateExcluding(t *testing.T) {
	h := spendableHarness(t)
	parent := sendSelf(t, h, 1_000_000)
	// A child of the parent's first output, signed with the mining key.
	child := wire.NewMsgTx(2)
	op := wire.OutPoint{Hash: parent.TxHash(), Index: 0}
	child.AddTxIn(wire.NewTxIn(&op, nil, nil))
	child.AddTxOut(wire.NewTxOut(990_000, h.MiningScript))
	if err := h.signInputs(child, map[wire.OutPoint]*wire.TxOut{
		op: wire.NewTxOut(1_000_000, h.MiningScript)}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Client().SendRawTransaction(child, true); err != nil {
		t.Fatal(err)
	}
	other := sendSelf(t, h, 100_000)

	isParent := func(tx *wire.MsgTx) bool { return tx.TxHash() == parent.TxHash() }
	hashes, err := h.GenerateExcluding(3, isParent)
	if err != nil {
		t.Fatal(err)
	}
	if len(hashes) != 3 {
		t.Fatalf("%d blocks, want 3", len(hashes))
	}
	for i, hash := range hashes {
		ids := blockTxids(t, h, hash)
		want := 1
		if i == 0 {
			want = 2 // the coinbase and the other transaction
		}
		if len(ids) != want || (i == 0 && ids[1] != other.TxHash()) {
			t.Fatalf("block %d holds %v", i, ids)
		}
	}
	for _, tx := range []*wire.MsgTx{parent, child} {
		if !inMempool(t, h, tx.TxHash()) || confirmations(t, h, tx.TxHash()) != 0 {
			t.Fatalf("%v did not stay in the mempool", tx.TxHash())
		}
	}

	hashes, err = h.Generate(1)
	if err != nil {
		t.Fatal(err)
	}
	ids := blockTxids(t, h, hashes[0])
	if len(ids) != 3 || ids[1] != parent.TxHash() || ids[2] != child.TxHash() {
		t.Fatalf("generate mined %v, want the parent then the child", ids)
	}
}

// TestMineDoubleSpend mines a double spend of a mempool transaction: btcd
// evicts the transaction, which can then never confirm.
func TestMineDoubleSpend(t *testing.T) {
	h := spendableHarness(t)
	tx := sendSelf(t, h, 100_000)
	conflict, err := h.DoubleSpend(tx, 2)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Client().SendRawTransaction(conflict, true); err == nil {
		t.Fatal("btcd relayed a double spend of a mempool transaction")
	}
	if !inMempool(t, h, tx.TxHash()) {
		t.Fatal("the transaction is not in the mempool")
	}
	if _, err := h.MineBlock([]*wire.MsgTx{conflict}); err != nil {
		t.Fatal(err)
	}
	if inMempool(t, h, tx.TxHash()) {
		t.Fatal("the double-spent transaction is still in the mempool")
	}
	if confirmations(t, h, conflict.TxHash()) != 1 {
		t.Fatal("the double spend is not confirmed")
	}
	if _, err := h.Generate(2); err != nil {
		t.Fatal(err)
	}
	if confirmations(t, h, tx.TxHash()) != 0 {
		t.Fatal("the double-spent transaction was mined")
	}
	// The wallet saw its coins spent by the double spend and spends others.
	again := sendSelf(t, h, 100_000)
	for _, in := range again.TxIn {
		for _, spent := range conflict.TxIn {
			if in.PreviousOutPoint == spent.PreviousOutPoint {
				t.Fatalf("the wallet spends %v again", in.PreviousOutPoint)
			}
		}
	}
}

// TestReorgExcluding reorganizes away the block that confirmed a
// transaction with replacement blocks that leave it out; it goes back to
// the mempool and out of the best chain. A coinbase spend that the reorg
// makes immature is left out too, where a block holding it would be
// invalid. The wallet follows the new chain, MineBlock's coinbases
// included.
func TestReorgExcluding(t *testing.T) {
	h := spendableHarness(t)
	tx := sendSelf(t, h, 100_000)
	mined, err := h.Generate(1)
	if err != nil {
		t.Fatal(err)
	}
	if confirmations(t, h, tx.TxHash()) != 1 {
		t.Fatal("the transaction is not mined")
	}
	if _, err := h.Generate(1); err != nil {
		t.Fatal(err)
	}

	// The coinbase that matures in the next block, spent now: two blocks
	// down, it is immature again.
	height, before, _ := h.Tip()
	cbHash, err := h.Client().GetBlockHash(int64(height) + 1 - int64(h.Params.CoinbaseMaturity))
	if err != nil {
		t.Fatal(err)
	}
	cbBlock, err := h.Client().GetBlock(cbHash)
	if err != nil {
		t.Fatal(err)
	}
	cb := cbBlock.Transactions[0]
	spend := wire.NewMsgTx(2)
	op := wire.OutPoint{Hash: cb.TxHash(), Index: 0}
	spend.AddTxIn(wire.NewTxIn(&op, nil, nil))
	spend.AddTxOut(wire.NewTxOut(cb.TxOut[0].Value-10_000, h.MiningScript))
	if err := h.signInputs(spend, map[wire.OutPoint]*wire.TxOut{op: cb.TxOut[0]}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Client().SendRawTransaction(spend, true); err != nil {
		t.Fatal(err)
	}

	// Its double spend can be signed while it is confirmed.
	conflict, err := h.DoubleSpend(tx, 2)
	if err != nil {
		t.Fatal(err)
	}

	isTx := func(m *wire.MsgTx) bool { return m.TxHash() == tx.TxHash() }
	hashes, err := h.ReorgExcluding(2, 1, isTx)
	if err != nil {
		t.Fatal(err)
	}
	newHeight, after, _ := h.Tip()
	if len(hashes) != 3 || newHeight != height+1 || after == before || after != *hashes[2] {
		t.Fatalf("reorg: tip %d %v -> %d %v, %d new blocks", height, before, newHeight,
			after, len(hashes))
	}
	got, err := h.Client().GetBlockHash(int64(height) - 1)
	if err != nil {
		t.Fatal(err)
	}
	if *got == *mined[0] {
		t.Fatal("the block that confirmed the transaction survived the reorg")
	}
	if confirmations(t, h, tx.TxHash()) != 0 || !inMempool(t, h, tx.TxHash()) {
		t.Fatal("the transaction is still on the best chain, or not back in the mempool")
	}
	for i, hash := range hashes {
		for _, id := range blockTxids(t, h, hash)[1:] {
			if id == tx.TxHash() {
				t.Fatalf("new block %d holds the excluded transaction", i)
			}
			if id == spend.TxHash() && i < 2 {
				t.Fatalf("new block %d holds a spend of an immature coinbase", i)
			}
		}
	}
	if confirmations(t, h, spend.TxHash()) != 1 {
		t.Fatal("the coinbase spend was not mined once mature")
	}

	// The wallet rescans the new chain and still pays; a block keeps the
	// excluded transaction out for good.
	if _, err := h.MineBlock([]*wire.MsgTx{conflict}); err != nil {
		t.Fatal(err)
	}
	if inMempool(t, h, tx.TxHash()) {
		t.Fatal("the reorganized transaction survived its double spend")
	}
	paid := sendSelf(t, h, 200_000)
	if _, err := h.Generate(1); err != nil {
		t.Fatal(err)
	}
	if confirmations(t, h, paid.TxHash()) != 1 {
		t.Fatal("the wallet's payment after the reorg was not mined")
	}

	// Coinbases of MineBlock pay the mining script: after maturity the
	// wallet holds them.
	first, err := h.MineBlock(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Generate(uint32(h.Params.CoinbaseMaturity)); err != nil {
		t.Fatal(err)
	}
	b, err := h.Client().GetBlock(first)
	if err != nil {
		t.Fatal(err)
	}
	want := wire.OutPoint{Hash: b.Transactions[0].TxHash(), Index: 0}
	h.wallet.mu.Lock()
	err = h.wallet.sync()
	_, ok := h.wallet.coins[want]
	h.wallet.mu.Unlock()
	if err != nil || !ok {
		t.Fatalf("the wallet does not hold the coinbase of a mined block: %v", err)
	}
}
