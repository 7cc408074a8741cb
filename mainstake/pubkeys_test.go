package mainstake

import (
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
)

// TestKeyCache checks that a cached parse answers as btcec.ParsePubKey does,
// that a key that does not parse is refused and not cached, and that the
// cache stays within its bound.
func TestKeyCache(t *testing.T) {
	c := keyCache{keys: make(map[[33]byte]*btcec.PublicKey)}
	var first []byte
	for i := 0; i < maxCachedKeys+10; i++ {
		priv, err := btcec.NewPrivateKey()
		if err != nil {
			t.Fatal(err)
		}
		b := priv.PubKey().SerializeCompressed()
		if first == nil {
			first = b
		}
		for round := 0; round < 2; round++ {
			pub, err := c.parse(b)
			if err != nil {
				t.Fatal(err)
			}
			if !pub.IsEqual(priv.PubKey()) {
				t.Fatalf("key %d, round %d: parsed another key", i, round)
			}
		}
	}
	if len(c.keys) != maxCachedKeys {
		t.Fatalf("%d keys cached, want the bound %d", len(c.keys), maxCachedKeys)
	}
	// An evicted key parses again.
	if pub, err := c.parse(first); err != nil || pub == nil {
		t.Fatalf("first key after eviction: %v", err)
	}

	bad := append([]byte{0x02}, make([]byte, 32)...)
	bad[32] = 5 // x = 5 is not on the curve
	n := len(c.keys)
	if _, err := c.parse(bad); err == nil {
		t.Fatal("a point off the curve parsed")
	}
	if _, err := c.parse(first[:32]); err == nil {
		t.Fatal("a 32-byte key parsed")
	}
	if len(c.keys) != n {
		t.Fatal("a key that does not parse was cached")
	}
}
