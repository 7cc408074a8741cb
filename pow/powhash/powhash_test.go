package powhash

import (
	"bytes"
	"errors"
	"fmt"
	"math/big"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/pow/ethash"
	"github.com/mainstake/sidenode/pow/randomx"
)

func TestAlgorithmNames(t *testing.T) {
	for a := SHA256d; a <= Ethash; a++ {
		got, err := ParseAlgorithm(a.String())
		if err != nil || got != a {
			t.Errorf("ParseAlgorithm(%q) = %v, %v", a, got, err)
		}
	}
	if a, err := ParseAlgorithm("RandomX"); err != nil || a != RandomX {
		t.Errorf("ParseAlgorithm(RandomX) = %v, %v", a, err)
	}
	for _, bad := range []string{"", "scrypt", "sha256"} {
		if _, err := ParseAlgorithm(bad); err == nil {
			t.Errorf("ParseAlgorithm(%q) accepted", bad)
		}
	}
	if Algorithm(0).Valid() || Algorithm(numAlgorithms+1).Valid() {
		t.Error("an undefined algorithm is valid")
	}
}

func TestErrorCodeStrings(t *testing.T) {
	for c := ErrorCode(0); c < numErrorCodes; c++ {
		if errorCodeStrings[c] == "" {
			t.Errorf("error code %d has no name", int(c))
		}
	}
}

// seeds is a Seeds that answers with a hash of the height and records the
// questions.
type seeds struct {
	mu    sync.Mutex
	asked []int32
}

func seedID(height int32) chainhash.Hash {
	return chainhash.HashH([]byte(fmt.Sprintf("block %d", height)))
}

func (s *seeds) AncestorID(_ chainhash.Hash, height int32) (chainhash.Hash, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.asked = append(s.asked, height)
	return seedID(height), nil
}

var (
	// powLimit is regtest's: just under 2^255.
	powLimit = chaincfg.RegressionNetParams.PowLimit

	// Bits of a target at the limit, about half of all values meet.
	easyBits uint32 = 0x207fffff
	// Bits of a target that one value in 2^32 meets.
	hardBits uint32 = 0x1d00ffff
)

func header(bits uint32, nonce uint32) *wire.BlockHeader {
	return &wire.BlockHeader{
		Version:    4,
		PrevBlock:  chainhash.HashH([]byte("parent")),
		MerkleRoot: chainhash.HashH([]byte("body")),
		Timestamp:  time.Unix(1_800_000_000, 0),
		Bits:       bits,
		Nonce:      nonce,
	}
}

// newFront returns a Front that uses a at every height, with light
// verifiers.
func newFront(t testing.TB, a Algorithm) (*Front, *seeds) {
	t.Helper()
	s := &seeds{}
	f, err := New(Config{
		AlgorithmAt: func(int32) Algorithm { return a },
		PowLimit:    powLimit,
		Seeds:       s,
		RandomX:     randomx.Config{MaxKeys: 2},
	})
	if err != nil {
		t.Fatal(err)
	}
	return f, s
}

func skipWithoutRandomX(t testing.TB, a Algorithm) {
	if a == RandomX && !randomx.Available {
		t.Skip("built without cgo")
	}
}

