package alarms

import (
	"context"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mainstake/sidenode/feeest"
)

// Config holds the thresholds of the checks. Counts of blocks are
// mainchain blocks; a zero count or duration takes DefaultConfig's.
type Config struct {
	// StallBlocks: SidechainStalled after this many mainchain blocks
	// without a sideblock while tickets weigh something.
	StallBlocks int32

	// CensorshipSlots: SuspectedCensorship after this many of this
	// node's slots in a row whose header went out and was not mined.
	CensorshipSlots int32

	// MissedSlots: OwnSlotsMissed once this many of this node's last
	// MissedWindow decided slots were missed, whatever the reason.
	MissedSlots  int32
	MissedWindow int32

	// PublisherHeaders: PublisherLow when the publisher output of one of
	// this wallet's live tickets pays for fewer than this many headers.
	PublisherHeaders int32

	// SilentBlocks: FederationSilent once a signing round has waited
	// this many mainchain blocks below its threshold.
	SilentBlocks int32

	// PayoutOverdueBlocks: PayoutOverdue once the oldest unpaid
	// sideblock has been payable for this many mainchain blocks.
	PayoutOverdueBlocks int32

	// BehindBlocks: BackendBehind when the node's mainchain tip is this
	// many blocks behind the backend's best block.
	BehindBlocks int32

	// DisconnectedAfter: BackendDisconnected once the backend has been
	// disconnected for this long.
	DisconnectedAfter time.Duration

	// StaleTipAfter: BackendBehind once the backend's best block has not
	// moved for this long; negative turns the check off.
	StaleTipAfter time.Duration

	// Interval is how often Run checks the backend.
	Interval time.Duration
}

// DefaultConfig returns the default thresholds.
func DefaultConfig() Config {
	return Config{
		StallBlocks:         6,
		CensorshipSlots:     3,
		MissedSlots:         3,
		MissedWindow:        10,
		PublisherHeaders:    20,
		SilentBlocks:        6,
		PayoutOverdueBlocks: 12,
		BehindBlocks:        6,
		DisconnectedAfter:   time.Minute,
		StaleTipAfter:       2 * time.Hour,
		Interval:            10 * time.Second,
	}
}

// withDefaults fills c's zero fields from DefaultConfig.
func (c Config) withDefaults() Config {
	d := DefaultConfig()
	for _, f := range []struct{ v, d *int32 }{
		{&c.StallBlocks, &d.StallBlocks}, {&c.CensorshipSlots, &d.CensorshipSlots},
		{&c.MissedSlots, &d.MissedSlots}, {&c.MissedWindow, &d.MissedWindow},
		{&c.PublisherHeaders, &d.PublisherHeaders}, {&c.SilentBlocks, &d.SilentBlocks},
		{&c.PayoutOverdueBlocks, &d.PayoutOverdueBlocks}, {&c.BehindBlocks, &d.BehindBlocks},
	} {
		if *f.v <= 0 {
			*f.v = *f.d
		}
	}
	if c.Interval <= 0 {
		c.Interval = d.Interval
	}
	if c.DisconnectedAfter <= 0 {
		c.DisconnectedAfter = d.DisconnectedAfter
	}
	if c.StaleTipAfter == 0 {
		c.StaleTipAfter = d.StaleTipAfter
	}
	return c
}

// Alarm is an alarm that holds.
type Alarm struct {
	Reason Reason

	// Message says what holds, in the operator's terms, with figures.
	Message string

	// Raised is when the alarm was raised, and Height the node's
	// mainchain tip then.
	Raised time.Time
	Height int32
}

// Event is the raising or the clearing of an alarm.
type Event struct {
	// Seq numbers the Monitor's events from 1, in order.
	Seq uint64

	// Raised is true when the alarm was raised, false when it cleared.
	Raised bool

	// Alarm is the alarm raised, or the one that cleared.
	Alarm Alarm

	// At is when it happened, and Height the node's mainchain tip then.
	At     time.Time
	Height int32
}

// MaxEvents is how many of the newest events the Monitor keeps for
// EventsAfter.
const MaxEvents = 256

