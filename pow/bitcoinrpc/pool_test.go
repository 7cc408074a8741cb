package bitcoinrpc_test

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/sideblock"
)

// rpcCall posts one JSON-RPC 1.0 call with the credentials and decodes
// its result into out; it returns the error object, if any.
func rpcCall(t *testing.T, url, method string, params any, out any) *struct {
	Code    int
	Message string
} {
	t.Helper()
	body, err := json.Marshal(map[string]any{"id": 1, "method": method, "params": params})
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(rpcUser, rpcPass)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var r struct {
		Result json.RawMessage
		Error  *struct {
			Code    int
			Message string
		}
	}
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		t.Fatalf("%s: HTTP %d, %v", method, resp.StatusCode, err)
	}
	if r.Error == nil && out != nil {
		if err := json.Unmarshal(r.Result, out); err != nil {
			t.Fatalf("%s result %s: %v", method, r.Result, err)
		}
	}
	return r.Error
}

// gbt is what the outside pool reads of getblocktemplate: bitcoind's
// fields, nothing of the sidechain's.
type gbt struct {
	Version           int32  `json:"version"`
	PreviousBlockHash string `json:"previousblockhash"`
	Transactions      []struct {
		Data string `json:"data"`
		TxID string `json:"txid"`
		Hash string `json:"hash"`
	} `json:"transactions"`
	CoinbaseAux   map[string]string `json:"coinbaseaux"`
	CoinbaseValue int64             `json:"coinbasevalue"`
	Target        string            `json:"target"`
	CurTime       int64             `json:"curtime"`
	MinTime       int64             `json:"mintime"`
	Bits          string            `json:"bits"`
	Height        int64             `json:"height"`
	LongPollID    string            `json:"longpollid"`
}

// outsidePool mines like ckpool and Miningcore: it asks for a template
// with ckpool's capabilities, builds its own coinbase from the template's
// fields (the BIP34 height, coinbaseaux.flags pushed as data, its own
// extranonce push and tag, its payout for coinbasevalue), takes the
// merkle root over the listed txids, grinds the nonce and submits the
// block in hex. It returns the block's
// hash and submitblock's answer.
func outsidePool(t *testing.T, url string, payout []byte, extranonce uint64) (chainhash.Hash, json.RawMessage) {
	t.Helper()
	return poolWith(t, url, payout, extranonce, pushFlags, nil)
}

// pushFlags is ckpool's and Miningcore's coinbase signature script: the
// height, then coinbaseaux.flags pushed as data, then the pool's own
// pushes.
func pushFlags(height int64, flags, extranonce []byte) *txscript.ScriptBuilder {
	return txscript.NewScriptBuilder().AddInt64(height).AddData(flags).
		AddData(extranonce).AddData([]byte("/outsidepool/"))
}

// poolWith is outsidePool with the pool's coinbase signature script and,
// if not nil, a change to the block's transactions, with the merkle root
// to give the header, before it is solved.
func poolWith(t *testing.T, url string, payout []byte, extranonce uint64,
	script func(height int64, flags, extranonce []byte) *txscript.ScriptBuilder,
	txs func([]*wire.MsgTx) ([]*wire.MsgTx, chainhash.Hash)) (chainhash.Hash, json.RawMessage) {
	t.Helper()
	var tmpl gbt
	if e := rpcCall(t, url, "getblocktemplate", []any{map[string]any{
		"capabilities": []string{"coinbasetxn", "workid", "coinbase/append"},
		"rules":        []string{"segwit"},
	}}, &tmpl); e != nil {
		t.Fatalf("getblocktemplate: %+v", e)
	}
	flags, err := hex.DecodeString(tmpl.CoinbaseAux["flags"])
	if err != nil {
		t.Fatal(err)
	}
	en := make([]byte, 8)
	binary.LittleEndian.PutUint64(en, extranonce)
	sig, err := script(tmpl.Height, flags, en).Script()
	if err != nil {
		t.Fatal(err)
	}
	cb := wire.NewMsgTx(1)
	cb.AddTxIn(wire.NewTxIn(wire.NewOutPoint(&chainhash.Hash{}, wire.MaxPrevOutIndex), sig, nil))
	cb.AddTxOut(wire.NewTxOut(tmpl.CoinbaseValue, payout))

	block := wire.MsgBlock{Transactions: []*wire.MsgTx{cb}}
	level := []chainhash.Hash{cb.TxHash()}
	for _, tx := range tmpl.Transactions {
		id, err := chainhash.NewHashFromStr(tx.TxID)
		if err != nil {
			t.Fatal(err)
		}
		level = append(level, *id)
		raw, err := hex.DecodeString(tx.Data)
		if err != nil {
			t.Fatal(err)
		}
		var mtx wire.MsgTx
		if err := mtx.Deserialize(bytes.NewReader(raw)); err != nil {
			t.Fatal(err)
		}
		block.Transactions = append(block.Transactions, &mtx)
	}
	var root *chainhash.Hash
	if txs != nil {
		var r chainhash.Hash
		block.Transactions, r = txs(block.Transactions)
		root = &r
	}
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
	prev, err := chainhash.NewHashFromStr(tmpl.PreviousBlockHash)
	if err != nil {
		t.Fatal(err)
	}
	bits, err := hexUint32(tmpl.Bits)
	if err != nil {
		t.Fatal(err)
	}
	target, ok := new(big.Int).SetString(tmpl.Target, 16)
	if !ok {
		t.Fatalf("target %q", tmpl.Target)
	}
	block.Header = wire.BlockHeader{Version: tmpl.Version, PrevBlock: *prev,
		MerkleRoot: level[0], Timestamp: time.Unix(tmpl.CurTime, 0), Bits: bits}
	if root != nil {
		block.Header.MerkleRoot = *root
	}
	for {
		h := block.Header.BlockHash()
		if blockchain.HashToBig(&h).Cmp(target) <= 0 {
			break
		}
		block.Header.Nonce++
	}
	var buf bytes.Buffer
	if err := block.Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	var res json.RawMessage
	if e := rpcCall(t, url, "submitblock", []any{hex.EncodeToString(buf.Bytes())}, &res); e != nil {
		t.Fatalf("submitblock: %+v", e)
	}
	return block.Header.BlockHash(), res
}