// TestOneHashPerHeader proves that verifying a header costs at most one
// hash: none for bits that fail the cheap checks, exactly one otherwise,
// whether the header passes or fails.
func TestOneHashPerHeader(t *testing.T) {
	for _, a := range []Algorithm{SHA256d, RandomX, Ethash} {
		t.Run(a.String(), func(t *testing.T) {
			skipWithoutRandomX(t, a)
			f, _ := newFront(t, a)
			v, err := f.Verifier(a)
			if err != nil {
				t.Fatal(err)
			}
			height := int32(3000)
			cheap := []struct {
				bits uint32
				code ErrorCode
			}{
				{0, ErrBadBits},
				{0x01003456, ErrBadBits}, // rounds to zero
				{0x04923456, ErrBadBits}, // negative
				{0x2100ffff, ErrBitsAboveLimit},
				{0xff7fffff, ErrBitsAboveLimit}, // overflows 256 bits
			}
			for _, c := range cheap {
				for i := 0; i < 100; i++ {
					err := f.Verify(header(c.bits, uint32(i)), height)
					if !IsErrorCode(err, c.code) {
						t.Fatalf("bits %08x: %v, want %v", c.bits, err, c.code)
					}
				}
			}
			if err := f.Verify(header(easyBits, 0), -1); !IsErrorCode(err, ErrBadHeight) {
				t.Fatalf("height -1: %v", err)
			}
			if n := v.Hashes(); n != 0 {
				t.Fatalf("%d hashes for headers refused by the cheap checks", n)
			}

			// Ready: only SHA-256d has nothing to build before hashing.
			if ready, err := f.Ready(header(hardBits, 0), height); err != nil || ready != (a == SHA256d) {
				t.Fatalf("ready before any hash: %v, %v", ready, err)
			}

			const flood = 5
			for i := 0; i < flood; i++ {
				err := f.Verify(header(hardBits, uint32(i)), height)
				if !IsErrorCode(err, ErrHighHash) {
					t.Fatalf("hard header %d: %v, want ErrHighHash", i, err)
				}
			}
			if n := v.Hashes(); n != flood {
				t.Fatalf("%d hashes for %d headers with too little work", n, flood)
			}

			// Mine an easy header: every try, passing or not, is one hash.
			tries := uint64(0)
			for nonce := uint32(0); ; nonce++ {
				tries++
				err := f.Verify(header(easyBits, nonce), height)
				if err == nil {
					break
				}
				if !IsErrorCode(err, ErrHighHash) || tries > 64 {
					t.Fatalf("easy header, nonce %d: %v", nonce, err)
				}
			}
			if n := v.Hashes(); n != flood+tries {
				t.Fatalf("%d hashes for %d verifications", n, flood+tries)
			}
			// Now the key or epoch of height is built; another one is not.
			if ready, err := f.Ready(header(hardBits, 0), height); err != nil || !ready {
				t.Fatalf("ready after hashing: %v, %v", ready, err)
			}
			far := height + 30000 // another Ethash epoch, another RandomX key
			if ready, err := f.Ready(header(hardBits, 0), far); err != nil || ready != (a == SHA256d) {
				t.Fatalf("ready at height %d: %v, %v", far, ready, err)
			}
			if n := v.Hashes(); n != flood+tries {
				t.Fatalf("Ready computed hashes: %d", n)
			}
			ok, err := f.CheckProofOfWork(header(hardBits, 0), height, big.NewInt(0))
			if ok || err != nil || v.Hashes() != flood+tries {
				t.Fatalf("zero target: %v, %v, %d hashes", ok, err, v.Hashes())
			}
		})
	}
}

