//go:build cgo

package randomx

/*
#cgo LDFLAGS: -lrandomx
#include <randomx.h>
*/
import "C"

import (
	"errors"
	"fmt"
	"runtime"
	"sync"
	"unsafe"
)

// Available reports whether this build can compute RandomX: true, it was
// built with cgo against librandomx.
const Available = true

// keyState is everything a Hasher holds for one key. Its fields after
// ready are guarded by Hasher.mu.
type keyState struct {
	key   string
	ready chan struct{} // closed once cache (and dataset) are built
	err   error         // set before ready closes when building failed

	cache   *C.randomx_cache
	dataset *C.randomx_dataset

	idle    []*C.randomx_vm // VMs not in use
	vms     int             // VMs created, idle or in use
	users   int             // callers holding the key
	evicted bool            // out of the LRU; released by its last user
}

// Hasher computes RandomX hashes with per-key caches and VM pools. It is
// safe for concurrent use.
type Hasher struct {
	flags   C.randomx_flags
	full    bool
	maxKeys int
	maxVMs  int

	mu     sync.Mutex
	vmFree *sync.Cond  // signalled when a VM goes back to a pool
	keys   []*keyState // most recently used last
	closed bool
	stats  Stats
}

// New returns a Hasher. It allocates nothing until the first key is used.
func New(cfg Config) (*Hasher, error) {
	h := &Hasher{
		flags:   C.randomx_get_flags(),
		full:    cfg.Full,
		maxKeys: cfg.MaxKeys,
		maxVMs:  cfg.MaxVMsPerKey,
	}
	if h.maxKeys <= 0 {
		h.maxKeys = DefaultMaxKeys
	}
	if h.maxVMs <= 0 {
		h.maxVMs = runtime.GOMAXPROCS(0)
	}
	h.vmFree = sync.NewCond(&h.mu)
	return h, nil
}

// Prepare builds the key's cache (and dataset in full mode) ahead of need,
// as a node does for the next seed.
func (h *Hasher) Prepare(key []byte) error {
	k, err := h.acquire(key)
	if err != nil {
		return err
	}
	h.mu.Lock()
	h.releaseKey(k)
	h.mu.Unlock()
	return nil
}

// Hash computes the RandomX hash of input under key, with a VM from the
// key's pool.
func (h *Hasher) Hash(key, input []byte) ([HashSize]byte, error) {
	var out [HashSize]byte
	k, err := h.acquire(key)
	if err != nil {
		return out, err
	}
	vm, err := h.takeVM(k)
	if err != nil {
		h.mu.Lock()
		h.releaseKey(k)
		h.mu.Unlock()
		return out, err
	}
	var in unsafe.Pointer
	if len(input) > 0 {
		in = unsafe.Pointer(&input[0])
	}
	C.randomx_calculate_hash(vm, in, C.size_t(len(input)), unsafe.Pointer(&out[0]))
	runtime.KeepAlive(input)

	h.mu.Lock()
	k.idle = append(k.idle, vm)
	h.stats.Hashes++
	h.releaseKey(k)
	h.vmFree.Broadcast()
	h.mu.Unlock()
	return out, nil
}

// acquire returns the key's state with a user counted on it, building its
// cache when no kept key matches.
func (h *Hasher) acquire(key []byte) (*keyState, error) {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return nil, ErrClosed
	}
	var k *keyState
	for i, s := range h.keys {
		if s.key == string(key) {
			k = s
			h.keys = append(append(h.keys[:i:i], h.keys[i+1:]...), s)
			break
		}
	}
	build := false
	if k == nil {
		k = &keyState{key: string(key), ready: make(chan struct{})}
		build = true
		h.keys = append(h.keys, k)
		for len(h.keys) > h.maxKeys {
			old := h.keys[0]
			h.keys = h.keys[1:]
			old.evicted = true
			if old.users == 0 {
				h.free(old)
			}
		}
	}
	k.users++
	h.mu.Unlock()

	if build {
		err := h.build(k)
		h.mu.Lock()
		if err != nil {
			k.err = err
			h.dropKey(k)
		}
		close(k.ready)
		h.mu.Unlock()
	} else {
		<-k.ready
	}
	if k.err != nil {
		h.mu.Lock()
		h.releaseKey(k)
		h.mu.Unlock()
		return nil, k.err
	}
	return k, nil
}

