package node_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/mainstake/sidenode/devnet"
	"github.com/mainstake/sidenode/mainstake"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// coldWallet plays a wallet outside the node (a hardware wallet and its
// coordinator): a btcec key the node never sees, a P2WPKH coin of the
// same key, and signatures made with btcd's psbt package.
type coldWallet struct {
	t      *testing.T
	key    *btcec.PrivateKey
	script []byte // P2WPKH of key
	coin   wire.OutPoint
	value  int64
}

func newColdWallet(t *testing.T) *coldWallet {
	key, err := btcec.NewPrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	script, err := mainstake.PublisherScript(key.PubKey()) // P2WPKH of the key
	if err != nil {
		t.Fatal(err)
	}
	return &coldWallet{t: t, key: key, script: script}
}

func (w *coldWallet) pubHex() string {
	return hex.EncodeToString(w.key.PubKey().SerializeCompressed())
}

func decodePSBT(t *testing.T, b64 string) *psbt.Packet {
	t.Helper()
	p, err := psbt.NewFromRawBytes(strings.NewReader(b64), true)
	if err != nil {
		t.Fatalf("PSBT %q: %v", b64, err)
	}
	return p
}

// fund adds the wallet's coin and a change output to an unfunded PSBT,
// signs the coin's input through the psbt package, finalizes and extracts
// the transaction, and takes its change as the wallet's next coin.
func (w *coldWallet) fund(b64 string) *wire.MsgTx {
	w.t.Helper()
	p := decodePSBT(w.t, b64)
	var out int64
	for _, o := range p.UnsignedTx.TxOut {
		out += o.Value
	}
	const fee = 5_000
	in := wire.NewTxIn(&w.coin, nil, nil)
	in.Sequence = wire.MaxTxInSequenceNum - 2
	p.UnsignedTx.AddTxIn(in)
	p.Inputs = append(p.Inputs, psbt.PInput{})
	p.UnsignedTx.AddTxOut(wire.NewTxOut(w.value-out-fee, w.script))
	p.Outputs = append(p.Outputs, psbt.POutput{})
	idx := len(p.UnsignedTx.TxIn) - 1
	u, err := psbt.NewUpdater(p)
	if err != nil {
		w.t.Fatal(err)
	}
	prev := wire.NewTxOut(w.value, w.script)
	if err := u.AddInWitnessUtxo(prev, idx); err != nil {
		w.t.Fatal(err)
	}
	fetcher := txscript.NewCannedPrevOutputFetcher(w.script, w.value)
	wit, err := txscript.WitnessSignature(p.UnsignedTx, txscript.NewTxSigHashes(p.UnsignedTx, fetcher),
		idx, w.value, w.script, txscript.SigHashAll, w.key, true)
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := u.Sign(idx, wit[0], wit[1], nil, nil); err != nil {
		w.t.Fatal(err)
	}
	if err := psbt.MaybeFinalizeAll(p); err != nil {
		w.t.Fatal(err)
	}
	tx, err := psbt.Extract(p)
	if err != nil {
		w.t.Fatal(err)
	}
	w.coin = wire.OutPoint{Hash: tx.TxHash(), Index: uint32(len(tx.TxOut) - 1)}
	w.value = tx.TxOut[w.coin.Index].Value
	return tx
}

// signStake signs input 0 of a stake spend PSBT (a withdrawal or a
// renewal) with the owner key, over the witness script the PSBT carries,
// and adds the signature as a partial signature.
func (w *coldWallet) signStake(p *psbt.Packet) *psbt.Packet {
	w.t.Helper()
	in := p.Inputs[0]
	if in.WitnessUtxo == nil || len(in.WitnessScript) == 0 {
		w.t.Fatalf("stake PSBT without the stake output or its script: %+v", in)
	}
	fetcher := txscript.NewCannedPrevOutputFetcher(in.WitnessUtxo.PkScript, in.WitnessUtxo.Value)
	sig, err := txscript.RawTxInWitnessSignature(p.UnsignedTx,
		txscript.NewTxSigHashes(p.UnsignedTx, fetcher), 0, in.WitnessUtxo.Value,
		in.WitnessScript, txscript.SigHashAll, w.key)
	if err != nil {
		w.t.Fatal(err)
	}
	u, err := psbt.NewUpdater(p)
	if err != nil {
		w.t.Fatal(err)
	}
	if _, err := u.Sign(0, sig, w.key.PubKey().SerializeCompressed(), nil, in.WitnessScript); err != nil {
		w.t.Fatal(err)
	}
	return p
}

