package bitcoinrpc_test

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcjson"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/rpcclient"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/sideblock"
)

func newClient(t *testing.T, n *powNode) *rpcclient.Client {
	t.Helper()
	c, err := rpcclient.New(&rpcclient.ConnConfig{
		Host: strings.TrimPrefix(n.url, "http://"), User: rpcUser, Pass: rpcPass,
		HTTPPostMode: true, DisableTLS: true,
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Shutdown)
	return c
}

// blockFromTemplate builds the block of a template as a coinbasetxn
// client does: the node's coinbase and the listed transactions, the merkle
// root over the listed txids, a nonce under the target.
func blockFromTemplate(t *testing.T, tmpl *btcjson.GetBlockTemplateResult, withdrawalRoot *chainhash.Hash) *wire.MsgBlock {
	t.Helper()
	decode := func(s string) *wire.MsgTx {
		raw, err := hex.DecodeString(s)
		if err != nil {
			t.Fatal(err)
		}
		var tx wire.MsgTx
		if err := tx.Deserialize(bytes.NewReader(raw)); err != nil {
			t.Fatal(err)
		}
		return &tx
	}
	if tmpl.CoinbaseTxn == nil {
		t.Fatal("no coinbasetxn")
	}
	cb := decode(tmpl.CoinbaseTxn.Data)
	b := &wire.MsgBlock{Transactions: []*wire.MsgTx{cb}}
	ids := []chainhash.Hash{cb.TxHash()}
	for _, tx := range tmpl.Transactions {
		b.Transactions = append(b.Transactions, decode(tx.Data))
		id, err := chainhash.NewHashFromStr(tx.TxID)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, *id)
	}
	root := merkleOfIDs(ids)
	if withdrawalRoot != nil {
		root = blockchain.HashMerkleBranches(&root, withdrawalRoot)
	}
	prev, err := chainhash.NewHashFromStr(tmpl.PreviousHash)
	if err != nil {
		t.Fatal(err)
	}
	bits, err := hexUint32(tmpl.Bits)
	if err != nil {
		t.Fatal(err)
	}
	b.Header = wire.BlockHeader{Version: tmpl.Version, PrevBlock: *prev, MerkleRoot: root,
		Timestamp: time.Unix(tmpl.CurTime, 0), Bits: bits}
	target := blockchain.CompactToBig(bits)
	for {
		h := b.Header.BlockHash()
		if blockchain.HashToBig(&h).Cmp(target) <= 0 {
			return b
		}
		b.Header.Nonce++
	}
}

// merkleOfIDs is Bitcoin's merkle root of txids.
func merkleOfIDs(level []chainhash.Hash) chainhash.Hash {
	level = append([]chainhash.Hash(nil), level...)
	for len(level) > 1 {
		if len(level)%2 == 1 {
			level = append(level, level[len(level)-1])
		}
		next := level[:0:0]
		for i := 0; i < len(level); i += 2 {
			next = append(next, blockchain.HashMerkleBranches(&level[i], &level[i+1]))
		}
		level = next
	}
	return level[0]
}

