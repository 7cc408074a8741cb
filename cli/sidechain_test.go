package cli

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/api/apitest"
)

func TestBlockCommand(t *testing.T) {
	n := startNode(t)
	tip := n.backend.SideBlocks[n.backend.SideBest[2]]

	r := n.run("block", "2", "--limit", "2", "--offset", "1")
	wantOK(t, r)
	b := r.json(t)
	txids, _ := b["txids"].([]any)
	if b["hash"] != tip.Hash.String() || b["height"] != "2" || b["tx_count"] != "5" ||
		b["status"] != "valid" || b["lottery_height"] != 102.0 ||
		len(txids) != 2 || txids[0] != tip.TxIDs[1].String() || b["raw_hex"] != "" {
		t.Errorf("block 2: %v", b)
	}
	if req := n.backend.LastBlockRequest(); req == nil || !req.ByHeight || req.Height != 2 || req.Raw {
		t.Errorf("backend got %+v", req)
	}

	r = n.run("block", tip.Hash.String(), "--raw", "--reversed")
	wantOK(t, r)
	b = r.json(t)
	txids, _ = b["txids"].([]any)
	if b["raw_hex"] != "dead02" || txids[0] != tip.TxIDs[4].String() {
		t.Errorf("block by hash: %v", b)
	}
	if req := n.backend.LastBlockRequest(); req == nil || req.ByHeight || req.Hash != tip.Hash {
		t.Errorf("backend got %+v", req)
	}

	wantFail(t, n.run("block", "9"), "block shows sidechain blocks")
	wantFail(t, n.run("block", "tip"), "want a sidechain block hash (64 hex digits) or a sidechain height")
	wantFail(t, n.run("block", strings.Repeat("zz", 32)), "not hex")
	wantFail(t, n.run("block"), "block")
}

func TestTxCommands(t *testing.T) {
	n := startNode(t)
	tip := n.backend.SideBlocks[n.backend.SideBest[2]]
	txid := tip.TxIDs[3]

	r := n.run("tx", txid.String())
	wantOK(t, r)
	tx := r.json(t)
	var buf bytes.Buffer
	if err := n.backend.SideTxs[txid].Tx.Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	if tx["txid"] != txid.String() || tx["raw_hex"] != hex.EncodeToString(buf.Bytes()) ||
		tx["confirmed"] != true || tx["in_mempool"] != false || tx["tx_index"] != 3.0 ||
		tx["block_hash"] != tip.Hash.String() || tx["confirmations"] != "1" {
		t.Errorf("tx %v", tx)
	}
	wantFail(t, n.run("tx", chainhash.Hash{1}.String()), "btcd does not know it")
	wantFail(t, n.run("tx", "abcd"), "want 64 hex digits")

	// sendrawtx hands the decoded transaction to the node.
	raw := wire.NewMsgTx(2)
	raw.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: chainhash.Hash{3}}, nil, [][]byte{{1}}))
	raw.AddTxOut(wire.NewTxOut(1000, []byte{0x51}))
	buf.Reset()
	if err := raw.Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	r = n.run("sendrawtx", hex.EncodeToString(buf.Bytes()))
	wantOK(t, r)
	if s := r.json(t); s["txid"] != raw.TxHash().String() {
		t.Errorf("sendrawtx %v", s)
	}
	if got := n.backend.LastRawTx(); got == nil || got.TxHash() != raw.TxHash() {
		t.Errorf("backend got %v", got)
	}
	wantFail(t, n.run("sendrawtx", "00"), "<hex> is not a transaction")

	r = n.run("estimatefee")
	wantOK(t, r)
	if e := r.json(t); e["fee_rate_sat_kb"] != "1500" || e["min_fee_rate_sat_kb"] != "1000" {
		t.Errorf("estimatefee %v", e)
	}
}