// Monitor evaluates the checks and keeps the active alarms. Create it with
// New; it is safe for concurrent use.
type Monitor struct {
	cfg  Config
	src  Sources
	kick chan struct{}

	mu      sync.Mutex
	active  map[Reason]*Alarm
	events  []Event // the newest MaxEvents, oldest first
	seq     uint64
	changed chan struct{}
	mainTip int32

	// Counters kept between evaluations (see the package doc). evalMu
	// serializes the evaluations, which take mu only to raise and clear.
	evalMu      sync.Mutex
	weighSince  int32 // mainchain height tickets began to weigh; noWeight, or sinceEver
	slotBase    SlotCounts
	slotBaseSet bool
	discSince   time.Time // zero while connected
	best        int32
	bestSince   time.Time // when best last moved; zero before any check
	dueSince    time.Time // first seen a block to notarize before any notarization; zero otherwise
}

// weighSince's special values.
const (
	noWeight   = int32(-2)
	sinceEver  = int32(math.MinInt32)
	unknownTip = int32(-1)
)

// New returns a Monitor of src with the thresholds of cfg (zero fields
// take the defaults).
func New(cfg Config, src Sources) *Monitor {
	return &Monitor{cfg: cfg.withDefaults(), src: src, kick: make(chan struct{}, 1),
		active: make(map[Reason]*Alarm), changed: make(chan struct{}),
		mainTip: unknownTip, weighSince: sinceEver}
}

// Config returns the thresholds in force.
func (m *Monitor) Config() Config { return m.cfg }

// BlockCommitted asks Run to evaluate the chain checks: the node calls it
// after each mainchain block's batch is on disk. It never blocks; calls
// that come while an evaluation waits are one.
func (m *Monitor) BlockCommitted() {
	select {
	case m.kick <- struct{}{}:
	default:
	}
}

// Run evaluates the chain checks at each BlockCommitted and the backend
// checks every Config.Interval, and once each at start, until ctx is done.
func (m *Monitor) Run(ctx context.Context) {
	m.evaluate(time.Now())
	m.CheckBackend(time.Now())
	t := time.NewTicker(m.cfg.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-m.kick:
			m.evaluate(time.Now())
		case now := <-t.C:
			m.CheckBackend(now)
			m.CheckNotarization(now)
		}
	}
}

// evaluate runs Evaluate and the notarization checks, and logs Evaluate's
// error.
func (m *Monitor) evaluate(now time.Time) {
	if err := m.Evaluate(now); err != nil {
		log.Errorf("Alarms: %v", err)
	}
	m.CheckNotarization(now)
}

// Evaluate runs the chain checks at time now. A Source's error leaves the
// alarms of its check as they were and is returned, after the other
// checks ran.
func (m *Monitor) Evaluate(now time.Time) error {
	m.evalMu.Lock()
	defer m.evalMu.Unlock()
	var errs []string
	if m.src.Progress != nil {
		if p, err := m.src.Progress.ChainProgress(); err != nil {
			errs = append(errs, fmt.Sprintf("chain progress: %v", err))
		} else {
			m.mu.Lock()
			m.mainTip = p.MainTip
			m.mu.Unlock()
			m.checkStalled(now, p)
		}
	}
	if m.src.Slots != nil {
		m.checkSlots(now, m.src.Slots.OwnSlots())
	}
	if m.src.Publishers != nil {
		if ps, err := m.src.Publishers.Publishers(); err != nil {
			errs = append(errs, fmt.Sprintf("publisher outputs: %v", err))
		} else {
			m.checkPublishers(now, ps)
		}
	}
	tip := m.tip()
	if m.src.Signing != nil && tip != unknownTip {
		r, ok := m.src.Signing.OpenRound()
		m.checkSilent(now, tip, r, ok)
	}
	if m.src.Payouts != nil && tip != unknownTip {
		if u, ok, err := m.src.Payouts.OldestUnpaid(); err != nil {
			errs = append(errs, fmt.Sprintf("payouts: %v", err))
		} else {
			m.checkPayout(now, tip, u, ok)
		}
	}
	if m.src.Audit != nil {
		n, sat := m.src.Audit.Unexplained()
		m.set(now, SupplyMismatch, n > 0, func() string {
			return fmt.Sprintf("the supply audit does not match: %d spend(s) of "+
				"pegbox coins that no rule allows took %d sat out of the pegbox "+
				"(sidecli peg info lists them)", n, sat)
		})
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "; "))
	}
	return nil
}

