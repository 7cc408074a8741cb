package round

import (
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/mainstake/sidenode/wallet"
)

// NodeWallet is the notary part of the node's wallet (wallet.Wallet): its
// notary keys, and the coins it holds to a notary key's P2WPKH script.
type NodeWallet interface {
	NotaryKey(pub [33]byte) (*btcec.PrivateKey, bool)
	NotaryCoins(pkScript []byte) ([]*wallet.Coin, error)
}

var _ NodeWallet = (*wallet.Wallet)(nil)

// FromNodeWallet returns the Wallet a Notary uses (Config.Wallet) over
// the node's wallet: the same keys, and its notary coins as Outputs.
func FromNodeWallet(w NodeWallet) Wallet { return nodeWallet{w} }

type nodeWallet struct{ w NodeWallet }

func (n nodeWallet) NotaryKey(pub [33]byte) (*btcec.PrivateKey, bool) {
	return n.w.NotaryKey(pub)
}

func (n nodeWallet) Unspent(pkScript []byte) ([]Output, error) {
	coins, err := n.w.NotaryCoins(pkScript)
	if err != nil {
		return nil, err
	}
	out := make([]Output, len(coins))
	for i, c := range coins {
		out[i] = Output{OutPoint: c.OutPoint, Value: c.Value}
	}
	return out, nil
}
