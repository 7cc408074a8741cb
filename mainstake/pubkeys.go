package mainstake

import (
	"sync"

	"github.com/btcsuite/btcd/btcec/v2"
)

// maxCachedKeys bounds the parsed-key cache: far more than the tickets a
// node reads per block, and a few hundred kilobytes at most.
const maxCachedKeys = 4096

// keyCache holds parsed ticket keys. A ticket record keeps its key
// compressed, and decompressing it, a square root in the field, is most of
// the cost of reading a ticket, which the node does several times per block
// for the draw's winner while it builds a header. Parsing is a pure function
// of the 33 bytes, so a cached key is the key that parsing would return;
// btcec's public keys are never changed after parsing.
type keyCache struct {
	mu   sync.Mutex
	keys map[[33]byte]*btcec.PublicKey
}

var ticketKeys = keyCache{keys: make(map[[33]byte]*btcec.PublicKey)}

// parse returns the key that btcec.ParsePubKey returns for b, a 33-byte
// compressed key.
func (c *keyCache) parse(b []byte) (*btcec.PublicKey, error) {
	var k [33]byte
	if len(b) != len(k) {
		return btcec.ParsePubKey(b)
	}
	copy(k[:], b)
	c.mu.Lock()
	pub, ok := c.keys[k]
	c.mu.Unlock()
	if ok {
		return pub, nil
	}
	pub, err := btcec.ParsePubKey(b)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	if len(c.keys) >= maxCachedKeys {
		// Drop an arbitrary key: the cache only saves work.
		for old := range c.keys {
			delete(c.keys, old)
			break
		}
	}
	c.keys[k] = pub
	c.mu.Unlock()
	return pub, nil
}
