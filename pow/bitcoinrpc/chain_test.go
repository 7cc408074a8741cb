package bitcoinrpc_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/nodeapi"
	"github.com/mainstake/sidenode/pow/bitcoinrpc"
	"github.com/mainstake/sidenode/pow/headerchain"
	"github.com/mainstake/sidenode/pow/powchain"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
)

// powNode is a pow chain over a store, driven with synthetic mainchain
// blocks as pow/powchain's tests drive it, and served by a bitcoinrpc
// server through the node's mining API adapter (nodeapi.Adapter).
type powNode struct {
	t      testing.TB
	params *chainparams.Params
	db     *store.DB
	pc     *powchain.Chain
	clock  time.Time
	hashes []chainhash.Hash
	pool   *sideblock.Mempool
	srv    *bitcoinrpc.Server
	url    string
}

const (
	rpcUser = "pool"
	rpcPass = "correct horse"
)

func newPowNode(t testing.TB) *powNode {
	t.Helper()
	p := &chainparams.PowRegtest
	n := &powNode{t: t, params: p, clock: time.Unix(p.Pow.GenesisTime, 0)}
	db, err := store.Open(t.TempDir(), store.Options{
		Genesis: *p.Main.GenesisHash, Network: p.Name, Engine: p.Engine.String(),
		EngineDigest: p.EngineDigest(),
		LocalPrefixes: append(sideblock.OwnClockLocalPrefixes(),
			[]byte{sideblock.StagingKeyByte}),
		InMemory: true, MemTableSize: 4 << 20,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	pc, err := powchain.New(powchain.Config{Params: p, DB: db,
		Now: func() time.Time { return n.clock }})
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.Restore(); err != nil {
		t.Fatal(err)
	}
	pc.SetConnector(func() {
		if _, err := pc.Side().ConnectArrived(); err != nil {
			t.Errorf("connect arrived: %v", err)
		}
		pc.TipMoved()
	})
	// The node's own payout, which only coinbasetxn shows.
	pc.SetPayout([]byte{txscript.OP_TRUE})
	n.db, n.pc = db, pc
	n.pool = sideblock.NewMempool(pc.Side(), p, sideblock.MempoolConfig{
		Added: func(*wire.MsgTx) { pc.MempoolGrew() }})
	pc.SetMempool(n.pool)
	for i := 0; i < 4; i++ {
		n.mainBlock()
	}
	adapter := nodeapi.New(nodeapi.Env{Network: p.Name, Params: p, Mining: apiMining{pc}})
	srv, err := bitcoinrpc.New(bitcoinrpc.Config{
		Listen: "127.0.0.1:0", User: rpcUser, Pass: rpcPass, Params: p,
		Mining: adapter, Chain: chainState{pc}, Mempool: n.pool, Version: "0.1.0-test",
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Stop)
	n.srv, n.url = srv, "http://"+srv.Addr().String()
	return n
}

// mainBlock connects the next synthetic mainchain block.
func (n *powNode) mainBlock() {
	n.t.Helper()
	h := int32(len(n.hashes))
	hash := *n.params.Main.GenesisHash
	if h > 0 {
		hash = chainhash.DoubleHashH([]byte(fmt.Sprintf("main/%d", h)))
	}
	var prev chainhash.Hash
	if h > 0 {
		prev = n.hashes[h-1]
	}
	side := n.pc.Side()
	err := n.db.ConnectBlock(store.BlockID{Height: h, Hash: hash}, prev, func(w *store.Writer) error {
		_, err := side.ConnectMainBlock(w, h, nil)
		return err
	})
	if err != nil {
		n.t.Fatal(err)
	}
	if err := side.Committed(); err != nil {
		n.t.Fatal(err)
	}
	n.hashes = append(n.hashes, hash)
}

func (n *powNode) tip() (chainhash.Hash, int32) {
	h, height, _ := n.pc.Side().Tip()
	return h, height
}

// apiMining is the pow chain as nodeapi.Mining, as node/mining.go wires
// it.
type apiMining struct{ pc *powchain.Chain }

func (m apiMining) MiningTemplate(context.Context) (*nodeapi.MiningTemplate, error) {
	t, err := m.pc.MiningTemplate()
	if err != nil {
		return nil, err
	}
	txs := make([]nodeapi.MiningTx, len(t.Transactions))
	for i, tx := range t.Transactions {
		txs[i] = nodeapi.MiningTx{Tx: tx, Fee: t.Fees[i]}
	}
	return &nodeapi.MiningTemplate{Header: t.Header, Height: t.Height,
		MinTime: t.MinTime, Coinbase: t.Coinbase, Txs: txs}, nil
}

func (m apiMining) TemplateChanged() <-chan struct{} { return m.pc.TemplateChanged() }

func (m apiMining) SubmitBlock(_ context.Context, raw []byte) error {
	_, err := m.pc.SubmitBlock(raw)
	if errors.Is(err, powchain.ErrUndecided) {
		return fmt.Errorf("%w (%v)", nodeapi.ErrMiningInconclusive, err)
	}
	return err
}

func (m apiMining) MiningInfo(context.Context) (*nodeapi.MiningInfo, error) {
	info, err := m.pc.MiningInfo(nodeapi.MiningRecentBlocks)
	if err != nil {
		return nil, err
	}
	out := &nodeapi.MiningInfo{NextBits: info.NextBits, ScheduleOffset: info.ScheduleOffset}
	for i, n := range info.Recent {
		out.Recent = append(out.Recent, nodeapi.MinedBlock{Height: n.Height(),
			Hash: n.Hash(), Time: n.Timestamp(), Bits: n.Bits(), TxCount: info.TxCounts[i]})
	}
	return out, nil
}

// chainState is the pow chain as bitcoinrpc.Chain.
type chainState struct{ pc *powchain.Chain }

func (c chainState) ChainState(context.Context) (*bitcoinrpc.ChainState, error) {
	hash, height, ok := c.pc.Side().Tip()
	if !ok {
		return nil, errors.New("no tip")
	}
	n := c.pc.Index().Lookup(hash)
	if n == nil {
		return nil, errors.New("tip not indexed")
	}
	cs := &bitcoinrpc.ChainState{Blocks: height, BestHash: hash, Headers: height,
		MedianTime: n.MedianTimePast(), ChainWork: n.WorkSum()}
	if bh := c.pc.Index().BestHeader(); bh != nil {
		cs.Headers = bh.Height()
	}
	return cs, nil
}

func (c chainState) BlockHash(_ context.Context, height int32) (chainhash.Hash, bool, error) {
	hash, _, ok := c.pc.Side().Tip()
	if !ok {
		return chainhash.Hash{}, false, errors.New("no tip")
	}
	n := c.pc.Index().Lookup(hash)
	if n == nil || height > n.Height() {
		return chainhash.Hash{}, false, nil
	}
	return n.Ancestor(height).Hash(), true, nil
}

// mineDirect mines a block on the node's own template (paying OP_TRUE)
// and hands it to the pow chain, as its CPU miner does.
func (n *powNode) mineDirect() *headerchain.Block {
	n.t.Helper()
	n.clock = n.clock.Add(2 * time.Second)
	tmpl, err := n.pc.BlockTemplate([]byte{txscript.OP_TRUE})
	if err != nil {
		n.t.Fatal(err)
	}
	b := &headerchain.Block{Header: tmpl.Header,
		Transactions: append([]*wire.MsgTx{tmpl.Coinbase}, tmpl.Transactions...)}
	b.Header.MerkleRoot = sideblock.CalcBlockMerkleRoot(b.Transactions)
	target := blockchain.CompactToBig(b.Header.Bits)
	for {
		h := b.Header.BlockHash()
		if blockchain.HashToBig(&h).Cmp(target) <= 0 {
			break
		}
		b.Header.Nonce++
	}
	if _, err := n.pc.AcceptBlock(b); err != nil {
		n.t.Fatal(err)
	}
	return b
}
