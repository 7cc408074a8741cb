package node_test

import (
	"context"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/mainstake/sidenode/devnet"
	"github.com/mainstake/sidenode/mainstake"
	"github.com/mainstake/sidenode/opreturn"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
	"github.com/mainstake/sidenode/sideblock"
)

// e2e drives a devnet of real processes for TestEndToEnd.
type e2e struct {
	t   *testing.T
	net *devnet.Net
	// produced counts, by node, the sideblocks each produced.
	produced map[string]int
	// exclude, when set, keeps the mempool transactions it matches out
	// of the blocks mine mines.
	exclude func(*wire.MsgTx) bool
	// bodies, when set, makes mine wait until every live node holds the
	// body of the sideblock produced for the draw after the block, so
	// that all of them apply the next block with the same bodies and
	// have the same state hash at every height (docs/protocol.md §1.5).
	bodies bool
}

func (e *e2e) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 90*time.Second)
}

// mine mines one block and waits until every live node has connected it
// and, when a live node won the draw after it, has published its header.
func (e *e2e) mine(live []*devnet.Node) {
	e.t.Helper()
	marks := make([]int, len(live))
	for i, n := range live {
		marks[i] = n.Mark()
	}
	var hashes []*chainhash.Hash
	var err error
	if e.exclude != nil {
		hashes, err = e.net.H.GenerateExcluding(1, e.exclude)
	} else {
		hashes, err = e.net.H.Generate(1)
	}
	if err != nil {
		e.t.Fatal(err)
	}
	height, _, err := e.net.H.Tip()
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := e.ctx()
	defer cancel()
	connected := fmt.Sprintf("connected block %d %v", height, hashes[0])
	lottery := fmt.Sprintf("Lottery after block %d:", height)
	for i, n := range live {
		if _, err := n.WaitContains(ctx, marks[i], connected); err != nil {
			e.t.Fatalf("block %d: %v", height, err)
		}
		line, err := n.WaitContains(ctx, marks[i], lottery)
		if err != nil {
			e.t.Fatalf("draw after %d: %v", height, err)
		}
		if !strings.Contains(line, "(this node)") {
			continue
		}
		line, err = n.WaitLine(ctx, marks[i], func(l string) bool {
			return strings.Contains(l, fmt.Sprintf("for the draw after block %d;", height)) ||
				strings.Contains(l, "Missed the slot")
		})
		if err != nil {
			e.t.Fatalf("%s won after %d: %v", n.Spec.Name, height, err)
		}
		if strings.Contains(line, "Produced sideblock") {
			e.produced[n.Spec.Name]++
			if e.bodies {
				e.waitBody(ctx, live, strings.Fields(line[strings.Index(line, "Produced sideblock"):])[2])
			}
		} else {
			e.t.Logf("%s: %s", n.Spec.Name, line)
		}
		e.waitMempool()
	}
}

