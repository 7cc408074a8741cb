package ethash

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// reference runs testdata/refethash.py, which asks the C ethash of Debian's
// python3-pyethash, an implementation independent of this one.
type refRequest struct {
	Sizes  []uint64 `json:"sizes"`
	Caches []uint64 `json:"caches"`
	Hashes [][3]any `json:"hashes"`
}

type refAnswer struct {
	Sizes  [][2]uint64 `json:"sizes"`
	Caches []string    `json:"caches"`
	Hashes [][2]string `json:"hashes"`
}

func reference(t *testing.T, req refRequest) refAnswer {
	t.Helper()
	so, _ := filepath.Glob("/usr/lib/python3/dist-packages/pyethash*.so")
	python, err := exec.LookPath("/usr/bin/python3")
	if err != nil {
		python, err = exec.LookPath("python3")
	}
	if len(so) == 0 || err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("python3 and python3-pyethash are needed for the cross-check: run scripts/install-deps")
		}
		t.Skip("python3-pyethash is not installed (scripts/install-deps installs it)")
	}
	in, err := json.Marshal(req)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, "testdata/refethash.py")
	cmd.Stdin = bytes.NewReader(in)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("refethash.py: %v: %s", err, stderr.String())
	}
	var ans refAnswer
	if err := json.Unmarshal(out, &ans); err != nil {
		t.Fatalf("refethash.py answer %q: %v", out, err)
	}
	return ans
}

func TestSizesAgainstReference(t *testing.T) {
	blocks := []uint64{0, 29999, 30000, 60000, 1_000_000, 2_047 * EpochLength}
	ans := reference(t, refRequest{Sizes: blocks})
	for i, b := range blocks {
		e := Epoch(b)
		if got, want := CacheSize(e), ans.Sizes[i][0]; got != want {
			t.Errorf("CacheSize(epoch %d) = %d, reference %d", e, got, want)
		}
		if got, want := DatasetSize(e), ans.Sizes[i][1]; got != want {
			t.Errorf("DatasetSize(epoch %d) = %d, reference %d", e, got, want)
		}
	}
	// The epoch-0 sizes every Ethash implementation starts from.
	if CacheSize(0) != 16776896 || DatasetSize(0) != 1073739904 {
		t.Errorf("epoch 0 sizes %d, %d", CacheSize(0), DatasetSize(0))
	}
}

func TestSeedHash(t *testing.T) {
	if SeedHash(0) != [32]byte{} {
		t.Errorf("seed of epoch 0 is not zero")
	}
	// Keccak-256 of 32 zero bytes, the seed of epoch 1.
	want := "290decd9548b62a8d60345a988386fc84ba6bc95484008f6362f93160ef3e563"
	if got := SeedHash(1); hex.EncodeToString(got[:]) != want {
		t.Errorf("SeedHash(1) = %x, want %s", got, want)
	}
}

func cacheBytes(words []uint32) []byte {
	b := make([]byte, 4*len(words))
	for i, w := range words {
		binary.LittleEndian.PutUint32(b[4*i:], w)
	}
	return b
}

// TestHashimotoAgainstReference compares the epoch-0 cache and light hashes
// of several headers and nonces with the reference.
func TestHashimotoAgainstReference(t *testing.T) {
	type input struct {
		header [32]byte
		nonce  uint64
	}
	var inputs []input
	for i := 0; i < 4; i++ {
		var h [32]byte
		s := sha256.Sum256([]byte{byte(i)})
		copy(h[:], s[:])
		inputs = append(inputs, input{h, uint64(i) * 0x0123456789abcdef})
	}
	inputs = append(inputs, input{[32]byte{}, 0}, input{[32]byte{0xff}, ^uint64(0)})

	req := refRequest{Caches: []uint64{0}}
	for _, in := range inputs {
		req.Hashes = append(req.Hashes, [3]any{0, hex.EncodeToString(in.header[:]), in.nonce})
	}
	ans := reference(t, req)

	l := NewLight(1)
	l.Prepare(0)
	c := l.cacheFor(0)
	if got := sha256.Sum256(cacheBytes(c.cache)); hex.EncodeToString(got[:]) != ans.Caches[0] {
		t.Fatalf("epoch 0 cache sha256 %x, reference %s", got, ans.Caches[0])
	}
	for i, in := range inputs {
		mix, result := l.Hash(0, in.header, in.nonce)
		if hex.EncodeToString(mix[:]) != ans.Hashes[i][0] || hex.EncodeToString(result[:]) != ans.Hashes[i][1] {
			t.Errorf("input %d: mix %x result %x, reference %s %s", i, mix, result, ans.Hashes[i][0], ans.Hashes[i][1])
		}
	}
	if st := l.Stats(); st.CachesGenerated != 1 {
		t.Errorf("%d caches generated for one epoch", st.CachesGenerated)
	}
}

// TestLightCachesBounded checks that a Light keeps at most its bound of
// epoch caches and reuses the ones it keeps, with concurrent callers
// sharing one computation.
func TestLightCachesBounded(t *testing.T) {
	l := NewLight(2)
	l.makeCache = func(epoch uint64) ([]uint32, uint64) {
		// A 17-item cache and a 13-row dataset: enough to hash with.
		c := make([]uint32, 17*hashWords)
		for i := range c {
			c[i] = uint32(i) ^ uint32(epoch)
		}
		return c, 13 * mixBytes
	}
	var wg sync.WaitGroup
	for i := 0; i < 4; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			l.Hash(5, [32]byte{1}, uint64(i))
		}()
	}
	wg.Wait()
	l.Hash(EpochLength, [32]byte{}, 0)
	l.Hash(1, [32]byte{}, 0) // epoch 0 is still kept
	if st := l.Stats(); st.CachesGenerated != 2 || st.Hashes != 6 {
		t.Fatalf("stats %+v, want 2 caches and 6 hashes", st)
	}
	l.Hash(2*EpochLength, [32]byte{}, 0) // evicts epoch 1, the least recent
	l.Hash(0, [32]byte{}, 0)
	if st := l.Stats(); st.CachesGenerated != 3 {
		t.Fatalf("%d caches generated, want 3 (epoch 0 kept)", st.CachesGenerated)
	}
	l.Hash(EpochLength, [32]byte{}, 0)
	if st := l.Stats(); st.CachesGenerated != 4 {
		t.Fatalf("%d caches generated, want 4 (epoch 1 evicted)", st.CachesGenerated)
	}
	l.mu.Lock()
	n := len(l.caches)
	l.mu.Unlock()
	if n != 2 {
		t.Fatalf("%d caches kept, bound 2", n)
	}
}
