package alarms

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

// fake is every Source at once, with figures a scenario sets.
type fake struct {
	progress    ChainProgress
	progressErr error
	slots       SlotCounts
	rate, floor int64
	floorKnown  bool
	round       Round
	roundOpen   bool
	unpaid      Unpaid
	unpaidOK    bool
	unexplained int
	backend     BackendStatus
	publishers  []Publisher
	lag         NotarizationLag
}

func (f *fake) ChainProgress() (ChainProgress, error) { return f.progress, f.progressErr }
func (f *fake) OwnSlots() SlotCounts                  { return f.slots }
func (f *fake) HeaderFeeRate() int64                  { return f.rate }
func (f *fake) BlockFeeFloor() (int64, bool)          { return f.floor, f.floorKnown }
func (f *fake) OpenRound() (Round, bool)              { return f.round, f.roundOpen }
func (f *fake) OldestUnpaid() (Unpaid, bool, error)   { return f.unpaid, f.unpaidOK, nil }
func (f *fake) Unexplained() (int, int64)             { return f.unexplained, int64(f.unexplained) * 1000 }
func (f *fake) BackendStatus() BackendStatus          { return f.backend }
func (f *fake) Publishers() ([]Publisher, error)      { return f.publishers, nil }
func (f *fake) NotarizationLag(now time.Time) (NotarizationLag, error) {
	l := f.lag
	if l.Notarized {
		l.Age = now.Sub(t0.Add(l.Age)) // Age holds the notarization's time after t0
	}
	return l, nil
}

func newFake() (*fake, *Monitor) {
	f := &fake{progress: ChainProgress{MainTip: 100, SideTipPub: 100, Weighing: true},
		rate: 5, backend: BackendStatus{Name: "btcd", Connected: true, Best: 100, NodeTip: 100}}
	m := New(Config{}, Sources{Progress: f, Slots: f, Fees: f, Signing: f, Payouts: f,
		Audit: f, Backend: f, Publishers: f, Notarization: f})
	return f, m
}

var t0 = time.Date(2026, 12, 7, 18, 0, 0, 0, time.UTC)

// step is one moment of a scenario: change the figures, evaluate (chain
// checks, then the backend checks at t0+at), and expect reason's alarm
// to hold or not.
type step struct {
	name   string
	change func(f *fake)
	at     time.Duration
	want   bool
}

func runSteps(t *testing.T, reason Reason, steps []step) {
	t.Helper()
	f, m := newFake()
	for _, s := range steps {
		if s.change != nil {
			s.change(f)
		}
		now := t0.Add(s.at)
		if err := m.Evaluate(now); err != nil {
			t.Fatalf("%s: Evaluate: %v", s.name, err)
		}
		m.CheckBackend(now)
		m.CheckNotarization(now)
		if got := m.IsActive(reason); got != s.want {
			active, _ := m.Active()
			t.Fatalf("%s: %s active = %v, want %v (active: %+v)", s.name, reason, got, s.want, active)
		}
	}
}

func TestSidechainStalled(t *testing.T) {
	tip := func(main, pub int32) func(*fake) {
		return func(f *fake) { f.progress.MainTip, f.progress.SideTipPub = main, pub }
	}
	runSteps(t, SidechainStalled, []step{
		{"tip just published", tip(100, 100), 0, false},
		{"five blocks without a sideblock", tip(105, 100), 0, false},
		{"six blocks without a sideblock: raised", tip(106, 100), 0, true},
		{"still none", tip(110, 100), 0, true},
		{"a sideblock arrives: cleared", tip(111, 111), 0, false},
		{"stalled again", tip(117, 111), 0, true},
		{"tickets stop weighing: cleared", func(f *fake) { f.progress.Weighing = false }, 0, false},
		{"no weight, no alarm however long", tip(200, 111), 0, false},
		{"weight again, counted from when it began", func(f *fake) { f.progress.Weighing = true; f.progress.MainTip = 201 }, 0, false},
		{"five blocks of weight", tip(205, 111), 0, false},
		{"six blocks of weight without a sideblock: raised", tip(206, 111), 0, true},
	})
}

