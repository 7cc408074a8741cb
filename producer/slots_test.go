package producer

import "testing"

// wantStats checks the counts and that they add up.
func wantStats(t *testing.T, l *Ledger, won, published, included, missed uint64) Stats {
	t.Helper()
	st := l.Stats()
	if st.Won != won || st.Published != published || st.Included != included || st.Missed != missed {
		t.Fatalf("stats %+v, want won %d, published %d, included %d, missed %d",
			st, won, published, included, missed)
	}
	if st.Won != st.Included+st.Missed+st.Pending {
		t.Fatalf("stats %+v do not add up", st)
	}
	var reasons uint64
	for _, n := range st.MissReasons {
		reasons += n
	}
	if reasons != st.Missed {
		t.Fatalf("miss reasons %v, %d misses", st.MissReasons, st.Missed)
	}
	return st
}

// TestLedgerReorg follows draws through a reorg: a draw whose block is
// connected again is won once, and the block that decides it decides it
// again.
func TestLedgerReorg(t *testing.T) {
	var l Ledger
	// Block 10: this node wins the draw after it and publishes.
	l.Decided(9, false, NextBlock{}) // not ours
	l.Won(10, 1)
	l.Produced(10, true, MissNone)
	wantStats(t, &l, 1, 1, 0, 0)
	// Block 11 holds the publication; this node wins the draw after it,
	// but its header is refused.
	l.Decided(10, true, NextBlock{})
	l.Won(11, 1)
	l.Produced(11, false, MissBroadcast)
	wantStats(t, &l, 2, 1, 1, 0)
	// Block 12 holds none: the draw after 11 is missed.
	l.Decided(11, false, NextBlock{})
	if r, ok := l.Reason(11); !ok || r != MissBroadcast {
		t.Fatalf("reason %v %v", r, ok)
	}
	wantStats(t, &l, 2, 1, 1, 1)

	// A 3-block reorg undoes 12, 11 and 10.
	l.Undone(12)
	l.Undone(11)
	l.Undone(10)
	wantStats(t, &l, 0, 0, 0, 0)

	// The new 10 gives the draw to this node again; its production
	// finds the body staged and the header's broadcast refused (it was
	// sent before). The new 11 holds the publication: the draw is won
	// once and included once, not missed.
	l.Decided(9, false, NextBlock{})
	l.Won(10, 1)
	l.Produced(10, false, MissBroadcast)
	wantStats(t, &l, 1, 0, 0, 0)
	l.Decided(10, true, NextBlock{})
	st := wantStats(t, &l, 1, 1, 1, 0)
	if st.Pending != 0 {
		t.Fatalf("pending %d", st.Pending)
	}
	// A new 12 after a won 11 whose production was still under way:
	// late.
	l.Won(11, 2)
	l.Decided(11, false, NextBlock{})
	if r, ok := l.Reason(11); !ok || r != MissLate {
		t.Fatalf("reason %v %v, want %v", r, ok, MissLate)
	}
	wantStats(t, &l, 2, 1, 1, 1)

	// A batch of block 13 that failed is forgotten: the draw after 12
	// (none of ours) stays undecided, nothing else changes.
	l.Undone(13)
	wantStats(t, &l, 2, 1, 1, 1)
}

func TestMissReasonString(t *testing.T) {
	labels := make(map[string]MissReason)
	for _, r := range MissReasons {
		s := r.String()
		if s == "unknown" || s == "" || s == "none" {
			t.Errorf("reason %d has no label", int(r))
		}
		if o, dup := labels[s]; dup {
			t.Errorf("reasons %d and %d share the label %q", int(o), int(r), s)
		}
		labels[s] = r
	}
	if len(MissReasons) != len(missReasonNames)-1 {
		t.Errorf("MissReasons lists %d reasons, %d have labels", len(MissReasons),
			len(missReasonNames)-1)
	}
	if MissReason(-1).String() != "unknown" {
		t.Error("an unknown reason has a label")
	}
	st := Stats{MissReasons: map[MissReason]uint64{MissLate: 2, MissNotMined: 1}}
	if got := st.ReasonLabels(); got["late"] != 2 || got["not mined"] != 1 || len(got) != 2 {
		t.Fatalf("labels %v", got)
	}
}
