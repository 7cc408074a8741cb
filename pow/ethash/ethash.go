package ethash

import (
	"encoding/binary"
	"hash"
	"sync"
	"sync/atomic"

	"golang.org/x/crypto/sha3"
)

// The Ethash parameters (revision 23, the one Ethereum's mainnet ran).
const (
	// EpochLength is the number of blocks an epoch lasts: every block
	// of epoch e = height / EpochLength uses the same cache and dataset.
	EpochLength = 30000

	wordBytes          = 4
	datasetBytesInit   = 1 << 30
	datasetBytesGrowth = 1 << 23
	cacheBytesInit     = 1 << 24
	cacheBytesGrowth   = 1 << 17
	mixBytes           = 128
	hashBytes          = 64
	hashWords          = hashBytes / wordBytes // 16
	mixWords           = mixBytes / wordBytes  // 32
	datasetParents     = 256
	cacheRounds        = 3
	accesses           = 64
	fnvPrime           = 0x01000193

	// DefaultMaxCaches is the number of epoch caches a Light keeps when
	// NewLight is given zero: the current epoch's and the next one's.
	DefaultMaxCaches = 2
)

// Epoch returns the epoch of a block height.
func Epoch(height uint64) uint64 {
	return height / EpochLength
}

func isPrime(n uint64) bool {
	if n < 2 {
		return false
	}
	if n%2 == 0 {
		return n == 2
	}
	for d := uint64(3); d*d <= n; d += 2 {
		if n%d == 0 {
			return false
		}
	}
	return true
}

// CacheSize returns the size in bytes of the cache of an epoch: the largest
// multiple of 64 bytes below 16 MiB + epoch·128 KiB whose count of 64-byte
// items is prime.
func CacheSize(epoch uint64) uint64 {
	sz := cacheBytesInit + cacheBytesGrowth*epoch - hashBytes
	for !isPrime(sz / hashBytes) {
		sz -= 2 * hashBytes
	}
	return sz
}

// DatasetSize returns the size in bytes of the full dataset of an epoch:
// the largest multiple of 128 bytes below 1 GiB + epoch·8 MiB whose count
// of 128-byte rows is prime.
func DatasetSize(epoch uint64) uint64 {
	sz := datasetBytesInit + datasetBytesGrowth*epoch - mixBytes
	for !isPrime(sz / mixBytes) {
		sz -= 2 * mixBytes
	}
	return sz
}

// SeedHash returns the seed of an epoch's cache: Keccak-256 applied epoch
// times to 32 zero bytes.
func SeedHash(epoch uint64) [32]byte {
	var seed [32]byte
	k := sha3.NewLegacyKeccak256()
	for i := uint64(0); i < epoch; i++ {
		k.Reset()
		k.Write(seed[:])
		k.Sum(seed[:0])
	}
	return seed
}

func fnv(a, b uint32) uint32 {
	return a*fnvPrime ^ b
}

// keccak writes Keccak of in to out, which must have room for the digest.
func keccak(k hash.Hash, out, in []byte) {
	k.Reset()
	k.Write(in)
	k.Sum(out[:0])
}

// MakeCache computes the cache of an epoch, as little-endian 32-bit words.
// It takes about a second at epoch 0; Light calls it once per epoch.
func MakeCache(epoch uint64) []uint32 {
	size := CacheSize(epoch)
	n := int(size / hashBytes)
	buf := make([]byte, size)
	k := sha3.NewLegacyKeccak512()
	seed := SeedHash(epoch)
	keccak(k, buf[0:hashBytes], seed[:])
	for i := 1; i < n; i++ {
		keccak(k, buf[i*hashBytes:(i+1)*hashBytes], buf[(i-1)*hashBytes:i*hashBytes])
	}
	var tmp [hashBytes]byte
	for r := 0; r < cacheRounds; r++ {
		for i := 0; i < n; i++ {
			prev := buf[((i+n-1)%n)*hashBytes:]
			v := int(binary.LittleEndian.Uint32(buf[i*hashBytes:]) % uint32(n))
			other := buf[v*hashBytes:]
			for j := range tmp {
				tmp[j] = prev[j] ^ other[j]
			}
			keccak(k, buf[i*hashBytes:(i+1)*hashBytes], tmp[:])
		}
	}
	words := make([]uint32, size/wordBytes)
	for i := range words {
		words[i] = binary.LittleEndian.Uint32(buf[i*wordBytes:])
	}
	return words
}

// hasher holds the Keccak states and buffers one hash uses, so that a
// computation does not allocate per dataset item.
type hasher struct {
	k512 hash.Hash
	k256 hash.Hash
	buf  [hashBytes]byte
}

func newHasher() *hasher {
	return &hasher{k512: sha3.NewLegacyKeccak512(), k256: sha3.NewLegacyKeccak256()}
}

// keccak512Words replaces w by Keccak-512 of its little-endian bytes.
func (h *hasher) keccak512Words(w *[hashWords]uint32) {
	for i, v := range w {
		binary.LittleEndian.PutUint32(h.buf[i*wordBytes:], v)
	}
	keccak(h.k512, h.buf[:], h.buf[:])
	for i := range w {
		w[i] = binary.LittleEndian.Uint32(h.buf[i*wordBytes:])
	}
}

// datasetItem derives the dataset's 64-byte item i from the cache.
func (h *hasher) datasetItem(cache []uint32, i uint32, out *[hashWords]uint32) {
	n := uint32(len(cache) / hashWords)
	copy(out[:], cache[(i%n)*hashWords:])
	out[0] ^= i
	h.keccak512Words(out)
	for j := uint32(0); j < datasetParents; j++ {
		parent := fnv(i^j, out[j%hashWords]) % n
		p := cache[parent*hashWords : (parent+1)*hashWords]
		for k := range out {
			out[k] = fnv(out[k], p[k])
		}
	}
	h.keccak512Words(out)
}

