package node_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"net"
	"strconv"
	"testing"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcjson"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/rpcclient"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/btctest"
	"github.com/mainstake/sidenode/devnet"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// TestPowOutsidePoolEndToEnd runs a pow sidenode with --btcrpclisten and
// no miner of its own, and mines three sideblocks through it as pool
// software does over btcd's rpcclient: a template without coinbasetxn, a
// coinbase of the pool's own (the height, coinbaseaux.flags pushed as
// data, as ckpool and Miningcore push them, an extranonce, the pool's
// payout), the merkle root over the listed txids,
// submitblock. Each becomes the node's tip.
func TestPowOutsidePoolEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	port, err := btctest.FreePort()
	if err != nil {
		t.Fatal(err)
	}
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
	pnet := powNet(t, []devnet.NodeSpec{
		{Name: "pooled", Backend: "btcd"},
		{Name: "follower", Backend: "btcd"},
	})
	n, follower := pnet.Nodes[0], pnet.Nodes[1]
	if _, err := pnet.H.Generate(5); err != nil {
		t.Fatal(err)
	}
	logTailsOnFailure(t, pnet.Nodes)
	if err := n.Start("--btcrpclisten="+addr, "--btcrpcuser=pool", "--btcrpcpass=pw"); err != nil {
		t.Fatal(err)
	}
	if err := follower.Start(); err != nil {
		t.Fatal(err)
	}
	client, err := rpcclient.New(&rpcclient.ConnConfig{Host: addr, User: "pool",
		Pass: "pw", HTTPPostMode: true, DisableTLS: true}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Shutdown()
	ctx, cancel := context.WithTimeout(context.Background(), 180*time.Second)
	defer cancel()

	payout, err := txscript.NewScriptBuilder().AddOp(txscript.OP_0).
		AddData(bytes.Repeat([]byte{0x42}, 20)).Script()
	if err != nil {
		t.Fatal(err)
	}
	var last string
	for i := 0; i < 3; i++ {
		var tmpl *btcjson.GetBlockTemplateResult
		for {
			tmpl, err = client.GetBlockTemplate(&btcjson.TemplateRequest{
				Capabilities: []string{"workid", "coinbase/append"}, Rules: []string{"segwit"}})
			if err == nil || ctx.Err() != nil {
				break
			}
			time.Sleep(50 * time.Millisecond) // the node syncs the mainchain first
		}
		if err != nil {
			t.Fatalf("getblocktemplate: %v", err)
		}
		flags, err := hex.DecodeString(tmpl.CoinbaseAux.Flags)
		if err != nil {
			t.Fatal(err)
		}
		extra := binary.LittleEndian.AppendUint64(nil, uint64(i))
		sig, err := txscript.NewScriptBuilder().AddInt64(tmpl.Height).AddData(flags).
			AddData(extra).AddData([]byte("/e2epool/")).Script()
		if err != nil {
			t.Fatal(err)
		}
		cb := wire.NewMsgTx(1)
		cb.AddTxIn(wire.NewTxIn(wire.NewOutPoint(&chainhash.Hash{}, wire.MaxPrevOutIndex), sig, nil))
		cb.AddTxOut(wire.NewTxOut(*tmpl.CoinbaseValue, payout))
		blk := &wire.MsgBlock{Transactions: []*wire.MsgTx{cb}}
		level := []chainhash.Hash{cb.TxHash()}
		for _, tx := range tmpl.Transactions {
			id, err := chainhash.NewHashFromStr(tx.TxID)
			if err != nil {
				t.Fatal(err)
			}
			level = append(level, *id)
			raw, _ := hex.DecodeString(tx.Data)
			var mtx wire.MsgTx
			if err := mtx.Deserialize(bytes.NewReader(raw)); err != nil {
				t.Fatal(err)
			}
			blk.Transactions = append(blk.Transactions, &mtx)
		}
		for len(level) > 1 {
			if len(level)%2 == 1 {
				level = append(level, level[len(level)-1])
			}
			next := level[:0:0]
			for j := 0; j < len(level); j += 2 {
				next = append(next, blockchain.HashMerkleBranches(&level[j], &level[j+1]))
			}
			level = next
		}
		prev, err := chainhash.NewHashFromStr(tmpl.PreviousHash)
		if err != nil {
			t.Fatal(err)
		}
		bits, err := strconv.ParseUint(tmpl.Bits, 16, 32)
		if err != nil {
			t.Fatal(err)
		}
		blk.Header = wire.BlockHeader{Version: tmpl.Version, PrevBlock: *prev,
			MerkleRoot: level[0], Timestamp: time.Unix(tmpl.CurTime, 0), Bits: uint32(bits)}
		target := blockchain.CompactToBig(blk.Header.Bits)
		for {
			h := blk.Header.BlockHash()
			if blockchain.HashToBig(&h).Cmp(target) <= 0 {
				break
			}
			blk.Header.Nonce++
		}
		if err := client.SubmitBlock(btcutil.NewBlock(blk), nil); err != nil {
			t.Fatalf("block %d at height %d: submitblock: %v", i, tmpl.Height, err)
		}
		hash := blk.Header.BlockHash()
		info := powInfo(t, ctx, n, "the pool's block as the tip", func(i *apiv1.GetInfoResponse) bool {
			return i.Sidechain.TipHash == hash.String()
		})
		if int64(info.Sidechain.Height) != tmpl.Height {
			t.Fatalf("tip height %d, want the template's %d", info.Sidechain.Height, tmpl.Height)
		}
		best, err := client.GetBestBlockHash()
		if err != nil || *best != hash {
			t.Fatalf("getbestblockhash %v (%v), want %v", best, err, hash)
		}
		last = hash.String()
	}
	// The outside pool's blocks reached the follower over the peer
	// protocol: one tip, one state hash.
	powAgree(t, pnet, pnet.Nodes)
	agreeOn(t, ctx, follower, last)
}