func hexUint32(s string) (uint32, error) {
	var v uint32
	_, err := fmt.Sscanf(s, "%08x", &v)
	return v, err
}

// poolAddress returns a P2WPKH sidechain address and its script as
// validateaddress gives it, as ckpool takes its payout script.
func poolAddress(t *testing.T, n *powNode) (string, []byte) {
	t.Helper()
	a, err := btcutil.NewAddressWitnessPubKeyHash(bytes.Repeat([]byte{7}, 20), n.params.Side)
	if err != nil {
		t.Fatal(err)
	}
	var info struct {
		IsValid      bool   `json:"isvalid"`
		ScriptPubKey string `json:"scriptPubKey"`
		IsWitness    bool   `json:"iswitness"`
	}
	if e := rpcCall(t, n.url, "validateaddress", []any{a.EncodeAddress()}, &info); e != nil {
		t.Fatal(e)
	}
	if !info.IsValid || !info.IsWitness {
		t.Fatalf("validateaddress %v: %+v", a, info)
	}
	script, err := hex.DecodeString(info.ScriptPubKey)
	if err != nil {
		t.Fatal(err)
	}
	return a.EncodeAddress(), script
}

// TestOutsidePool: a pool that knows nothing of the sidechain mines three
// blocks in a row through getblocktemplate and submitblock; the node
// accepts each, its tip moves to it, and its coinbase carries the main
// reference right after the height, the pool's extranonce and payout.
func TestOutsidePool(t *testing.T) {
	n := newPowNode(t)
	_, payout := poolAddress(t, n)
	for i := 0; i < 3; i++ {
		_, before := n.tip()
		hash, res := outsidePool(t, n.url, payout, uint64(i))
		if string(res) != "null" {
			t.Fatalf("block %d: submitblock answered %s, want null", i, res)
		}
		tip, height := n.tip()
		if tip != hash || height != before+1 {
			t.Fatalf("block %d: tip %v at %d, want the pool's %v at %d", i, tip, height, hash, before+1)
		}
		b, ok := n.pc.Block(hash)
		if !ok {
			t.Fatal("the node does not hold the block")
		}
		if len(b.Transactions) != 1 {
			t.Fatalf("the node kept %d transactions; want the coinbase alone", len(b.Transactions))
		}
		cb := b.Transactions[0]
		if _, err := sideblock.ExtractMainRef(cb); err != nil {
			t.Fatalf("main reference: %v", err)
		}
		if !bytes.Equal(cb.TxOut[0].PkScript, payout) {
			t.Fatal("the coinbase does not pay the pool")
		}
		if !strings.Contains(string(cb.TxIn[0].SignatureScript), "/outsidepool/") {
			t.Fatal("the pool's tag is not in the coinbase")
		}
		n.clock = n.clock.Add(2 * time.Second)
	}
	// The same block again is a duplicate.
}

// TestOtherPoolConventions: what other ways of building the coinbase get.
// A pool that appends the flags' bytes without a push (NOMP) makes a
// coinbase without a main reference; ckpool's one-byte push of a height
// up to 16 is not BIP34's form; a block that keeps the stand-in
// transaction before another is refused as a second coinbase. None moves
// the tip.
func TestOtherPoolConventions(t *testing.T) {
	n := newPowNode(t)
	_, payout := poolAddress(t, n)
	rawFlags := func(height int64, flags, extranonce []byte) *txscript.ScriptBuilder {
		return txscript.NewScriptBuilder().AddInt64(height).AddOps(flags).AddData(extranonce)
	}
	ckpoolHeight := func(height int64, flags, extranonce []byte) *txscript.ScriptBuilder {
		// ckpool's ser_number: a length byte and the number, for
		// heights below 128 one byte (AddData would write OP_N).
		return txscript.NewScriptBuilder().AddOps([]byte{1, byte(height)}).AddData(flags).AddData(extranonce)
	}
	// The stand-in twice: submitblock takes the last off, and the root
	// is the sidechain's of what is left, so that the block gets as far
	// as its coinbases.
	markerTwice := func(txs []*wire.MsgTx) ([]*wire.MsgTx, chainhash.Hash) {
		return append(txs, txs[len(txs)-1].Copy()), sideblock.CalcBlockMerkleRoot(txs)
	}
	for i, c := range []struct {
		name   string
		script func(int64, []byte, []byte) *txscript.ScriptBuilder
		txs    func([]*wire.MsgTx) ([]*wire.MsgTx, chainhash.Hash)
		want   string
	}{
		{"flags appended raw", rawFlags, nil, `"bad-txns"`},
		{"ckpool's height 1", ckpoolHeight, nil, `"bad-cb-height"`},
		{"the stand-in kept", pushFlags, markerTwice, `"bad-cb-multiple"`},
	} {
		tip, _ := n.tip()
		_, res := poolWith(t, n.url, payout, uint64(i), c.script, c.txs)
		if string(res) != c.want {
			t.Errorf("%s: submitblock answered %s, want %s", c.name, res, c.want)
		}
		if now, _ := n.tip(); now != tip {
			t.Fatalf("%s: the tip moved", c.name)
		}
	}
}
