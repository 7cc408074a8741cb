package devnet

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"

	"github.com/mainstake/sidenode/chainparams"
)

// TestOps checks the round trip of an operation: put, taken once by the
// devnet, answered, and the answer read by the asker.
func TestOps(t *testing.T) {
	dir := t.TempDir()
	if _, err := PutOp(dir, Op{Kind: OpMine, Blocks: 1}); err == nil ||
		!strings.Contains(err.Error(), "no devnet in") {
		t.Fatalf("an op without a devnet: %v", err)
	}
	if err := os.Mkdir(filepath.Join(dir, "btcd"), 0o700); err != nil {
		t.Fatal(err)
	}
	fund, err := PutOp(dir, Op{Kind: OpFund, Address: "bcrt1qexample", Sats: 5})
	if err != nil {
		t.Fatal(err)
	}
	mine, err := PutOp(dir, Op{Kind: OpMine, Blocks: 3})
	if err != nil {
		t.Fatal(err)
	}
	got, err := TakeOps(dir)
	if err != nil || !slices.Equal(got, []Op{fund, mine}) {
		t.Fatalf("TakeOps = %+v, %v; want %+v", got, err, []Op{fund, mine})
	}
	if again, err := TakeOps(dir); err != nil || len(again) != 0 {
		t.Fatalf("ops taken twice: %+v %v", again, err)
	}
	if err := Reply(dir, fund, OpResult{Result: []string{"txid"}}); err != nil {
		t.Fatal(err)
	}
	if err := Reply(dir, mine, OpResult{Error: "btcd is gone"}); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if res, err := WaitReply(ctx, dir, fund); err != nil || !slices.Equal(res.Result, []string{"txid"}) {
		t.Errorf("fund answer %+v %v", res, err)
	}
	if _, err := WaitReply(ctx, dir, mine); err == nil || err.Error() != "btcd is gone" {
		t.Errorf("mine answer error %v", err)
	}

	// No answer: the asker gives up when its context ends.
	lost, err := PutOp(dir, Op{Kind: OpMine, Blocks: 1})
	if err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := WaitReply(cancelled, dir, lost); err == nil || !strings.Contains(err.Error(), "is it running") {
		t.Errorf("no answer: %v", err)
	}
	if left, _ := TakeOps(dir); len(left) != 0 {
		t.Errorf("an op nobody waits for is left: %+v", left)
	}
}

// TestCheckOp checks what fund and mine accept, and the messages of what
// they refuse.
func TestCheckOp(t *testing.T) {
	prog := make([]byte, 20)
	addr := func(p *chaincfg.Params) string {
		a, err := btcutil.NewAddressWitnessPubKeyHash(prog, p)
		if err != nil {
			t.Fatal(err)
		}
		return a.String()
	}
	params := &chainparams.Regtest
	for _, tc := range []struct {
		op   Op
		want string // "" for accepted
	}{
		{Op{Kind: OpFund, Address: addr(params.Main), Sats: 100_000_000}, ""},
		{Op{Kind: OpFund, Address: addr(params.Side), Sats: 1}, "a sidechain address was given where a mainchain address is expected"},
		{Op{Kind: OpFund, Address: addr(&chaincfg.TestNet3Params), Sats: 1}, "is not a regtest mainchain address"},
		{Op{Kind: OpFund, Address: addr(params.Main), Sats: 0}, "want a positive amount in sat"},
		{Op{Kind: OpFund, Address: addr(params.Main), Sats: -5}, "want a positive amount in sat"},
		{Op{Kind: OpFund, Node: "node-a", Sats: 1}, ""},
		{Op{Kind: OpFund, Node: "node-a", Address: addr(params.Main), Sats: 1}, "give one"},
		{Op{Kind: OpMine, Blocks: 1}, ""},
		{Op{Kind: OpMine, Blocks: 0}, "want 1 to 10000 blocks"},
		{Op{Kind: OpMine, Blocks: MaxMine + 1}, "want 1 to 10000 blocks"},
		{Op{Kind: "burn"}, "unknown operation"},
	} {
		err := CheckOp(tc.op, params)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%+v refused: %v", tc.op, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%+v: error %v, want %q", tc.op, err, tc.want)
		}
	}
}

// TestEnvFile checks the env file a node's home gets.
func TestEnvFile(t *testing.T) {
	home := t.TempDir()
	data := filepath.Join(home, "it's data")
	if err := writeEnvFile(home, "regtest", "127.0.0.1:1234", data); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(filepath.Join(home, EnvFileName))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"export SIDECLI_NETWORK=regtest\n",
		"export SIDECLI_RPCSERVER=127.0.0.1:1234\n",
		"export SIDECLI_DATADIR='" + strings.ReplaceAll(data, "'", `'\''`) + "'\n"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("env file lacks %q:\n%s", want, b)
		}
	}
}