// TestRPCClient drives the server with btcd's rpcclient in HTTP POST mode:
// the template's fields, a block built from its coinbasetxn submitted and
// accepted, the same block again a duplicate, the best block, the chain
// and mining figures, and address validation.
func TestRPCClient(t *testing.T) {
	n := newPowNode(t)
	c := newClient(t, n)

	tmpl, err := c.GetBlockTemplate(&btcjson.TemplateRequest{Mode: "template",
		Capabilities: []string{"coinbasetxn", "longpoll"}})
	if err != nil {
		t.Fatal(err)
	}
	tip, height := n.tip()
	if tmpl.PreviousHash != tip.String() || tmpl.Height != int64(height)+1 {
		t.Fatalf("template on %s at %d, want %v at %d", tmpl.PreviousHash, tmpl.Height, tip, height+1)
	}
	if tmpl.CoinbaseAux == nil || tmpl.CoinbaseAux.Flags == "" || tmpl.LongPollID == "" ||
		tmpl.Target == "" || tmpl.Bits == "" || tmpl.CoinbaseValue == nil || tmpl.WeightLimit != 4_000_000 {
		t.Fatalf("template lacks fields: %+v", tmpl)
	}
	// The flags are the main reference the node's coinbase carries.
	cb, err := hex.DecodeString(tmpl.CoinbaseTxn.Data)
	if err != nil {
		t.Fatal(err)
	}
	var cbTx wire.MsgTx
	if err := cbTx.Deserialize(bytes.NewReader(cb)); err != nil {
		t.Fatal(err)
	}
	ref, err := sideblock.ExtractMainRef(&cbTx)
	if err != nil {
		t.Fatal(err)
	}
	if want := hex.EncodeToString(ref.Bytes()); tmpl.CoinbaseAux.Flags != want {
		t.Fatalf("flags %s, want %s", tmpl.CoinbaseAux.Flags, want)
	}

	b := blockFromTemplate(t, tmpl, nil)
	if err := c.SubmitBlock(btcutil.NewBlock(b), nil); err != nil {
		t.Fatalf("submitblock: %v", err)
	}
	if tip, _ := n.tip(); tip != b.BlockHash() {
		t.Fatalf("tip %v, want the submitted %v", tip, b.BlockHash())
	}
	if err := c.SubmitBlock(btcutil.NewBlock(b), nil); err == nil || err.Error() != "duplicate" {
		t.Fatalf("the same block again: %v, want duplicate", err)
	}

	best, err := c.GetBestBlockHash()
	if err != nil || *best != b.BlockHash() {
		t.Fatalf("getbestblockhash %v (%v), want %v", best, err, b.BlockHash())
	}
	ci, err := c.GetBlockChainInfo()
	if err != nil {
		t.Fatal(err)
	}
	if ci.Chain != "powregtest" || ci.Blocks != height+1 || ci.BestBlockHash != b.BlockHash().String() ||
		ci.Difficulty <= 0 || len(ci.ChainWork) != 64 || ci.MedianTime == 0 {
		t.Fatalf("getblockchaininfo %+v", ci)
	}
	count, err := c.GetBlockCount()
	if err != nil || count != int64(height+1) {
		t.Fatalf("getblockcount %d (%v), want %d", count, err, height+1)
	}
	atTip, err := c.GetBlockHash(count)
	if err != nil || *atTip != b.BlockHash() {
		t.Fatalf("getblockhash %d: %v (%v)", count, atTip, err)
	}
	if _, err := c.GetBlockHash(count + 1); err == nil {
		t.Fatal("getblockhash above the tip answered")
	}
	diff, err := c.GetDifficulty()
	if err != nil || diff != ci.Difficulty {
		t.Fatalf("getdifficulty %v (%v), want %v", diff, err, ci.Difficulty)
	}
	mi, err := c.GetMiningInfo()
	if err != nil {
		t.Fatal(err)
	}
	if mi.Blocks != int64(height+1) || mi.Difficulty != ci.Difficulty {
		t.Fatalf("getmininginfo %+v", mi)
	}

	addr, err := btcutil.NewAddressPubKeyHash(bytes.Repeat([]byte{1}, 20), n.params.Side)
	if err != nil {
		t.Fatal(err)
	}
	va, err := c.ValidateAddress(addr)
	if err != nil || !va.IsValid || va.Address != addr.EncodeAddress() || va.IsScript {
		t.Fatalf("validateaddress %v: %+v (%v)", addr, va, err)
	}
	// Bitcoin's mainnet address is not the sidechain's.
	main, err := btcutil.NewAddressPubKeyHash(bytes.Repeat([]byte{1}, 20), &chaincfg.MainNetParams)
	if err != nil {
		t.Fatal(err)
	}
	if va, err = c.ValidateAddress(main); err != nil || va.IsValid {
		t.Fatalf("validateaddress of a mainnet address: %+v (%v)", va, err)
	}
}