// tip returns the mainchain tip of the latest evaluation.
func (m *Monitor) tip() int32 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.mainTip
}

func (m *Monitor) checkStalled(now time.Time, p ChainProgress) {
	if !p.Weighing {
		m.weighSince = noWeight
		m.set(now, SidechainStalled, false, nil)
		return
	}
	if m.weighSince == noWeight {
		m.weighSince = p.MainTip
	}
	// Blocks since the later of the tip's publication and the block
	// before the tickets began to weigh.
	from := max(p.SideTipPub, m.weighSince-1)
	if m.weighSince == sinceEver {
		from = p.SideTipPub
	}
	gap := int64(p.MainTip) - int64(from)
	m.set(now, SidechainStalled, gap >= int64(m.cfg.StallBlocks), func() string {
		if p.SideTipPub < 0 {
			return fmt.Sprintf("no sideblock yet, %d mainchain blocks after the "+
				"tickets began to weigh (threshold %d blocks)", gap, m.cfg.StallBlocks)
		}
		return fmt.Sprintf("no sideblock for %d mainchain blocks: the sidechain "+
			"tip was published in block %d, the mainchain tip is %d, and the "+
			"tickets weigh something (threshold %d blocks)", gap, p.SideTipPub,
			p.MainTip, m.cfg.StallBlocks)
	})
}

func (m *Monitor) checkSlots(now time.Time, c SlotCounts) {
	b := m.slotBase
	if !m.slotBaseSet || c.Included != b.Included || c.Missed < b.Missed ||
		c.NotMined < b.NotMined || c.Refused < b.Refused {
		// A publication was included (or a reorg lowered the counts):
		// the streaks start again.
		m.slotBase, m.slotBaseSet = c, true
		b = c
	}
	notMined, refused := c.NotMined-b.NotMined, c.Refused-b.Refused
	recent := c.Recent
	if len(recent) > int(m.cfg.MissedWindow) {
		recent = recent[len(recent)-int(m.cfg.MissedWindow):]
	}
	missed := 0
	for _, miss := range recent {
		if miss {
			missed++
		}
	}
	m.set(now, OwnSlotsMissed, missed >= int(m.cfg.MissedSlots), func() string {
		return fmt.Sprintf("this node's tickets missed %d of their last %d decided "+
			"slots (threshold %d of %d; sidecli missed lists each miss with its "+
			"reason)", missed, len(recent), m.cfg.MissedSlots, m.cfg.MissedWindow)
	})
	rate, floor, known := int64(0), int64(0), false
	if m.src.Fees != nil {
		rate = m.src.Fees.HeaderFeeRate()
		floor, known = m.src.Fees.BlockFeeFloor()
	}
	// A header left out keeps the publisher output in the mainchain
	// node's mempool, which then refuses the next ones: after the first
	// header not mined, those refusals count too.
	held := uint64(0)
	if notMined > 0 {
		held = notMined + refused
	}
	on := held >= uint64(m.cfg.CensorshipSlots) && (!known || rate >= floor)
	m.set(now, SuspectedCensorship, on, func() string {
		took := "the node does not know the fee rates the blocks took"
		if known {
			took = fmt.Sprintf("the block that left out the latest took "+
				"transactions from %v", feeest.SatPerKVB(floor))
		}
		return fmt.Sprintf("%d of this node's slots since its last included "+
			"publication were lost to headers left out of the blocks: %d went "+
			"out in time (the latest at %v) and were not mined in the block "+
			"after their draw, %d more were refused by the mainchain node "+
			"meanwhile; %s (threshold %d slots)", held, notMined,
			feeest.SatPerKVB(rate), refused, took, m.cfg.CensorshipSlots)
	})
}