func TestSidechainStalledEmptyChain(t *testing.T) {
	runSteps(t, SidechainStalled, []step{
		{"no weight yet", func(f *fake) { f.progress = ChainProgress{MainTip: 10, SideTipPub: -1} }, 0, false},
		{"tickets begin to weigh", func(f *fake) { f.progress = ChainProgress{MainTip: 11, SideTipPub: -1, Weighing: true} }, 0, false},
		{"six blocks of weight and no sideblock ever: raised", func(f *fake) { f.progress.MainTip = 16 }, 0, true},
		{"first sideblock: cleared", func(f *fake) { f.progress.MainTip, f.progress.SideTipPub = 17, 17 }, 0, false},
	})
}

// TestOwnSlotsMissed: the alarm counts the misses among the last
// MissedWindow (10) decided slots, against MissedSlots (3).
func TestOwnSlotsMissed(t *testing.T) {
	// outcomes builds a history from a string: x a miss, o included.
	outcomes := func(h string) func(*fake) {
		return func(f *fake) {
			f.slots.Recent = nil
			for _, c := range h {
				f.slots.Recent = append(f.slots.Recent, c == 'x')
			}
		}
	}
	runSteps(t, OwnSlotsMissed, []step{
		{"start", outcomes("oooox"), 0, false},
		{"two misses", outcomes("ooooxox"), 0, false},
		{"three misses in the window, not in a row: raised", outcomes("ooooxoxoox"), 0, true},
		{"publications included do not clear while the misses are in the window",
			outcomes("ooooxoxooxo"), 0, true},
		{"the first miss leaves the window: cleared", outcomes("ooooxoxooxooooo"), 0, false},
		{"three in a row: raised", outcomes("oooooooxxx"), 0, true},
		{"a reorg undoes one: cleared", outcomes("oooooooxx"), 0, false},
	})
}

// TestPublisherLow: raised while a live ticket's publisher output pays for
// fewer than PublisherHeaders (20) headers, cleared when it is topped up
// or its chain ends (the source lists live tickets only).
func TestPublisherLow(t *testing.T) {
	pub := func(ps ...Publisher) func(*fake) { return func(f *fake) { f.publishers = ps } }
	runSteps(t, PublisherLow, []step{
		{"no tickets", nil, 0, false},
		{"plenty left", pub(Publisher{Ticket: 1, Value: 100_000, HeaderFee: 500}), 0, false},
		{"exactly twenty headers", pub(Publisher{Ticket: 1, Value: 10_000, HeaderFee: 500}), 0, false},
		{"nineteen headers: raised", pub(Publisher{Ticket: 1, Value: 9_999, HeaderFee: 500},
			Publisher{Ticket: 2, Value: 1_000_000, HeaderFee: 500}), 0, true},
		{"the fee rate falls: cleared", pub(Publisher{Ticket: 1, Value: 9_999, HeaderFee: 400}), 0, false},
		{"the fee rate rises: raised", pub(Publisher{Ticket: 1, Value: 9_999, HeaderFee: 600}), 0, true},
		{"topped up: cleared", pub(Publisher{Ticket: 1, Value: 50_000, HeaderFee: 600}), 0, false},
		{"low again: raised", pub(Publisher{Ticket: 1, Value: 100, HeaderFee: 600}), 0, true},
		{"chain ended", pub(), 0, false},
	})
	f, m := newFake()
	f.publishers = []Publisher{{Ticket: 4, Value: 1_000, HeaderFee: 500}, {Ticket: 9, Value: 3_000, HeaderFee: 500}}
	if err := m.Evaluate(t0); err != nil {
		t.Fatal(err)
	}
	active, _ := m.Active()
	if len(active) == 0 || active[len(active)-1].Reason != PublisherLow ||
		!strings.Contains(active[len(active)-1].Message, "ticket 4, has 1000 sat, 2 headers") {
		t.Fatalf("active %+v", active)
	}
}

