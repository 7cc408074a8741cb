package node_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/mainstake/sidenode/devnet"
	"github.com/mainstake/sidenode/feeest"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// feeLog is where the devnet's lines go: stderr with SIDENODE_FEES_LOG=1.
func feeLog() io.Writer {
	if os.Getenv("SIDENODE_FEES_LOG") != "" {
		return os.Stderr
	}
	return nil
}

// feeNet drives one producing node against a real btcd whose mempool the
// test fills, for TestHeaderFees.
type feeNet struct {
	t    *testing.T
	net  *devnet.Net
	a    *devnet.Node
	main apiv1.MainchainServiceClient
	wlt  apiv1.WalletServiceClient
	own  uint64 // a's ticket
	junk []byte // where congestion pays: nobody's coins
	k    int    // congestion transactions sent
}

func (f *feeNet) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 3*time.Minute)
}

// production is what node a did with the draw after a block.
type production struct {
	height int32
	won    bool
	txid   chainhash.Hash // its header transaction, as first sent
	fee    int64
}

var producedRE = regexp.MustCompile(`header tx ([0-9a-f]{64}) accepted.*; fee (\d+) sat`)

// mine mines one block and waits until node a has connected it and, when
// its ticket won the draw after it, has sent its header transaction and
// looked at the next block's fee rate once (rebid).
func (f *feeNet) mine() production {
	f.t.Helper()
	mark := f.a.Mark()
	hashes, err := f.net.H.Generate(1)
	if err != nil {
		f.t.Fatal(err)
	}
	height, _, err := f.net.H.Tip()
	if err != nil {
		f.t.Fatal(err)
	}
	ctx, cancel := f.ctx()
	defer cancel()
	if _, err := f.a.WaitContains(ctx, mark, fmt.Sprintf("connected block %d %v", height, hashes[0])); err != nil {
		f.t.Fatalf("block %d: %v", height, err)
	}
	line, err := f.a.WaitContains(ctx, mark, fmt.Sprintf("Lottery after block %d:", height))
	if err != nil {
		f.t.Fatalf("draw after %d: %v", height, err)
	}
	p := production{height: height}
	if !strings.Contains(line, "(this node)") {
		return p
	}
	p.won = true
	line, err = f.a.WaitLine(ctx, mark, func(l string) bool {
		return strings.Contains(l, fmt.Sprintf("for the draw after block %d;", height)) ||
			strings.Contains(l, fmt.Sprintf("Could not produce for the draw after block %d", height))
	})
	if err != nil {
		f.t.Fatalf("a won after %d: %v", height, err)
	}
	m := producedRE.FindStringSubmatch(line)
	if m == nil {
		f.t.Fatalf("a did not produce after %d: %s", height, line)
	}
	if err := chainhash.Decode(&p.txid, m[1]); err != nil {
		f.t.Fatal(err)
	}
	p.fee, _ = strconv.ParseInt(m[2], 10, 64)
	f.rebidSeen(mark, height)
	return p
}

// rebidSeen waits for a rebid line for the draw after height after mark.
func (f *feeNet) rebidSeen(mark int, height int32) string {
	f.t.Helper()
	ctx, cancel := f.ctx()
	defer cancel()
	line, err := f.a.WaitContains(ctx, mark, fmt.Sprintf("Rebid for the draw after block %d:", height))
	if err != nil {
		f.t.Fatalf("rebid after %d: %v", height, err)
	}
	return line
}

// publisher returns a's ticket's current publisher outpoint and value.
func (f *feeNet) publisher() (wire.OutPoint, int64) {
	f.t.Helper()
	ctx, cancel := f.ctx()
	defer cancel()
	resp, err := f.main.ListTickets(ctx, &apiv1.ListTicketsRequest{})
	if err != nil {
		f.t.Fatal(err)
	}
	for _, tk := range resp.Tickets {
		if tk.Id != f.own {
			continue
		}
		op, err := parseOutPoint(tk.PublisherOutpoint)
		if err != nil {
			f.t.Fatal(err)
		}
		out, err := f.net.H.Client().GetTxOut(&op.Hash, op.Index, false)
		if err != nil || out == nil {
			f.t.Fatalf("publisher output %v: %v %v", op, out, err)
		}
		amt, _ := btcutil.NewAmount(out.Value)
		return op, int64(amt)
	}
	f.t.Fatalf("no ticket %d", f.own)
	return wire.OutPoint{}, 0
}

