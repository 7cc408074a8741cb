package wallet

import (
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
)

// ErrBadAddress is wrapped by PayoutScript's error when the destination is
// not an address of the wallet's mainchain network.
var ErrBadAddress = errors.New("not an address of the wallet's network")

// StakeKeyFor returns the private key of the stake key pub, when pub is one
// of the wallet's stake keys (OwnsStakeKey): the key that signs a stake's
// withdrawal and its ticket's header transactions.
func (w *Wallet) StakeKeyFor(pub *btcec.PublicKey) (*btcec.PrivateKey, bool) {
	if pub == nil {
		return nil, false
	}
	ref, ok := w.OwnsStakeKey(pub.SerializeCompressed())
	if !ok {
		return nil, false
	}
	priv, err := w.keys.PrivKey(ref)
	if err != nil {
		return nil, false
	}
	return priv, true
}

// PayoutScript returns the output script that pays dest, an address of the
// wallet's mainchain network as a user typed it, or, when dest is empty,
// the wallet's current receive address (CurrentAddress(Receive)), which the
// wallet watches. An address that does not decode, or belongs to another
// network, fails with an error that wraps ErrBadAddress.
func (w *Wallet) PayoutScript(dest string) ([]byte, error) {
	var (
		addr btcutil.Address
		err  error
	)
	if dest == "" {
		if addr, err = w.CurrentAddress(Receive); err != nil {
			return nil, err
		}
	} else {
		addr, err = btcutil.DecodeAddress(dest, w.params)
		if err != nil {
			return nil, fmt.Errorf("%w: %q: %v", ErrBadAddress, dest, err)
		}
		if !addr.IsForNet(w.params) {
			return nil, fmt.Errorf("%w: %q is not a %s address", ErrBadAddress,
				dest, w.params.Name)
		}
	}
	script, err := txscript.PayToAddrScript(addr)
	if err != nil {
		return nil, fmt.Errorf("%w: %q: %v", ErrBadAddress, dest, err)
	}
	return script, nil
}
