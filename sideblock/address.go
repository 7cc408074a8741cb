package sideblock

import (
	"errors"
	"fmt"
	"sync"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"

	"github.com/mainstake/sidenode/chainparams"
)

// registerMu serializes registrations with chaincfg, whose tables are
// global and unsynchronized.
var registerMu sync.Mutex

// RegisterSideParams registers a network's sidechain address parameters
// (params.Side) with chaincfg, so that btcutil.DecodeAddress recognizes its
// bech32 prefix. The package registers every network of chainparams when it
// is loaded; call this at start-up, before any address is decoded, only for
// a network built elsewhere. Registering a network twice is not an error.
func RegisterSideParams(params *chainparams.Params) error {
	registerMu.Lock()
	defer registerMu.Unlock()
	err := chaincfg.Register(params.Side)
	if err != nil && !errors.Is(err, chaincfg.ErrDuplicateNet) {
		return err
	}
	return nil
}

func init() {
	for _, p := range chainparams.All() {
		if err := RegisterSideParams(p); err != nil {
			panic(fmt.Sprintf("registering sidechain params of %s: %v",
				p.Name, err))
		}
	}
}

// SideP2WPKHAddress returns the sidechain P2WPKH address of a public key:
// a bech32 address with the sidechain's HRP (params.Side.Bech32HRPSegwit).
func SideP2WPKHAddress(pub *btcec.PublicKey, params *chainparams.Params) (*btcutil.AddressWitnessPubKeyHash, error) {
	return btcutil.NewAddressWitnessPubKeyHash(
		btcutil.Hash160(pub.SerializeCompressed()), params.Side)
}

// SideP2TRAddress returns the sidechain P2TR address of an internal key and
// a tapscript tree root: the output key is internalKey tweaked by
// scriptRoot as BIP341 defines, or as BIP86 defines (key path only) when
// scriptRoot is empty.
func SideP2TRAddress(internalKey *btcec.PublicKey, scriptRoot []byte, params *chainparams.Params) (*btcutil.AddressTaproot, error) {
	var outputKey *btcec.PublicKey
	if len(scriptRoot) == 0 {
		outputKey = txscript.ComputeTaprootKeyNoScript(internalKey)
	} else {
		outputKey = txscript.ComputeTaprootOutputKey(internalKey, scriptRoot)
	}
	return btcutil.NewAddressTaproot(
		schnorr.SerializePubKey(outputKey), params.Side)
}

// DecodeSideAddress decodes a sidechain address of the network. Mainchain
// addresses, and sidechain addresses of other networks, are refused: their
// bech32 HRP or base58 version byte is not the sidechain's.
func DecodeSideAddress(addr string, params *chainparams.Params) (btcutil.Address, error) {
	a, err := btcutil.DecodeAddress(addr, params.Side)
	if err != nil {
		return nil, err
	}
	if !a.IsForNet(params.Side) {
		return nil, fmt.Errorf("address %s is not a %s sidechain address",
			addr, params.Name)
	}
	return a, nil
}
