package powchain

import (
	"errors"
	"math/big"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/pow/headerchain"
	"github.com/mainstake/sidenode/pow/powhash"
	"github.com/mainstake/sidenode/pow/powparams"
	"github.com/mainstake/sidenode/pow/randomx"
)

// frontVerifier is the header index's Verifier over powhash.Front, which
// hashes each header with the algorithm of its height: the header index
// passes the block hash it computed, which the front recomputes only for
// SHA-256d (a network that mines SHA-256d alone uses headerchain.SHA256d,
// which computes none). Its Ready method is the index's Readiness.
type frontVerifier struct {
	front *powhash.Front
}

var (
	_ headerchain.Verifier  = frontVerifier{}
	_ headerchain.Readiness = frontVerifier{}
)

func (v frontVerifier) CheckProofOfWork(h *wire.BlockHeader, _ *chainhash.Hash, height int32, target *big.Int) (bool, error) {
	return v.front.CheckProofOfWork(h, height, target)
}

func (v frontVerifier) Ready(h *wire.BlockHeader, height int32) (bool, error) {
	return v.front.Ready(h, height)
}

// lateSeeds finds RandomX keys in the header index, which is made after
// the front that needs them.
type lateSeeds struct {
	index *headerchain.Index
}

var errNoIndex = errors.New("powchain: no header index yet")

func (s *lateSeeds) AncestorID(prev chainhash.Hash, height int32) (chainhash.Hash, error) {
	if s.index == nil {
		return chainhash.Hash{}, errNoIndex
	}
	return s.index.AncestorID(prev, height)
}

// onlySHA256d reports whether every era of the network mines SHA-256d.
func onlySHA256d(p *chainparams.PowParams) bool {
	for _, e := range p.Schedule {
		if e.Algorithm != chainparams.SHA256d {
			return false
		}
	}
	return true
}

// newFront returns the verifier of a network whose eras use other
// algorithms than SHA-256d, hashing RandomX as rx says (light mode for
// verifying nodes, full mode for miners) with keys by schedule (zero:
// Monero's), and the seeds it reads, to be pointed at the index once it
// exists.
func newFront(p *chainparams.Params, schedule randomx.Schedule, rx randomx.Config) (frontVerifier, *lateSeeds, error) {
	seeds := &lateSeeds{}
	limit := powparams.IndexParams(p.Pow).PowLimit
	front, err := powhash.New(powhash.Config{
		AlgorithmAt: func(h int32) powhash.Algorithm {
			era, ok := p.Pow.EraAt(h)
			if !ok {
				return 0
			}
			switch era.Algorithm {
			case chainparams.SHA256d:
				return powhash.SHA256d
			case chainparams.RandomX:
				return powhash.RandomX
			case chainparams.Ethash:
				return powhash.Ethash
			}
			return 0
		},
		PowLimit: limit,
		Seeds:    seeds,
		RandomX:  rx,

		RandomXSchedule: schedule,
	})
	if err != nil {
		return frontVerifier{}, nil, err
	}
	return frontVerifier{front: front}, seeds, nil
}
