package selection

import (
	"crypto/sha256"
	"encoding/binary"
)

// Seed is a 32-byte shuffling seed: an epoch seed from SeedFromMix, or a
// slot's proposer seed from ProposerSeed.
type Seed [32]byte

// MaxListSize is the largest list the swap-or-not shuffle can permute: the
// specification encodes position/256 in four bytes, so it asserts
// index_count <= 2^40.
const MaxListSize = 1 << 40

// The hash input of the shuffle is seed ‖ round ‖ uint32le(position/256).
// The pivot hashes the first 33 bytes; the source, which gives one bit per
// position, hashes all 37.
const (
	roundOffset    = 32
	positionOffset = 33
	pivotInputLen  = 33
	sourceInputLen = 37
)

func checkListSize(count uint64) error {
	if count > MaxListSize {
		return ruleErrorf(ErrListTooLarge, "list of %d entries is larger "+
			"than the shuffle's limit of 2^40", count)
	}
	return nil
}

// pivot is the pivot of one round: the first 8 bytes of
// sha256(seed ‖ round), little-endian, modulo count.
func pivot(buf *[sourceInputLen]byte, round uint8, count uint64) uint64 {
	buf[roundOffset] = round
	h := sha256.Sum256(buf[:pivotInputLen])
	return binary.LittleEndian.Uint64(h[:8]) % count
}

// source hashes seed ‖ round ‖ uint32le(chunk). Bit position%256 of the
// result decides whether the pair whose larger member is position swaps.
// buf[roundOffset] must already hold the round.
func source(buf *[sourceInputLen]byte, chunk uint64) [32]byte {
	binary.LittleEndian.PutUint32(buf[positionOffset:], uint32(chunk))
	return sha256.Sum256(buf[:])
}

// bitAt returns the swap bit for position from its chunk's source hash.
func bitAt(src *[32]byte, position uint64) bool {
	return (src[(position&0xff)>>3]>>(position&7))&1 == 1
}

// swapOrNot applies round to one position, as one step of
// compute_shuffled_index.
func swapOrNot(buf *[sourceInputLen]byte, round uint8, index, count uint64) uint64 {
	p := pivot(buf, round, count)
	flip := (p + count - index) % count
	position := max(index, flip)
	src := source(buf, position>>8)
	if bitAt(&src, position) {
		return flip
	}
	return index
}

// ShuffledIndex is compute_shuffled_index of the Ethereum consensus
// specifications: the position in the original list of the entry that the
// swap-or-not shuffle with seed and rounds moves to position index of a
// list of count entries. Committees are made of the entries at
// ShuffledIndex(i) for consecutive i; see ShuffleList for the whole list at
// once.
//
// Each round hashes twice, so a list is far cheaper to shuffle with
// ShuffleList than one index at a time. rounds is SHUFFLE_ROUND_COUNT (90
// on mainnet, 10 in the minimal preset); zero rounds is the identity.
func ShuffledIndex(index, count uint64, seed Seed, rounds uint8) (uint64, error) {
	if err := checkIndex(index, count); err != nil {
		return 0, err
	}
	var buf [sourceInputLen]byte
	copy(buf[:], seed[:])
	for r := 0; r < int(rounds); r++ {
		index = swapOrNot(&buf, uint8(r), index, count)
	}
	return index, nil
}

// checkIndex refuses a list size the shuffle does not take, and an index
// not below it.
func checkIndex(index, count uint64) error {
	if err := checkListSize(count); err != nil {
		return err
	}
	if index >= count {
		return ruleErrorf(ErrIndexOutOfRange, "index %d is not below "+
			"the list size %d", index, count)
	}
	return nil
}

// UnshuffledIndex is the inverse of ShuffledIndex: the position i with
// ShuffledIndex(i, count, seed, rounds) == index. Every round is an
// involution, so it runs the rounds in reverse order. It tells where an
// entry of the original list (a validator's place among the active ones)
// ends up in the shuffled list, and so in which committee.
func UnshuffledIndex(index, count uint64, seed Seed, rounds uint8) (uint64, error) {
	if err := checkIndex(index, count); err != nil {
		return 0, err
	}
	var buf [sourceInputLen]byte
	copy(buf[:], seed[:])
	for r := int(rounds) - 1; r >= 0; r-- {
		index = swapOrNot(&buf, uint8(r), index, count)
	}
	return index, nil
}

// ShuffleList permutes list in place so that afterwards list[i] holds what
// list[ShuffledIndex(i, len(list), seed, rounds)] held before: the shuffled
// order committees are cut from. It runs each round over the whole list,
// hashing once per 256 positions and once for the pivot, instead of twice
// per round per index.
func ShuffleList(list []uint64, seed Seed, rounds uint8) error {
	return shuffleList(list, seed, rounds, false)
}

// UnshuffleList is the inverse of ShuffleList: afterwards
// list[ShuffledIndex(i, len(list), seed, rounds)] holds what list[i] held
// before.
func UnshuffleList(list []uint64, seed Seed, rounds uint8) error {
	return shuffleList(list, seed, rounds, true)
}

// shuffleList runs the rounds over the whole list. A round with pivot p
// pairs position i with (p - i) mod n, and swaps the pair when the bit at
// the larger of the two is set. The pairs fall in two mirrored ranges,
// [0, p] around p/2 and [p+1, n-1] around (p+n)/2, so the round walks the
// upper half of each range, whose members are each pair's larger position,
// and hashes a new source every 256 positions.
//
// One round maps list to list'[i] = list[f(i)], with f the round's pairing.
// Running rounds R-1 down to 0 composes them as list[f_{R-1}(…f_0(i))],
// which is ShuffledIndex; running them 0 up to R-1 gives the inverse.
func shuffleList(list []uint64, seed Seed, rounds uint8, inverse bool) error {
	n := uint64(len(list))
	if err := checkListSize(n); err != nil {
		return err
	}
	if n <= 1 {
		return nil
	}
	var buf [sourceInputLen]byte
	copy(buf[:], seed[:])
	for k := 0; k < int(rounds); k++ {
		r := uint8(int(rounds) - 1 - k)
		if inverse {
			r = uint8(k)
		}
		p := pivot(&buf, r, n)
		swapRange(list, &buf, p/2+1, p, p)
		swapRange(list, &buf, (p+n)/2+1, n-1, p+n)
	}
	return nil
}

// swapRange visits the upper members i in [lo, hi] of the pairs
// {i, sum-i}, and swaps each pair whose bit at i is set. buf[roundOffset]
// holds the round.
func swapRange(list []uint64, buf *[sourceInputLen]byte, lo, hi, sum uint64) {
	if lo > hi {
		return
	}
	// One source hash per 256 positions; within a chunk the swap is
	// branch-free, since the bits are random and a branch on each would
	// be mispredicted half the time.
	for chunkStart := lo &^ 0xff; chunkStart <= hi; chunkStart += 256 {
		src := source(buf, chunkStart>>8)
		first, last := max(lo, chunkStart), min(hi, chunkStart+255)
		for i := first; i <= last; i++ {
			mask := -uint64((src[(i&0xff)>>3] >> (i & 7)) & 1)
			j := sum - i
			a, b := list[i], list[j]
			x := (a ^ b) & mask
			list[i], list[j] = a^x, b^x
		}
	}
}
