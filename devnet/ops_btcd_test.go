package devnet

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
)

// TestDoFundAndMine runs fund and mine against a real btcd: the payment
// reaches the address and the mined block holds it.
func TestDoFundAndMine(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	n, err := New(filepath.Join(t.TempDir(), "devnet"), "unused", nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.Stop)
	if _, err := n.H.Generate(101); err != nil {
		t.Fatal(err)
	}
	addr, err := btcutil.NewAddressWitnessPubKeyHash(bytes.Repeat([]byte{7}, 20), n.Params.Main)
	if err != nil {
		t.Fatal(err)
	}

	fund := n.Do(Op{Kind: OpFund, Address: addr.String(), Sats: 123_456})
	if fund.Error != "" || len(fund.Result) != 2 || fund.Result[1] != addr.String() {
		t.Fatalf("fund: %+v", fund)
	}
	mine := n.Do(Op{Kind: OpMine, Blocks: 2})
	if mine.Error != "" || len(mine.Result) != 2 {
		t.Fatalf("mine: %+v", mine)
	}
	first, err := chainhash.NewHashFromStr(mine.Result[0])
	if err != nil {
		t.Fatal(err)
	}
	block, err := n.H.Client().GetBlock(first)
	if err != nil {
		t.Fatal(err)
	}
	script, err := txscript.PayToAddrScript(addr)
	if err != nil {
		t.Fatal(err)
	}
	paid := false
	for _, tx := range block.Transactions {
		if tx.TxHash().String() != fund.Result[0] {
			continue
		}
		for _, out := range tx.TxOut {
			paid = paid || (out.Value == 123_456 && bytes.Equal(out.PkScript, script))
		}
	}
	if !paid {
		t.Errorf("block %s does not pay %s 123456 sat in %s", first, addr, fund.Result[0])
	}
	if height, _, _ := n.H.Tip(); height != 103 {
		t.Errorf("tip %d after 101 + 2 blocks", height)
	}

	// What CheckOp refuses is refused here too, and a node the devnet
	// does not run has no wallet to fund.
	if res := n.Do(Op{Kind: OpFund, Address: addr.String(), Sats: 0}); !strings.Contains(res.Error, "positive amount") {
		t.Errorf("fund of 0 sat: %+v", res)
	}
	if res := n.Do(Op{Kind: OpFund, Node: "node-x", Sats: 1}); !strings.Contains(res.Error, `no node "node-x"`) {
		t.Errorf("fund of an unknown node: %+v", res)
	}
}
