package work_test

import (
	"errors"
	"sync"
	"testing"

	"github.com/mainstake/sidenode/pow/stratum/work"
)

func TestSeen(t *testing.T) {
	base := work.Share{Extranonce1: []byte{1, 2, 3, 4}, Extranonce2: []byte{0, 0, 0, 1},
		NTime: 100, Nonce: 200}
	seen := work.NewSeen(8)
	if !seen.Add(base) {
		t.Fatal("first share not fresh")
	}
	dup := base
	dup.Extranonce1 = []byte{1, 2, 3, 4} // equal bytes, another slice
	if err := seen.Record(dup); work.CodeOf(err) != work.CodeDuplicate || !errors.Is(err, work.ErrDuplicate) {
		t.Fatalf("duplicate: %v", err)
	}
	// Each field of the key makes a share distinct.
	for name, edit := range map[string]func(*work.Share){
		"extranonce1":  func(s *work.Share) { s.Extranonce1 = []byte{1, 2, 3, 5} },
		"extranonce2":  func(s *work.Share) { s.Extranonce2 = []byte{0, 0, 0, 2} },
		"ntime":        func(s *work.Share) { s.NTime++ },
		"nonce":        func(s *work.Share) { s.Nonce++ },
		"version bits": func(s *work.Share) { s.HasVersion, s.VersionBits = true, 0x2000 },
	} {
		s := base
		edit(&s)
		if err := seen.Record(s); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if seen.Add(s) {
			t.Errorf("%s: a replay is fresh", name)
		}
	}
	// Version bits of zero make the same header as none.
	zero := base
	zero.HasVersion = true
	if seen.Add(zero) {
		t.Error("zero version bits differ from none")
	}
	if seen.Len() != 6 || seen.Full() {
		t.Fatalf("len %d", seen.Len())
	}
	// At the bound every further share is refused, the recorded ones
	// stay duplicates: no share is credited twice.
	for i := 0; i < 2; i++ {
		s := base
		s.Nonce = 1000 + uint32(i)
		if !seen.Add(s) {
			t.Fatal("room left")
		}
	}
	s := base
	s.Nonce = 5000
	if err := seen.Record(s); work.CodeOf(err) != work.CodeOther || !errors.Is(err, work.ErrSeenFull) {
		t.Fatalf("full: %v", err)
	}
	if err := seen.Record(base); work.CodeOf(err) != work.CodeDuplicate {
		t.Fatalf("a recorded share once full: %v", err)
	}
	if !seen.Full() || seen.Len() != 8 {
		t.Fatal("not full")
	}
}

// TestSeenConcurrent: of many goroutines submitting the same shares, each
// share is fresh exactly once.
func TestSeenConcurrent(t *testing.T) {
	seen := work.NewSeen(1 << 12)
	var mu sync.Mutex
	fresh := make(map[uint32]int)
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := uint32(0); n < 500; n++ {
				s := work.Share{Extranonce1: make([]byte, 4), Extranonce2: make([]byte, 4), Nonce: n}
				if seen.Add(s) {
					mu.Lock()
					fresh[n]++
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	for n := uint32(0); n < 500; n++ {
		if fresh[n] != 1 {
			t.Fatalf("nonce %d fresh %d times", n, fresh[n])
		}
	}
}