func TestSuspectedCensorship(t *testing.T) {
	notMined := func(missed, nm uint64) func(*fake) {
		return func(f *fake) { f.slots.Missed, f.slots.NotMined = missed, nm }
	}
	runSteps(t, SuspectedCensorship, []step{
		{"start", nil, 0, false},
		{"two headers not mined", notMined(2, 2), 0, false},
		{"a miss of another reason does not count", notMined(3, 2), 0, false},
		{"three headers not mined, fee floor unknown: raised", notMined(4, 3), 0, true},
		{"a header included: cleared", func(f *fake) { f.slots.Included++ }, 0, false},
		{"one header not mined, then refused while it waits", func(f *fake) {
			f.slots.Missed, f.slots.NotMined, f.slots.Refused = 7, 4, 2
		}, 0, true},
		{"the blocks took more than our fee: cleared", func(f *fake) { f.floor, f.floorKnown = 10, true }, 0, false},
		{"our fee above what the blocks took: raised", func(f *fake) { f.floor = 2 }, 0, true},
		{"the block took more than our fee: cleared", func(f *fake) { f.floor = 6 }, 0, false},
		{"the block took our rate and not us: raised", func(f *fake) { f.floor = 5 }, 0, true},
		{"a header included again: cleared", func(f *fake) { f.slots.Included++ }, 0, false},
		{"refusals alone are no censorship", func(f *fake) {
			f.slots.Missed, f.slots.Refused = 10, 5
		}, 0, false},
	})
}

func TestFederationSilent(t *testing.T) {
	round := Round{What: "payout of sideblock x", TxID: chainhash.Hash{1}, Since: 100,
		Threshold: 3, Signers: 2, Silent: []string{"03bb", "02aa"}}
	runSteps(t, FederationSilent, []step{
		{"no round", nil, 0, false},
		{"a round opens", func(f *fake) { f.round, f.roundOpen = round, true }, 0, false},
		{"five blocks below the threshold", func(f *fake) { f.progress.MainTip = 105 }, 0, false},
		{"six blocks below the threshold: raised", func(f *fake) { f.progress.MainTip = 106 }, 0, true},
		{"the round completes: cleared", func(f *fake) { f.roundOpen = false }, 0, false},
		{"a new round, long since signed but nobody silent", func(f *fake) {
			f.round, f.roundOpen = Round{Since: 50, Threshold: 1, Signers: 1}, true
		}, 0, false},
	})
}

func TestFederationSilentNamesMembers(t *testing.T) {
	f, m := newFake()
	f.round, f.roundOpen = Round{What: "rotation", Since: 90, Threshold: 3, Signers: 1,
		Silent: []string{"03bb", "02aa"}}, true
	if err := m.Evaluate(t0); err != nil {
		t.Fatal(err)
	}
	active, _ := m.Active()
	if len(active) != 1 || !strings.Contains(active[0].Message, "02aa, 03bb") {
		t.Fatalf("active = %+v, want the silent members named, sorted", active)
	}
}

func TestPayoutOverdue(t *testing.T) {
	runSteps(t, PayoutOverdue, []step{
		{"all paid", nil, 0, false},
		{"unpaid, not payable yet", func(f *fake) { f.unpaid, f.unpaidOK = Unpaid{SideHeight: 7}, true }, 0, false},
		{"payable since 95, 5 blocks ago", func(f *fake) {
			f.unpaid.Payable, f.unpaid.PayableSince = true, 95
		}, 0, false},
		{"payable for 12 blocks: raised", func(f *fake) { f.progress.MainTip = 107 }, 0, true},
		{"paid: cleared", func(f *fake) { f.unpaidOK = false }, 0, false},
	})
}

func TestSupplyMismatch(t *testing.T) {
	runSteps(t, SupplyMismatch, []step{
		{"audit matches", nil, 0, false},
		{"an unexplained spend: raised", func(f *fake) { f.unexplained = 1 }, 0, true},
		{"a reorg takes it out: cleared", func(f *fake) { f.unexplained = 0 }, 0, false},
	})
}

