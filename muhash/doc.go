/*
Package muhash is a multiplicative hash of a set of byte strings, of the
MuHash3072 kind that Bitcoin Core uses for its UTXO set hash: elements can be
added and removed in any order, each at a constant cost, and the result is
the same for the same set however it was built.

# The math

Let p = 2^3072 - 1103717, the largest 3072-bit safe prime. An element, a
byte string d, maps to the number

	n(d) = LE(ChaCha20(key = SHA256(d), nonce = 12 zero bytes, counter 0)[0:384])

that is, the first 384 bytes of the ChaCha20 keystream (RFC 8439 block
function, block counter starting at 0) keyed with the SHA256 digest of d,
read as a little-endian integer. The hash of a multiset S is

	SHA256(LE384( prod_{d in S} n(d) mod p ))

where LE384 writes the number as 384 bytes, little-endian. The empty set's
product is 1, so its hash is SHA256 of the byte 0x01 followed by 383 zero
bytes (EmptyDigest).

A Set keeps a numerator (the product of the elements added) and a
denominator (the product of those removed), both mod p, so that Insert and
Remove are one multiplication each; Finalize does the one modular inversion
that combines them. Removing an element that was never added is not an
error: the set is then a multiset with negative multiplicities, and adding
the element back cancels it.

Unlike XOR or a sum modulo 2^256 of element hashes, which an adversary who
chooses the elements can make collide with generalized birthday or linear
algebra attacks, the product in this group has no known attack cheaper than
the discrete logarithm in a 3072-bit field.

The results match Bitcoin Core's MuHash3072 (src/crypto/muhash.cpp): the
package's tests check Core's own known answer for
{0x00‖0^31, 0x01‖0^31} / {0x02‖0^31}.
*/
package muhash
