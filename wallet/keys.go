package wallet

import (
	"fmt"
	"sync"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"
)

// Family is a branch of the key tree with one use.
type Family uint32

// The key families; doc.go gives their derivation paths.
const (
	Receive Family = iota
	Change
	Stake
	Side
	Notary
	numFamilies
)

func (f Family) String() string {
	switch f {
	case Receive:
		return "receive"
	case Change:
		return "change"
	case Stake:
		return "stake"
	case Side:
		return "side"
	case Notary:
		return "notary"
	default:
		return fmt.Sprintf("family(%d)", uint32(f))
	}
}

const (
	hardened       = hdkeychain.HardenedKeyStart
	purposeBIP84   = 84
	purposeProject = 1017
)

// KeyRef names one derived key.
type KeyRef struct {
	Family Family
	Index  uint32
}

// Keyring derives the wallet's keys from its seed.
type Keyring struct {
	params   *chaincfg.Params
	branches [numFamilies]*hdkeychain.ExtendedKey

	mu    sync.Mutex
	cache map[KeyRef]cachedKey
}

// cachedKey is a derived key pair: derivation and the public key's scalar
// multiplication are done once per key.
type cachedKey struct {
	priv *btcec.PrivateKey
	pub  *btcec.PublicKey
}

// NewKeyring derives the family branches from seed.
func NewKeyring(seed []byte, params *chaincfg.Params) (*Keyring, error) {
	master, err := hdkeychain.NewMaster(seed, params)
	if err != nil {
		return nil, err
	}
	coin := params.HDCoinType
	paths := [numFamilies][]uint32{
		Receive: {hardened + purposeBIP84, hardened + coin, hardened + 0, 0},
		Change:  {hardened + purposeBIP84, hardened + coin, hardened + 0, 1},
		Stake:   {hardened + purposeProject, hardened + coin, hardened + 0, 0},
		Side:    {hardened + purposeProject, hardened + coin, hardened + 1, 0},
		Notary:  {hardened + purposeProject, hardened + coin, hardened + 2, 0},
	}
	k := &Keyring{params: params, cache: make(map[KeyRef]cachedKey)}
	for f, path := range paths {
		key := master
		for _, step := range path {
			if key, err = key.Derive(step); err != nil {
				return nil, fmt.Errorf("derive %v: %w", Family(f), err)
			}
		}
		k.branches[f] = key
	}
	return k, nil
}

// key returns the key pair ref names, deriving it on first use.
func (k *Keyring) key(ref KeyRef) (cachedKey, error) {
	if ref.Family >= numFamilies || ref.Index >= hardened {
		return cachedKey{}, fmt.Errorf("no key %v/%d", ref.Family, ref.Index)
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if c, ok := k.cache[ref]; ok {
		return c, nil
	}
	child, err := k.branches[ref.Family].Derive(ref.Index)
	if err != nil {
		return cachedKey{}, err
	}
	priv, err := child.ECPrivKey()
	if err != nil {
		return cachedKey{}, err
	}
	c := cachedKey{priv: priv, pub: priv.PubKey()}
	k.cache[ref] = c
	return c, nil
}

// PrivKey returns the private key ref names.
func (k *Keyring) PrivKey(ref KeyRef) (*btcec.PrivateKey, error) {
	c, err := k.key(ref)
	return c.priv, err
}

// PubKey returns the public key ref names.
func (k *Keyring) PubKey(ref KeyRef) (*btcec.PublicKey, error) {
	c, err := k.key(ref)
	return c.pub, err
}

// P2WPKH returns the mainchain P2WPKH address and script of ref.
func (k *Keyring) P2WPKH(ref KeyRef) (btcutil.Address, []byte, error) {
	pub, err := k.PubKey(ref)
	if err != nil {
		return nil, nil, err
	}
	addr, err := btcutil.NewAddressWitnessPubKeyHash(
		btcutil.Hash160(pub.SerializeCompressed()), k.params)
	if err != nil {
		return nil, nil, err
	}
	script, err := txscript.PayToAddrScript(addr)
	return addr, script, err
}