// TestWithdrawalRootCapability: a client that asks for "withdrawalroot"
// gets the node's transactions and the root, and a block whose merkle root
// it takes as SHA256d(Bitcoin's root ‖ withdrawalroot) is accepted; the
// same client folding no root is refused bad-txnmrklroot.
func TestWithdrawalRootCapability(t *testing.T) {
	n := newPowNode(t)
	c := newClient(t, n)
	req := &btcjson.TemplateRequest{Capabilities: []string{"coinbasetxn", "withdrawalroot"}}
	tmpl, err := c.GetBlockTemplate(req)
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		WithdrawalRoot string `json:"withdrawalroot"`
	}
	if e := rpcCall(t, n.url, "getblocktemplate", []any{map[string]any{
		"capabilities": []string{"withdrawalroot"}}}, &raw); e != nil {
		t.Fatal(e)
	}
	wr, err := chainhash.NewHashFromStr(raw.WithdrawalRoot)
	if err != nil {
		t.Fatalf("withdrawalroot %q: %v", raw.WithdrawalRoot, err)
	}
	if len(tmpl.Transactions) != 0 {
		t.Fatalf("%d transactions, want the mempool's (none)", len(tmpl.Transactions))
	}
	bad := blockFromTemplate(t, tmpl, nil)
	if err := c.SubmitBlock(btcutil.NewBlock(bad), nil); err == nil || err.Error() != "bad-txnmrklroot" {
		t.Fatalf("a block without the withdrawal-root step: %v, want bad-txnmrklroot", err)
	}
	good := blockFromTemplate(t, tmpl, wr)
	if err := c.SubmitBlock(btcutil.NewBlock(good), nil); err != nil {
		t.Fatalf("submitblock: %v", err)
	}
	if tip, _ := n.tip(); tip != good.BlockHash() {
		t.Fatal("the tip did not move to the block")
	}
}

// TestTemplatesWithTransactions: with a mempool transaction, a
// withdrawalroot client gets it with its fee, coinbasevalue with the fee
// and coinbasetxn paying it, and its block (root with the step) is
// accepted with the transaction; a compatible template of the same moment
// is the coinbase alone with the subsidy, and pooledtx counts the
// transaction.
func TestTemplatesWithTransactions(t *testing.T) {
	n := newPowNode(t)
	first := n.mineDirect()
	for i := 0; i < sideblock.SideCoinbaseMaturity; i++ {
		n.mineDirect()
	}
	firstID := first.Transactions[0].TxHash()
	spend := wire.NewMsgTx(2)
	spend.AddTxIn(wire.NewTxIn(wire.NewOutPoint(&firstID, 0), nil, nil))
	const fee = 50_000
	spend.AddTxOut(wire.NewTxOut(first.Transactions[0].TxOut[0].Value-fee, []byte{txscript.OP_TRUE}))
	if err := n.pool.Add(spend); err != nil {
		t.Fatal(err)
	}
	c := newClient(t, n)
	compat, err := c.GetBlockTemplate(&btcjson.TemplateRequest{Capabilities: []string{"coinbasetxn"}})
	if err != nil {
		t.Fatal(err)
	}
	full, err := c.GetBlockTemplate(&btcjson.TemplateRequest{Capabilities: []string{"coinbasetxn", "withdrawalroot"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(full.Transactions) != 1 || full.Transactions[0].TxID != spend.TxHash().String() ||
		full.Transactions[0].Fee != fee || full.CoinbaseTxn.Fee != -fee {
		t.Fatalf("full template's transactions %+v, coinbasetxn fee %d", full.Transactions, full.CoinbaseTxn.Fee)
	}
	if *full.CoinbaseValue != *compat.CoinbaseValue+fee || len(compat.Transactions) != 1 ||
		compat.Transactions[0].TxID != strings.Repeat("0", 64) {
		t.Fatalf("compatible template: value %d (full %d), transactions %+v",
			*compat.CoinbaseValue, *full.CoinbaseValue, compat.Transactions)
	}
	mi, err := c.GetMiningInfo()
	if err != nil || mi.PooledTx != 1 {
		t.Fatalf("getmininginfo pooledtx %+v (%v), want 1", mi, err)
	}
	var raw struct {
		WithdrawalRoot string `json:"withdrawalroot"`
	}
	if e := rpcCall(t, n.url, "getblocktemplate", []any{map[string]any{
		"capabilities": []string{"withdrawalroot"}}}, &raw); e != nil {
		t.Fatal(e)
	}
	wr, err := chainhash.NewHashFromStr(raw.WithdrawalRoot)
	if err != nil {
		t.Fatal(err)
	}
	b := blockFromTemplate(t, full, wr)
	if err := c.SubmitBlock(btcutil.NewBlock(b), nil); err != nil {
		t.Fatalf("submitblock: %v", err)
	}
	kept, ok := n.pc.Block(b.BlockHash())
	if tip, _ := n.tip(); tip != b.BlockHash() || !ok || len(kept.Transactions) != 2 ||
		kept.Transactions[1].TxHash() != spend.TxHash() {
		t.Fatal("the block with the transaction is not the tip")
	}
}
