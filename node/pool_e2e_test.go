package node_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/devnet"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// stratumClient is a Stratum V1 miner of the simplest kind, written from
// the protocol's description: subscribe, authorize, take the newest job,
// and grind nonces over one extranonce2 as a SHA-256d miner does.
type stratumClient struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
	id   int

	extranonce1 []byte
	en2Size     int
	difficulty  float64
	job         []any // the newest mining.notify's params
}

func dialStratum(t *testing.T, addr string) *stratumClient {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	return &stratumClient{t: t, conn: conn, r: bufio.NewReader(conn)}
}

// call sends a request and reads lines until its answer, keeping the
// notifications it meets.
func (c *stratumClient) call(method string, params ...any) (json.RawMessage, []any) {
	c.t.Helper()
	c.id++
	line, err := json.Marshal(map[string]any{"id": c.id, "method": method, "params": params})
	if err != nil {
		c.t.Fatal(err)
	}
	c.conn.SetDeadline(time.Now().Add(60 * time.Second))
	if _, err := c.conn.Write(append(line, '\n')); err != nil {
		c.t.Fatal(err)
	}
	for {
		var msg struct {
			ID     *int            `json:"id"`
			Method string          `json:"method"`
			Params []any           `json:"params"`
			Result json.RawMessage `json:"result"`
			Error  []any           `json:"error"`
		}
		raw, err := c.r.ReadBytes('\n')
		if err != nil {
			c.t.Fatalf("%s: %v", method, err)
		}
		if err := json.Unmarshal(raw, &msg); err != nil {
			c.t.Fatalf("%s: %q: %v", method, raw, err)
		}
		switch {
		case msg.Method == "mining.notify":
			c.job = msg.Params
		case msg.Method == "mining.set_difficulty" && len(msg.Params) == 1:
			c.difficulty, _ = msg.Params[0].(float64)
		case msg.Method != "":
		case msg.ID != nil && *msg.ID == c.id:
			return msg.Result, msg.Error
		}
	}
}

// waitJob reads until the server has sent a job and a difficulty.
func (c *stratumClient) waitJob() {
	c.t.Helper()
	c.conn.SetDeadline(time.Now().Add(60 * time.Second))
	for c.job == nil || c.difficulty == 0 {
		raw, err := c.r.ReadBytes('\n')
		if err != nil {
			c.t.Fatalf("waiting for a job: %v", err)
		}
		var msg struct {
			Method string `json:"method"`
			Params []any  `json:"params"`
		}
		if json.Unmarshal(raw, &msg) != nil {
			continue
		}
		switch msg.Method {
		case "mining.notify":
			c.job = msg.Params
		case "mining.set_difficulty":
			if len(msg.Params) == 1 {
				c.difficulty, _ = msg.Params[0].(float64)
			}
		}
	}
}

// diff1 is the target of difficulty 1 (Bitcoin's pdiff... bdiff).
var diff1 = new(big.Int).Mul(big.NewInt(0xffff), new(big.Int).Lsh(big.NewInt(1), 208))

// mine grinds the current job with extranonce2 en2 until a header meets
// both the share target and the network target, and returns the
// submit's parameters and the header's hash.
func (c *stratumClient) mine(worker string, en2 []byte) ([]any, chainhash.Hash) {
	c.t.Helper()
	return c.grind(worker, en2, true)
}

// lowShare returns the parameters of a share of the current job whose
// hash is above the share target.
func (c *stratumClient) lowShare(worker string, en2 []byte) []any {
	c.t.Helper()
	p, _ := c.grind(worker, en2, false)
	return p
}