// waitBody waits until every live node holds the body of sideblock hash.
func (e *e2e) waitBody(ctx context.Context, live []*devnet.Node, hash string) {
	e.t.Helper()
	for _, n := range live {
		conn, err := n.Dial()
		if err != nil {
			e.t.Fatal(err)
		}
		side := apiv1.NewSidechainServiceClient(conn)
		for {
			b, err := side.GetBlock(ctx, &apiv1.GetBlockRequest{
				Block: &apiv1.GetBlockRequest_Hash{Hash: hash}})
			if err == nil && b.HasBody {
				break
			}
			if ctx.Err() != nil {
				conn.Close()
				e.t.Fatalf("%s never received the body of sideblock %s: %v", n.Spec.Name, hash, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
		conn.Close()
	}
}

// waitMempool waits for the header transaction to reach btcd's mempool:
// a light client pushes it to its peer without waiting for an answer.
func (e *e2e) waitMempool() {
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		pool, err := e.net.H.Client().GetRawMempool()
		if err == nil && len(pool) > 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	e.t.Fatal("the header transaction never reached btcd's mempool")
}

// agree waits until every live node is at btcd's tip, then checks that all
// report the same sidechain tip and state hash, and returns the tip.
func (e *e2e) agree(live []*devnet.Node) (string, uint64) {
	e.t.Helper()
	height, hash, err := e.net.H.Tip()
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := e.ctx()
	defer cancel()
	var tip, state string
	var sideHeight uint64
	for i, n := range live {
		for {
			info, err := n.Info(ctx)
			if err == nil && info.Mainchain.TipHeight == height &&
				info.Mainchain.TipHash == hash.String() {
				if i == 0 {
					tip, state, sideHeight = info.Sidechain.TipHash, info.StateHash, uint64(info.Sidechain.Height)
				} else if info.Sidechain.TipHash != tip || info.StateHash != state {
					e.t.Fatalf("at mainchain %d: %s has sidechain %s state %s, %s has %s state %s",
						height, n.Spec.Name, info.Sidechain.TipHash, info.StateHash,
						live[0].Spec.Name, tip, state)
				}
				break
			}
			if ctx.Err() != nil {
				e.t.Fatalf("%s never reached mainchain %d:%v (%v)", n.Spec.Name, height, hash, err)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return tip, sideHeight
}

// TestEndToEnd runs btcd and three real sidenode processes, with stakes of
// 3, 2 and 1 BTC, one of them on the neutrino backend: the sidechain
// advances with the mainchain, producers spread by stake, every node agrees
// on the state, a mainchain reorg is undone and replayed, and a node killed
// with SIGKILL catches up.
func TestEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	net, err := devnet.New(t.TempDir(), sidenodeBinary(t), []devnet.NodeSpec{
		{Name: "a", Backend: "btcd", Stake: 300_000_000},
		{Name: "b", Backend: "btcd", Stake: 200_000_000},
		{Name: "c", Backend: "neutrino", Stake: 100_000_000},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopNet(t, net) })
	e := &e2e{t: t, net: net, produced: make(map[string]int)}
	all := net.Nodes
	for _, n := range all {
		if err := n.Start(); err != nil {
			t.Fatal(err)
		}
	}
	matureAndStake(t, net, 2000)
	// Node a's subscription streams follow everything that comes.
	sideStream, drawStream := watchSideblocks(t, all[0]), watchLottery(t, all[0])

	// 50 mainchain blocks: one sideblock each.
	const blocks = 50
	for i := 0; i < blocks; i++ {
		e.mine(all)
	}
	_, sideHeight := e.agree(all)
	t.Logf("after %d blocks: sidechain height %d, produced %v", blocks, sideHeight, e.produced)
	if sideHeight < blocks-5 {
		t.Fatalf("sidechain height %d after %d mainchain blocks", sideHeight, blocks)
	}
	// Producers spread by stake: every node produced, each within four
	// standard deviations of its share.
	shares := map[string]float64{"a": 0.5, "b": 1.0 / 3, "c": 1.0 / 6}
	total := 0
	for _, c := range e.produced {
		total += c
	}
	for name, share := range shares {
		got := float64(e.produced[name])
		want := share * float64(total)
		sd := math.Sqrt(float64(total) * share * (1 - share))
		if got < 1 || math.Abs(got-want) > 4*sd+1 {
			t.Fatalf("%s produced %v of %d sideblocks, expected about %.1f", name, got, total, want)
		}
	}

	e.strayHeaders()

	// A 3-block mainchain reorg: the sideblocks it published are undone
	// and the sidechain goes on from the new branch.
	marks := make([]int, len(all))
	for i, n := range all {
		marks[i] = n.Mark()
	}
	if _, err := net.H.Reorg(3, 1); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := e.ctx()
	for i, n := range all {
		if _, err := n.WaitContains(ctx, marks[i], "disconnected block"); err != nil {
			t.Fatalf("reorg: %v", err)
		}
	}
	cancel()
	for i := 0; i < 5; i++ {
		e.mine(all)
	}
	sideTip, sideHeight := e.agree(all)
	e.checkStreams(sideStream, drawStream, sideTip, sideHeight)
	// Every node ran from the first block through the reorg: its slot
	// counts are those of the chain, each draw counted once.
	e.checkCounts(all)

	// Node b dies without a chance to save anything, misses blocks, comes
	// back and catches up.
	victim := all[1]
	victim.Kill()
	live := []*devnet.Node{all[0], all[2]}
	for i := 0; i < 5; i++ {
		e.mine(live)
	}
	if err := victim.Start(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		e.mine(all)
	}
	e.agree(all)

	// A node's own wallet: paid on the mainchain, it funds, signs and
	// broadcasts a stake registration, and the new ticket is its own.
	ctx, cancel = e.ctx()
	defer cancel()
	conn, err := all[0].Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	wlt := apiv1.NewWalletServiceClient(conn)
	fundWallet(ctx, t, net, wlt, 500_000_000)
	e.mine(all)
	bal, err := wlt.GetBalance(ctx, &apiv1.GetBalanceRequest{MinConf: 1})
	if err != nil || bal.SpendableSat != 500_000_000 {
		t.Fatalf("balance %+v %v, want 5 BTC spendable", bal, err)
	}
	// Amounts and fee rates near 2^63 are refused from the funded wallet
	// (nodeapi's TestHugeAmountsRefused counts that nothing is broadcast).
	for _, req := range []*apiv1.CreateStakeRequest{
		{AmountSat: math.MaxInt64 - 7, LockBlocks: 12, FeeRateSatVb: 2},
		{AmountSat: 100_000_000, LockBlocks: 12, FeeRateSatVb: math.MaxInt64 - 7},
		{AmountSat: 100_000_000, LockBlocks: 12, FeeRateSatVb: 1e17},
	} {
		_, err := wlt.CreateStake(ctx, req)
		if status.Code(err) != codes.InvalidArgument {
			t.Fatalf("CreateStake %+v: %v, want InvalidArgument", req, err)
		}
	}
	stake, err := wlt.CreateStake(ctx, &apiv1.CreateStakeRequest{
		AmountSat: 100_000_000, LockBlocks: 12, FeeRateSatVb: 2})
	if err != nil {
		t.Fatal(err)
	}
	e.mine(all)
	stakes, err := wlt.ListStakes(ctx, &apiv1.ListStakesRequest{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, tk := range stakes.Tickets {
		found = found || tk.Txid == stake.Txid
	}
	if !found || stakes.Total != 2 {
		t.Fatalf("stakes of a after stake create: %+v, want its new ticket %s too", stakes, stake.Txid)
	}

	// The stake comes back once its lock has passed, and not before.
	var mine *apiv1.Ticket
	for _, tk := range stakes.Tickets {
		if tk.Txid == stake.Txid {
			mine = tk
		}
	}
	withdraw := func() (*apiv1.WithdrawStakeResponse, error) {
		return wlt.WithdrawStake(ctx, &apiv1.WithdrawStakeRequest{
			Stake: &apiv1.WithdrawStakeRequest_TicketId{TicketId: mine.Id}})
	}
	if _, err := withdraw(); status.Code(err) != codes.FailedPrecondition {
		t.Fatalf("withdraw before the lock: %v, want FailedPrecondition", err)
	}
	for {
		height, _, err := net.H.Tip()
		if err != nil {
			t.Fatal(err)
		}
		if uint32(height) >= mine.LockHeight {
			break
		}
		e.mine(all)
	}
	out, err := withdraw()
	if err != nil {
		t.Fatalf("withdraw after the lock: %v", err)
	}
	e.mine(all)
	stakeOut, err := parseOutPoint(mine.StakeOutpoint)
	if err != nil {
		t.Fatal(err)
	}
	if utxo, err := net.H.Client().GetTxOut(&stakeOut.Hash, stakeOut.Index, false); err != nil || utxo != nil {
		t.Fatalf("stake %v still unspent after withdrawal %s (%v)", stakeOut, out.Txid, err)
	}

	e.sidePayment(all)

	tip, height := e.agree(all)
	t.Logf("end: sidechain tip %s at height %d; produced %v", tip, height, e.produced)
	e.checkStreams(sideStream, drawStream, tip, height)
	e.checkSlots(all)
	if _, err := chainhash.NewHashFromStr(tip); err != nil {
		t.Fatalf("no sidechain tip: %q", tip)
	}
}

// checkCounts checks that each node's slot counts (GetInfo) are those of
// the best chain: wins are the draws its tickets won, publications those
// that the next block counted, misses the rest, and wins = publications +
// misses + the tip's draw when it is the node's and still undecided. The
// nodes must have run since the first block, and none may be producing.
func (e *e2e) checkCounts(nodes []*devnet.Node) {
	t := e.t
	t.Helper()
	ctx, cancel := e.ctx()
	defer cancel()
	height, _, err := e.net.H.Tip()
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range nodes {
		conn, err := n.Dial()
		if err != nil {
			t.Fatal(err)
		}
		mc := apiv1.NewMainchainServiceClient(conn)
		var wins, included, missed, pending uint64
		for h := int32(0); h <= height; h++ {
			w, err := mc.GetWinner(ctx, &apiv1.GetWinnerRequest{Height: h})
			if status.Code(err) == codes.NotFound || (err == nil && !w.GetOwnTicket()) {
				continue
			}
			if err != nil {
				t.Fatal(err)
			}
			wins++
			if h == height {
				pending++
				continue
			}
			_, err = mc.GetPublication(ctx, &apiv1.GetPublicationRequest{Height: h + 1})
			switch {
			case err == nil:
				included++
			case status.Code(err) == codes.NotFound:
				missed++
			default:
				t.Fatal(err)
			}
		}
		info, err := apiv1.NewNodeServiceClient(conn).GetInfo(ctx, &apiv1.GetInfoRequest{})
		conn.Close()
		if err != nil {
			t.Fatal(err)
		}
		if info.GetWins() != wins || info.GetPublications() != included ||
			info.GetMisses() != missed || info.GetWins() != info.GetPublications()+info.GetMisses()+pending {
			t.Fatalf("%s counts %d wins, %d publications, %d misses (%v); its chain up to "+
				"%d has %d, %d and %d, and %d pending", n.Spec.Name, info.GetWins(),
				info.GetPublications(), info.GetMisses(), info.GetMissReasons(), height,
				wins, included, missed, pending)
		}
		t.Logf("%s: %d wins, %d publications, %d misses %v", n.Spec.Name, wins, included,
			missed, info.GetMissReasons())
	}
}

var (
	winnerRE   = regexp.MustCompile(`Lottery after block (\d+): ticket (\d+) wins`)
	headerTxRE = regexp.MustCompile(`header tx ([0-9a-f]{64}) accepted`)
)

// strayHeaders sends, beside the winner's publication, a header transaction
// of a ticket that did not win the draw, and a second header of the winner,
// and checks that every node ignores both and still agrees.
func (e *e2e) strayHeaders() {
	t := e.t
	t.Helper()
	ctx, cancel := e.ctx()
	defer cancel()
	height, _, err := e.net.H.Tip()
	if err != nil {
		t.Fatal(err)
	}
	all := e.net.Nodes

	// The winner of the draw after the tip, and its header transaction.
	var (
		winner  uint64
		first   *chainhash.Hash
		winNode *devnet.Node
	)
	drawn := fmt.Sprintf("Lottery after block %d:", height)
	for _, n := range all {
		line, err := n.WaitContains(ctx, 0, drawn)
		if err != nil {
			t.Fatal(err)
		}
		m := winnerRE.FindStringSubmatch(line)
		winner, _ = strconv.ParseUint(m[2], 10, 64)
		if strings.Contains(line, "(this node)") {
			winNode = n
		}
	}
	if winNode == nil {
		t.Fatalf("no node won the draw after block %d", height)
	}
	// mine waited for its production or its miss.
	l, err := winNode.WaitLine(ctx, 0, func(l string) bool {
		return strings.Contains(l, fmt.Sprintf("for the draw after block %d;", height)) ||
			strings.Contains(l, "Missed the slot")
	})
	if err != nil {
		t.Fatal(err)
	}
	if m := headerTxRE.FindStringSubmatch(l); m != nil {
		first, _ = chainhash.NewHashFromStr(m[1])
	} else {
		t.Fatalf("%s won the draw after block %d but missed it: %s", winNode.Spec.Name, height, l)
	}

	conn, err := all[0].Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	tickets, err := apiv1.NewMainchainServiceClient(conn).ListTickets(ctx,
		&apiv1.ListTicketsRequest{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	keyOf := func(pubHex string) *devnet.Node {
		for _, n := range all {
			if fmt.Sprintf("%x", n.StakeKey.SerializeCompressed()) == pubHex {
				return n
			}
		}
		return nil
	}
	// header builds a header transaction of the ticket with key n,
	// spending publisher output op.
	header := func(n *devnet.Node, op wire.OutPoint) *wire.MsgTx {
		out, err := e.net.H.Client().GetTxOut(&op.Hash, op.Index, true)
		if err != nil || out == nil {
			t.Fatalf("publisher output %v: %v", op, err)
		}
		value, _ := btcutil.NewAmount(out.Value)
		tk := &mainstake.Ticket{Registration: mainstake.Registration{PubKey: n.StakeKey},
			Current: op, CurrentValue: int64(value)}
		tx, err := mainstake.BuildHeaderTx(tk, &opreturn.Header{PrevBlock: chainhash.Hash{0xee}},
			e.net.Params.SidechainID, 2, n.StakePriv)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.net.H.Client().SendRawTransaction(tx, false); err != nil {
			t.Fatalf("send stray header: %v", err)
		}
		return tx
	}

	var stray, second *wire.MsgTx
	var strayTicket uint64
	for _, tk := range tickets.Tickets {
		if tk.Id == winner || !tk.Live || stray != nil {
			continue
		}
		op, err := parseOutPoint(tk.PublisherOutpoint)
		if err != nil {
			t.Fatal(err)
		}
		stray, strayTicket = header(keyOf(tk.Pubkey), op), tk.Id
	}
	for _, tk := range tickets.Tickets {
		if tk.Id == winner && first != nil {
			second = header(keyOf(tk.Pubkey), wire.OutPoint{Hash: *first, Index: 1})
		}
	}
	if stray == nil || second == nil {
		t.Fatalf("no stray header to send (winner %d, first header %v)", winner, first)
	}
	marks := make([]int, len(all))
	for i, n := range all {
		marks[i] = n.Mark()
	}
	e.mine(all)
	for i, n := range all {
		for _, want := range []string{
			fmt.Sprintf("Header tx %v of ticket %d ignored: not the winner", stray.TxHash(), strayTicket),
			fmt.Sprintf("Header tx %v of ticket %d ignored: not the winner's first header", second.TxHash(), winner),
		} {
			if _, err := n.WaitContains(ctx, marks[i], want); err != nil {
				t.Fatalf("%s: %v", n.Spec.Name, err)
			}
		}
	}
	e.agree(all)
}

func parseOutPoint(s string) (wire.OutPoint, error) {
	i := strings.LastIndex(s, ":")
	if i < 0 {
		return wire.OutPoint{}, fmt.Errorf("outpoint %q", s)
	}
	hash, err := chainhash.NewHashFromStr(s[:i])
	if err != nil {
		return wire.OutPoint{}, err
	}
	vout, err := strconv.ParseUint(s[i+1:], 10, 32)
	if err != nil {
		return wire.OutPoint{}, err
	}
	return wire.OutPoint{Hash: *hash, Index: uint32(vout)}, nil
}

// sidePayment waits for node a's first sideblock coinbases to mature, pays
// node b on the sidechain from a, and checks that every node confirms the
// payment in the same block and that b's balance holds it.
func (e *e2e) sidePayment(all []*devnet.Node) {
	t := e.t
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dial := func(n *devnet.Node) *grpc.ClientConn {
		conn, err := n.Dial()
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		return conn
	}
	payer := apiv1.NewWalletServiceClient(dial(all[0]))
	payee := apiv1.NewWalletServiceClient(dial(all[1]))

	const amount = 10_000_000
	for i := 0; ; i++ {
		bal, err := payer.GetSideBalance(ctx, &apiv1.GetSideBalanceRequest{})
		if err != nil {
			t.Fatal(err)
		}
		if bal.SpendableSat >= 2*amount {
			break
		}
		if i > int(sideblock.SideCoinbaseMaturity)+20 {
			t.Fatalf("a has no spendable sidechain coins: %+v", bal)
		}
		e.mine(all)
	}
	to, err := payee.GetSideAddress(ctx, &apiv1.GetSideAddressRequest{})
	if err != nil {
		t.Fatal(err)
	}
	before, err := payee.GetSideBalance(ctx, &apiv1.GetSideBalanceRequest{})
	if err != nil {
		t.Fatal(err)
	}
	sent, err := payer.SendSide(ctx, &apiv1.SendSideRequest{ToAddress: to.Address, AmountSat: amount})
	if err != nil {
		t.Fatal(err)
	}
	var block string
	for i := 0; i < 6 && block == ""; i++ {
		e.mine(all)
		for _, n := range all {
			got, err := apiv1.NewSidechainServiceClient(dial(n)).GetTransaction(ctx,
				&apiv1.GetTransactionRequest{Txid: sent.Txid})
			if err != nil || !got.Confirmed {
				block = ""
				break
			}
			if block != "" && got.BlockHash != block {
				t.Fatalf("%s confirms %s in %s, another node in %s", n.Spec.Name,
					sent.Txid, got.BlockHash, block)
			}
			block = got.BlockHash
		}
	}
	if block == "" {
		t.Fatalf("payment %s not confirmed on every node", sent.Txid)
	}
	after, err := payee.GetSideBalance(ctx, &apiv1.GetSideBalanceRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if after.TotalSat-before.TotalSat < amount {
		t.Fatalf("b's sidechain balance went from %d to %d, want +%d",
			before.TotalSat, after.TotalSat, amount)
	}
	t.Logf("payment %s confirmed in sideblock %s on every node", sent.Txid, block)
}

// fundWallet pays amount from btcd's mining key to a new address of the
// node wallet behind wlt; the payment waits in btcd's mempool.
func fundWallet(ctx context.Context, t *testing.T, net *devnet.Net,
	wlt apiv1.WalletServiceClient, amount int64) {

	t.Helper()
	resp, err := wlt.NewAddress(ctx, &apiv1.NewAddressRequest{})
	if err != nil {
		t.Fatal(err)
	}
	addr, err := btcutil.DecodeAddress(resp.Address, net.H.Params)
	if err != nil {
		t.Fatal(err)
	}
	script, err := txscript.PayToAddrScript(addr)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := net.H.Send([]*wire.TxOut{wire.NewTxOut(amount, script)}, 2); err != nil {
		t.Fatal(err)
	}
}
