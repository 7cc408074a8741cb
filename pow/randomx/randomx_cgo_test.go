//go:build cgo

package randomx

import (
	"encoding/hex"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
)

// The reference test vectors of tevador/RandomX (src/tests/tests.cpp,
// RandomX v1): key, input, hash.
var vectors = []struct{ key, input, hash string }{
	{"test key 000", "This is a test", "639183aae1bf4c9a35884cb46b09cad9175f04efd7684e7262a0ac1c2f0b4e3f"},
	{"test key 000", "Lorem ipsum dolor sit amet", "300a0adb47603dedb42228ccb2b211104f4da45af709cd7547cd049e9489c969"},
	{"test key 000", "sed do eiusmod tempor incididunt ut labore et dolore magna aliqua", "c36d4ed4191e617309867ed66a443be4075014e2b061bcdaf9ce7b721d2b77a8"},
	{"test key 001", "sed do eiusmod tempor incididunt ut labore et dolore magna aliqua", "e9ff4503201c0c2cca26d285c93ae883f9b1d30c9eb240b820756f2d5a7905fc"},
}

// A binary input from the same tests (a Monero block hashing blob).
const (
	binaryKey   = "test key 001"
	binaryInput = "0b0b98bea7e805e0010a2126d287a2a0cc833d312cb786385a7c2f9de69d25537f584a9bc9977b00000000666fd8753bf61a8631f12984e3fd44f4014eca629276817b56f32e9b68bd82f416"
	binaryHash  = "c56414121acda1713c2f2a819d8ae38aed7c80c35c2a769298d34f03833cd5f1"
)

func newLight(t *testing.T, cfg Config) *Hasher {
	t.Helper()
	h, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(h.Close)
	return h
}

// TestVectors checks the reference vectors in light mode, and that two keys
// make two caches and one VM each, reused for every hash under the key.
func TestVectors(t *testing.T) {
	h := newLight(t, Config{})
	for i, v := range vectors {
		got, err := h.Hash([]byte(v.key), []byte(v.input))
		if err != nil {
			t.Fatal(err)
		}
		if hex.EncodeToString(got[:]) != v.hash {
			t.Errorf("vector %d: %x, want %s", i, got, v.hash)
		}
	}
	in, _ := hex.DecodeString(binaryInput)
	got, err := h.Hash([]byte(binaryKey), in)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(got[:]) != binaryHash {
		t.Errorf("binary vector: %x, want %s", got, binaryHash)
	}
	st := h.Stats()
	if st.Caches != 2 || st.VMs != 2 || st.Hashes != 5 || st.Datasets != 0 {
		t.Errorf("stats %+v, want 2 caches, 2 VMs, 5 hashes, no dataset", st)
	}
}

// TestVMReuse proves that hashing does not allocate a VM per call: many
// sequential and concurrent hashes under one key create at most as many
// VMs as there are concurrent callers.
func TestVMReuse(t *testing.T) {
	h := newLight(t, Config{MaxVMsPerKey: 2})
	key := []byte("test key 000")
	for i := 0; i < 10; i++ {
		if _, err := h.Hash(key, []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if st := h.Stats(); st.VMs != 1 || st.Caches != 1 {
		t.Fatalf("after 10 sequential hashes: %+v, want 1 VM and 1 cache", st)
	}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				if _, err := h.Hash(key, []byte{byte(g), byte(i)}); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	if st := h.Stats(); st.VMs > 2 || st.Caches != 1 || st.Hashes != 30 {
		t.Fatalf("after 20 concurrent hashes: %+v, want at most 2 VMs, 1 cache, 30 hashes", st)
	}
}

// TestKeyRotation checks the bounded LRU of keys: the current and the next
// key stay, a third evicts the least recently used, and coming back to an
// evicted key rebuilds its cache.
func TestKeyRotation(t *testing.T) {
	h := newLight(t, Config{MaxKeys: 2})
	a, b, c := []byte("test key 000"), []byte("test key 001"), []byte("test key 002")
	want, _ := hex.DecodeString(vectors[0].hash)
	hash := func(key []byte) {
		t.Helper()
		got, err := h.Hash(key, []byte(vectors[0].input))
		if err != nil {
			t.Fatal(err)
		}
		if string(key) == vectors[0].key && string(got[:]) != string(want) {
			t.Fatalf("hash under %q after rotation: %x", key, got)
		}
	}
	hash(a)
	if err := h.Prepare(b); err != nil { // the next key, ahead of need
		t.Fatal(err)
	}
	hash(b)
	hash(a)
	if st := h.Stats(); st.Caches != 2 {
		t.Fatalf("%d caches for two keys", st.Caches)
	}
	hash(c) // evicts b, the least recently used
	hash(a)
	if st := h.Stats(); st.Caches != 3 {
		t.Fatalf("%d caches, want 3: a is kept", st.Caches)
	}
	hash(b)
	if st := h.Stats(); st.Caches != 4 {
		t.Fatalf("%d caches, want 4: b was evicted", st.Caches)
	}
	h.mu.Lock()
	n := len(h.keys)
	h.mu.Unlock()
	if n != 2 {
		t.Fatalf("%d keys kept, bound 2", n)
	}
}

func TestClosed(t *testing.T) {
	h := newLight(t, Config{})
	h.Close()
	if _, err := h.Hash([]byte("k"), nil); err != ErrClosed {
		t.Fatalf("hash after close: %v", err)
	}
}

// TestFullMode checks the vectors with the 2 GiB dataset. It is off unless
// SIDENODE_RANDOMX_FULL=1: CI never builds a dataset.
func TestFullMode(t *testing.T) {
	if os.Getenv("SIDENODE_RANDOMX_FULL") != "1" {
		t.Skip("set SIDENODE_RANDOMX_FULL=1 to build a 2 GiB dataset")
	}
	h := newLight(t, Config{Full: true, MaxKeys: 1})
	v := vectors[0]
	got, err := h.Hash([]byte(v.key), []byte(v.input))
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(got[:]) != v.hash {
		t.Errorf("full mode: %x, want %s", got, v.hash)
	}
	if st := h.Stats(); st.Datasets != 1 {
		t.Errorf("stats %+v", st)
	}
}

// TestBuildWithoutCgo builds and tests this package with CGO_ENABLED=0,
// where New must refuse with ErrNoCgo (randomx_nocgo_test.go).
func TestBuildWithoutCgo(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the go tool")
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool in PATH")
	}
	cmd := exec.Command(goTool, "test", "-count=1", "-run", "TestNoCgo", "-v", ".")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("CGO_ENABLED=0 go test: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "--- PASS: TestNoCgo") {
		t.Fatalf("CGO_ENABLED=0 go test ran no TestNoCgo:\n%s", out)
	}
}