// grind searches the nonces of the current job for a header that meets
// the targets (meet) or misses them (!meet).
func (c *stratumClient) grind(worker string, en2 []byte, meet bool) ([]any, chainhash.Hash) {
	c.t.Helper()
	j := c.job
	str := func(i int) string { s, _ := j[i].(string); return s }
	dec := func(i int) []byte {
		b, err := hex.DecodeString(str(i))
		if err != nil {
			c.t.Fatalf("notify param %d %q: %v", i, str(i), err)
		}
		return b
	}
	coinbase := append(append(append(dec(2), c.extranonce1...), en2...), dec(3)...)
	root := chainhash.DoubleHashH(coinbase)
	branch, _ := j[4].([]any)
	for _, b := range branch {
		s, err := hex.DecodeString(b.(string))
		if err != nil || len(s) != 32 {
			c.t.Fatalf("branch %v", b)
		}
		root = chainhash.DoubleHashH(append(root[:], s...))
	}
	// The previous hash comes as eight 4-byte words, each byte-swapped.
	prevWords := dec(1)
	var prev chainhash.Hash
	for i := 0; i < 32; i += 4 {
		binary.LittleEndian.PutUint32(prev[i:], binary.BigEndian.Uint32(prevWords[i:]))
	}
	u32 := func(i int) uint32 {
		v, err := strconv.ParseUint(str(i), 16, 32)
		if err != nil {
			c.t.Fatalf("notify param %d %q", i, str(i))
		}
		return uint32(v)
	}
	hdr := wire.BlockHeader{Version: int32(u32(5)), PrevBlock: prev, MerkleRoot: root,
		Timestamp: time.Unix(int64(u32(7)), 0), Bits: u32(6)}
	share := new(big.Float).Quo(new(big.Float).SetInt(diff1), big.NewFloat(c.difficulty))
	shareTarget, _ := share.Int(nil)
	netTarget := blockchain.CompactToBig(hdr.Bits)
	for hdr.Nonce = 0; ; hdr.Nonce++ {
		h := hdr.BlockHash()
		v := blockchain.HashToBig(&h)
		if (v.Cmp(shareTarget) <= 0 && v.Cmp(netTarget) <= 0) == meet {
			return []any{worker, str(0), hex.EncodeToString(en2), str(7),
				fmt.Sprintf("%08x", hdr.Nonce)}, h
		}
		if hdr.Nonce == 1<<24 {
			c.t.Fatalf("no nonce below the targets in 2^24 tries (difficulty %v)", c.difficulty)
		}
	}
}

