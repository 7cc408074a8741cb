package poolrun

import (
	"testing"

	"github.com/mainstake/sidenode/nodeapi"
	"github.com/mainstake/sidenode/pow/stratum"
)

// TestRejects: the submits refused with code 20 for their ntime are
// bad_ntime, the other 20s other; every code keeps its count.
func TestRejects(t *testing.T) {
	got := rejects(&stratum.Counters{Rejected: map[int]uint64{20: 5, 21: 1, 22: 2, 23: 3, 24: 4, 25: 6},
		RejectedNTime: 2})
	want := nodeapi.ShareRejects{Other: 3, BadNtime: 2, Stale: 1, Duplicate: 2, LowDifficulty: 3,
		Unauthorized: 4, NotSubscribed: 6}
	if got != want {
		t.Fatalf("rejects %+v, want %+v", got, want)
	}
}
