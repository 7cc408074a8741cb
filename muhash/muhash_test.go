package muhash

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"math/rand"
	"testing"
)

// fromInt is the 32-byte element {i, 0, ..., 0} of Bitcoin Core's tests.
func fromInt(i byte) []byte {
	d := make([]byte, 32)
	d[0] = i
	return d
}

func reversedHex(t *testing.T, s string) [32]byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		t.Fatalf("bad hex %q", s)
	}
	var out [32]byte
	for i := range b {
		out[i] = b[31-i]
	}
	return out
}

// TestCoreVector checks Bitcoin Core's known answer (crypto_tests.cpp,
// muhash_tests): {0} * {1} / {2}, shown there as a uint256, that is with
// its bytes reversed.
func TestCoreVector(t *testing.T) {
	want := reversedHex(t, "10d312b100cbd32ada024a6646e40d3482fcff103668d2625f10002a607d5863")
	s := New()
	s.Insert(fromInt(0))
	s.Insert(fromInt(1))
	s.Remove(fromInt(2))
	if got := s.Finalize(); got != want {
		t.Fatalf("got %x, want %x", got, want)
	}
}

// TestEmpty pins the empty set's hash: SHA256 of the number 1 as 384
// little-endian bytes.
func TestEmpty(t *testing.T) {
	var one [ByteSize]byte
	one[0] = 1
	want := sha256.Sum256(one[:])
	if EmptyDigest != want {
		t.Fatalf("EmptyDigest %x, want %x", EmptyDigest, want)
	}
	if hex.EncodeToString(want[:]) != "c85525462fdcf30a2c18d6f4b92923000974355c2477f59594d2c205a1d25add" {
		t.Fatalf("empty set hash %x differs from the documented value", want)
	}
	if got := New().Finalize(); got != want {
		t.Fatalf("New().Finalize() %x, want %x", got, want)
	}
	s := New()
	s.Insert([]byte("x"))
	s.Remove([]byte("x"))
	if got := s.Finalize(); got != want {
		t.Fatalf("insert then remove: %x, want the empty set %x", got, want)
	}
}

// TestRemoveInvertsInsert: removing what was added restores the hash, in
// either order, also with other elements around.
func TestRemoveInvertsInsert(t *testing.T) {
	base := New()
	base.Insert([]byte("a"))
	base.Insert([]byte("b"))
	want := base.Clone().Finalize()

	s := base.Clone()
	s.Insert([]byte("c"))
	if s.Clone().Finalize() == want {
		t.Fatal("inserting c did not change the hash")
	}
	s.Remove([]byte("c"))
	if got := s.Finalize(); got != want {
		t.Fatalf("insert+remove: %x, want %x", got, want)
	}

	s = base.Clone()
	s.Remove([]byte("c"))
	s.Insert([]byte("c"))
	if got := s.Finalize(); got != want {
		t.Fatalf("remove+insert: %x, want %x", got, want)
	}
}

// TestOrderIndependence builds the same multiset in random orders, with
// inserts and removes interleaved, and through Combine and Encode/Decode.
func TestOrderIndependence(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	type op struct {
		d      []byte
		remove bool
	}
	var ops []op
	for i := 0; i < 40; i++ {
		d := []byte{byte(rng.Intn(12)), byte(i % 3)}
		ops = append(ops, op{d: d, remove: rng.Intn(3) == 0})
	}
	run := func(order []int) [32]byte {
		s := New()
		for i, j := range order {
			if ops[j].remove {
				s.Remove(ops[j].d)
			} else {
				s.Insert(ops[j].d)
			}
			if i == len(order)/2 {
				// Round trip through the stored form midway.
				enc := s.Encode()
				var err error
				if s, err = Decode(enc[:]); err != nil {
					t.Fatal(err)
				}
			}
		}
		return s.Finalize()
	}
	order := rng.Perm(len(ops))
	want := run(order)
	for k := 0; k < 5; k++ {
		if got := run(rng.Perm(len(ops))); got != want {
			t.Fatalf("order %d: %x, want %x", k, got, want)
		}
	}
	// Two halves combined.
	a, b := New(), New()
	for i, o := range ops {
		s := a
		if i%2 == 1 {
			s = b
		}
		if o.remove {
			s.Remove(o.d)
		} else {
			s.Insert(o.d)
		}
	}
	a.Combine(b)
	if got := a.Finalize(); got != want {
		t.Fatalf("combined: %x, want %x", got, want)
	}
}

// TestCommutative: x*y == y*x, and {x,y}/{x*y} is empty (Core's check).
func TestCommutative(t *testing.T) {
	x, y := New(), New()
	x.Insert(fromInt(3))
	y.Insert(fromInt(7))
	xy := x.Clone()
	xy.Combine(y)
	yx := y.Clone()
	yx.Combine(x)
	if xy.Finalize() != yx.Finalize() {
		t.Fatal("x*y != y*x")
	}
	if x.Finalize() == y.Finalize() {
		t.Fatal("distinct elements hash alike")
	}
}

func TestDecodeRefuses(t *testing.T) {
	bad := [][]byte{
		nil,
		make([]byte, ByteSize-1),
		make([]byte, ByteSize),               // zero
		bytes.Repeat([]byte{0xff}, ByteSize), // >= p
	}
	for i, b := range bad {
		if _, err := Decode(b); err != ErrBadEncoding {
			t.Errorf("case %d: %v, want ErrBadEncoding", i, err)
		}
	}
}

func BenchmarkInsert(b *testing.B) {
	s := New()
	d := make([]byte, 80)
	for i := 0; i < b.N; i++ {
		d[0] = byte(i)
		s.Insert(d)
	}
}

func BenchmarkFinalize(b *testing.B) {
	s := New()
	for i := 0; i < b.N; i++ {
		s.Remove([]byte{byte(i)})
		s.Finalize()
	}
}