func TestBackendDisconnected(t *testing.T) {
	runSteps(t, BackendDisconnected, []step{
		{"connected", nil, 0, false},
		{"disconnected", func(f *fake) { f.backend.Connected = false }, 10 * time.Second, false},
		{"disconnected 59s", nil, 69 * time.Second, false},
		{"disconnected 60s: raised", nil, 70 * time.Second, true},
		{"reconnected: cleared", func(f *fake) { f.backend.Connected = true }, 80 * time.Second, false},
		{"disconnected again, the clock starts over", func(f *fake) { f.backend.Connected = false }, 90 * time.Second, false},
	})
}

func TestBackendBehind(t *testing.T) {
	runSteps(t, BackendBehind, []step{
		{"in step", nil, 0, false},
		{"5 behind", func(f *fake) { f.backend.Best = 105; f.backend.NodeTip = 100 }, time.Minute, false},
		{"6 behind: raised", func(f *fake) { f.backend.Best = 106 }, 2 * time.Minute, true},
		{"caught up: cleared", func(f *fake) { f.backend.NodeTip = 106 }, 3 * time.Minute, false},
		{"best unchanged for 1h59m", nil, 2*time.Hour + time.Minute, false},
		{"best unchanged for 2h: raised", nil, 2*time.Hour + 2*time.Minute, true},
		{"a new block: cleared", func(f *fake) { f.backend.Best, f.backend.NodeTip = 107, 107 }, 3 * time.Hour, false},
	})
}

func TestStaleTipOff(t *testing.T) {
	f := &fake{backend: BackendStatus{Connected: true, Best: 5, NodeTip: 5}}
	m := New(Config{StaleTipAfter: -1}, Sources{Backend: f})
	m.CheckBackend(t0)
	m.CheckBackend(t0.Add(1000 * time.Hour))
	if m.IsActive(BackendBehind) {
		t.Fatal("a negative StaleTipAfter raised the stale tip alarm")
	}
}

// TestEvents checks the event log: raise and clear each add an event, in
// order, and an alarm that holds adds none when evaluated again.
func TestEvents(t *testing.T) {
	f, m := newFake()
	changed := m.Changed()
	f.unexplained = 1
	if err := m.Evaluate(t0); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changed:
	default:
		t.Fatal("raising an alarm did not signal Changed")
	}
	changed = m.Changed()
	if err := m.Evaluate(t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	select {
	case <-changed:
		t.Fatal("an alarm that still holds signalled Changed")
	default:
	}
	f.unexplained = 0
	if err := m.Evaluate(t0.Add(2 * time.Second)); err != nil {
		t.Fatal(err)
	}
	evs, lost := m.EventsAfter(0, 10)
	if lost || len(evs) != 2 || !evs[0].Raised || evs[1].Raised || evs[0].Seq != 1 || evs[1].Seq != 2 ||
		evs[1].Alarm.Reason != SupplyMismatch || !evs[1].Alarm.Raised.Equal(t0) {
		t.Fatalf("events = %+v, lost %v", evs, lost)
	}
	if evs, lost := m.EventsAfter(2, 10); len(evs) != 0 || lost {
		t.Fatalf("after the last: %+v, %v", evs, lost)
	}
}

func TestEventsBounded(t *testing.T) {
	f, m := newFake()
	for i := 0; i < MaxEvents+10; i++ {
		f.unexplained = 1 - f.unexplained
		if err := m.Evaluate(t0); err != nil {
			t.Fatal(err)
		}
	}
	if _, lost := m.EventsAfter(0, 10); !lost {
		t.Fatal("events beyond MaxEvents are still reported as kept")
	}
	evs, lost := m.EventsAfter(uint64(MaxEvents+10-3), 10)
	if lost || len(evs) != 3 || evs[2].Seq != uint64(MaxEvents+10) {
		t.Fatalf("newest events = %+v, lost %v", evs, lost)
	}
}