// finalizeStake finishes a signed stake spend as the owner's coordinator
// does for a custom script: witness <sig> <pubkey> <witness script>.
func (w *coldWallet) finalizeStake(p *psbt.Packet) *wire.MsgTx {
	w.t.Helper()
	in := p.Inputs[0]
	var buf bytes.Buffer
	if err := psbt.WriteTxWitness(&buf, wire.TxWitness{in.PartialSigs[0].Signature,
		in.PartialSigs[0].PubKey, in.WitnessScript}); err != nil {
		w.t.Fatal(err)
	}
	p.Inputs[0].FinalScriptWitness = buf.Bytes()
	p.Inputs[0].PartialSigs, p.Inputs[0].WitnessScript, p.Inputs[0].SighashType = nil, nil, 0
	tx, err := psbt.Extract(p)
	if err != nil {
		w.t.Fatal(err)
	}
	return tx
}

func b64(t *testing.T, p *psbt.Packet) string {
	t.Helper()
	s, err := p.B64Encode()
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// ticketByTx returns the wallet's ticket registered by txid.
func ticketByTx(ctx context.Context, t *testing.T, wlt apiv1.WalletServiceClient, txid string) *apiv1.Ticket {
	t.Helper()
	stakes, err := wlt.ListStakes(ctx, &apiv1.ListStakesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tk := range stakes.Tickets {
		if tk.Txid == txid {
			return tk
		}
	}
	t.Fatalf("no ticket of registration %s among %v", txid, stakes.Tickets)
	return nil
}

// soloMiner mines blocks for a net of one node whose draws may have no
// winner (e2e.mine waits for a draw): it waits until the node's state is
// at the new block, asks for the draw after it, and when there is a
// winner (the node's: it holds every ticket) waits for its publication.
type soloMiner struct {
	e         *e2e
	node      *devnet.Node
	nodeAPI   apiv1.NodeServiceClient
	mainchain apiv1.MainchainServiceClient
	wins      int
}

func (m *soloMiner) mine() {
	t := m.e.t
	t.Helper()
	mark := m.node.Mark()
	if _, err := m.e.net.H.Generate(1); err != nil {
		t.Fatal(err)
	}
	height, hash, err := m.e.net.H.Tip()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := m.e.ctx()
	defer cancel()
	for {
		info, err := m.nodeAPI.GetInfo(ctx, &apiv1.GetInfoRequest{})
		if err == nil && info.Mainchain.TipHeight == height && info.Mainchain.TipHash == hash.String() {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("the node never reached mainchain %d:%v (%v)", height, hash, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	_, err = m.mainchain.GetWinner(ctx, &apiv1.GetWinnerRequest{Height: height})
	if status.Code(err) == codes.NotFound {
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	m.wins++
	line, err := m.node.WaitLine(ctx, mark, func(l string) bool {
		return strings.Contains(l, fmt.Sprintf("for the draw after block %d;", height)) ||
			strings.Contains(l, "Missed the slot")
	})
	if err != nil {
		t.Fatalf("won after %d: %v", height, err)
	}
	if strings.Contains(line, "Produced sideblock") {
		m.e.produced[m.node.Spec.Name]++
	} else {
		t.Logf("%s", line)
	}
	m.e.waitMempool()
}

// mineTo mines until btcd's tip is at least height.
func (m *soloMiner) mineTo(height uint32) {
	m.e.t.Helper()
	for {
		tip, _, err := m.e.net.H.Tip()
		if err != nil {
			m.e.t.Fatal(err)
		}
		if uint32(tip) >= height {
			return
		}
		m.mine()
	}
}

// unspent reports whether btcd holds op unspent in a block.
func unspent(t *testing.T, net *devnet.Net, op string) bool {
	t.Helper()
	o, err := parseOutPoint(op)
	if err != nil {
		t.Fatal(err)
	}
	utxo, err := net.H.Client().GetTxOut(&o.Hash, o.Index, false)
	if err != nil {
		t.Fatal(err)
	}
	return utxo != nil
}

func inMempool(t *testing.T, net *devnet.Net, txid chainhash.Hash) bool {
	t.Helper()
	pool, err := net.H.Client().GetRawMempool()
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range pool {
		if *h == txid {
			return true
		}
	}
	return false
}

// TestColdStake runs a real btcd and a sidenode. A stake locked to a cold
// owner key is registered through a PSBT that an outside wallet funds and
// signs; the node publishes for its ticket with its hot key, cannot spend
// the stake, renews it only through a PSBT that the owner signs (and
// refuses one that pays elsewhere, broadcasting nothing), and the owner
// withdraws the renewed stake after its lock. A stake of the node's own
// key is renewed by the node alone.
func TestColdStake(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	net, err := devnet.New(t.TempDir(), sidenodeBinary(t), []devnet.NodeSpec{
		{Name: "a", Backend: "btcd"},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopNet(t, net) })
	e := &e2e{t: t, net: net, produced: make(map[string]int)}
	node := net.Nodes[0]
	if err := node.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := net.H.Generate(105); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	if err := node.WaitREST(ctx); err != nil {
		t.Fatal(err)
	}
	conn, err := node.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	wlt := apiv1.NewWalletServiceClient(conn)
	nodeAPI := apiv1.NewNodeServiceClient(conn)
	m := &soloMiner{e: e, node: node, nodeAPI: nodeAPI, mainchain: apiv1.NewMainchainServiceClient(conn)}

	// The outside wallet gets a coin; the node's wallet gets coins too,
	// for its own stake.
	cold := newColdWallet(t)
	fundTx, err := net.H.Send([]*wire.TxOut{wire.NewTxOut(10_0000_0000, cold.script)}, 2)
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range fundTx.TxOut {
		if bytes.Equal(o.PkScript, cold.script) {
			cold.coin, cold.value = wire.OutPoint{Hash: fundTx.TxHash(), Index: uint32(i)}, o.Value
		}
	}
	fundWallet(ctx, t, net, wlt, 5_0000_0000)
	m.mine()

	// Registration: an unfunded PSBT of the cold-owner form, funded and
	// signed by the outside wallet, which broadcasts it.
	created, err := wlt.CreateStake(ctx, &apiv1.CreateStakeRequest{AmountSat: 1_0000_0000,
		LockBlocks: 20, PsbtOnly: true, OwnerPubkey: cold.pubHex()})
	if err != nil {
		t.Fatal(err)
	}
	ownerHash := mainstake.OwnerKeyHash(cold.key.PubKey())
	if created.OwnerKeyHash != hex.EncodeToString(ownerHash[:]) ||
		created.Pubkey != hex.EncodeToString(node.StakeKey.SerializeCompressed()) {
		t.Fatalf("CreateStake: %+v", created)
	}
	regTx := cold.fund(created.Psbt)
	if _, err := net.H.Client().SendRawTransaction(regTx, true); err != nil {
		t.Fatalf("the outside wallet's registration: %v", err)
	}
	m.mine()
	tk := ticketByTx(ctx, t, wlt, regTx.TxHash().String())
	if tk.OwnerKeyHash != created.OwnerKeyHash || tk.Pubkey != created.Pubkey {
		t.Fatalf("cold ticket %+v", tk)
	}

	// The node publishes for it: the only ticket wins every draw.
	for i := 0; i < 4; i++ {
		m.mine()
	}
	info, err := nodeAPI.GetInfo(ctx, &apiv1.GetInfoRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if info.Publications == 0 || e.produced["a"] == 0 {
		t.Fatalf("no publication for the cold ticket: %+v, produced %v", info, e.produced)
	}
	t.Logf("cold ticket %d: %d wins, %d publications", tk.Id, info.Wins, info.Publications)

	// The node cannot spend the stake, and says how it is done.
	_, err = wlt.WithdrawStake(ctx, &apiv1.WithdrawStakeRequest{
		Stake: &apiv1.WithdrawStakeRequest_TicketId{TicketId: tk.Id}})
	if status.Code(err) != codes.FailedPrecondition || !strings.Contains(err.Error(), "cold owner key") ||
		!strings.Contains(err.Error(), "--psbt") {
		t.Fatalf("withdraw of the cold stake by the node: %v", err)
	}

	// Renewal of the cold stake, after its lock: a PSBT for the owner.
	m.mineTo(tk.LockHeight)
	_, err = wlt.WithdrawStake(ctx, &apiv1.WithdrawStakeRequest{
		Stake: &apiv1.WithdrawStakeRequest_TicketId{TicketId: tk.Id}})
	if status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("withdraw of the expired cold stake by the node: %v", err)
	}
	renew, err := wlt.RenewStake(ctx, &apiv1.RenewStakeRequest{
		Stake: &apiv1.RenewStakeRequest_TicketId{TicketId: tk.Id}, LockBlocks: 20})
	if err != nil {
		t.Fatal(err)
	}
	if renew.Psbt == "" || renew.Txid != "" {
		t.Fatalf("cold renewal: %+v, want a PSBT and no broadcast", renew)
	}
	// A renewal that pays elsewhere, signed by the owner all the same
	// (a tampered PSBT), is refused and nothing is broadcast.
	thief := newColdWallet(t)
	bad := decodePSBT(t, renew.Psbt)
	bad.UnsignedTx.TxOut[mainstake.BuildStakeVout].Value -= 10_000_000
	bad.UnsignedTx.AddTxOut(wire.NewTxOut(10_000_000, thief.script))
	bad.Outputs = append(bad.Outputs, psbt.POutput{})
	cold.signStake(bad)
	badTx := bad.UnsignedTx.TxHash()
	_, err = wlt.RenewStake(ctx, &apiv1.RenewStakeRequest{
		Stake:      &apiv1.RenewStakeRequest_TicketId{TicketId: tk.Id},
		SignedPsbt: b64(t, bad)})
	if status.Code(err) != codes.InvalidArgument || !strings.Contains(err.Error(), "nothing was broadcast") ||
		!strings.Contains(err.Error(), hex.EncodeToString(thief.script)) {
		t.Fatalf("renewal paying elsewhere: %v", err)
	}
	if inMempool(t, net, badTx) || !unspent(t, net, tk.StakeOutpoint) {
		t.Fatal("the renewal paying elsewhere reached btcd")
	}
	good := cold.signStake(decodePSBT(t, renew.Psbt))
	renewed, err := wlt.RenewStake(ctx, &apiv1.RenewStakeRequest{
		Stake:      &apiv1.RenewStakeRequest_TicketId{TicketId: tk.Id},
		SignedPsbt: b64(t, good)})
	if err != nil {
		t.Fatalf("signed renewal: %v", err)
	}
	m.mine()
	if unspent(t, net, tk.StakeOutpoint) {
		t.Fatal("the renewal did not spend the old stake")
	}
	tk2 := ticketByTx(ctx, t, wlt, renewed.Txid)
	if tk2.OwnerKeyHash != tk.OwnerKeyHash || tk2.Pubkey != tk.Pubkey ||
		tk2.ValueSat != renewed.AmountSat || tk2.LockHeight != uint32(renewed.LockHeight) {
		t.Fatalf("renewed ticket %+v, renewal %+v", tk2, renewed)
	}
	// The old stake reads withdrawn, by the renewal, though the node
	// never sent a withdrawal of it (the owner's wallet signed it).
	if old := ticketByTx(ctx, t, wlt, tk.Txid); old.StakeState != "withdrawn" ||
		old.GetWithdrawalTxid() != renewed.Txid {
		t.Fatalf("renewed-away stake %+v, renewal %s", old, renewed.Txid)
	}
	t.Logf("cold renewal %s: %d sat -> %d sat, lock %d -> %d", renewed.Txid, tk.ValueSat,
		tk2.ValueSat, tk.LockHeight, tk2.LockHeight)

	// The owner withdraws the renewed stake: a PSBT with the lock time
	// set, which btcd refuses before the lock and mines after it.
	dest := newColdWallet(t)
	destAddr, err := btcutil.NewAddressWitnessPubKeyHash(btcutil.Hash160(
		dest.key.PubKey().SerializeCompressed()), net.H.Params)
	if err != nil {
		t.Fatal(err)
	}
	wd, err := wlt.WithdrawStake(ctx, &apiv1.WithdrawStakeRequest{
		Stake:              &apiv1.WithdrawStakeRequest_TicketId{TicketId: tk2.Id},
		DestinationAddress: destAddr.EncodeAddress(), PsbtOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	wp := decodePSBT(t, wd.Psbt)
	if wp.UnsignedTx.LockTime != tk2.LockHeight || wp.UnsignedTx.TxIn[0].Sequence != mainstake.WithdrawalSequence {
		t.Fatalf("withdrawal PSBT lock time %d sequence %x", wp.UnsignedTx.LockTime, wp.UnsignedTx.TxIn[0].Sequence)
	}
	withdrawal := cold.finalizeStake(cold.signStake(wp))
	if _, err := net.H.Client().SendRawTransaction(withdrawal, true); err == nil {
		t.Fatal("btcd took the withdrawal before the stake's lock")
	}
	// The renewed ticket publishes too while it lives.
	before := info.Publications
	m.mineTo(tk2.LockHeight)
	if info, err = nodeAPI.GetInfo(ctx, &apiv1.GetInfoRequest{}); err != nil || info.Publications <= before {
		t.Fatalf("no publication for the renewed cold ticket: %+v %v", info, err)
	}
	if _, err := net.H.Client().SendRawTransaction(withdrawal, true); err != nil {
		t.Fatalf("the owner's withdrawal after the lock: %v", err)
	}
	m.mine()
	if unspent(t, net, tk2.StakeOutpoint) {
		t.Fatal("the owner's withdrawal did not spend the stake")
	}
	if !unspent(t, net, withdrawal.TxHash().String()+":0") ||
		!bytes.Equal(withdrawal.TxOut[0].PkScript, dest.script) {
		t.Fatal("the withdrawal does not pay the owner's address")
	}
	// The node sees the withdrawal that the owner's wallet broadcast.
	if got := ticketByTx(ctx, t, wlt, renewed.Txid); got.StakeState != "withdrawn" ||
		got.GetWithdrawalTxid() != withdrawal.TxHash().String() {
		t.Fatalf("stake withdrawn by its owner reads %+v, withdrawal %v", got, withdrawal.TxHash())
	}

	// A stake of the node's own key: registered, then renewed by the
	// node alone in one transaction.
	hot, err := wlt.CreateStake(ctx, &apiv1.CreateStakeRequest{AmountSat: 1_0000_0000, LockBlocks: 15})
	if err != nil {
		t.Fatal(err)
	}
	m.mine()
	htk := ticketByTx(ctx, t, wlt, hot.Txid)
	if htk.OwnerKeyHash != "" {
		t.Fatalf("plain ticket with an owner key hash: %+v", htk)
	}
	_, err = wlt.RenewStake(ctx, &apiv1.RenewStakeRequest{
		Stake: &apiv1.RenewStakeRequest_TicketId{TicketId: htk.Id}, LockBlocks: 20})
	if status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("renewal before the lock: %v", err)
	}
	m.mineTo(htk.LockHeight)
	hr, err := wlt.RenewStake(ctx, &apiv1.RenewStakeRequest{
		Stake: &apiv1.RenewStakeRequest_TicketId{TicketId: htk.Id}, LockBlocks: 20})
	if err != nil || hr.Txid == "" || hr.Psbt != "" {
		t.Fatalf("hot renewal: %+v %v", hr, err)
	}
	m.mine()
	htk2 := ticketByTx(ctx, t, wlt, hr.Txid)
	if unspent(t, net, htk.StakeOutpoint) || htk2.ValueSat != hr.AmountSat || htk2.Pubkey != htk.Pubkey {
		t.Fatalf("hot renewal %+v: ticket %+v", hr, htk2)
	}
	t.Logf("hot renewal %s: %d sat -> %d sat", hr.Txid, htk.ValueSat, htk2.ValueSat)
}
