package poolrun

import (
	"testing"
	"time"
)

// TestShareRate: the accepted shares a second over the window, buckets
// older than the window forgotten, with an injected clock.
func TestShareRate(t *testing.T) {
	r := shareRate{window: 30 * time.Second}
	t0 := time.Unix(1_800_000_000, 0)
	for i := 0; i < 60; i++ {
		r.add(t0.Add(time.Duration(i) * 500 * time.Millisecond)) // 2 a second for 30 s
	}
	if got := r.perSecond(t0.Add(29 * time.Second)); got < 1.9 || got > 2.1 {
		t.Errorf("rate %v, want 2", got)
	}
	if got := r.perSecond(t0.Add(10 * time.Minute)); got != 0 {
		t.Errorf("rate after the window %v, want 0", got)
	}
}