// TestPoolEndToEnd runs a pow sidenode with --stratum against btcd and
// mines through it with a Stratum miner of its own: the share is accepted,
// it is a block (powregtest's target is the share's), the block becomes
// the node's tip, and the pool reports it through PoolService, the
// Prometheus metrics and the audit. Bad shares are refused with their
// codes. A plain follower gets the block over the peer protocol and holds
// the same state hash; after a mainchain reorg that takes the block away
// and a second block at its height, the pool shows the first orphaned,
// the audit balances, and the two nodes agree again.
func TestPoolEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	net := powNet(t, []devnet.NodeSpec{
		{Name: "pool", Backend: "btcd"},
		{Name: "follower", Backend: "btcd"},
	})
	n, follower := net.Nodes[0], net.Nodes[1]
	if _, err := net.H.Generate(5); err != nil {
		t.Fatal(err)
	}
	logTailsOnFailure(t, net.Nodes)
	if err := n.Start("--stratum=127.0.0.1:0,diff=0.001", "--stratummindiff=0.0000000001",
		"--pool=pplns", "--poolfee=1.5"); err != nil {
		t.Fatal(err)
	}
	if err := follower.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Second)
	defer cancel()
	start := time.Now()
	step := func(what string) { t.Logf("%v: %s", time.Since(start).Round(time.Millisecond), what) }
	powInfo(t, ctx, n, "the mainchain tip", func(i *apiv1.GetInfoResponse) bool {
		return i.Mainchain.Synced && i.Mainchain.TipHeight >= 5
	})
	step("the pool node is at the mainchain tip")
	conn, err := n.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	pool := apiv1.NewPoolServiceClient(conn)
	st, err := pool.GetPoolStats(ctx, &apiv1.GetPoolStatsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Listen) != 1 || st.Scheme != "pplns" || st.CommissionPpm != 15_000 {
		t.Fatalf("pool stats before mining: %v", st)
	}

	payTo, err := btcutil.NewAddressWitnessPubKeyHash(bytes.Repeat([]byte{7}, 20), chainparams.PowRegtest.Side)
	if err != nil {
		t.Fatal(err)
	}
	worker := payTo.EncodeAddress() + ".rig1"
	c := dialStratum(t, st.Listen[0])
	res, errv := c.call("mining.subscribe", "e2e-miner/1.0")
	var sub []any
	if errv != nil || json.Unmarshal(res, &sub) != nil || len(sub) < 3 {
		t.Fatalf("subscribe: %s %v", res, errv)
	}
	c.extranonce1, _ = hex.DecodeString(sub[1].(string))
	c.en2Size = int(sub[2].(float64))
	if res, errv := c.call("mining.authorize", worker, "x"); errv != nil || string(res) != "true" {
		t.Fatalf("authorize: %s %v", res, errv)
	}
	c.waitJob()
	firstPrev, _ := c.job[1].(string) // the genesis block, as Stratum sends it
	step("the miner has a job")

	params, found := c.mine(worker, make([]byte, c.en2Size))
	if res, errv := c.call("mining.submit", params...); errv != nil || string(res) != "true" {
		t.Fatalf("submit %v: %s %v", params, res, errv)
	}
	powInfo(t, ctx, n, "the block found through Stratum as the tip", func(i *apiv1.GetInfoResponse) bool {
		return i.Sidechain.TipHash == found.String()
	})
	step("the block found is the tip")
	// The same share again: its job is stale now that its block is the
	// tip (code 21).
	if _, errv := c.call("mining.submit", params...); len(errv) == 0 || errv[0] != 21.0 {
		t.Fatalf("the share again: error %v, want code 21", errv)
	}
	// A share above the target on the new job: code 23.
	c.job = nil
	c.waitJob()
	low := c.lowShare(worker, make([]byte, c.en2Size))
	if _, errv := c.call("mining.submit", low...); len(errv) == 0 || errv[0] != 23.0 {
		t.Fatalf("a share above the target: error %v, want code 23", errv)
	}
	// An ntime far outside the job's window: code 20, counted as
	// bad_ntime.
	late := append([]any(nil), low...)
	late[3] = "7fffffff"
	if _, errv := c.call("mining.submit", late...); len(errv) == 0 || errv[0] != 20.0 {
		t.Fatalf("a share with ntime 7fffffff: error %v, want code 20", errv)
	}

	st, err = pool.GetPoolStats(ctx, &apiv1.GetPoolStatsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if st.Connections != 1 || st.Workers != 1 || st.SharesAccepted != 1 ||
		st.SharesRejected.GetStale() != 1 || st.SharesRejected.GetLowDifficulty() != 1 ||
		st.SharesRejected.GetBadNtime() != 1 || st.SharesRejected.GetOther() != 0 ||
		st.SharesRejected.GetTotal() != 3 ||
		st.BlocksPending+st.BlocksConfirmed != 1 || !st.AuditOk {
		t.Fatalf("pool stats after one block: %v", st)
	}
	ws, err := pool.ListPoolWorkers(ctx, &apiv1.ListPoolWorkersRequest{Worker: worker})
	if err != nil || len(ws.Workers) != 1 || ws.Workers[0].PayoutAddress != payTo.EncodeAddress() ||
		ws.Workers[0].SharesAccepted != 1 || ws.Workers[0].LastShareTime == 0 ||
		ws.Workers[0].Difficulty <= 0 || ws.Workers[0].MeanShareDifficulty <= 0 ||
		ws.Workers[0].Connections != 1 {
		t.Fatalf("worker: %v %v", ws, err)
	}
	bs, err := pool.ListPoolBlocks(ctx, &apiv1.ListPoolBlocksRequest{})
	if err != nil || len(bs.Blocks) != 1 || bs.Blocks[0].Hash != found.String() ||
		bs.Blocks[0].Worker != worker || bs.Blocks[0].RewardSat <= 0 || bs.Blocks[0].Confirmations < 1 {
		t.Fatalf("blocks: %v %v", bs, err)
	}
	a, err := pool.GetPoolAudit(ctx, &apiv1.GetPoolAuditRequest{})
	if err != nil || !a.Ok || a.Total != 1 || a.EarnedSat != bs.Blocks[0].RewardSat ||
		a.FeeSat != a.EarnedSat*150/10000 {
		t.Fatalf("audit: %v %v", a, err)
	}

	// The metrics carry the same figures.
	resp, err := http.Get("http://" + n.MetricsAddr + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{
		"sidenode_pool_connections 1",
		"sidenode_pool_shares_accepted_total 1",
		`sidenode_pool_shares_rejected_total{code="21",reason="stale"} 1`,
		`sidenode_pool_shares_rejected_total{code="23",reason="low_difficulty"} 1`,
		`sidenode_pool_shares_rejected_total{code="20",reason="bad_ntime"} 1`,
		`sidenode_pool_shares_rejected_total{code="20",reason="other"} 0`,
		"sidenode_pool_audit_ok 1",
	} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q", want)
		}
	}

	// The block found through Stratum reached the follower over the peer
	// protocol: both nodes hold it as their tip, with one state hash.
	powAgree(t, net, net.Nodes)
	agreeOn(t, ctx, follower, found.String())
	step("the follower agrees")

	// A mainchain reorg takes away the found block's main reference: the
	// block leaves both nodes' best chain. The miner gets a job on the
	// genesis block again and finds the next block at the same height:
	// the pool's first block is orphaned, the audit still balances, and
	// both nodes agree on the new block.
	mainTip, err := net.H.Reorg(2, 1)
	if err != nil {
		t.Fatal(err)
	}
	newTip := mainTip[len(mainTip)-1].String()
	powInfo(t, ctx, n, "the found block disconnected by the mainchain reorg", func(i *apiv1.GetInfoResponse) bool {
		return i.Mainchain.TipHash == newTip && i.Sidechain.TipHash != found.String()
	})
	step("the mainchain reorg took the block away")
	for {
		id, _ := c.job[0].(string)
		c.nextJob(id)
		if prev, _ := c.job[1].(string); prev == firstPrev {
			break
		}
	}
	step("the miner has a job on the genesis block")
	params2, found2 := c.mine(worker, []byte{0, 0, 0, 1, 0, 0, 0, 0}[:c.en2Size])
	if res, errv := c.call("mining.submit", params2...); errv != nil || string(res) != "true" {
		t.Fatalf("submit after the reorg %v: %s %v", params2, res, errv)
	}
	powInfo(t, ctx, n, "the block found after the reorg as the tip", func(i *apiv1.GetInfoResponse) bool {
		return i.Sidechain.TipHash == found2.String()
	})
	for {
		bs, err = pool.ListPoolBlocks(ctx, &apiv1.ListPoolBlocksRequest{})
		if err == nil && len(bs.Blocks) == 2 &&
			bs.Blocks[0].Status == apiv1.PoolBlockStatus_POOL_BLOCK_STATUS_ORPHANED &&
			bs.Blocks[1].Status == apiv1.PoolBlockStatus_POOL_BLOCK_STATUS_PENDING {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("the pool's blocks after the reorg: %v, %v; want the first orphaned", bs, err)
		}
		time.Sleep(100 * time.Millisecond) // the pool checks its blocks every 10 s
	}
	step("the pool's first block is orphaned")
	if bs.Blocks[1].Hash != found2.String() || bs.Blocks[0].Confirmations != 0 {
		t.Fatalf("the pool's blocks after the reorg: %v", bs)
	}
	a, err = pool.GetPoolAudit(ctx, &apiv1.GetPoolAuditRequest{})
	if err != nil || !a.Ok || a.Total != 2 || a.EarnedSat != bs.Blocks[1].RewardSat ||
		a.Blocks[0].EarnedSat != 0 || a.Blocks[0].FeeSat != 0 {
		t.Fatalf("audit after the reorg: %v %v", a, err)
	}
	powAgree(t, net, net.Nodes)
	agreeOn(t, ctx, follower, found2.String())
	step("the follower agrees after the reorg")
}