// TestBindings pins how each algorithm reads a header: which bytes it
// hashes, under which key, and how its hash becomes a number.
func TestBindings(t *testing.T) {
	hdr := header(easyBits, 7)
	height := int32(5000)

	f, _ := newFront(t, SHA256d)
	value, _, err := f.PowValue(hdr, height)
	if err != nil {
		t.Fatal(err)
	}
	id := hdr.BlockHash()
	if value.Cmp(blockchain.HashToBig(&id)) != 0 {
		t.Errorf("sha256d value %x is not the block ID read little-endian", value)
	}

	f, _ = newFront(t, Ethash)
	value, _, err = f.PowValue(hdr, height)
	if err != nil {
		t.Fatal(err)
	}
	hh := EthashHeaderHash(hdr)
	_, result := ethash.NewLight(1).Hash(uint64(height), hh, 7)
	if value.Cmp(new(big.Int).SetBytes(result[:])) != 0 {
		t.Errorf("ethash value %x is not the result read big-endian", value)
	}
	other := *hdr
	other.Nonce++
	if EthashHeaderHash(&other) != hh {
		t.Error("the ethash header hash covers the nonce")
	}
	other = *hdr
	other.Timestamp = other.Timestamp.Add(time.Second)
	if EthashHeaderHash(&other) == hh {
		t.Error("the ethash header hash does not cover the time")
	}

	if !randomx.Available {
		return
	}
	f, s := newFront(t, RandomX)
	value, _, err = f.PowValue(hdr, height)
	if err != nil {
		t.Fatal(err)
	}
	// 5000 is keyed by the block at 4096, Monero's rule.
	if len(s.asked) != 1 || s.asked[0] != 4096 {
		t.Fatalf("seed heights asked: %v, want [4096]", s.asked)
	}
	rx, err := randomx.New(randomx.Config{MaxKeys: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer rx.Close()
	key := seedID(4096)
	h, err := rx.Hash(key[:], headerBytes(hdr))
	if err != nil {
		t.Fatal(err)
	}
	ch := chainhash.Hash(h)
	if value.Cmp(blockchain.HashToBig(&ch)) != 0 {
		t.Errorf("randomx value %x is not the hash of the 80 bytes under the seed ID, read little-endian", value)
	}
}

// TestUnavailable checks that an algorithm the node cannot compute refuses
// headers with an error that is not a rule error, so that no peer is
// blamed, and that the other algorithms still work.
func TestUnavailable(t *testing.T) {
	alg := func(h int32) Algorithm {
		if h >= 100 {
			return RandomX
		}
		return SHA256d
	}
	f, err := NewFront(alg, powLimit, &seeds{}, NewSHA256d(), Unavailable(RandomX, randomx.ErrNoCgo))
	if err != nil {
		t.Fatal(err)
	}
	if err := f.Verify(header(easyBits, 0), 99); err != nil && !IsErrorCode(err, ErrHighHash) {
		t.Fatalf("sha256d height: %v", err)
	}
	err = f.Verify(header(easyBits, 0), 100)
	var rerr RuleError
	if !errors.Is(err, randomx.ErrNoCgo) || errors.As(err, &rerr) {
		t.Fatalf("randomx height without randomx: %v", err)
	}
	if _, err := f.Verifier(Ethash); err == nil {
		t.Fatal("a missing verifier was found")
	}
}

// FuzzVerify feeds arbitrary 80-byte headers and heights to a SHA-256d
// Front: it never panics, it answers nil or a rule error, and it computes at
// most one hash per header (none when the bits fail the cheap checks).
func FuzzVerify(f *testing.F) {
	seed := func(h *wire.BlockHeader) []byte { return headerBytes(h) }
	f.Add(seed(header(easyBits, 0)), int32(0))
	f.Add(seed(header(hardBits, 1)), int32(5000))
	f.Add(seed(header(0, 0)), int32(1))
	f.Add(seed(header(0x04923456, 0)), int32(1))
	f.Add(seed(header(0xff7fffff, 0)), int32(-1))
	f.Add(seed(&chaincfg.RegressionNetParams.GenesisBlock.Header), int32(0))
	front, err := NewFront(func(int32) Algorithm { return SHA256d }, powLimit, nil, NewSHA256d())
	if err != nil {
		f.Fatal(err)
	}
	v, _ := front.Verifier(SHA256d)
	f.Fuzz(func(t *testing.T, raw []byte, height int32) {
		if len(raw) != wire.MaxBlockHeaderPayload {
			return
		}
		var hdr wire.BlockHeader
		if err := hdr.Deserialize(bytes.NewReader(raw)); err != nil {
			t.Fatalf("80 bytes did not deserialize: %v", err)
		}
		before := v.Hashes()
		err := front.Verify(&hdr, height)
		var rerr RuleError
		if err != nil && !errors.As(err, &rerr) {
			t.Fatalf("not a rule error: %v", err)
		}
		n := v.Hashes() - before
		if n > 1 {
			t.Fatalf("%d hashes for one header", n)
		}
		if (IsErrorCode(err, ErrBadBits) || IsErrorCode(err, ErrBitsAboveLimit)) && n != 0 {
			t.Fatalf("a hash for bits refused by the cheap checks: %v", err)
		}
		if err == nil || IsErrorCode(err, ErrHighHash) {
			id := hdr.BlockHash()
			value := blockchain.HashToBig(&id)
			if (value.Cmp(blockchain.CompactToBig(hdr.Bits)) <= 0) != (err == nil) {
				t.Fatalf("verdict %v for value %x and bits %08x", err, value, hdr.Bits)
			}
		}
	})
}