func TestSourceErrorKeepsAlarms(t *testing.T) {
	f, m := newFake()
	f.progress.MainTip = 110
	if err := m.Evaluate(t0); err != nil || !m.IsActive(SidechainStalled) {
		t.Fatalf("Evaluate: %v; stalled %v", err, m.IsActive(SidechainStalled))
	}
	f.progressErr = errors.New("store closed")
	if err := m.Evaluate(t0); err == nil || !m.IsActive(SidechainStalled) {
		t.Fatalf("Evaluate with a failing source: %v; stalled %v, want the error and the alarm kept",
			err, m.IsActive(SidechainStalled))
	}
}

func TestNilSourcesNeverRaise(t *testing.T) {
	m := New(Config{}, Sources{})
	if err := m.Evaluate(t0); err != nil {
		t.Fatal(err)
	}
	m.CheckBackend(t0.Add(time.Hour))
	if a, _ := m.Active(); len(a) != 0 {
		t.Fatalf("active = %+v", a)
	}
}

func TestReasonCodes(t *testing.T) {
	seen := make(map[string]bool)
	for _, r := range Reasons {
		c := r.Code()
		if strings.HasPrefix(c, "reason_") || seen[c] {
			t.Errorf("reason %d: code %q missing or repeated", int(r), c)
		}
		seen[c] = true
	}
	if len(reasonCodes) != len(Reasons) {
		t.Errorf("%d codes for %d reasons", len(reasonCodes), len(Reasons))
	}
}

// notarizedAt sets a notarization that counts, made at t0+at, with a block
// to notarize, and the test networks' ages (5 and 48 minutes).
func notarizedAt(at time.Duration) func(f *fake) {
	return func(f *fake) {
		f.lag = NotarizationLag{Notarized: true, Age: at, LastHeight: 10, Due: true,
			IrregularAge: 5 * time.Minute, InactiveAge: 48 * time.Minute}
	}
}

func TestNotarizationIrregular(t *testing.T) {
	runSteps(t, NotarizationIrregular, []step{
		{"a fresh notarization", notarizedAt(0), time.Minute, false},
		{"4m59s old", nil, 4*time.Minute + 59*time.Second, false},
		{"5m old: raised", nil, 5 * time.Minute, true},
		{"nothing to notarize: cleared", func(f *fake) { f.lag.Due = false }, 6 * time.Minute, false},
		{"due again: raised", func(f *fake) { f.lag.Due = true }, 7 * time.Minute, true},
		{"48m old: inactive instead", nil, 48 * time.Minute, false},
		{"a new notarization: cleared", notarizedAt(49 * time.Minute), 49 * time.Minute, false},
	})
}

func TestNotarizationInactive(t *testing.T) {
	runSteps(t, NotarizationInactive, []step{
		{"a fresh notarization", notarizedAt(0), time.Minute, false},
		{"47m old", nil, 47 * time.Minute, false},
		{"48m old: raised", nil, 48 * time.Minute, true},
		{"a new notarization: cleared", notarizedAt(50 * time.Minute), 50 * time.Minute, false},
	})
}

// TestNotarizationNoneYet: before the first notarization the age counts
// from the first check that saw a block to notarize.
func TestNotarizationNoneYet(t *testing.T) {
	due := func(f *fake) {
		f.lag = NotarizationLag{Due: true, IrregularAge: 5 * time.Minute,
			InactiveAge: 48 * time.Minute}
	}
	runSteps(t, NotarizationIrregular, []step{
		{"nothing to notarize", nil, 0, false},
		{"a block to notarize: the clock starts", due, 10 * time.Minute, false},
		{"4m later", nil, 14 * time.Minute, false},
		{"5m later: raised", nil, 15 * time.Minute, true},
		{"the first notarization: cleared", notarizedAt(16 * time.Minute), 16 * time.Minute, false},
	})
}