// logTailsOnFailure logs the tail of every node's log when the test
// fails, so that a failure on a loaded CI machine can be read from its
// output alone.
func logTailsOnFailure(t *testing.T, nodes []*devnet.Node) {
	t.Helper()
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		for _, n := range nodes {
			t.Logf("--- %s", n.Spec.Name)
			for _, l := range n.Tail(40) {
				t.Log(l)
			}
		}
	})
}

// agreeOn checks that the node's sidechain tip is hash (after powAgree,
// which waited for the nodes to agree).
func agreeOn(t *testing.T, ctx context.Context, n *devnet.Node, hash string) {
	t.Helper()
	info, err := n.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Sidechain.TipHash != hash {
		t.Fatalf("%s: sidechain tip %s, want %s", n.Spec.Name, info.Sidechain.TipHash, hash)
	}
}

// nextJob reads until the server sends a job other than the one named
// prev.
func (c *stratumClient) nextJob(prev string) {
	c.t.Helper()
	for c.job == nil || c.job[0] == prev {
		c.job = nil
		c.waitJob()
	}
}

// TestPoolPayoutEndToEnd mines blocks through the node's Stratum server
// until the first is confirmed (the pool's maturity) and its coinbase
// spendable, while btcd mines the mainchain: the pool pays the worker's
// address from the node's wallet, the payout enters a block, and
// PoolService lists it with the worker's paid balance, the audit still
// balancing.
func TestPoolPayoutEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	net := powNet(t, []devnet.NodeSpec{
		{Name: "pool", Backend: "btcd"},
		{Name: "follower", Backend: "btcd"},
	})
	n, follower := net.Nodes[0], net.Nodes[1]
	if _, err := net.H.Generate(5); err != nil {
		t.Fatal(err)
	}
	logTailsOnFailure(t, net.Nodes)
	if err := n.Start("--stratum=127.0.0.1:0,diff=0.001", "--stratummindiff=0.0000000001",
		"--poolpayoutinterval=1s", "--poolminpayout=1000", "--poolfee=1"); err != nil {
		t.Fatal(err)
	}
	if err := follower.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 420*time.Second)
	defer cancel()
	powInfo(t, ctx, n, "the mainchain tip", func(i *apiv1.GetInfoResponse) bool {
		return i.Mainchain.Synced && i.Mainchain.TipHeight >= 5
	})
	conn, err := n.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	pool := apiv1.NewPoolServiceClient(conn)
	st, err := pool.GetPoolStats(ctx, &apiv1.GetPoolStatsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	payTo, err := btcutil.NewAddressWitnessPubKeyHash(bytes.Repeat([]byte{9}, 20), chainparams.PowRegtest.Side)
	if err != nil {
		t.Fatal(err)
	}
	worker := payTo.EncodeAddress() + ".payme"
	c := dialStratum(t, st.Listen[0])
	res, errv := c.call("mining.subscribe")
	var sub []any
	if errv != nil || json.Unmarshal(res, &sub) != nil || len(sub) < 3 {
		t.Fatalf("subscribe: %s %v", res, errv)
	}
	c.extranonce1, _ = hex.DecodeString(sub[1].(string))
	c.en2Size = int(sub[2].(float64))
	if res, errv := c.call("mining.authorize", worker, "x"); errv != nil || string(res) != "true" {
		t.Fatalf("authorize: %s %v", res, errv)
	}
	c.waitJob()

	start := time.Now()
	var payouts *apiv1.ListPoolPayoutsResponse
	for blocks := 0; ; blocks++ {
		if ctx.Err() != nil {
			st, _ := pool.GetPoolStats(context.Background(), &apiv1.GetPoolStatsRequest{})
			t.Fatalf("no payout after %d blocks found through Stratum (pool %v)", blocks, st)
		}
		id, _ := c.job[0].(string)
		en2 := make([]byte, c.en2Size)
		binary.BigEndian.PutUint32(en2, uint32(blocks))
		params, _ := c.mine(worker, en2)
		if res, errv := c.call("mining.submit", params...); errv != nil || string(res) != "true" {
			t.Fatalf("block %d: submit %v: %s %v", blocks, params, res, errv)
		}
		if _, err := net.H.Generate(1); err != nil {
			t.Fatal(err)
		}
		if blocks >= 100 {
			payouts, err = pool.ListPoolPayouts(ctx, &apiv1.ListPoolPayoutsRequest{})
			if err == nil && payouts.Total > 0 {
				t.Logf("a payout after %d blocks found through Stratum, %v", blocks+1, time.Since(start))
				break
			}
		}
		c.nextJob(id)
	}
	p := payouts.Payouts[0]
	if len(p.Outputs) != 1 || p.Outputs[0].Address != payTo.EncodeAddress() ||
		p.Outputs[0].Worker != worker || p.Outputs[0].AmountSat <= 0 || p.FeeSat <= 0 {
		t.Fatalf("payout %v", p)
	}
	// Mine on until the payout is in a block.
	for p.Height < 0 {
		if ctx.Err() != nil {
			t.Fatalf("the payout %s never entered a block", p.Txid)
		}
		id, _ := c.job[0].(string)
		c.nextJob(id)
		id, _ = c.job[0].(string)
		params, _ := c.mine(worker, []byte{0xff, 0xff, 0xff, 0xfe})
		if res, errv := c.call("mining.submit", params...); errv != nil || string(res) != "true" {
			t.Fatalf("submit %v: %s %v", params, res, errv)
		}
		ps, err := pool.ListPoolPayouts(ctx, &apiv1.ListPoolPayoutsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		p = ps.Payouts[0]
		c.nextJob(id)
	}
	// More payouts may have followed (every second, as blocks mature):
	// the worker was paid what they all paid it, and the audit agrees.
	var ws *apiv1.ListPoolWorkersResponse
	var a *apiv1.GetPoolAuditResponse
	var paid int64
	for range 3 {
		ps, err := pool.ListPoolPayouts(ctx, &apiv1.ListPoolPayoutsRequest{})
		if err != nil {
			t.Fatal(err)
		}
		paid = 0
		for _, po := range ps.Payouts {
			for _, o := range po.Outputs {
				if o.Address == payTo.EncodeAddress() {
					paid += o.AmountSat
				}
			}
		}
		if ws, err = pool.ListPoolWorkers(ctx, &apiv1.ListPoolWorkersRequest{Worker: worker}); err != nil {
			t.Fatal(err)
		}
		if a, err = pool.GetPoolAudit(ctx, &apiv1.GetPoolAuditRequest{}); err != nil {
			t.Fatal(err)
		}
		if len(ws.Workers) == 1 && ws.Workers[0].PaidSat == paid && a.PaidSat == paid {
			break
		}
	}
	if len(ws.Workers) != 1 || ws.Workers[0].PaidSat != paid || paid <= 0 {
		t.Fatalf("worker after the payouts: %v (the payouts paid it %d)", ws, paid)
	}
	if !a.Ok || a.PaidSat != paid {
		t.Fatalf("audit after the payouts: %v (the payouts paid %d)", a, paid)
	}

	// Every block found through Stratum, and the payout in one of them,
	// reached the follower over the peer protocol: one tip, one state
	// hash.
	h := powAgree(t, net, net.Nodes)
	t.Logf("the pool and the follower agree at sidechain height %d", h)

	// A restart: the payouts are listed from the pool's store, paged,
	// with the block that holds the first and its fee (from its inputs on
	// the chain), and the nodes agree again.
	before, err := pool.ListPoolPayouts(ctx, &apiv1.ListPoolPayoutsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	conn.Close()
	n.Stop()
	if err := n.Start("--stratum=127.0.0.1:0,diff=0.001", "--stratummindiff=0.0000000001",
		"--poolpayoutinterval=1s", "--poolminpayout=1000", "--poolfee=1"); err != nil {
		t.Fatal(err)
	}
	if conn, err = n.Dial(); err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	pool = apiv1.NewPoolServiceClient(conn)
	var after *apiv1.ListPoolPayoutsResponse
	for {
		after, err = pool.ListPoolPayouts(ctx, &apiv1.ListPoolPayoutsRequest{Limit: 1})
		if err == nil && after.Total >= before.Total {
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("after the restart: payouts %v, %v; before %d", after, err, before.Total)
		}
		time.Sleep(100 * time.Millisecond) // the node starts
	}
	if len(after.Payouts) != 1 || after.Payouts[0].Txid != before.Payouts[0].Txid ||
		after.Payouts[0].Height < 0 || after.Payouts[0].FeeSat <= 0 ||
		after.Payouts[0].AmountSat != before.Payouts[0].AmountSat {
		t.Fatalf("after the restart, the first payout %v; before %v", after.Payouts, before.Payouts[0])
	}
	last, err := pool.ListPoolPayouts(ctx, &apiv1.ListPoolPayoutsRequest{Limit: 1, Reversed: true,
		Offset: after.Total - before.Total})
	if err != nil || len(last.Payouts) != 1 || last.Payouts[0].Txid != before.Payouts[len(before.Payouts)-1].Txid {
		t.Fatalf("after the restart, the last payout before it: %v, %v; before %v", last, err,
			before.Payouts[len(before.Payouts)-1])
	}
	h = powAgree(t, net, net.Nodes)
	t.Logf("after the pool's restart: %d payouts listed, agreement at sidechain height %d", after.Total, h)
}
