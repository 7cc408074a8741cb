package vardiff_test

import (
	"encoding/binary"
	"math"
	"testing"
	"time"

	"github.com/mainstake/sidenode/pow/stratum/vardiff"
)

// FuzzState drives a State with any sequence of shares and idle checks,
// at any gaps (backwards too) and network difficulties: the difficulty
// stays a positive finite number within [Min, Max], at most the network
// difficulty last passed.
func FuzzState(f *testing.F) {
	f.Add([]byte{0, 1, 0, 0, 0, 0, 0, 0, 0, 0})
	f.Add([]byte{1, 0xff, 0xff, 0xff, 0xff, 0x7f, 0xf0, 0, 0, 0, 0, 0, 0, 0})
	f.Add(make([]byte, 200))
	f.Fuzz(func(t *testing.T, ops []byte) {
		cfg := vardiff.Config{TargetInterval: 5 * time.Second, RetargetEvery: 30 * time.Second,
			DeadBand: 0.3, Min: 1e-6, Max: 1e9}
		now := epoch
		st := vardiff.New(cfg, 1, now)
		for len(ops) >= 10 {
			op, gap := ops[0], int64(binary.LittleEndian.Uint32(ops[1:5]))
			if op&2 != 0 {
				gap = -gap
			}
			// Gaps from microseconds to a few years.
			now = now.Add(time.Duration(gap) * time.Duration(1+int64(op>>2)%1000) * time.Microsecond)
			net := math.Float64frombits(binary.LittleEndian.Uint64(append(ops[5:10:10], 0, 0, 0)))
			ops = ops[10:]
			var d float64
			if op&1 == 0 {
				d, _ = st.Share(now, net)
			} else {
				d, _ = st.Idle(now, net)
			}
			if d != st.Difficulty() || math.IsNaN(d) || math.IsInf(d, 0) || d <= 0 || d > cfg.Max {
				t.Fatalf("difficulty %v", d)
			}
			if net > 0 && d > net {
				t.Fatalf("difficulty %v above the network's %v", d, net)
			}
			if d < cfg.Min && !(net > 0 && d == net) {
				t.Fatalf("difficulty %v below the floor", d)
			}
		}
	})
}
