package powchain_test

import (
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/p2p"
	"github.com/mainstake/sidenode/pow/headerchain"
	"github.com/mainstake/sidenode/pow/powchain"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/sidepeer"
)

// ibdBlocks is the length of the chain BenchmarkIBD syncs.
var ibdBlocks = envInt("IBD_BLOCKS", 10_000)

// ibdMainBlocks is how many mainchain blocks the nodes of BenchmarkIBD
// start with; the miner connects another every ibdPerMain sideblocks.
const (
	ibdMainBlocks = 4
	ibdPerMain    = 100
)

// ibdChain is the chain BenchmarkIBD syncs, mined once per process.
var ibdChain struct {
	once   sync.Once
	blocks []*headerchain.Block
	clock  time.Time // the miner's clock after the last block
	mains  int       // the miner's mainchain blocks at the end
	// last[h] is the height of the last sideblock whose main reference
	// is at most mainchain height h.
	last  map[int32]int32
	tip   chainhash.Hash
	state chainhash.Hash // the state hash at its tip
	err   error
}

// ibdGenerate mines ibdBlocks blocks on powregtest, one every ideal block
// time (2 s) on the miner's clock, so that the ASERT target stays at the
// pow limit and each block takes about two hashes; the miner's mainchain
// gains a block every ibdPerMain sideblocks. Every ibdSpendEvery-th block
// carries a transaction that spends an old coinbase; the rest are
// coinbase-only.
func ibdGenerate(b *testing.B) {
	ibdChain.once.Do(func() {
		dir, err := os.MkdirTemp("", "ibd-gen-")
		if err != nil {
			ibdChain.err = err
			return
		}
		defer os.RemoveAll(dir)
		n := &node{params: &chainparams.PowRegtest, t: b, dir: dir, mem: true,
			clock: time.Unix(chainparams.PowRegtest.Pow.GenesisTime, 0)}
		n.open()
		n.mainBlock()
		for i := 1; i < ibdMainBlocks; i++ {
			n.mainBlock()
		}
		start := time.Now()
		blocks := make([]*headerchain.Block, 0, ibdBlocks)
		last := map[int32]int32{}
		pool := &spendPool{}
		n.pc.SetMempool(pool)
		for i := 0; i < ibdBlocks; i++ {
			// Every ibdSpendEvery-th block spends the coinbase of
			// the block ibdSpendAge below it.
			pool.tx = nil
			if h := i + 1; h > ibdSpendAge && h%ibdSpendEvery == 0 {
				pool.tx = spendCoinbase(blocks[h-ibdSpendAge-1])
			}
			if i > 0 && i%ibdPerMain == 0 {
				n.mainBlock()
			}
			blk := n.mine()
			n.accept(blk)
			if pool.tx != nil && len(blk.Transactions) != 2 {
				b.Fatalf("block %d has %d transactions, want the spend", i+1, len(blk.Transactions))
			}
			blocks = append(blocks, blk)
			ref, err := sideblock.ExtractMainRef(blk.Transactions[0])
			if err != nil {
				b.Fatal(err)
			}
			last[ref.Height] = int32(i + 1)
		}
		for h := int32(1); h < int32(len(n.hashes)); h++ {
			if _, ok := last[h]; !ok {
				last[h] = last[h-1]
			}
		}
		tip, height := n.tip()
		if int(height) != ibdBlocks {
			b.Fatalf("generated a chain of %d blocks, want %d", height, ibdBlocks)
		}
		ibdChain.blocks, ibdChain.clock, ibdChain.tip = blocks, n.clock, tip
		ibdChain.mains, ibdChain.last = len(n.hashes), last
		ibdChain.state = n.stateHash()
		b.Logf("mined %d blocks in %v", ibdBlocks, time.Since(start).Round(time.Millisecond))
		n.close()
	})
	if ibdChain.err != nil {
		b.Fatal(ibdChain.err)
	}
}

// ibdNode is a fresh node for BenchmarkIBD, its clock at the miner's.
func ibdNode(b *testing.B) *node {
	p := &chainparams.PowRegtest
	n := &node{params: p, t: b, dir: b.TempDir(), mem: true,
		clock: time.Unix(p.Pow.GenesisTime, 0)}
	n.open()
	n.mainBlock()
	for i := 1; i < ibdMainBlocks; i++ {
		n.mainBlock()
	}
	n.clock = ibdChain.clock
	return n
}

// follower keeps a node's mainchain in step with its sidechain, as a
// node's mainchain follower does: once the chain state connected every
// sideblock whose main reference the mainchain tip allows, the next
// mainchain block connects (and with it the sideblocks staged for it).
// So no mainchain block gathers more than about 2·ibdPerMain sideblocks'
// amendments, as on a live network.
type follower struct {
	mu sync.Mutex
	n  *node
}

// accept hands the node a block, then follows the mainchain.
func (f *follower) accept(blk *headerchain.Block) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, err := f.n.pc.AcceptBlock(blk)
	f.follow()
	return err
}

func (f *follower) follow() {
	for len(f.n.hashes) < ibdChain.mains {
		_, height := f.n.tip()
		if height < ibdChain.last[int32(len(f.n.hashes))-1] {
			return
		}
		f.n.mainBlock()
	}
}

// The generated chain's spends: every ibdSpendEvery-th block spends the
// coinbase of the block ibdSpendAge below it (past the maturity).
const (
	ibdSpendEvery = 10
	ibdSpendAge   = sideblock.SideCoinbaseMaturity + 10
)

