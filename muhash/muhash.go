package muhash

import (
	"crypto/sha256"
	"errors"
	"math/big"

	"golang.org/x/crypto/chacha20"
)

// ByteSize is the size of a serialized number mod p: 3072 bits.
const ByteSize = 384

// prime is p = 2^3072 - 1103717.
var prime = func() *big.Int {
	p := new(big.Int).Lsh(big.NewInt(1), 3072)
	return p.Sub(p, big.NewInt(1103717))
}()

// Set is a multiset hash accumulator. The zero value is not usable; start
// from New or Decode. A Set is not safe for concurrent use.
type Set struct {
	num big.Int // product of the inserted elements, mod p
	den big.Int // product of the removed elements, mod p
	tmp big.Int
}

// New returns the accumulator of the empty set.
func New() *Set {
	s := &Set{}
	s.num.SetInt64(1)
	s.den.SetInt64(1)
	return s
}

// Clone returns an independent copy of s.
func (s *Set) Clone() *Set {
	c := &Set{}
	c.num.Set(&s.num)
	c.den.Set(&s.den)
	return c
}

// element returns n(d), the number of the byte string d.
func element(d []byte) *big.Int {
	key := sha256.Sum256(d)
	var nonce [chacha20.NonceSize]byte
	c, err := chacha20.NewUnauthenticatedCipher(key[:], nonce[:])
	if err != nil {
		// Key and nonce sizes are constants: cannot happen.
		panic(err)
	}
	var buf [ByteSize]byte
	c.XORKeyStream(buf[:], buf[:])
	reverse(buf[:])
	return new(big.Int).SetBytes(buf[:])
}

// primeDiff is 2^3072 - p, and mask3072 is 2^3072 - 1.
var (
	primeDiff = big.NewInt(1103717)
	mask3072  = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 3072),
		big.NewInt(1))
)

// mulMod sets z = z*x mod p, for z, x in [0, 2^3072). Since 2^3072 = c mod
// p with c = 1103717, a product hi*2^3072 + lo reduces to hi*c + lo, twice,
// which is cheaper than a division.
func (s *Set) mulMod(z, x *big.Int) {
	t := &s.tmp
	t.Mul(z, x)
	var hi big.Int
	for t.BitLen() > 3072 {
		hi.Rsh(t, 3072)
		t.And(t, mask3072)
		hi.Mul(&hi, primeDiff)
		t.Add(t, &hi)
	}
	if t.Cmp(prime) >= 0 {
		t.Sub(t, prime)
	}
	z.Set(t)
}

// Insert adds the byte string d to the set.
func (s *Set) Insert(d []byte) {
	s.mulMod(&s.num, element(d))
}

// Remove takes the byte string d out of the set.
func (s *Set) Remove(d []byte) {
	s.mulMod(&s.den, element(d))
}

// Combine adds every element of o to s (the union of the multisets).
func (s *Set) Combine(o *Set) {
	s.mulMod(&s.num, &o.num)
	s.mulMod(&s.den, &o.den)
}

// normalize folds the denominator into the numerator: num = num/den mod p,
// den = 1. It is the one modular inversion of Finalize.
func (s *Set) normalize() {
	if s.den.Cmp(big.NewInt(1)) == 0 {
		return
	}
	inv := new(big.Int).ModInverse(&s.den, prime)
	if inv == nil {
		// den is a product of numbers in [1, p) with p prime, so it is
		// invertible unless an element was 0 mod p, which takes a
		// preimage of SHA256 and ChaCha20 to find.
		panic("muhash: denominator not invertible")
	}
	s.mulMod(&s.num, inv)
	s.den.SetInt64(1)
}

// Finalize returns the hash of the set: SHA256 of the 384-byte
// little-endian encoding of num/den mod p. It normalizes s (one modular
// inversion); s stays usable and keeps its value.
func (s *Set) Finalize() [32]byte {
	v := s.Encode()
	return sha256.Sum256(v[:])
}

// Encode normalizes s and returns its value num/den mod p as 384 bytes,
// little-endian. Decode reads it back.
func (s *Set) Encode() [ByteSize]byte {
	s.normalize()
	var out [ByteSize]byte
	s.num.FillBytes(out[:])
	reverse(out[:])
	return out
}

// ErrBadEncoding is returned by Decode for anything but 384 bytes holding
// a number in [1, p).
var ErrBadEncoding = errors.New("muhash: not a 384-byte number in [1, p)")

// Decode returns the accumulator whose value Encode wrote into b.
func Decode(b []byte) (*Set, error) {
	if len(b) != ByteSize {
		return nil, ErrBadEncoding
	}
	var buf [ByteSize]byte
	copy(buf[:], b)
	reverse(buf[:])
	s := New()
	s.num.SetBytes(buf[:])
	if s.num.Sign() == 0 || s.num.Cmp(prime) >= 0 {
		return nil, ErrBadEncoding
	}
	return s, nil
}

// EmptyDigest is Finalize of the empty set.
var EmptyDigest = New().Finalize()

func reverse(b []byte) {
	for i, j := 0, len(b)-1; i < j; i, j = i+1, j-1 {
		b[i], b[j] = b[j], b[i]
	}
}
