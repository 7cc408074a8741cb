//go:build !cgo

package randomx

// Available reports whether this build can compute RandomX: false, it was
// built without cgo.
const Available = false

// Hasher computes RandomX hashes. In a build without cgo it cannot exist.
type Hasher struct{}

// New returns ErrNoCgo: this build has no RandomX.
func New(Config) (*Hasher, error) {
	return nil, ErrNoCgo
}

// Hash returns ErrNoCgo.
func (*Hasher) Hash(key, input []byte) ([HashSize]byte, error) {
	return [HashSize]byte{}, ErrNoCgo
}

// Prepare returns ErrNoCgo.
func (*Hasher) Prepare(key []byte) error {
	return ErrNoCgo
}

// Cached returns false.
func (*Hasher) Cached(key []byte) bool {
	return false
}

// Stats returns zero counters.
func (*Hasher) Stats() Stats {
	return Stats{}
}

// Close does nothing.
func (*Hasher) Close() {}
