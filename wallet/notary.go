package wallet

import (
	"bytes"
	"errors"
	"fmt"
	"sort"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/store"
)

// NotaryKeys is how many notary keys the wallet holds: the Notary family's
// indexes 0 to NotaryKeys−1. A notary gives one of their public keys
// (NotaryPubKey) for a season's list, and may give another for a later
// season.
const NotaryKeys = 4

// keyNotaryCoinPrefix + outpoint (36) holds an output to a notary key's
// P2WPKH script (a coin record). Notary coins are kept apart from the
// wallet's coins: they fund notarizations only, so balances, payments and
// coin selection never see them.
var keyNotaryCoinPrefix = []byte{KeyByte, 'n'}

func notaryCoinKey(op wire.OutPoint) []byte {
	return outpointKey(keyNotaryCoinPrefix, op)
}

// decodeNotaryCoin decodes a notary coin record: a coin record under
// another prefix.
func decodeNotaryCoin(key, val []byte) (*Coin, error) {
	if !bytes.HasPrefix(key, keyNotaryCoinPrefix) {
		return nil, fmt.Errorf("wallet: corrupt notary coin record")
	}
	return decodeCoin(append(append([]byte(nil), keyCoinPrefix...),
		key[len(keyNotaryCoinPrefix):]...), val)
}

// errNoNotaryKey refuses a notary key index at or above NotaryKeys.
var errNoNotaryKey = errors.New("wallet: no such notary key")

// notaryRef returns the KeyRef of notary key i.
func notaryRef(i uint32) (KeyRef, error) {
	if i >= NotaryKeys {
		return KeyRef{}, fmt.Errorf("%w: index %d, the wallet holds "+
			"notary keys 0 to %d", errNoNotaryKey, i, NotaryKeys-1)
	}
	return KeyRef{Notary, i}, nil
}

// notaryScripts maps the P2WPKH script of every notary key to its ref.
func notaryScripts(keys *Keyring) (map[string]KeyRef, error) {
	m := make(map[string]KeyRef, NotaryKeys)
	for i := uint32(0); i < NotaryKeys; i++ {
		ref := KeyRef{Notary, i}
		_, script, err := keys.P2WPKH(ref)
		if err != nil {
			return nil, err
		}
		m[string(script)] = ref
	}
	return m, nil
}

// watchNotary watches the notary keys' scripts and the notary coins the
// store holds, so that the backends deliver their spends.
func (w *Wallet) watchNotary() error {
	for s := range w.notary {
		w.watch.AddScript([]byte(s))
	}
	return w.db.View(func(r store.Reader) error {
		return r.Iterate(keyNotaryCoinPrefix, func(k, v []byte) error {
			c, err := decodeNotaryCoin(k, v)
			if err != nil {
				return err
			}
			w.watch.AddOutPoint(c.OutPoint, c.PkScript)
			return nil
		})
	})
}

// NotaryPubKey returns the compressed public key of notary key i, the one
// a notary gives for a season's list.
func (w *Wallet) NotaryPubKey(i uint32) ([33]byte, error) {
	var pub [33]byte
	ref, err := notaryRef(i)
	if err != nil {
		return pub, err
	}
	k, err := w.keys.PubKey(ref)
	if err != nil {
		return pub, err
	}
	copy(pub[:], k.SerializeCompressed())
	return pub, nil
}

// NotaryAddress returns the mainchain P2WPKH address of notary key i and
// its script: the address that funds the notary's inputs.
func (w *Wallet) NotaryAddress(i uint32) (btcutil.Address, []byte, error) {
	ref, err := notaryRef(i)
	if err != nil {
		return nil, nil, err
	}
	return w.keys.P2WPKH(ref)
}

// NotaryKey returns the private key of the notary key whose compressed
// public key is pub, and false when pub is none of the wallet's notary
// keys. It is notarize/round's Wallet.NotaryKey.
func (w *Wallet) NotaryKey(pub [33]byte) (*btcec.PrivateKey, bool) {
	for i := uint32(0); i < NotaryKeys; i++ {
		k, err := w.keys.PubKey(KeyRef{Notary, i})
		if err != nil {
			return nil, false
		}
		if bytes.Equal(k.SerializeCompressed(), pub[:]) {
			priv, err := w.keys.PrivKey(KeyRef{Notary, i})
			return priv, err == nil
		}
	}
	for _, priv := range w.imports {
		if bytes.Equal(priv.PubKey().SerializeCompressed(), pub[:]) {
			return priv, true
		}
	}
	return nil, false
}

// ImportNotaryKey makes priv one of the wallet's notary keys for this
// process, beside the Notary family: NotaryKey finds it and the wallet
// records the coins to its P2WPKH script as notary coins. It is for the
// test networks, whose notary set is public keys of known private keys
// (chainparams.DevNotaryKey); the key is not stored, so the node imports
// it at every start, before the wallet connects any mainchain block.
func (w *Wallet) ImportNotaryKey(priv *btcec.PrivateKey) error {
	pub := priv.PubKey().SerializeCompressed()
	addr, err := btcutil.NewAddressWitnessPubKeyHash(btcutil.Hash160(pub), w.params)
	if err != nil {
		return err
	}
	script, err := txscript.PayToAddrScript(addr)
	if err != nil {
		return err
	}
	if _, ok := w.notary[string(script)]; ok {
		return nil
	}
	w.notary[string(script)] = KeyRef{Notary, NotaryKeys + uint32(len(w.imports))}
	w.imports = append(w.imports, priv)
	w.watch.AddScript(script)
	return nil
}

// NotaryCoins returns the mainchain outputs to pkScript, a notary key's
// P2WPKH script, that the wallet has seen in connected blocks and not yet
// seen spent, oldest first (then by outpoint). Spends in the mempool are
// not known here: the rounds ask the mainchain (round.UTXOSource).
func (w *Wallet) NotaryCoins(pkScript []byte) ([]*Coin, error) {
	var coins []*Coin
	err := w.db.View(func(r store.Reader) error {
		return r.Iterate(keyNotaryCoinPrefix, func(k, v []byte) error {
			c, err := decodeNotaryCoin(k, v)
			if err != nil {
				return err
			}
			if bytes.Equal(c.PkScript, pkScript) {
				coins = append(coins, c)
			}
			return nil
		})
	})
	sort.SliceStable(coins, func(i, j int) bool {
		return coins[i].Height < coins[j].Height
	})
	return coins, err
}

// connectNotary records the block's outputs to the notary keys' scripts
// and deletes the notary coins it spends, in the block's batch (undone
// with it).
func (w *Wallet) connectNotary(wr *store.Writer, b *mainwatch.Block) error {
	for _, tx := range b.Txs {
		for _, in := range tx.MsgTx.TxIn {
			k := notaryCoinKey(in.PreviousOutPoint)
			_, err := wr.Get(k)
			if errors.Is(err, store.ErrNotFound) {
				continue
			}
			if err != nil {
				return err
			}
			if err := wr.Delete(k); err != nil {
				return err
			}
			log.Debugf("Notary coin %v spent in mainchain block %d",
				in.PreviousOutPoint, b.Height)
		}
		txid := tx.MsgTx.TxHash()
		for _, c := range paidTo(tx.MsgTx, txid, w.notary, b.Height) {
			if err := wr.Set(notaryCoinKey(c.OutPoint), c.encode()); err != nil {
				return err
			}
			w.watch.AddOutPoint(c.OutPoint, c.PkScript)
			log.Infof("Notary key %d received %d sat in %v (mainchain "+
				"block %d)", c.Key.Index, c.Value, c.OutPoint, b.Height)
		}
	}
	return nil
}
