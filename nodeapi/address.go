package nodeapi

import (
	"strings"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/chainparams"
)

// The chains, in messages.
const (
	mainchainWord = "mainchain"
	sidechainWord = "sidechain"
)

// isAddressFor reports whether s decodes as an address of params.
func isAddressFor(s string, params *chaincfg.Params) bool {
	a, err := btcutil.DecodeAddress(s, params)
	return err == nil && a.IsForNet(params)
}

// addressError says, in the user's terms, why addr in request field field
// is not an address of chain (mainchainWord or sidechainWord) on the
// node's network: it belongs to the other chain, or to another network,
// or decodes as no address at all. Like the client, it names what was
// given and what is expected, and what to do.
func addressError(field, chain, addr string, params *chainparams.Params) error {
	other, otherParams := sidechainWord, params.Side
	if chain == sidechainWord {
		other, otherParams = mainchainWord, params.Main
	}
	if isAddressFor(addr, otherParams) {
		return api.Errorf(api.ErrInvalidArgument, "%s %s: a %s address was "+
			"given where a %s address is expected", field, addr, other, chain)
	}
	for _, c := range []string{chain, other} {
		var nets []string
		for _, p := range []*chainparams.Params{&chainparams.Mainnet,
			&chainparams.Testnet3, &chainparams.Signet, &chainparams.Regtest,
			&chainparams.Simnet} {
			cp := p.Main
			if c == sidechainWord {
				cp = p.Side
			}
			if p.Name != params.Name && isAddressFor(addr, cp) {
				nets = append(nets, p.Name)
			}
		}
		if len(nets) > 0 {
			return api.Errorf(api.ErrInvalidArgument, "%s %s is a %s %s "+
				"address, and this node runs %s: give a %s %s address",
				field, addr, strings.Join(nets, " or "), c, params.Name,
				params.Name, chain)
		}
	}
	return api.Errorf(api.ErrInvalidArgument, "%s %q is not a %s address: "+
		"it does not decode as an address of any network", field, addr, chain)
}