// mempoolVSize returns the virtual size of btcd's mempool.
func (f *feeNet) mempoolVSize() int64 {
	f.t.Helper()
	pool, err := f.net.H.Client().GetRawMempoolVerbose()
	if err != nil {
		f.t.Fatal(err)
	}
	var sum int64
	for _, e := range pool {
		sum += int64(e.Vsize)
	}
	return sum
}

// congest sends large transactions (about 62,000 vB each) until btcd's
// mempool holds at least vbytes, at rates that rise with each one.
func (f *feeNet) congest(vbytes int64, rate func(k int) int64) {
	f.t.Helper()
	for f.mempoolVSize() < vbytes {
		outs := make([]*wire.TxOut, 2000)
		for i := range outs {
			outs[i] = wire.NewTxOut(330, f.junk)
		}
		if _, err := f.net.H.Send(outs, rate(f.k)); err != nil {
			f.t.Fatalf("congestion tx %d: %v", f.k, err)
		}
		f.k++
	}
}

// blockFees returns the fee rate (sat/kvB) of every non-coinbase
// transaction of block hash, by txid, reading each input's previous output
// through btcd's transaction index.
func (f *feeNet) blockFees(hash *chainhash.Hash) (*wire.MsgBlock, map[chainhash.Hash]feeest.SatPerKVB) {
	f.t.Helper()
	c := f.net.H.Client()
	block, err := c.GetBlock(hash)
	if err != nil {
		f.t.Fatal(err)
	}
	rates := make(map[chainhash.Hash]feeest.SatPerKVB)
	for _, tx := range block.Transactions[1:] {
		var in, out int64
		for _, txIn := range tx.TxIn {
			prev, err := c.GetRawTransaction(&txIn.PreviousOutPoint.Hash)
			if err != nil {
				f.t.Fatal(err)
			}
			in += prev.MsgTx().TxOut[txIn.PreviousOutPoint.Index].Value
		}
		for _, o := range tx.TxOut {
			out += o.Value
		}
		vsize := (int64(tx.SerializeSizeStripped())*3 + int64(tx.SerializeSize()) + 3) / 4
		rates[tx.TxHash()] = feeest.SatPerKVB((in - out) * 1000 / vsize)
	}
	return block, rates
}

// highestLeft returns the highest fee rate in btcd's mempool, leaving out
// the header transaction of production p.
func (f *feeNet) highestLeft(p production) feeest.SatPerKVB {
	f.t.Helper()
	pool, err := f.net.H.Client().GetRawMempoolVerbose()
	if err != nil {
		f.t.Fatal(err)
	}
	var top feeest.SatPerKVB
	for txid, e := range pool {
		if p.won && txid == p.txid.String() {
			continue
		}
		fee, _ := btcutil.NewAmount(e.Fee)
		top = max(top, feeest.SatPerKVB(int64(fee)*1000/int64(e.Vsize)))
	}
	return top
}

// headerIn returns the transaction of block that spends op, a's publisher
// outpoint, as its input 0.
func headerIn(block *wire.MsgBlock, op wire.OutPoint) *wire.MsgTx {
	for _, tx := range block.Transactions {
		if tx.TxIn[0].PreviousOutPoint == op {
			return tx
		}
	}
	return nil
}

