package randomx

import "errors"

// HashSize is the size of a RandomX hash in bytes.
const HashSize = 32

// DefaultMaxKeys is the number of keys a Hasher keeps when Config.MaxKeys
// is zero: the current seed's and the next one's.
const DefaultMaxKeys = 2

// ErrNoCgo is what New returns in a build without cgo.
var ErrNoCgo = errors.New("this sidenode was built without cgo: RandomX heights cannot be verified; rebuild with CGO_ENABLED=1 and librandomx-dev")

// ErrClosed is what a Hasher returns after Close.
var ErrClosed = errors.New("randomx hasher is closed")

// Config chooses a Hasher's mode and bounds.
type Config struct {
	// Full selects full mode: each key gets the 2 GiB dataset (built on
	// all cores), which mining needs. Without it the Hasher runs in light
	// mode, with the 256 MiB cache only, which is what verifying nodes
	// use.
	Full bool

	// MaxKeys bounds the keys whose cache (and dataset) the Hasher keeps;
	// the least recently used is released first. Zero means
	// DefaultMaxKeys.
	MaxKeys int

	// MaxVMsPerKey bounds the VMs of one key, which is how many callers
	// can hash under it at once; others wait for a VM. Zero means
	// GOMAXPROCS.
	MaxVMsPerKey int
}

// Stats counts what a Hasher allocated and computed.
type Stats struct {
	// Caches is how many key caches were initialized.
	Caches uint64
	// Datasets is how many full datasets were initialized.
	Datasets uint64
	// VMs is how many virtual machines were created.
	VMs uint64
	// Hashes is how many hashes were computed.
	Hashes uint64
}
