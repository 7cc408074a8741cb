package work

import (
	"math/big"
	"math/rand"
	"testing"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

// TestMeets compares meets with the comparison of big numbers, on hashes
// and targets that share long prefixes, and on the edge values.
func TestMeets(t *testing.T) {
	rng := rand.New(rand.NewSource(5))
	max := new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))
	for i := 0; i < 20000; i++ {
		var h chainhash.Hash
		rng.Read(h[:])
		hi := blockchain.HashToBig(&h)
		var tg *big.Int
		switch i % 5 {
		case 0:
			tg = new(big.Int).Set(hi)
		case 1:
			tg = new(big.Int).Sub(hi, big.NewInt(1))
		case 2:
			tg = new(big.Int).Add(hi, big.NewInt(int64(rng.Intn(3))))
		case 3:
			tg = new(big.Int).Rsh(max, uint(rng.Intn(257)))
		default:
			tg = new(big.Int).Xor(hi, new(big.Int).Lsh(big.NewInt(1), uint(rng.Intn(256))))
		}
		tb := targetBytes(tg)
		if got, want := meets(&h, &tb), hi.Cmp(tg) <= 0; got != want {
			t.Fatalf("hash %v target %x: meets %v, want %v", h, tg, got, want)
		}
	}
	var zero chainhash.Hash
	for _, tg := range []*big.Int{nil, big.NewInt(-1), big.NewInt(0)} {
		tb := targetBytes(tg)
		if !meets(&zero, &tb) {
			t.Errorf("zero hash, target %v", tg)
		}
		one := chainhash.Hash{1}
		if meets(&one, &tb) {
			t.Errorf("hash 1 meets target %v", tg)
		}
	}
	huge := targetBytes(new(big.Int).Lsh(big.NewInt(1), 300))
	all := chainhash.Hash{}
	for i := range all {
		all[i] = 0xff
	}
	if !meets(&all, &huge) {
		t.Error("a target beyond 256 bits")
	}
}
