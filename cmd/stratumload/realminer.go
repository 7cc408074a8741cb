package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/pow/headerchain"
	"github.com/mainstake/sidenode/pow/powchain"
	"github.com/mainstake/sidenode/pow/stratum"
	"github.com/mainstake/sidenode/pow/stratum/loadtest"
	"github.com/mainstake/sidenode/pow/stratum/work"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
)

// realMinerBits are the bits of the network the real miner mines from
// height 2: powregtest's schedule with a target of 2^232 (network
// difficulty 1/256), so that a CPU miner finds a block every few seconds
// and its shares (at a lower difficulty) are mostly not blocks.
// Powregtest's own bits (2^255: every other hash is a block) would cap
// the share difficulty at the network's, 2^-31, and the miner would send
// a share for every other hash.
const realMinerBits = 0x1e00ffff

// realMinerParams are powregtest with realMinerBits from height 2.
func realMinerParams() *chainparams.Params {
	p := chainparams.PowRegtest
	pow := *p.Pow
	pow.Schedule = append([]chainparams.PowEra(nil), p.Pow.Schedule...)
	pow.Schedule[1].Bits = realMinerBits
	p.Pow = &pow
	p.Name = "powregtest-realminer"
	return &p
}

// powNode is a pow chain over a store in a temporary directory, with a
// synthetic mainchain: what the node runs, without peers.
type powNode struct {
	params *chainparams.Params
	db     *store.DB
	pc     *powchain.Chain
	mu     sync.Mutex // serializes ConnectArrived, as the node does
	hashes []chainhash.Hash
	tips   atomic.Int64
}

func newPowNode(dir string, p *chainparams.Params) (*powNode, error) {
	db, err := store.Open(dir, store.Options{
		Genesis: *p.Main.GenesisHash, Network: p.Name, Engine: p.Engine.String(),
		EngineDigest:  p.EngineDigest(),
		LocalPrefixes: append(sideblock.OwnClockLocalPrefixes(), []byte{sideblock.StagingKeyByte}),
	})
	if err != nil {
		return nil, err
	}
	pc, err := powchain.New(powchain.Config{Params: p, DB: db})
	if err != nil {
		db.Close()
		return nil, err
	}
	if err := pc.Restore(); err != nil {
		db.Close()
		return nil, err
	}
	n := &powNode{params: p, db: db, pc: pc}
	pc.SetConnector(func() {
		n.mu.Lock()
		defer n.mu.Unlock()
		res, err := pc.Side().ConnectArrived()
		if err != nil {
			fmt.Fprintf(os.Stderr, "connect arrived: %v\n", err)
			return
		}
		if res != nil {
			n.tips.Add(1)
			pc.TipMoved()
		}
	})
	pc.SetPayout([]byte{txscript.OP_TRUE})
	for i := 0; i < 3; i++ {
		if err := n.mainBlock(); err != nil {
			db.Close()
			return nil, err
		}
	}
	if err := n.premine(); err != nil {
		db.Close()
		return nil, fmt.Errorf("mining block 1: %w", err)
	}
	return n, nil
}

// premine mines block 1 on the chain's own template (era 0's pow limit:
// every other hash), so that the miner starts in the era of realMinerBits.
func (n *powNode) premine() error {
	t, err := n.pc.MiningTemplate()
	if err != nil {
		return err
	}
	b := &headerchain.Block{Header: t.Header, Transactions: append([]*wire.MsgTx{t.Coinbase}, t.Transactions...)}
	b.Header.MerkleRoot = sideblock.CalcBlockMerkleRoot(b.Transactions)
	target := blockchain.CompactToBig(b.Header.Bits)
	for {
		h := b.Header.BlockHash()
		if blockchain.HashToBig(&h).Cmp(target) <= 0 {
			break
		}
		b.Header.Nonce++
	}
	raw, err := b.Bytes()
	if err != nil {
		return err
	}
	_, err = n.pc.SubmitBlock(raw)
	return err
}

// mainBlock connects the next synthetic mainchain block.
func (n *powNode) mainBlock() error {
	n.mu.Lock()
	defer n.mu.Unlock()
	h := int32(len(n.hashes))
	hash := *chainparams.Regtest.Main.GenesisHash
	var prev chainhash.Hash
	if h > 0 {
		hash = chainhash.DoubleHashH([]byte(fmt.Sprintf("realminer main %d", h)))
		prev = n.hashes[h-1]
	}
	side := n.pc.Side()
	err := n.db.ConnectBlock(store.BlockID{Height: h, Hash: hash}, prev, func(w *store.Writer) error {
		_, err := side.ConnectMainBlock(w, h, nil)
		return err
	})
	if err != nil {
		return err
	}
	if err := side.Committed(); err != nil {
		return err
	}
	n.hashes = append(n.hashes, hash)
	n.pc.TipMoved()
	return nil
}

// Template adapts the chain's mining template to the server.
func (n *powNode) Template() (*work.Template, error) {
	t, err := n.pc.MiningTemplate()
	if err != nil {
		return nil, err
	}
	era, _ := n.params.Pow.EraAt(t.Height)
	return &work.Template{
		Height: t.Height, Header: t.Header, MinTime: t.MinTime,
		MaxTime:  time.Now().Add(n.params.Pow.MaxFutureBlockTime),
		Coinbase: t.Coinbase, Txs: t.Transactions, Fees: t.Fees,
		SHA256d: era.Algorithm == chainparams.SHA256d,
	}, nil
}