// build initializes the key's cache, and in full mode its dataset on all
// cores. It runs without the lock; callers of the same key wait on ready.
func (h *Hasher) build(k *keyState) error {
	cache := C.randomx_alloc_cache(h.flags)
	if cache == nil {
		return errors.New("randomx: cannot allocate a cache (256 MiB)")
	}
	key := []byte(k.key)
	var kp unsafe.Pointer
	if len(key) > 0 {
		kp = unsafe.Pointer(&key[0])
	}
	C.randomx_init_cache(cache, kp, C.size_t(len(key)))
	runtime.KeepAlive(key)
	k.cache = cache
	h.mu.Lock()
	h.stats.Caches++
	h.mu.Unlock()
	if !h.full {
		return nil
	}

	ds := C.randomx_alloc_dataset(h.flags)
	if ds == nil {
		return errors.New("randomx: cannot allocate a dataset (2 GiB) for full mode")
	}
	items := uint64(C.randomx_dataset_item_count())
	threads := uint64(runtime.NumCPU())
	var wg sync.WaitGroup
	for t := uint64(0); t < threads; t++ {
		start := items * t / threads
		count := items*(t+1)/threads - start
		wg.Add(1)
		go func() {
			defer wg.Done()
			C.randomx_init_dataset(ds, cache, C.ulong(start), C.ulong(count))
		}()
	}
	wg.Wait()
	k.dataset = ds
	h.mu.Lock()
	h.stats.Datasets++
	h.mu.Unlock()
	return nil
}

// takeVM takes an idle VM of the key, creates one when all are busy and the
// pool is below its bound, or waits for one.
func (h *Hasher) takeVM(k *keyState) (*C.randomx_vm, error) {
	h.mu.Lock()
	for len(k.idle) == 0 && k.vms >= h.maxVMs {
		h.vmFree.Wait()
	}
	if n := len(k.idle); n > 0 {
		vm := k.idle[n-1]
		k.idle = k.idle[:n-1]
		h.mu.Unlock()
		return vm, nil
	}
	k.vms++
	h.stats.VMs++
	h.mu.Unlock()

	flags := h.flags
	var vm *C.randomx_vm
	if h.full {
		vm = C.randomx_create_vm(flags|C.RANDOMX_FLAG_FULL_MEM, nil, k.dataset)
	} else {
		vm = C.randomx_create_vm(flags, k.cache, nil)
	}
	if vm == nil {
		h.mu.Lock()
		k.vms--
		h.vmFree.Broadcast()
		h.mu.Unlock()
		return nil, fmt.Errorf("randomx: cannot create a VM (flags %#x)", int(flags))
	}
	return vm, nil
}

// releaseKey drops a user of the key, freeing the key when it was evicted
// and this was its last user. h.mu is held.
func (h *Hasher) releaseKey(k *keyState) {
	k.users--
	if k.evicted && k.users == 0 {
		h.free(k)
	}
}

// dropKey takes a key out of the LRU without waiting for its users.
// h.mu is held.
func (h *Hasher) dropKey(k *keyState) {
	for i, s := range h.keys {
		if s == k {
			h.keys = append(h.keys[:i:i], h.keys[i+1:]...)
			break
		}
	}
	k.evicted = true
}

// free releases the key's VMs, dataset and cache. h.mu is held and the
// key has no users.
func (h *Hasher) free(k *keyState) {
	for _, vm := range k.idle {
		C.randomx_destroy_vm(vm)
	}
	k.idle = nil
	if k.dataset != nil {
		C.randomx_release_dataset(k.dataset)
		k.dataset = nil
	}
	if k.cache != nil {
		C.randomx_release_cache(k.cache)
		k.cache = nil
	}
}

// Cached reports whether the key's cache is kept (or being built), so
// that a hash under it needs no new cache.
func (h *Hasher) Cached(key []byte) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, k := range h.keys {
		if k.key == string(key) {
			return true
		}
	}
	return false
}

// Stats returns the counters.
func (h *Hasher) Stats() Stats {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.stats
}

// Close releases every key once its callers are done; later calls return
// ErrClosed.
func (h *Hasher) Close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	for _, k := range h.keys {
		k.evicted = true
		if k.users == 0 {
			h.free(k)
		}
	}
	h.keys = nil
}