// checkPublishers raises PublisherLow while the publisher output of one
// of this wallet's live tickets pays for fewer than
// Config.PublisherHeaders headers; the message names the lowest.
func (m *Monitor) checkPublishers(now time.Time, ps []Publisher) {
	var (
		low    []Publisher
		lowest Publisher
	)
	for _, p := range ps {
		if p.Headers() < int64(m.cfg.PublisherHeaders) {
			if len(low) == 0 || p.Headers() < lowest.Headers() {
				lowest = p
			}
			low = append(low, p)
		}
	}
	m.set(now, PublisherLow, len(low) > 0, func() string {
		return fmt.Sprintf("%d of this wallet's live tickets have fewer than %d "+
			"headers' worth left in their publisher output; the lowest, ticket "+
			"%d, has %d sat, %d headers at %d sat each (the wallet adds coins "+
			"when a header needs them, its balance permitting)",
			len(low), m.cfg.PublisherHeaders, lowest.Ticket, lowest.Value,
			lowest.Headers(), lowest.HeaderFee)
	})
}

func (m *Monitor) checkSilent(now time.Time, tip int32, r Round, ok bool) {
	waited := tip - r.Since
	on := ok && len(r.Silent) > 0 && waited >= m.cfg.SilentBlocks
	m.set(now, FederationSilent, on, func() string {
		silent := append([]string(nil), r.Silent...)
		sort.Strings(silent)
		return fmt.Sprintf("the %s (%v) has %d of the %d signatures it needs "+
			"after %d mainchain blocks (threshold %d blocks); silent members: %s",
			r.What, r.TxID, r.Signers, r.Threshold, waited, m.cfg.SilentBlocks,
			strings.Join(silent, ", "))
	})
}

func (m *Monitor) checkPayout(now time.Time, tip int32, u Unpaid, ok bool) {
	overdue := tip - u.PayableSince
	on := ok && u.Payable && overdue >= m.cfg.PayoutOverdueBlocks
	m.set(now, PayoutOverdue, on, func() string {
		return fmt.Sprintf("the withdrawals of sideblock %v (sidechain height %d) "+
			"have been payable since mainchain block %d, %d blocks ago, and "+
			"no payout is mined (threshold %d blocks)", u.SideBlock, u.SideHeight,
			u.PayableSince, overdue, m.cfg.PayoutOverdueBlocks)
	})
}

// CheckNotarization runs the notarization checks at time now: with a
// block to notarize, the age of the last notarization (before the first,
// the time since the monitor first saw a block to notarize) raises
// NotarizationIrregular from the network's IrregularAge and
// NotarizationInactive, instead, from its InactiveAge. Without a block to
// notarize (the sidechain has not grown past the last notarization) both
// clear: the sidechain's own alarms speak for a stalled chain.
func (m *Monitor) CheckNotarization(now time.Time) {
	if m.src.Notarization == nil {
		return
	}
	m.evalMu.Lock()
	defer m.evalMu.Unlock()
	l, err := m.src.Notarization.NotarizationLag(now)
	if err != nil {
		log.Errorf("Alarms: notarization lag: %v", err)
		return
	}
	age := l.Age
	switch {
	case l.Notarized || !l.Due:
		m.dueSince = time.Time{}
	case m.dueSince.IsZero():
		m.dueSince = now
		age = 0
	default:
		age = now.Sub(m.dueSince)
	}
	inactive := l.Due && age >= l.InactiveAge
	irregular := l.Due && !inactive && age >= l.IrregularAge
	msg := func(level string, threshold time.Duration) func() string {
		return func() string {
			if !l.Notarized {
				return fmt.Sprintf("notarization %s: no notarization counts yet, "+
					"%v after this node first saw a block to notarize "+
					"(threshold %v); sidecli status shows the lag", level,
					age.Round(time.Second), threshold)
			}
			return fmt.Sprintf("notarization %s: the last notarization that "+
				"counts, of sidechain height %d, is %v old (threshold %v); "+
				"sidecli status shows the lag", level, l.LastHeight,
				age.Round(time.Second), threshold)
		}
	}
	m.set(now, NotarizationInactive, inactive, msg("inactive", l.InactiveAge))
	m.set(now, NotarizationIrregular, irregular, msg("irregular", l.IrregularAge))
}