// changed forwards the chain's template-changed signal until ctx ends.
func (n *powNode) changed(ctx context.Context) <-chan struct{} {
	out := make(chan struct{}, 1)
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-n.pc.TemplateChanged():
			}
			select {
			case out <- struct{}{}:
			default:
			}
		}
	}()
	return out
}

type nodeSource struct {
	*powNode
	ch <-chan struct{}
}

func (s nodeSource) Changed() <-chan struct{} { return s.ch }

// blockSink submits blocks to the chain and counts them.
type blockSink struct {
	n                  *powNode
	found, ok, refused atomic.Int64
	lastErr            atomic.Value
}

func (b *blockSink) SubmitBlock(blk *headerchain.Block) error {
	b.found.Add(1)
	raw, err := blk.Bytes()
	if err != nil {
		return err
	}
	_, err = b.n.pc.SubmitBlock(raw)
	if err != nil && !errors.Is(err, powchain.ErrUndecided) {
		b.refused.Add(1)
		b.lastErr.Store(err.Error())
		return err
	}
	b.ok.Add(1)
	return nil
}

var minerAccepted = regexp.MustCompile(`accepted: (\d+)/(\d+)`)

func runRealMiner(ctx context.Context, o options) error {
	if o.miner == "" {
		return errors.New("no miner binary: set SIDENODE_REAL_MINER (or -miner) to a Stratum V1 SHA-256d miner " +
			"such as cpuminer's minerd; it is run as: MINER -a sha256d -o stratum+tcp://ADDR -u WORKER -p x -t THREADS")
	}
	if _, err := os.Stat(o.miner); err != nil {
		return fmt.Errorf("miner binary %s: %w", o.miner, err)
	}
	dir, err := os.MkdirTemp("", "stratumload-realminer")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	p := realMinerParams()
	n, err := newPowNode(dir, p)
	if err != nil {
		return err
	}
	defer n.db.Close()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	cfg := stratum.DefaultConfig()
	cfg.StartDifficulty = o.minerDiff
	cfg.Vardiff.Min = o.minerDiff
	cfg.Vardiff.TargetInterval = 500 * time.Millisecond
	cfg.Vardiff.RetargetEvery = 20 * time.Second
	sinks := &loadtest.Sinks{}
	blocks := &blockSink{n: n}
	srv, err := stratum.New(cfg, nodeSource{n, n.changed(ctx)}, blocks, sinks, sinks)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	// A mainchain block every 30 s, as a slow regtest would.
	go func() {
		t := time.NewTicker(30 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				if err := n.mainBlock(); err != nil {
					fmt.Fprintf(os.Stderr, "mainchain block: %v\n", err)
				}
			}
		}
	}()
	startHeight := tipHeight(n)
	fmt.Printf("powregtest chain (bits %08x from height 2) and Stratum server on %s; start difficulty %g, vardiff %v per share\n",
		uint32(realMinerBits), ln.Addr(), cfg.StartDifficulty, cfg.Vardiff.TargetInterval)
	args := []string{"-a", "sha256d", "-o", "stratum+tcp://" + ln.Addr().String(), "-u", "realminer.1", "-p", "x",
		"-t", strconv.Itoa(o.threads), "-D"}
	fmt.Printf("running %s %v for %v\n", o.miner, args, o.duration)
	mctx, mcancel := context.WithTimeout(ctx, o.duration)
	defer mcancel()
	cmd := exec.CommandContext(mctx, o.miner, args...)
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.StderrPipe()
	if err != nil {
		return err
	}
	cmd.Stdout = cmd.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	var acc, total int
	var booo int
	logf, _ := os.Create(dir + "/miner.log")
	keep, _ := os.Create(os.TempDir() + "/stratumload-realminer.log")
	sc := bufio.NewScanner(io.TeeReader(out, io.MultiWriter(nonNil(logf), nonNil(keep))))
	for sc.Scan() {
		line := sc.Text()
		if m := minerAccepted.FindStringSubmatch(line); m != nil {
			acc, _ = strconv.Atoi(m[1])
			total, _ = strconv.Atoi(m[2])
			if regexp.MustCompile(`booooo`).MatchString(line) {
				booo++
			}
		}
	}
	cmd.Wait()
	cancel()
	<-served
	fmt.Printf("miner's own count: accepted %d of %d submitted (rejected %d)\n", acc, total, total-acc)
	fmt.Printf("server: shares accepted (share sink) %d; blocks found %d, taken by the chain %d, refused %d (last refusal: %v)\n",
		sinks.Shares.Load(), blocks.found.Load(), blocks.ok.Load(), blocks.refused.Load(), blocks.lastErr.Load())
	fmt.Println(snapshotString(srv.Snapshot()))
	fmt.Printf("chain: height %d -> %d (%d tip moves); the miner's log is %s\n", startHeight, tipHeight(n), n.tips.Load(),
		os.TempDir()+"/stratumload-realminer.log")
	return nil
}

func nonNil(f *os.File) io.Writer {
	if f == nil {
		return io.Discard
	}
	return f
}

func tipHeight(n *powNode) int32 {
	_, h, _ := n.pc.Side().Tip()
	return h
}