// TestHeaderFees runs a producing node (btcd backend) through the fee
// situations of mainnet on a real btcd with --rejectnonstd:
//   - its publisher output starts nearly dry (3,000 sat): the first header
//     adds wallet coins and refills it;
//   - sidecli stake topup: refused for a ticket not the node's, with nothing
//     recorded and no coin moved; for its own ticket the next header adds
//     the amount;
//   - a congested mempool (more than a block's weight, at rising rates
//     from 5 sat/vB): its headers make the next block, within the cap;
//   - a fee spike between two blocks: the header is replaced and the
//     replacement mined.
func TestHeaderFees(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	const maxHeaderFee = 40_000
	net, err := devnet.New(t.TempDir(), sidenodeBinary(t), []devnet.NodeSpec{
		{Name: "a", Backend: "btcd", Stake: 100_000_000, PublisherValue: 3_000,
			Args: []string{"--publish.rebidinterval=300ms", "--publish.topupheaders=20",
				fmt.Sprintf("--publish.maxheaderfee=%d", maxHeaderFee),
				"--debuglevel=info,PROD=debug"}},
		// b is never started: its ticket is another wallet's.
		{Name: "b", Backend: "btcd", Stake: 10_000},
	}, feeLog())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopNet(t, net) })
	a := net.Nodes[0]
	if err := a.Start(); err != nil {
		t.Fatal(err)
	}
	startCtx, startCancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer startCancel()
	if err := a.WaitREST(startCtx); err != nil {
		t.Fatal(err)
	}
	conn, err := a.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	f := &feeNet{t: t, net: net, a: a, main: apiv1.NewMainchainServiceClient(conn),
		wlt:  apiv1.NewWalletServiceClient(conn),
		junk: append([]byte{0, 20}, make([]byte, 20)...)}
	// 130 blocks: 30 mature coinbases for the congestion.
	if _, err := net.H.Generate(130); err != nil {
		t.Fatal(err)
	}
	if _, err := net.RegisterStakes(2000); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := f.ctx()
	defer cancel()
	fundWallet(ctx, t, net, f.wlt, 1_000_000_000)
	f.mine()
	stakes, err := f.wlt.ListStakes(ctx, &apiv1.ListStakesRequest{})
	if err != nil || len(stakes.Tickets) != 1 {
		t.Fatalf("a's stakes: %v %v", stakes, err)
	}
	f.own = stakes.Tickets[0].Id
	other := 1 - f.own // two tickets, ids 0 and 1

	// A nearly dry publisher output: the first header adds wallet coins.
	mark := a.Mark()
	var first production
	for i := 0; i < 10 && !first.won; i++ {
		first = f.mine()
	}
	if !first.won {
		t.Fatal("a won no draw in 10 blocks")
	}
	if _, err := a.WaitContains(ctx, mark, "of wallet coins"); err != nil {
		t.Fatalf("the dry publisher output was not refilled: %v", err)
	}
	f.mine()
	_, refilled := f.publisher()
	t.Logf("publisher output of 3000 sat refilled to %d sat from the wallet", refilled)
	if refilled < 12_000 {
		t.Fatalf("publisher output holds %d sat after the refill, want at least 20 headers' worth twice", refilled)
	}

	// Top-up of a ticket that is not the node's: NotFound, nothing moves.
	before, err := f.wlt.GetBalance(ctx, &apiv1.GetBalanceRequest{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = f.wlt.TopUpStake(ctx, &apiv1.TopUpStakeRequest{TicketId: other, AmountSat: 50_000})
	if status.Code(err) != codes.NotFound || !strings.Contains(err.Error(), "not one of this wallet's stakes") {
		t.Fatalf("top-up of another's ticket: %v", err)
	}
	_, err = f.wlt.TopUpStake(ctx, &apiv1.TopUpStakeRequest{TicketId: f.own, AmountSat: 0})
	if status.Code(err) != codes.InvalidArgument {
		t.Fatalf("top-up of 0 sat: %v", err)
	}
	up, err := f.wlt.TopUpStake(ctx, &apiv1.TopUpStakeRequest{TicketId: f.own, AmountSat: 100_000})
	if err != nil || up.PendingSat != 100_000 {
		t.Fatalf("top-up: %v %v", up, err)
	}
	after, err := f.wlt.GetBalance(ctx, &apiv1.GetBalanceRequest{})
	if err != nil || after.String() != before.String() {
		t.Fatalf("the balance moved: %v -> %v (%v)", before, after, err)
	}
	mark = a.Mark()
	var p production
	for i := 0; i < 10 && !p.won; i++ {
		p = f.mine()
	}
	line, err := a.WaitContains(ctx, mark, "top-up asked 100000 sat")
	if err != nil {
		t.Fatalf("no header carried the top-up: %v", err)
	}
	m := regexp.MustCompile(`publisher output of (\d+) sat: fee (\d+) sat.*new publisher output holds (\d+) sat`).
		FindStringSubmatch(line)
	if m == nil {
		t.Fatalf("top-up line: %s", line)
	}
	pubBefore, _ := strconv.ParseInt(m[1], 10, 64)
	topFee, _ := strconv.ParseInt(m[2], 10, 64)
	pubAfter, _ := strconv.ParseInt(m[3], 10, 64)
	if pubAfter < pubBefore+100_000-topFee {
		t.Fatalf("publisher output %d -> %d after a top-up of 100000 sat, fee %d", pubBefore, pubAfter, topFee)
	}
	f.mine()
	if _, now := f.publisher(); now > pubAfter {
		t.Fatalf("publisher output %d on chain, more than the %d the top-up made", now, pubAfter)
	}
	t.Logf("top-up: publisher output %d -> %d sat", pubBefore, pubAfter)

	// A congested mempool at rising rates: each round keeps more than
	// 1.5 blocks' worth waiting, at 5 sat/vB and up.
	// Rates are spread over a band of 5 to 40 sat/vB (a fixed
	// pseudo-random order) that rises by 1 sat/vB a round, so that what
	// a block leaves out pays close to what it takes.
	round := 0
	rising := func(k int) int64 { return 5 + int64(round) + int64(k*7919%36) }
	const blockVB = feeest.BlockVSize
	var (
		wins, included int
		ratios         []string
	)
	prev := f.mine()
	for ; round < 20; round++ {
		op, _ := f.publisher()
		mark := a.Mark()
		f.congest(blockVB*3/2, rising)
		if prev.won {
			f.rebidSeen(mark, prev.height) // the node looked at the mempool as it is now
		}
		next := f.mine()
		// The highest rate left waiting: what the block left out (the
		// next header, if any, is a transaction of the node's own).
		left := f.highestLeft(next)
		if prev.won {
			wins++
			hash, err := net.H.Client().GetBlockHash(int64(prev.height + 1))
			if err != nil {
				t.Fatal(err)
			}
			block, rates := f.blockFees(hash)
			hdr := headerIn(block, op)
			lowest := feeest.SatPerKVB(1 << 62) // of the block's other transactions
			for txid, r := range rates {
				if hdr == nil || txid != hdr.TxHash() {
					lowest = min(lowest, r)
				}
			}
			if hdr != nil {
				included++
				ours := rates[hdr.TxHash()]
				ratios = append(ratios, fmt.Sprintf("%v vs %v (left out: up to %v)", ours, lowest, left))
				vsize := (int64(hdr.SerializeSizeStripped())*3 + int64(hdr.SerializeSize()) + 3) / 4
				if fee := ours.FeeFor(vsize); fee > maxHeaderFee+1 {
					t.Fatalf("header fee %d sat above the cap of %d", fee, maxHeaderFee)
				}
			} else {
				t.Logf("block %d left our header out; its lowest rate %v", prev.height+1, lowest)
			}
		}
		prev = next
	}
	t.Logf("congested devnet: headers in the next block %d of %d wins; our rate vs the lowest of the block's other transactions (and the highest rate the block left in the mempool): %s",
		included, wins, strings.Join(ratios, ", "))
	if wins == 0 || included < wins {
		t.Fatalf("%d of %d headers made the next block", included, wins)
	}

	// A spike between two blocks: a block's worth at 100 sat/vB arrives
	// after the header went out; the header is replaced, and the
	// replacement is mined in the next block.
	for !prev.won {
		prev = f.mine()
	}
	op, _ := f.publisher()
	mark = a.Mark()
	f.congest(f.mempoolVSize()+blockVB+blockVB/10, func(int) int64 { return 100 })
	line, err = a.WaitLine(ctx, mark, func(l string) bool {
		return strings.Contains(l, "Replaced header tx") &&
			strings.Contains(l, fmt.Sprintf("for the draw after block %d:", prev.height))
	})
	if err != nil {
		t.Fatalf("no replacement after the spike: %v", err)
	}
	repl := regexp.MustCompile(`by ([0-9a-f]{64}) \(fee (\d+) sat`).FindStringSubmatch(line)
	if repl == nil {
		t.Fatalf("replacement line: %s", line)
	}
	// Later replacements may follow; the last one before the block counts.
	f.rebidSeen(a.Mark(), prev.height)
	f.mine()
	hash, err := net.H.Client().GetBlockHash(int64(prev.height + 1))
	if err != nil {
		t.Fatal(err)
	}
	block, rates := f.blockFees(hash)
	hdr := headerIn(block, op)
	if hdr == nil {
		t.Fatalf("block %d holds no header of a after the spike", prev.height+1)
	}
	if hdr.TxHash() == prev.txid {
		t.Fatal("the original header was mined, not a replacement")
	}
	lowest := feeest.SatPerKVB(1 << 62)
	for txid, r := range rates {
		if txid != hdr.TxHash() {
			lowest = min(lowest, r)
		}
	}
	t.Logf("spike: replacement %v mined at %v (first header %v at %d sat); block's lowest rate %v",
		hdr.TxHash(), rates[hdr.TxHash()], prev.txid, prev.fee, lowest)
}

// TestHeaderFeeURL runs a producing neutrino node whose fee source is a
// --publish.feeurl service that answers garbage, then a rate, then an
// absurd rate: garbage leaves the header at --publish.feerate, the rate
// is taken (the header is replaced to pay it), and the absurd answer is
// refused while the last good rate holds.
func TestHeaderFeeURL(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	var (
		mu     sync.Mutex
		answer = "<html>503 Service Unavailable</html>"
	)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		mu.Lock()
		a := answer
		mu.Unlock()
		fmt.Fprint(w, a)
	}))
	defer srv.Close()
	say := func(s string) {
		mu.Lock()
		answer = s
		mu.Unlock()
	}
	net, err := devnet.New(t.TempDir(), sidenodeBinary(t), []devnet.NodeSpec{
		{Name: "n", Backend: "neutrino", Stake: 100_000_000,
			Args: []string{"--publish.feeurl=" + srv.URL, "--publish.rebidinterval=200ms",
				"--debuglevel=info,PROD=debug"}},
	}, feeLog())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopNet(t, net) })
	n := net.Nodes[0]
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	f := &feeNet{t: t, net: net, a: n}
	matureAndStake(t, net, 2000)
	mark := n.Mark()
	var p production
	for i := 0; i < 10 && !p.won; i++ {
		p = f.mine()
	}
	if !p.won {
		t.Fatal("n won no draw in 10 blocks")
	}
	ctx, cancel := f.ctx()
	defer cancel()
	if _, err := n.WaitContains(ctx, 0, "Fee estimate from --publish.feeurl "+srv.URL+" failed: not fee JSON"); err != nil {
		t.Fatalf("garbage not reported: %v", err)
	}
	if line := f.rebidSeen(mark, p.height); !strings.HasSuffix(line, "pays 2 sat/vB") {
		t.Fatalf("with a garbage answer the header pays other than --publish.feerate: %s", line)
	}

	// A rate: the header is replaced to pay it.
	say(`{"fee_by_block_target": {"2": 5000, "1": 7000}}`)
	line, err := n.WaitLine(ctx, mark, func(l string) bool {
		return strings.Contains(l, "Replaced header tx") && strings.Contains(l, "the next block needs 7 sat/vB")
	})
	if err != nil {
		t.Fatalf("the fee URL's rate was not taken: %v", err)
	}
	t.Logf("%s", line[strings.Index(line, "Replaced"):])

	// An absurd rate: refused, the last good rate holds.
	mark = n.Mark()
	say(`{"fee_by_block_target": {"1": 50000000}}`)
	if _, err := n.WaitContains(ctx, mark, "absurd fee rate: 50000 sat/vB is above the ceiling of 10000 sat/vB"); err != nil {
		t.Fatalf("absurd rate not reported: %v", err)
	}
	for p = f.mine(); !p.won; p = f.mine() {
	}
	if line := f.rebidSeen(mark, p.height); !strings.HasSuffix(line, "pays 7 sat/vB") &&
		!strings.Contains(line, "pays 7.0") {
		t.Fatalf("after an absurd answer: %s", line)
	}
}
