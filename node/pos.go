package node

import (
	"context"
	"errors"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/nodeapi"
	"github.com/mainstake/sidenode/p2p"
	"github.com/mainstake/sidenode/pos/chain"
	"github.com/mainstake/sidenode/pos/posnet"
	"github.com/mainstake/sidenode/pos/slashing/protection"
	"github.com/mainstake/sidenode/store"
)

// posNode is the pos engine in the node: its chain (in memory) and, with
// --validator, the validator client, on the peer protocol (pos/posnet).
// Nil under other engines; its methods are nil-safe.
type posNode struct {
	chain *chain.Chain
	net   *posnet.Net
	keys  int
}

var _ nodeapi.PosStatus = (*posNode)(nil)

// newPosNode builds the pos engine of a pos network, nil for others. With
// --validator it holds the keys of the test validators --pos.devkey names,
// with their slashing protection in the node's store.
func newPosNode(cfg *Config, params *chainparams.Params, db *store.DB) (*posNode, error) {
	if params.Engine != chainparams.PoS {
		return nil, nil
	}
	pc, err := chain.NewConfig(params)
	if err != nil {
		return nil, err
	}
	c, err := chain.New(pc)
	if err != nil {
		return nil, err
	}
	nc := posnet.Config{Chain: c, Logf: log.Infof}
	if cfg.Validator {
		id, err := params.GenesisID()
		if err != nil {
			return nil, err
		}
		prot, err := protection.Open(db, protection.Root(id))
		if err != nil {
			return nil, err
		}
		nc.Protect = prot
		idx, err := cfg.devKeys()
		if err != nil {
			return nil, err
		}
		for _, i := range idx {
			k, err := chain.DevValidatorKey(i)
			if err != nil {
				return nil, err
			}
			nc.Keys = append(nc.Keys, k)
		}
		log.Infof("Validator for %d test key(s) %v (pos devnet slot 0 at %v)",
			len(nc.Keys), cfg.Pos.DevKeys, params.Pos.SlotStart(0).UTC())
	}
	return &posNode{chain: c, net: posnet.New(nc), keys: len(nc.Keys)}, nil
}

// handler returns the p2p.PosHandler, nil without pos.
func (p *posNode) handler() p2p.PosHandler {
	if p == nil {
		return nil
	}
	return p.net
}

func (p *posNode) setPeers(s *p2p.Server) {
	if p != nil {
		p.net.SetPeers(s)
	}
}

// run follows the slot clock until ctx ends.
func (p *posNode) run(ctx context.Context) {
	if err := p.net.Run(ctx); err != nil && !errors.Is(err, context.Canceled) {
		log.Errorf("The pos engine stopped: %v", err)
	}
}

// PosStatus implements nodeapi.PosStatus.
func (p *posNode) PosStatus() nodeapi.PosInfo {
	root, st := p.chain.Head()
	info := nodeapi.PosInfo{
		Head:           [32]byte(root),
		HeadSlot:       st.LatestHeader.Slot,
		StateRoot:      [32]byte(st.Root()),
		JustifiedEpoch: p.chain.Justified().Epoch,
		FinalizedEpoch: p.chain.Finalized().Epoch,
		Stopped:        p.chain.Stopped(),
		Validators:     p.keys,
	}
	if c := p.net.Client(); c != nil {
		s := c.Stats()
		info.Proposed, info.Attested, info.Refused = s.Proposed, s.Attested, s.Refused
	}
	return info
}
