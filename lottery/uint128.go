package lottery

import (
	"encoding/binary"
	"math/bits"
	"strconv"
	"strings"
)

// Uint128 is an unsigned 128-bit integer, Hi·2^64 + Lo. Weights, their sums
// and the reduced draw number are Uint128s. The zero value is 0.
//
// Arithmetic inside the package is modulo 2^128. Every value the package
// stores or returns is an exact sum that stays below 2^120 (see doc.go), so
// the wraparound of an intermediate step, such as removing a ticket by
// adding the two's complement of its terms, always cancels out.
type Uint128 struct {
	Hi, Lo uint64
}

// mul64 returns the full 128-bit product a·b.
func mul64(a, b uint64) Uint128 {
	hi, lo := bits.Mul64(a, b)
	return Uint128{Hi: hi, Lo: lo}
}

// add returns u + v mod 2^128.
func (u Uint128) add(v Uint128) Uint128 {
	lo, c := bits.Add64(u.Lo, v.Lo, 0)
	hi, _ := bits.Add64(u.Hi, v.Hi, c)
	return Uint128{Hi: hi, Lo: lo}
}

// sub returns u − v mod 2^128.
func (u Uint128) sub(v Uint128) Uint128 {
	lo, b := bits.Sub64(u.Lo, v.Lo, 0)
	hi, _ := bits.Sub64(u.Hi, v.Hi, b)
	return Uint128{Hi: hi, Lo: lo}
}

// neg returns −u mod 2^128.
func (u Uint128) neg() Uint128 {
	return Uint128{}.sub(u)
}

// mul64 returns u·v mod 2^128.
func (u Uint128) mul64(v uint64) Uint128 {
	hi, lo := bits.Mul64(u.Lo, v)
	return Uint128{Hi: hi + u.Hi*v, Lo: lo}
}

// less reports whether u < v.
func (u Uint128) less(v Uint128) bool {
	return u.Hi < v.Hi || (u.Hi == v.Hi && u.Lo < v.Lo)
}

// shl returns u << s for s < 64.
func (u Uint128) shl(s uint) Uint128 {
	return Uint128{Hi: u.Hi<<s | u.Lo>>(64-s), Lo: u.Lo << s}
}

// shr returns u >> s for s < 64.
func (u Uint128) shr(s uint) Uint128 {
	return Uint128{Hi: u.Hi >> s, Lo: u.Lo>>s | u.Hi<<(64-s)}
}

// IsZero reports whether u is 0.
func (u Uint128) IsZero() bool {
	return u.Hi == 0 && u.Lo == 0
}

// Cmp compares u and v and returns -1, 0 or +1.
func (u Uint128) Cmp(v Uint128) int {
	switch {
	case u.less(v):
		return -1
	case v.less(u):
		return 1
	}
	return 0
}

// String formats u in decimal.
func (u Uint128) String() string {
	if u.Hi == 0 {
		return strconv.FormatUint(u.Lo, 10)
	}
	const e19 = 10_000_000_000_000_000_000
	q := Uint128{Hi: u.Hi / e19}
	var r uint64
	q.Lo, r = bits.Div64(u.Hi%e19, u.Lo, e19)
	low := strconv.FormatUint(r, 10)
	return q.String() + strings.Repeat("0", 19-len(low)) + low
}

// mod256 returns x mod d, where x is the 256-bit big-endian integer in
// x and d ≠ 0.
//
// For d < 2^64 it is a chain of 128-by-64 divisions. Otherwise it is
// Knuth's algorithm D (TAOCP vol. 2, 4.3.1) for a two-limb divisor: shift d
// until its top bit is set, shift x by the same amount into five limbs,
// then reduce one limb at a time. Each step estimates the next quotient
// limb from the top limbs; with a normalized divisor the estimate is at
// most 2 too large (Knuth's Theorem B), so at most two corrections follow.
func mod256(x *[32]byte, d Uint128) Uint128 {
	var v [4]uint64
	for i := range v {
		v[i] = binary.BigEndian.Uint64(x[8*i:])
	}

	if d.Hi == 0 {
		var r uint64
		for _, limb := range v {
			_, r = bits.Div64(r, limb, d.Lo)
		}
		return Uint128{Lo: r}
	}

	s := uint(bits.LeadingZeros64(d.Hi))
	dn := d.shl(s)
	u := [5]uint64{
		v[0] >> (64 - s),
		v[0]<<s | v[1]>>(64-s),
		v[1]<<s | v[2]>>(64-s),
		v[2]<<s | v[3]>>(64-s),
		v[3] << s,
	}

	// r < dn always holds: dn.Hi ≥ 2^63 > r.Hi = 0 here, and each step
	// returns a remainder of dn.
	r := Uint128{Lo: u[0]}
	for _, limb := range u[1:] {
		r = mod192(r.Hi, r.Lo, limb, dn)
	}
	return r.shr(s)
}

// mod192 returns (n2·2^128 + n1·2^64 + n0) mod d, for a normalized d (top
// bit set) and (n2, n1) < d, so that the quotient fits in 64 bits.
func mod192(n2, n1, n0 uint64, d Uint128) Uint128 {
	// Estimate the quotient from the top limbs: q̂ = min(⌊(n2, n1) /
	// d.Hi⌋, 2^64 − 1). Since (n2, n1) < d, n2 ≤ d.Hi; n2 = d.Hi is the
	// only case where the division would overflow.
	q := ^uint64(0)
	if n2 < d.Hi {
		q, _ = bits.Div64(n2, n1, d.Hi)
	}

	// p = q̂·d, three limbs.
	p1a, p0 := bits.Mul64(q, d.Lo)
	p2, p1b := bits.Mul64(q, d.Hi)
	p1, c := bits.Add64(p1a, p1b, 0)
	p2 += c

	// While p > n, q̂ was too large: p −= d. At most twice.
	for p2 > n2 || (p2 == n2 && (p1 > n1 || (p1 == n1 && p0 > n0))) {
		var b uint64
		p0, b = bits.Sub64(p0, d.Lo, 0)
		p1, b = bits.Sub64(p1, d.Hi, b)
		p2 -= b
	}

	// n − p < d fits in two limbs.
	r0, b := bits.Sub64(n0, p0, 0)
	r1, _ := bits.Sub64(n1, p1, b)
	return Uint128{Hi: r1, Lo: r0}
}

// Add returns u + v. Sums of weights stay below 2^120 (see doc.go); a sum
// that would wrap 2^128 is the caller's error.
func (u Uint128) Add(v Uint128) Uint128 { return u.add(v) }