// HashimotoLight computes Ethash for a header hash and a nonce from an
// epoch's cache and the size of its full dataset, deriving the dataset
// items it touches. It returns the mix digest and the result; the result is
// what a target is compared with.
func HashimotoLight(cache []uint32, datasetSize uint64, headerHash [32]byte, nonce uint64) (mix, result [32]byte) {
	return newHasher().hashimoto(cache, datasetSize, headerHash, nonce)
}

func (h *hasher) hashimoto(cache []uint32, datasetSize uint64, headerHash [32]byte, nonce uint64) (mixDigest, result [32]byte) {
	var seedIn [40]byte
	copy(seedIn[:], headerHash[:])
	binary.LittleEndian.PutUint64(seedIn[32:], nonce)
	var s [hashBytes]byte
	keccak(h.k512, s[:], seedIn[:])
	s0 := binary.LittleEndian.Uint32(s[:])

	var mix [mixWords]uint32
	for i := range mix {
		mix[i] = binary.LittleEndian.Uint32(s[(i%hashWords)*wordBytes:])
	}
	rows := uint32(datasetSize / mixBytes)
	var item [hashWords]uint32
	for i := uint32(0); i < accesses; i++ {
		p := fnv(i^s0, mix[i%mixWords]) % rows * 2
		for half := uint32(0); half < 2; half++ {
			h.datasetItem(cache, p+half, &item)
			for k := range item {
				mix[half*hashWords+uint32(k)] = fnv(mix[half*hashWords+uint32(k)], item[k])
			}
		}
	}
	for i := 0; i < len(mix); i += 4 {
		c := fnv(fnv(fnv(mix[i], mix[i+1]), mix[i+2]), mix[i+3])
		binary.LittleEndian.PutUint32(mixDigest[i:], c)
	}
	var final [hashBytes + 32]byte
	copy(final[:], s[:])
	copy(final[hashBytes:], mixDigest[:])
	keccak(h.k256, result[:], final[:])
	return mixDigest, result
}

// epochCache is one epoch's cache, computed once; ready closes when it is.
type epochCache struct {
	epoch   uint64
	ready   chan struct{}
	cache   []uint32
	dataset uint64
}

// Light verifies Ethash in light mode. It keeps at most a fixed number of
// epoch caches, evicting the least recently used, and is safe for
// concurrent use: concurrent callers for an epoch wait for one computation
// of its cache.
type Light struct {
	max int
	// makeCache computes an epoch's cache and dataset size (tests make
	// small ones).
	makeCache func(epoch uint64) ([]uint32, uint64)
	mu        sync.Mutex
	caches    []*epochCache // most recently used last
	hashers   sync.Pool
	generated atomic.Uint64
	hashes    atomic.Uint64
}

// NewLight returns a Light that keeps at most maxCaches epoch caches (16
// MiB and more each); zero means DefaultMaxCaches.
func NewLight(maxCaches int) *Light {
	if maxCaches <= 0 {
		maxCaches = DefaultMaxCaches
	}
	l := &Light{max: maxCaches, makeCache: func(epoch uint64) ([]uint32, uint64) {
		return MakeCache(epoch), DatasetSize(epoch)
	}}
	l.hashers.New = func() any { return newHasher() }
	return l
}

// cacheFor returns the epoch's cache, computing it when no cache holds it.
func (l *Light) cacheFor(epoch uint64) *epochCache {
	l.mu.Lock()
	for i, c := range l.caches {
		if c.epoch == epoch {
			l.caches = append(append(l.caches[:i:i], l.caches[i+1:]...), c)
			l.mu.Unlock()
			<-c.ready
			return c
		}
	}
	c := &epochCache{epoch: epoch, ready: make(chan struct{})}
	if len(l.caches) >= l.max {
		l.caches = append(l.caches[:0:0], l.caches[len(l.caches)-l.max+1:]...)
	}
	l.caches = append(l.caches, c)
	l.mu.Unlock()

	c.cache, c.dataset = l.makeCache(epoch)
	l.generated.Add(1)
	close(c.ready)
	return c
}

// Cached reports whether the cache of the epoch of height is kept (or
// being computed), so that a hash there needs no new cache.
func (l *Light) Cached(height uint64) bool {
	epoch := Epoch(height)
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range l.caches {
		if c.epoch == epoch {
			return true
		}
	}
	return false
}

// Prepare computes the cache of the epoch of height ahead of need (a node
// calls it for the next epoch as the current one nears its end).
func (l *Light) Prepare(height uint64) {
	l.cacheFor(Epoch(height))
}

// Hash computes Ethash for the block at height from its header hash and
// nonce, in light mode: one hashimoto over the epoch's cache.
func (l *Light) Hash(height uint64, headerHash [32]byte, nonce uint64) (mixDigest, result [32]byte) {
	c := l.cacheFor(Epoch(height))
	h := l.hashers.Get().(*hasher)
	mixDigest, result = h.hashimoto(c.cache, c.dataset, headerHash, nonce)
	l.hashers.Put(h)
	l.hashes.Add(1)
	return mixDigest, result
}

// Stats counts what a Light has computed.
type Stats struct {
	// CachesGenerated is how many epoch caches were computed.
	CachesGenerated uint64
	// Hashes is how many hashimoto computations were made.
	Hashes uint64
}

// Stats returns the counters.
func (l *Light) Stats() Stats {
	return Stats{CachesGenerated: l.generated.Load(), Hashes: l.hashes.Load()}
}
