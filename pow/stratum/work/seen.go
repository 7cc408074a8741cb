package work

import "sync"

// Key is what makes a share of a job distinct: its extranonce1,
// extranonce2, ntime, nonce and version bits. Two shares of one job with
// the same Key make the same header.
type Key struct {
	Extranonce1 [Extranonce1Size]byte
	Extranonce2 [MaxExtranonce2Size]byte
	En2Len      uint8
	NTime       uint32
	Nonce       uint32
	VersionBits uint32
}

// KeyOf returns a share's Key. Version bits count only if the share has
// them; extranonces longer than their arrays are cut (Check refuses such
// shares before they get here).
func KeyOf(s Share) Key {
	k := Key{NTime: s.NTime, Nonce: s.Nonce}
	copy(k.Extranonce1[:], s.Extranonce1)
	k.En2Len = uint8(copy(k.Extranonce2[:], s.Extranonce2))
	if s.HasVersion {
		k.VersionBits = s.VersionBits
	}
	return k
}

// Seen is a job's set of accepted shares, to refuse duplicates. It holds
// at most max keys; once full it refuses every further share of the job
// (ErrSeenFull, CodeOther) rather than forget one, so that no share is
// ever credited twice: the server should then send a new job. Its memory
// is bounded by max keys of about 40 bytes each plus the map's overhead.
// Safe for concurrent use.
type Seen struct {
	mu   sync.Mutex
	max  int
	keys map[Key]struct{}
}

// NewSeen returns an empty set of at most max keys (at least 1).
func NewSeen(max int) *Seen {
	if max < 1 {
		max = 1
	}
	return &Seen{max: max, keys: make(map[Key]struct{})}
}

// Add records the share and says whether it is fresh: false for a
// duplicate and for any share once the set is full.
func (s *Seen) Add(sh Share) (fresh bool) {
	return s.Record(sh) == nil
}

// Record records the share, or refuses it: ErrDuplicate (CodeDuplicate)
// for a share recorded before, ErrSeenFull (CodeOther) once the set is
// full.
func (s *Seen) Record(sh Share) error {
	k := KeyOf(sh)
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.keys[k]; ok {
		return Reject(CodeDuplicate, ErrDuplicate, "duplicate share")
	}
	if len(s.keys) >= s.max {
		return Reject(CodeOther, ErrSeenFull, "job takes no more shares: "+
			"wait for new work")
	}
	s.keys[k] = struct{}{}
	return nil
}

// Len returns the number of keys recorded.
func (s *Seen) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.keys)
}

// Full says whether the set refuses further shares.
func (s *Seen) Full() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.keys) >= s.max
}
