package powchain

import (
	"math/big"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/pow/headerchain"
	"github.com/mainstake/sidenode/pow/powhash"
	"github.com/mainstake/sidenode/pow/randomx"
)

// PowValueFunc returns the proof-of-work value of headers of network p at
// a height, with RandomX keys from index: what a test's miner needs.
func PowValueFunc(p *chainparams.Params, index *headerchain.Index) (func(*wire.BlockHeader, int32) (*big.Int, error), error) {
	fv, seeds, err := newFront(p, randomx.Schedule{}, randomx.Config{})
	if err != nil {
		return nil, err
	}
	seeds.index = index
	return func(h *wire.BlockHeader, height int32) (*big.Int, error) {
		v, _, err := fv.front.PowValue(h, height)
		return v, err
	}, nil
}

// PowValue returns a header's proof-of-work value at a height as the
// chain's own verifier computes it, with RandomX keys from its index.
func (c *Chain) PowValue(h *wire.BlockHeader, height int32) (*big.Int, error) {
	v, _, err := c.front.PowValue(h, height)
	return v, err
}

// RandomXValueUnder returns a header's RandomX hash at a height under
// key, whatever its branch's key is, from the chain's own hasher.
func (c *Chain) RandomXValueUnder(key chainhash.Hash, h *wire.BlockHeader, height int32) (*big.Int, error) {
	v, err := c.front.Verifier(powhash.RandomX)
	if err != nil {
		return nil, err
	}
	return v.PowValue(h, height, fixedSeed(key))
}

// fixedSeed gives one key for every height.
type fixedSeed chainhash.Hash

func (k fixedSeed) AncestorID(chainhash.Hash, int32) (chainhash.Hash, error) {
	return chainhash.Hash(k), nil
}
