package work

import (
	"encoding/binary"
	"hash/maphash"
	"sync"
)

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
// at most max shares; once full it refuses every further share of the job
// (ErrSeenFull, CodeOther) rather than forget one, so that no share is
// ever credited twice: the server should then send a new job.
//
// A share is held as a 128-bit hash of its Key under two seeds drawn for
// each set (hash/maphash): with the map's overhead, about 55 bytes a
// share (BenchmarkSeenAdd measures it). Two distinct shares of a job are taken for one with a
// probability of about n²/2^129 for n shares, and never in a way a miner
// can aim at without the seeds; that error can only refuse a share, never
// credit one twice. Safe for concurrent use.
type Seen struct {
	mu     sync.Mutex
	max    int
	s1, s2 maphash.Seed
	keys   map[[2]uint64]struct{}
}

// NewSeen returns an empty set of at most max keys (at least 1).
func NewSeen(max int) *Seen {
	if max < 1 {
		max = 1
	}
	return &Seen{max: max, s1: maphash.MakeSeed(), s2: maphash.MakeSeed(),
		keys: make(map[[2]uint64]struct{})}
}

// sum returns the set's hash of a key.
func (s *Seen) sum(k Key) [2]uint64 {
	var b [Extranonce1Size + MaxExtranonce2Size + 1 + 12]byte
	n := copy(b[:], k.Extranonce1[:])
	n += copy(b[n:], k.Extranonce2[:])
	b[n] = k.En2Len
	n++
	binary.LittleEndian.PutUint32(b[n:], k.NTime)
	binary.LittleEndian.PutUint32(b[n+4:], k.Nonce)
	binary.LittleEndian.PutUint32(b[n+8:], k.VersionBits)
	return [2]uint64{maphash.Bytes(s.s1, b[:]), maphash.Bytes(s.s2, b[:])}
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
	_, err := s.RecordLen(sh)
	return err
}

// RecordLen is Record that also returns the number of keys recorded once
// this share is (when err is nil).
func (s *Seen) RecordLen(sh Share) (n int, err error) {
	k := s.sum(KeyOf(sh))
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.keys[k]; ok {
		return len(s.keys), Reject(CodeDuplicate, ErrDuplicate, "duplicate share")
	}
	if len(s.keys) >= s.max {
		return len(s.keys), Reject(CodeOther, ErrSeenFull, "job takes no more shares: "+
			"wait for new work")
	}
	s.keys[k] = struct{}{}
	return len(s.keys), nil
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
