package feeest

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

func TestNextBlockRate(t *testing.T) {
	// 1,000 vB per entry; a block of 3,000 vB; our own 100 vB.
	pool := []MempoolTx{
		{Fee: 5_000, VSize: 1000},  // 5 sat/vB
		{Fee: 20_000, VSize: 1000}, // 20
		{Fee: 10_000, VSize: 1000}, // 10
		{Fee: 2_000, VSize: 1000},  // 2
		{Fee: 1_000, VSize: 0},     // skipped
	}
	// Ranked 20, 10, 5, 2: 20 and 10 fit in the 2,900 vB left; 5 fills it.
	if got := NextBlockRate(pool, 3000, 100); got != 5001 {
		t.Fatalf("rate %v, want 5001 sat/kvB", got)
	}
	// Room for everything: the floor applies (0).
	if got := NextBlockRate(pool, 5000, 100); got != 0 {
		t.Fatalf("rate %v for a pool below a block, want 0", got)
	}
	if got := NextBlockRate(nil, BlockVSize, 200); got != 0 {
		t.Fatalf("empty pool: %v", got)
	}
}

type stub struct {
	rate SatPerKVB
	err  error
	n    int
}

func (s *stub) NextBlockRate(context.Context) (SatPerKVB, error) {
	s.n++
	return s.rate, s.err
}

func TestTrackerPolicy(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	src := &stub{rate: 20_000}
	tr := NewTracker(Config{Source: src, Name: "test", Fallback: 2000, Max: 100_000,
		MarginPercent: 10, MaxAge: time.Minute, Now: func() time.Time { return now }})
	if e := tr.Rate(); !e.Fallback || e.Rate != 2000 {
		t.Fatalf("before any answer: %+v, want the fallback", e)
	}
	if e := tr.Refresh(context.Background()); e.Fallback || e.Rate != 22_000 {
		t.Fatalf("20 sat/vB + 10%%: %+v", e)
	}
	// Garbage: the last answer holds until it is MaxAge old.
	src.err = errors.New("garbage")
	if e := tr.Refresh(context.Background()); e.Rate != 22_000 {
		t.Fatalf("after a failure: %+v, want the last answer", e)
	}
	now = now.Add(2 * time.Minute)
	if e := tr.Rate(); !e.Fallback || e.Rate != 2000 || e.Err == nil {
		t.Fatalf("stale: %+v, want the fallback with the error", e)
	}
	// Absurd: refused, the fallback holds.
	src.err, src.rate = nil, 100_001
	if e := tr.Refresh(context.Background()); !e.Fallback || !errors.Is(e.Err, ErrAbsurd) {
		t.Fatalf("absurd: %+v", e)
	}
	// Below the floor (an empty mempool): the relay floor.
	src.rate = 0
	if e := tr.Refresh(context.Background()); e.Fallback || e.Rate != RelayFloor {
		t.Fatalf("empty mempool: %+v", e)
	}
	// The margin never lifts a rate above the ceiling.
	src.rate = 99_000
	if e := tr.Refresh(context.Background()); e.Rate != 100_000 {
		t.Fatalf("margin over the ceiling: %+v", e)
	}
	if e := Fixed(3000).Rate(); !e.Fallback || e.Rate != 3000 {
		t.Fatalf("fixed: %+v", e)
	}
}

