package pegbox

import (
	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/store"
)

// CoinsOfTx returns the pegbox coins that transaction txid created and
// the pegbox still holds, by output index, as r shows them: one prefix
// scan of the coin index. A refused deposit's outputs that paid a pegbox
// are such coins until the federation spends them.
func CoinsOfTx(r store.Reader, txid chainhash.Hash) ([]Coin, error) {
	prefix := append(append([]byte(nil), keyCoinPrefix...), txid[:]...)
	var out []Coin
	err := r.Iterate(prefix, func(k, v []byte) error {
		c, err := decodeCoin(k, v)
		if err != nil {
			return err
		}
		out = append(out, *c)
		return nil
	})
	return out, err
}
