package node

import (
	"errors"
	"runtime"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/p2p"
	"github.com/mainstake/sidenode/pow/headerchain"
	"github.com/mainstake/sidenode/pow/miner"
	"github.com/mainstake/sidenode/pow/powchain"
	"github.com/mainstake/sidenode/sidepeer"
	"github.com/mainstake/sidenode/wallet"
)

// startMiner starts the CPU miner of --mine on a pow network: it mines on
// the sidechain's tip, hands each block it finds to the pow chain's front
// door like a peer's, and announces it.
func startMiner(cfg *Config, params *chainparams.Params, proto *protocol,
	wlt *wallet.Wallet, peers *p2p.Server) (*miner.Miner, error) {

	pc := proto.pow
	if pc == nil {
		return nil, errors.New("--mine: the network does not run the pow engine")
	}
	var script []byte
	switch {
	case cfg.MineAddr != "":
		s, err := mineScript(cfg.MineAddr, params)
		if err != nil {
			return nil, err
		}
		script = s
	case wlt != nil:
		_, addr, s, err := wlt.SideKey(params.Side)
		if err != nil {
			return nil, err
		}
		log.Infof("Mining pays the wallet's sidechain address %v", addr)
		script = s
	default:
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
	newWork := m.NewWork
	proto.newWork.Store(&newWork)
	m.Start()
	log.Infof("Mining with %d threads", threads)
	return m, nil
}

// The pow chain is what the peers' handler needs under pow.
var _ sidepeer.PowBlocks = powchain.Peers{}