func TestURLSource(t *testing.T) {
	var mu sync.Mutex
	answer := `{"fee_by_block_target": {"3": 3000, "1": 12500.5, "6": 1000}}`
	status := http.StatusOK
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		answer, status := answer, status
		mu.Unlock()
		if answer == "hang" {
			select {
			case <-block:
			case <-r.Context().Done():
			}
			return
		}
		w.WriteHeader(status)
		w.Write([]byte(answer))
	}))
	defer srv.Close()
	defer close(block)
	tr := NewTracker(Config{Source: &URL{URL: srv.URL}, Name: "--publish.feeurl",
		Fallback: 2000, Max: 10_000_000, Timeout: 200 * time.Millisecond})
	if e := tr.Refresh(context.Background()); e.Fallback || e.Rate != 12_501 {
		t.Fatalf("target 1: %+v", e)
	}
	cases := map[string]struct {
		body   string
		status int
	}{
		"garbage":    {"<html>busy</html>", http.StatusOK},
		"empty":      {"", http.StatusOK},
		"no targets": {`{"fee_by_block_target": {}}`, http.StatusOK},
		"negative":   {`{"fee_by_block_target": {"1": -5}}`, http.StatusOK},
		"absurd":     {`{"fee_by_block_target": {"1": 1e12}}`, http.StatusOK},
		"server err": {`{"fee_by_block_target": {"1": 5000}}`, http.StatusInternalServerError},
		"nothing":    {"hang", http.StatusOK},
	}
	for name, c := range cases {
		mu.Lock()
		answer, status = c.body, c.status
		mu.Unlock()
		// A fresh tracker each time, so that no earlier answer holds.
		tr := NewTracker(Config{Source: &URL{URL: srv.URL}, Name: "--publish.feeurl",
			Fallback: 2000, Max: 10_000_000, Timeout: 200 * time.Millisecond})
		if e := tr.Refresh(context.Background()); !e.Fallback || e.Rate != 2000 || e.Err == nil {
			t.Errorf("%s: %+v, want the fallback of 2 sat/vB with the error", name, e)
		}
	}
}

func TestParseFeeJSON(t *testing.T) {
	good := map[string]struct {
		target uint32
		rate   SatPerKVB
	}{
		`{"fee_by_block_target": {"2": 2500, "3": 2000}}`:              {2, 2500},
		`{"fee_by_block_target": {"1": 1000.1}, "min_relay_fee": 253}`: {1, 1001},
		`{"fee_by_block_target": {"144": 0}}`:                          {144, 0},
	}
	for in, want := range good {
		target, rate, err := ParseFeeJSON([]byte(in))
		if err != nil || target != want.target || rate != want.rate {
			t.Errorf("%s: %d %v %v, want %d %v", in, target, rate, err, want.target, want.rate)
		}
	}
	for _, in := range []string{
		``, `null`, `[]`, `{}`, `{"fee_by_block_target": null}`,
		`{"fee_by_block_target": {"0": 1000}}`,
		`{"fee_by_block_target": {"x": 1000}}`,
		`{"fee_by_block_target": {"-1": 1000}}`,
		`{"fee_by_block_target": {"1": 1e300}}`,
		`{"fee_by_block_target": {"1": -1}}`,
	} {
		if _, _, err := ParseFeeJSON([]byte(in)); err == nil {
			t.Errorf("%s: accepted", in)
		}
	}
}

func FuzzParseFeeJSON(f *testing.F) {
	for _, s := range []string{
		`{"fee_by_block_target": {"2": 2500, "3": 2000, "6": 1000, "12": 1000, "144": 253}}`,
		`{"fee_by_block_target": {"1": 1000.1}, "min_relay_fee": 253}`,
		`{"fee_by_block_target": {"1": 1e300}}`,
		`{"fee_by_block_target": {"4294967296": 1}}`,
		`<html>503</html>`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		target, rate, err := ParseFeeJSON(data)
		if err != nil {
			return
		}
		if target == 0 || rate < 0 || rate > maxParsedRate {
			t.Fatalf("accepted target %d rate %d", target, rate)
		}
		// Whatever parses, the policy keeps within its ceiling.
		tr := NewTracker(Config{Source: &stub{rate: rate}, Fallback: 2000,
			Max: 10_000_000, MarginPercent: 10})
		if e := tr.Refresh(context.Background()); e.Rate < RelayFloor || e.Rate > 10_000_000 {
			t.Fatalf("rate %v out of the policy's bounds", e.Rate)
		}
	})
}
