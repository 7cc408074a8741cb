package node

import (
	"context"
	"errors"
	"fmt"
	"runtime"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/nodeapi"
	"github.com/mainstake/sidenode/p2p"
	"github.com/mainstake/sidenode/pow/bitcoinrpc"
	"github.com/mainstake/sidenode/pow/headerchain"
	"github.com/mainstake/sidenode/pow/miner"
	"github.com/mainstake/sidenode/pow/powchain"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/sidepeer"
	"github.com/mainstake/sidenode/wallet"
)

// The pow chain is what the peers' handler needs under pow.
var _ sidepeer.PowBlocks = powchain.Peers{}

// minePayout returns the script the coinbases of this node's templates
// pay: --mineaddr's, or the wallet's sidechain address; nil if neither.
func minePayout(cfg *Config, params *chainparams.Params, wlt *wallet.Wallet) ([]byte, error) {
	switch {
	case cfg.MineAddr != "":
		return mineScript(cfg.MineAddr, params)
	case wlt != nil:
		_, addr, s, err := wlt.SideKey(params.Side)
		if err != nil {
			return nil, err
		}
		log.Infof("Block templates pay the wallet's sidechain address %v", addr)
		return s, nil
	}
	return nil, nil
}

// startMiner starts the CPU miner of --mine on a pow network: it mines on
// the sidechain's tip, takes a new template whenever the template changes,
// hands each block it finds to the pow chain's front door like a peer's,
// and announces it. It stops with ctx.
func startMiner(ctx context.Context, cfg *Config, pc *powchain.Chain, script []byte,
	peers *p2p.Server) (*miner.Miner, error) {

	if script == nil {
		return nil, errors.New("--mine needs --mineaddr, or a wallet " +
			"whose sidechain address the coinbases pay")
	}
	threads := cfg.MineThreads
	if threads == 0 {
		threads = runtime.NumCPU()
	}
	m, err := miner.New(miner.Config{
		Threads:      threads,
		PayoutScript: script,
		Source:       pc,
		Found: func(b *headerchain.Block) {
			hashes, err := pc.AcceptBlock(b)
			if err != nil {
				log.Errorf("Mined sideblock %v refused: %v", b.BlockHash(), err)
				return
			}
			log.Infof("Mined sideblock %v (%d transactions)", b.BlockHash(),
				len(b.Transactions))
			for _, h := range hashes {
				peers.Announce(p2p.BlockItem(h))
			}
		},
	})
	if err != nil {
		return nil, err
	}
	m.Start()
	go func() {
		for {
			select {
			case <-ctx.Done():
				return
			case <-pc.TemplateChanged():
				m.NewWork()
			}
		}
	}()
	log.Infof("Mining with %d threads", threads)
	return m, nil
}

// miningAPI is the pow chain as the API's MiningService needs it
// (nodeapi.Mining).
type miningAPI struct {
	pc *powchain.Chain
}

var _ nodeapi.Mining = miningAPI{}

func (m miningAPI) MiningTemplate(context.Context) (*nodeapi.MiningTemplate, error) {
	t, err := m.pc.MiningTemplate()
	var ahead *powchain.AheadOfClockError
	if errors.As(err, &ahead) {
		// For a while only: the caller asks again.
		return nil, api.Errorf(api.ErrUnavailable, "%w", err)
	}
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

func (m miningAPI) TemplateChanged() <-chan struct{} { return m.pc.TemplateChanged() }

func (m miningAPI) SubmitBlock(_ context.Context, raw []byte) error {
	b, err := m.pc.SubmitBlock(raw)
	if errors.Is(err, powchain.ErrUndecided) {
		return fmt.Errorf("%w (%v)", nodeapi.ErrMiningInconclusive, err)
	}
	if err == nil {
		log.Infof("Sideblock %v submitted through the API", b.BlockHash())
	}
	return err
}

func (m miningAPI) MiningInfo(context.Context) (*nodeapi.MiningInfo, error) {
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

// startBtcRPC starts the bitcoind-compatible RPC of --btcrpclisten on a
// pow network: the same mining API adapter as MiningService's (templates,
// long polls, BIP22 reasons), the pow chain's best chain and the mempool.
// The node's templates need a payout even when pools build their own
// coinbase, so it refuses to start without one.
func startBtcRPC(cfg *Config, params *chainparams.Params, pc *powchain.Chain,
	pool *sideblock.Mempool, payout []byte) (*bitcoinrpc.Server, error) {

	if pc == nil {
		return nil, fmt.Errorf("--btcrpclisten: network %s has no pow chain", cfg.Network)
	}
	if payout == nil {
		return nil, errors.New("--btcrpclisten needs --mineaddr, or a wallet: " +
			"the node's block templates carry a coinbase of its own (the " +
			"coinbasetxn pools may ask for), which pays that address")
	}
	adapter := nodeapi.New(nodeapi.Env{Version: Version, Network: cfg.Network,
		Params: params, Mining: miningAPI{pc: pc}})
	srv, err := bitcoinrpc.New(bitcoinrpc.Config{
		Listen: cfg.BtcRPCListen, User: cfg.BtcRPCUser, Pass: cfg.BtcRPCPass,
		Params: params, Mining: adapter, Chain: powChainState{pc: pc},
		Mempool: pool, Version: Version,
	})
	if err != nil {
		return nil, err
	}
	if err := srv.Start(); err != nil {
		return nil, err
	}
	return srv, nil
}

// powChainState is the pow chain's best chain as the bitcoind-compatible
// RPC shows it (bitcoinrpc.Chain).
type powChainState struct {
	pc *powchain.Chain
}

var _ bitcoinrpc.Chain = powChainState{}

func (c powChainState) tip() (*headerchain.Node, error) {
	hash, _, ok := c.pc.Side().Tip()
	if !ok {
		return nil, errors.New("the genesis block is not connected yet " +
			"(the mainchain is still syncing)")
	}
	n := c.pc.Index().Lookup(hash)
	if n == nil {
		return nil, fmt.Errorf("tip %v is not in the header index", hash)
	}
	return n, nil
}

func (c powChainState) ChainState(context.Context) (*bitcoinrpc.ChainState, error) {
	n, err := c.tip()
	if err != nil {
		return nil, err
	}
	hash, height := n.Hash(), n.Height()
	cs := &bitcoinrpc.ChainState{Blocks: height, BestHash: hash, Headers: height,
		MedianTime: n.MedianTimePast(), ChainWork: n.WorkSum()}
	if bh := c.pc.Index().BestHeader(); bh != nil {
		cs.Headers = bh.Height()
	}
	return cs, nil
}

func (c powChainState) BlockHash(_ context.Context, height int32) (chainhash.Hash, bool, error) {
	n, err := c.tip()
	if err != nil {
		return chainhash.Hash{}, false, err
	}
	if height > n.Height() {
		return chainhash.Hash{}, false, nil
	}
	a := n.Ancestor(height)
	if a == nil {
		return chainhash.Hash{}, false, nil
	}
	return a.Hash(), true, nil
}
