package node_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/mainstake/sidenode/cli"
	"github.com/mainstake/sidenode/devnet"
	"github.com/mainstake/sidenode/opreturn"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// TestPegDeposits runs one real sidenode over a real btcd with three
// stakers (the other two stakers' nodes never run): at the first pegbox
// epoch boundary after the stakes confirm, the node elects a federation of
// the three stake keys, 3 of 3, and reports its address. A deposit that
// the node's wallet funds through PegIn is confirming after one block and
// matured after two; a deposit whose payload names an output that is not
// the pegbox and a dust deposit to the pegbox are refused; a deposit that
// pays no pegbox at all is not even seen (docs/protocol.md, "Peg").
func TestPegDeposits(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	net := newNet(t, []string{"a", "b", "c"}, 300_000_000, 200_000_000, 100_000_000)
	node := net.Nodes[0]
	if err := node.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	matureAndStake(t, net, 2000)
	conn, err := node.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	peg := apiv1.NewPegServiceClient(conn)
	wlt := apiv1.NewWalletServiceClient(conn)
	waitSynced := func() int32 {
		t.Helper()
		height, hash, err := net.H.Tip()
		if err != nil {
			t.Fatal(err)
		}
		for {
			info, err := node.Info(ctx)
			if err == nil && info.Mainchain.TipHeight == height && info.Mainchain.TipHash == hash.String() {
				return height
			}
			if ctx.Err() != nil {
				t.Fatalf("the node never reached mainchain %d (%v)", height, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	waitSynced()

	// The node's wallet gets 2 BTC to deposit from.
	fundWallet(ctx, t, net, wlt, 200_000_000)
	if _, err := net.H.Generate(1); err != nil {
		t.Fatal(err)
	}
	tip := waitSynced()

	// No federation before the first boundary with stakers.
	L := net.Params.PegEpochLength
	_, err = peg.GetPegInfo(ctx, &apiv1.GetPegInfoRequest{})
	if status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("GetPegInfo before the first election: %v, want FailedPrecondition", err)
	}
	side, err := wlt.GetSideAddress(ctx, &apiv1.GetSideAddressRequest{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = wlt.PegIn(ctx, &apiv1.PegInRequest{AmountSat: 1e8, SideAddress: side.Address})
	if status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("PegIn before the first election: %v, want FailedPrecondition", err)
	}

	// The last block of the epoch elects the next one's federation.
	boundary := (tip/L+1)*L - 1
	if _, err := net.H.Generate(uint32(boundary - tip)); err != nil {
		t.Fatal(err)
	}
	waitSynced()
	info, err := peg.GetPegInfo(ctx, &apiv1.GetPegInfoRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, n := range net.Nodes {
		want = append(want, hex.EncodeToString(n.StakeKey.SerializeCompressed()))
	}
	sort.Strings(want)
	fed := info.Federation
	if info.Epoch != uint32((boundary+1)/L) || fed == nil || fed.Threshold != 3 ||
		len(fed.Pubkeys) != 3 || fed.Pubkeys[0] != want[0] || fed.Pubkeys[1] != want[1] ||
		fed.Pubkeys[2] != want[2] || info.PreviousFederation != nil {
		t.Fatalf("peg info %v, want the federation of %v", info, want)
	}
	pegAddr, err := btcutil.DecodeAddress(fed.Address, net.H.Params)
	if err != nil {
		t.Fatalf("pegbox address %q: %v", fed.Address, err)
	}
	pegScript, err := txscript.PayToAddrScript(pegAddr)
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := pegAddr.(*btcutil.AddressWitnessScriptHash); !ok {
		t.Errorf("pegbox address %s is not P2WSH", fed.Address)
	}

	// sidecli shows the same, with the settings of the node's env file.
	var out, errOut bytes.Buffer
	code := cli.Main([]string{"--envfile=" + filepath.Join(node.Home, devnet.EnvFileName), "peg", "info"},
		func(string) string { return "" }, &out, &errOut)
	var shown map[string]any
	if code != cli.ExitOK || json.Unmarshal(out.Bytes(), &shown) != nil ||
		shown["federation"].(map[string]any)["address"] != fed.Address {
		t.Errorf("sidecli peg info: exit %d %s\n%s", code, errOut.String(), out.String())
	}

	// A PSBT for another wallet, then a deposit from the node's wallet.
	psbtResp, err := wlt.PegIn(ctx, &apiv1.PegInRequest{AmountSat: 5e7,
		SideAddress: side.Address, PsbtOnly: true})
	if err != nil || psbtResp.Psbt == "" || psbtResp.PegboxAddress != fed.Address {
		t.Fatalf("PegIn --psbt: %v %v", psbtResp, err)
	}
	dep, err := wlt.PegIn(ctx, &apiv1.PegInRequest{AmountSat: 1e8,
		SideAddress: side.Address, FeeRateSatVb: 2})
	if err != nil {
		t.Fatal(err)
	}
	if dep.DepositOutpoint != dep.Txid+":0" || dep.PegboxAddress != fed.Address {
		t.Fatalf("PegIn %v", dep)
	}

	// Beside it, from btcd's mining key: a payload that names an output
	// that is not the pegbox, a dust deposit to the pegbox, and a deposit
	// that pays no pegbox at all.
	sideScript, err := hex.DecodeString(dep.SideScript)
	if err != nil {
		t.Fatal(err)
	}
	nullData := func(vout uint8) *wire.TxOut {
		s, err := opreturn.Encode(net.Params.SidechainID, &opreturn.Deposit{Vout: vout,
			SideScript: sideScript})
		if err != nil {
			t.Fatal(err)
		}
		return wire.NewTxOut(0, s)
	}
	notPegbox, err := net.H.Send([]*wire.TxOut{wire.NewTxOut(100_000, pegScript),
		wire.NewTxOut(50_000, net.H.MiningScript), nullData(1)}, 2)
	if err != nil {
		t.Fatal(err)
	}
	dust, err := net.H.Send([]*wire.TxOut{wire.NewTxOut(400, pegScript), nullData(0)}, 2)
	if err != nil {
		t.Fatal(err)
	}
	unseen, err := net.H.Send([]*wire.TxOut{wire.NewTxOut(100_000, net.H.MiningScript), nullData(0)}, 2)
	if err != nil {
		t.Fatal(err)
	}

	if _, err := net.H.Generate(1); err != nil {
		t.Fatal(err)
	}
	conf := waitSynced()
	deposit := func() *apiv1.Deposit {
		t.Helper()
		list, err := peg.ListDeposits(ctx, &apiv1.ListDepositsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if list.Total != 1 || len(list.Deposits) != 1 {
			t.Fatalf("deposits %v, want the one of %s", list, dep.Txid)
		}
		d := list.Deposits[0]
		if d.Outpoint != dep.DepositOutpoint || d.ValueSat != 1e8 || d.SideAddress != side.Address ||
			d.ConfHeight != conf || d.PegboxAddress != fed.Address || d.Seq != 0 {
			t.Fatalf("deposit %v", d)
		}
		return d
	}
	if d := deposit(); d.Status != apiv1.DepositStatus_DEPOSIT_STATUS_CONFIRMING || d.Confirmations != 1 {
		t.Errorf("after one block: %v", d)
	}
	refused, err := peg.ListRefusedDeposits(ctx, &apiv1.ListRefusedDepositsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]string{}
	for _, r := range refused.Refused {
		reasons[r.Txid] = r.Reason
	}
	if refused.Total != 2 || reasons[notPegbox.TxHash().String()] != "ErrNotPegbox" ||
		reasons[dust.TxHash().String()] != "ErrDepositDust" {
		t.Errorf("refused %v", refused)
	}
	got, err := peg.GetDeposit(ctx, &apiv1.GetDepositRequest{Deposit: &apiv1.GetDepositRequest_Outpoint{
		Outpoint: notPegbox.TxHash().String() + ":1"}})
	if err != nil || got.GetRefused().GetReason() != "ErrNotPegbox" || got.GetRefused().GetValueSat() != 50_000 {
		t.Errorf("GetDeposit of the not-a-pegbox deposit: %v %v", got, err)
	}
	_, err = peg.GetDeposit(ctx, &apiv1.GetDepositRequest{Deposit: &apiv1.GetDepositRequest_Txid{
		Txid: unseen.TxHash().String()}})
	if status.Code(err) != codes.NotFound {
		t.Errorf("a deposit that pays no pegbox: %v, want NotFound: the node never sees it", err)
	}
	unseenID := unseen.TxHash()
	if mined, err := net.H.Client().GetRawTransactionVerbose(&unseenID); err != nil || mined.Confirmations != 1 {
		t.Errorf("the unseen deposit %v is not mined: %v", unseen.TxHash(), err)
	}

	if _, err := net.H.Generate(1); err != nil {
		t.Fatal(err)
	}
	waitSynced()
	if d := deposit(); d.Status != apiv1.DepositStatus_DEPOSIT_STATUS_MATURED || d.Confirmations != 2 {
		t.Errorf("after two blocks: %v", d)
	}
	info, err = peg.GetPegInfo(ctx, &apiv1.GetPegInfoRequest{})
	if err != nil {
		t.Fatal(err)
	}
	// Every output that pays the pegbox is its coin, refused ones too.
	if info.DepositCount != 1 || info.MaturedDepositCount != 1 || info.PegboxCoinCount != 3 ||
		info.PegboxBalanceSat != 1e8+100_000+400 {
		t.Errorf("peg info after the deposits %v", info)
	}
	stopClean(t, node)
}
