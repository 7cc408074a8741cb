package lottery

import (
	"encoding/binary"
	"math/big"
	"math/rand"
	"testing"
)

// bigOf converts a Uint128 to a big.Int.
func bigOf(u Uint128) *big.Int {
	x := new(big.Int).SetUint64(u.Hi)
	x.Lsh(x, 64)
	return x.Or(x, new(big.Int).SetUint64(u.Lo))
}

// randLimb returns a 64-bit value biased towards the edges: 0, 1, all
// ones, a single top bit, or random.
func randLimb(rng *rand.Rand) uint64 {
	switch rng.Intn(6) {
	case 0:
		return 0
	case 1:
		return 1
	case 2:
		return ^uint64(0)
	case 3:
		return 1 << 63
	case 4:
		return rng.Uint64() >> uint(rng.Intn(64))
	}
	return rng.Uint64()
}

// TestMod256 checks the 256-by-128 reduction against math/big, on random
// and edge numerators and divisors of every size.
func TestMod256(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 200_000; i++ {
		var x [32]byte
		for j := 0; j < 4; j++ {
			binary.BigEndian.PutUint64(x[8*j:], randLimb(rng))
		}
		d := Uint128{Hi: randLimb(rng), Lo: randLimb(rng)}
		if i%3 == 0 {
			d.Hi = 0
		}
		if d.IsZero() {
			d.Lo = 1
		}
		got := mod256(&x, d)
		want := new(big.Int).Mod(new(big.Int).SetBytes(x[:]), bigOf(d))
		if bigOf(got).Cmp(want) != 0 {
			t.Fatalf("mod256(%x, %v) = %v, want %v", x, d, got, want)
		}
	}
}

// TestUint128Ops checks add, sub, neg, mul64, Cmp and String against
// math/big, mod 2^128.
func TestUint128Ops(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	mod := new(big.Int).Lsh(big.NewInt(1), 128)
	norm := func(x *big.Int) *big.Int { return x.Mod(x, mod) }
	for i := 0; i < 50_000; i++ {
		u := Uint128{Hi: randLimb(rng), Lo: randLimb(rng)}
		v := Uint128{Hi: randLimb(rng), Lo: randLimb(rng)}
		k := randLimb(rng)
		bu, bv := bigOf(u), bigOf(v)
		bk := new(big.Int).SetUint64(k)

		if got, want := bigOf(u.add(v)), norm(new(big.Int).Add(bu, bv)); got.Cmp(want) != 0 {
			t.Fatalf("%v + %v = %v, want %v", u, v, got, want)
		}
		if got, want := bigOf(u.sub(v)), norm(new(big.Int).Sub(bu, bv)); got.Cmp(want) != 0 {
			t.Fatalf("%v - %v = %v, want %v", u, v, got, want)
		}
		if got, want := bigOf(u.neg()), norm(new(big.Int).Neg(bu)); got.Cmp(want) != 0 {
			t.Fatalf("-%v = %v, want %v", u, got, want)
		}
		if got, want := bigOf(u.mul64(k)), norm(new(big.Int).Mul(bu, bk)); got.Cmp(want) != 0 {
			t.Fatalf("%v * %d = %v, want %v", u, k, got, want)
		}
		if got, want := bigOf(mul64(u.Lo, k)), new(big.Int).Mul(new(big.Int).SetUint64(u.Lo), bk); got.Cmp(want) != 0 {
			t.Fatalf("mul64(%d, %d) = %v, want %v", u.Lo, k, got, want)
		}
		if got, want := u.Cmp(v), bu.Cmp(bv); got != want {
			t.Fatalf("Cmp(%v, %v) = %d, want %d", u, v, got, want)
		}
		if got, want := u.String(), bu.String(); got != want {
			t.Fatalf("String() = %s, want %s", got, want)
		}
		s := uint(rng.Intn(64))
		if got, want := bigOf(u.shl(s)), norm(new(big.Int).Lsh(bu, s)); got.Cmp(want) != 0 {
			t.Fatalf("%v << %d = %v, want %v", u, s, got, want)
		}
		if got, want := bigOf(u.shr(s)), new(big.Int).Rsh(bu, s); got.Cmp(want) != 0 {
			t.Fatalf("%v >> %d = %v, want %v", u, s, got, want)
		}
	}
	if s := (Uint128{Hi: 1}).String(); s != "18446744073709551616" {
		t.Fatalf("2^64 = %s", s)
	}
	if !(Uint128{}).IsZero() || (Uint128{Hi: 1}).IsZero() {
		t.Fatal("IsZero")
	}
}
