package powchain

import (
	"math/big"

	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/pow/headerchain"
)

// PowValueFunc returns the proof-of-work value of headers of network p at
// a height, with RandomX keys from index: what a test's miner needs.
func PowValueFunc(p *chainparams.Params, index *headerchain.Index) (func(*wire.BlockHeader, int32) (*big.Int, error), error) {
	fv, seeds, err := newFront(p)
	if err != nil {
		return nil, err
	}
	seeds.index = index
	return func(h *wire.BlockHeader, height int32) (*big.Int, error) {
		v, _, err := fv.front.PowValue(h, height)
		return v, err
	}, nil
}