// spendPool offers a template one transaction, or none.
type spendPool struct{ tx *wire.MsgTx }

func (p *spendPool) Select(int) []*wire.MsgTx {
	if p.tx == nil {
		return nil
	}
	return []*wire.MsgTx{p.tx}
}

// spendCoinbase returns a transaction that spends blk's coinbase (which
// pays OP_TRUE, so it needs no signature) to OP_TRUE, less a fee.
func spendCoinbase(blk *headerchain.Block) *wire.MsgTx {
	cb := blk.Transactions[0]
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: cb.TxHash()}, nil, nil))
	tx.AddTxOut(wire.NewTxOut(cb.TxOut[0].Value-1000, payout))
	return tx
}

// tipWatch is a node's pow chain for the peer protocol that closes done
// once the chain state's tip is want.
type tipWatch struct {
	powchain.Peers
	f    *follower
	want chainhash.Hash
	once sync.Once
	done chan struct{}
}

func (w *tipWatch) AcceptBlock(header, body []byte) error {
	w.f.mu.Lock()
	err := w.Peers.AcceptBlock(header, body)
	w.f.follow()
	w.f.mu.Unlock()
	if tip, _, ok := w.Peers.Tip(); ok && tip == w.want {
		w.once.Do(func() { close(w.done) })
	}
	return err
}

// ibdServer starts a p2p server for n's chain that dials connect.
func ibdServer(b *testing.B, pow sidepeer.PowBlocks, connect []string) *p2p.Server {
	genesis, err := chainparams.PowRegtest.GenesisID()
	if err != nil {
		b.Fatal(err)
	}
	h := sidepeer.NewPow(pow, emptyPool{})
	s, err := p2p.New(p2p.Config{
		Listen: []string{"127.0.0.1:0"}, Connect: connect,
		Network: "regtest", SidechainID: chainparams.PowRegtest.SidechainID,
		Genesis: genesis, Engine: p2p.EnginePoW, HeaderSync: h.HeaderSync(),
	}, h, nil)
	if err != nil {
		b.Fatal(err)
	}
	h.SetPeers(s)
	if err := s.Start(); err != nil {
		b.Fatal(err)
	}
	return s
}

// emptyPool is a mempool with no transactions.
type emptyPool struct{}

func (emptyPool) Have(chainhash.Hash) bool               { return false }
func (emptyPool) Get(chainhash.Hash) (*wire.MsgTx, bool) { return nil, false }
func (emptyPool) Add(*wire.MsgTx) error                  { return nil }

// BenchmarkIBD measures a sidechain IBD from a peer of a chain of 10,000
// pow blocks (one in ten with a spend, the rest coinbase-only): a fresh
// node syncs them headers first over the peer protocol, two p2p servers on
// loopback, until its chain-state tip is the source's (ibd-blocks/s),
// against a fresh node that takes the same blocks in order through
// Chain.AcceptBlock (local-blocks/s), which validates and connects them
// alike. ibd/local is their ratio. Both nodes' stores are in memory, so
// that the ratio is the peer protocol's cost, not the disk's; both follow
// the mainchain as the miner did (follower). The chain is mined once per
// process, and not timed.
func BenchmarkIBD(b *testing.B) {
	ibdGenerate(b)
	var local, ibd time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		// The local baseline; the node is then the IBD's source.
		src := ibdNode(b)
		f := &follower{n: src}
		start := time.Now()
		for _, blk := range ibdChain.blocks {
			if err := f.accept(blk); err != nil {
				b.Fatal(err)
			}
		}
		local += time.Since(start)
		if tip, _ := src.tip(); tip != ibdChain.tip {
			b.Fatalf("local validation ended on %v, want %v", tip, ibdChain.tip)
		}
		if src.stateHash() != ibdChain.state {
			b.Fatal("the local validation's state hash differs from the miner's")
		}

		dst := ibdNode(b)
		watch := &tipWatch{Peers: dst.pc.ForPeers(), f: &follower{n: dst},
			want: ibdChain.tip, done: make(chan struct{})}
		a := ibdServer(b, src.pc.ForPeers(), nil)
		start = time.Now()
		c := ibdServer(b, watch, []string{a.ListenAddrs()[0].String()})
		select {
		case <-watch.done:
		case <-time.After(10 * time.Minute): // a liveness guard, not a figure
			_, h := dst.tip()
			b.Fatalf("the IBD stalled at %d of %d blocks", h, ibdBlocks)
		}
		ibd += time.Since(start)
		_ = c.Stop()
		_ = a.Stop()
		if dst.stateHash() != ibdChain.state {
			b.Fatal("the synced node's state hash differs from the miner's")
		}
		for _, p := range a.Peers() {
			if p.BanScore != 0 {
				b.Fatalf("the syncing node earned ban score %d", p.BanScore)
			}
		}
		src.close()
		dst.close()
	}
	b.StopTimer()
	n := float64(b.N) * float64(ibdBlocks)
	localRate := n / local.Seconds()
	ibdRate := n / ibd.Seconds()
	b.ReportMetric(localRate, "local-blocks/s")
	b.ReportMetric(ibdRate, "ibd-blocks/s")
	b.ReportMetric(ibdRate/localRate, "ibd/local")
}

func envInt(k string, d int) int {
	if v, err := strconv.Atoi(os.Getenv(k)); err == nil {
		return v
	}
	return d
}