// CheckBackend runs the backend checks at time now.
func (m *Monitor) CheckBackend(now time.Time) {
	if m.src.Backend == nil {
		return
	}
	m.evalMu.Lock()
	defer m.evalMu.Unlock()
	st := m.src.Backend.BackendStatus()
	if st.Connected {
		m.discSince = time.Time{}
	} else if m.discSince.IsZero() {
		m.discSince = now
	}
	m.set(now, BackendDisconnected, !st.Connected && now.Sub(m.discSince) >= m.cfg.DisconnectedAfter,
		func() string {
			msg := fmt.Sprintf("the mainchain backend (%s) has been disconnected "+
				"since %s (threshold %v)", st.Name, m.discSince.UTC().Format(time.RFC3339),
				m.cfg.DisconnectedAfter)
			if st.Err != "" {
				msg += ": " + st.Err
			}
			return msg
		})

	if m.bestSince.IsZero() || st.Best != m.best {
		m.best, m.bestSince = st.Best, now
	}
	gap := st.Best - st.NodeTip
	stale := m.cfg.StaleTipAfter > 0 && now.Sub(m.bestSince) >= m.cfg.StaleTipAfter
	m.set(now, BackendBehind, gap >= m.cfg.BehindBlocks || stale, func() string {
		if gap >= m.cfg.BehindBlocks {
			return fmt.Sprintf("the node's mainchain tip %d is %d blocks behind the "+
				"backend's best block %d (threshold %d blocks)", st.NodeTip, gap,
				st.Best, m.cfg.BehindBlocks)
		}
		return fmt.Sprintf("the backend's (%s) best block %d has not moved since "+
			"%s (threshold %v): it may have lost the Bitcoin network", st.Name,
			st.Best, m.bestSince.UTC().Format(time.RFC3339), m.cfg.StaleTipAfter)
	})
}

// set raises reason's alarm when on, with the message msg returns, or
// clears it when not. An alarm that holds keeps when it was raised; its
// message is brought up to date.
func (m *Monitor) set(now time.Time, reason Reason, on bool, msg func() string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a, active := m.active[reason]
	switch {
	case on && active:
		a.Message = msg()
	case on:
		a = &Alarm{Reason: reason, Message: msg(), Raised: now, Height: m.mainTip}
		m.active[reason] = a
		m.addEvent(Event{Raised: true, Alarm: *a, At: now, Height: m.mainTip})
		log.Warnf("ALARM %s raised: %s", reason, a.Message)
	case active:
		delete(m.active, reason)
		m.addEvent(Event{Raised: false, Alarm: *a, At: now, Height: m.mainTip})
		log.Infof("Alarm %s cleared, after %v (raised at mainchain height %d)",
			reason, now.Sub(a.Raised).Round(time.Second), a.Height)
	}
}

// addEvent logs e and signals the change; m.mu is held.
func (m *Monitor) addEvent(e Event) {
	m.seq++
	e.Seq = m.seq
	m.events = append(m.events, e)
	if len(m.events) > MaxEvents {
		m.events = append(m.events[:0:0], m.events[len(m.events)-MaxEvents:]...)
	}
	close(m.changed)
	m.changed = make(chan struct{})
}

// Active returns the alarms that hold, in the order of Reasons, and the
// sequence number of the latest event.
func (m *Monitor) Active() ([]Alarm, uint64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := make([]Alarm, 0, len(m.active))
	for _, r := range Reasons {
		if a, ok := m.active[r]; ok {
			out = append(out, *a)
		}
	}
	return out, m.seq
}

// IsActive tells whether reason's alarm holds.
func (m *Monitor) IsActive(r Reason) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.active[r]
	return ok
}

// EventsAfter returns at most limit of the events after sequence number
// seq, oldest first. lost is true when some of them are no longer kept:
// the reader then starts again from Active.
func (m *Monitor) EventsAfter(seq uint64, limit int) (evs []Event, lost bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if seq >= m.seq {
		return nil, false
	}
	if len(m.events) == 0 || m.events[0].Seq > seq+1 {
		return nil, true
	}
	i := int(seq + 1 - m.events[0].Seq)
	end := min(len(m.events), i+limit)
	return append([]Event(nil), m.events[i:end]...), false
}

// Changed returns a channel that is closed at the next event.
func (m *Monitor) Changed() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.changed
}