func TestSideAddressCommands(t *testing.T) {
	n := startNode(t)

	r := n.run("sideaddress", "--readonly")
	wantOK(t, r)
	if a := r.json(t); a["address"] != apitest.SideAddress {
		t.Errorf("sideaddress %v", a)
	}

	r = n.run("sidebalance", "--readonly")
	wantOK(t, r)
	if b := r.json(t); b["spendable_sat"] != "5000020000" || b["pending_sat"] != "50000" ||
		b["address"] != apitest.SideAddress || b["spend_height"] != 103.0 {
		t.Errorf("sidebalance %v", b)
	}
	r = n.run("sidebalance", apitest.OtherSideAddress)
	wantOK(t, r)
	if b := r.json(t); b["total_sat"] != "0" || b["address"] != apitest.OtherSideAddress {
		t.Errorf("sidebalance of an address %v", b)
	}
	wantFail(t, n.run("sidebalance", "bcrt1qw508d6qejxtdg4y5r3zarvary0c5xw7kygt080"),
		"a mainchain address was given where a sidechain address is expected")

	r = n.run("utxos", apitest.SideAddress, "--limit", "2", "--reversed")
	wantOK(t, r)
	u := r.json(t)
	utxos, _ := u["utxos"].([]any)
	if u["total"] != "3" || len(utxos) != 2 {
		t.Fatalf("utxos %v", u)
	}
	newest, _ := utxos[0].(map[string]any)
	if newest["coinbase"] != true || newest["spendable"] != false || newest["lottery_height"] != 102.0 {
		t.Errorf("newest utxo %v", newest)
	}
	wantFail(t, n.run("utxos"), "address")

	r = n.run("addresshistory", apitest.SideAddress, "--readonly", "--blocks", "1")
	wantOK(t, r)
	h := r.json(t)
	txs, _ := h["transactions"].([]any)
	if h["address"] != apitest.SideAddress || h["total"] != "1" || h["from_height"] != 2.0 ||
		h["to_height"] != 2.0 || len(txs) != 1 {
		t.Fatalf("addresshistory %v", h)
	}
	spend, _ := txs[0].(map[string]any)
	if spend["sent_sat"] != "5000000000" || spend["received_sat"] != "1000" ||
		spend["net_sat"] != "-4999999000" || spend["confirmations"] != 1.0 {
		t.Errorf("addresshistory spend %v", spend)
	}
	r = n.run("addresshistory", apitest.OtherSideAddress, "--limit", "1", "--reversed")
	wantOK(t, r)
	if h := r.json(t); h["total"] != "1" || h["address"] != apitest.OtherSideAddress {
		t.Errorf("addresshistory of the payee %v", h)
	}
}

func TestSendCommand(t *testing.T) {
	n := startNode(t)
	r := n.run("send", "--force", "--to", apitest.OtherSideAddress, "--amount", "250000", "--feerate", "2")
	wantOK(t, r)
	if s := r.json(t); s["txid"] != n.backend.SendSideTxID.String() {
		t.Errorf("send %v", s)
	}
	// --feerate is sat/vB: the node gets 2,000 sat/kB.
	want := apitest.SideSend{To: apitest.OtherSideAddress, Amount: 250_000, FeeRate: 2000}
	if got := n.backend.LastSend(); got == nil || *got != want {
		t.Errorf("backend got %+v, want %+v", got, want)
	}
	wantOK(t, n.run("send", "--force", "--to", apitest.OtherSideAddress, "--amount", "1"))
	if got := n.backend.LastSend(); got == nil || got.FeeRate != 0 {
		t.Errorf("default fee rate: backend got %+v", got)
	}

	wantFail(t, n.run("send", "--force", "--amount", "1"), "to")
	wantFail(t, n.run("send", "--force", "--to", apitest.OtherSideAddress), "amount")
	wantFail(t, n.run("send", "--force", "--to", apitest.OtherSideAddress, "--amount", "0"), "--amount 0: want a positive number of sat")
	wantFail(t, n.run("send", "--force", "--to", apitest.OtherSideAddress, "--amount", "9000000000"),
		"9000000000 asked for")
	wantFail(t, n.run("send", "--force", "--to", apitest.OtherSideAddress, "--amount", "1", "--readonly"),
		"permission denied")

	n.backend.SetWalletErr(api.Errorf(api.ErrNoWallet, "the node runs without a wallet"))
	wantFail(t, n.run("sidebalance"), "the node runs without a wallet")
}
