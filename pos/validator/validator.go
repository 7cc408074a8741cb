package validator

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/mainstake/sidenode/pos/bls"
	"github.com/mainstake/sidenode/pos/chain"
	"github.com/mainstake/sidenode/pos/slashing/protection"
)

// Chain is what the client needs of the node's pos chain; *chain.Chain is
// one.
type Chain interface {
	Config() *chain.Config
	Head() (chain.Root, *chain.State)
	OnTick(slot uint64) error
	AcceptBlock(b *chain.Block, now uint64) (chain.Root, error)
	AcceptAttestation(a *chain.Attestation, now uint64) ([]uint64, error)
}

// Gossip sends what the client made to peers.
type Gossip interface {
	BroadcastBlock(b *chain.Block)
	BroadcastAttestation(a *chain.Attestation)
}

// Protector is the slashing protection; *protection.DB is one.
type Protector interface {
	SignBlock(pk protection.PublicKey, slot uint64, signingRoot protection.Root) error
	SignAttestation(pk protection.PublicKey, source, target uint64, signingRoot protection.Root) error
}

// Clock is the time source.
type Clock interface {
	Now() time.Time
	After(d time.Duration) <-chan time.Time
}

// WallClock is the system clock.
type WallClock struct{}

// Now implements Clock.
func (WallClock) Now() time.Time { return time.Now() }

// After implements Clock.
func (WallClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Stats count what the client did.
type Stats struct {
	Proposed, Attested, Refused uint64
}

// Client is a validator client for a set of keys.
type Client struct {
	chain   Chain
	cfg     *chain.Config
	gossip  Gossip
	protect Protector
	keys    []*bls.SecretKey

	mu    sync.Mutex
	pool  []*chain.Attestation
	stats Stats
	logf  func(format string, args ...any)
}

// New returns a client for keys. Keys the registry does not hold are kept
// and act once a deposit makes them validators.
func New(c Chain, g Gossip, p Protector, keys []*bls.SecretKey, logf func(string, ...any)) *Client {
	if logf == nil {
		logf = func(string, ...any) {}
	}
	return &Client{chain: c, cfg: c.Config(), gossip: g, protect: p, keys: keys, logf: logf}
}

// Stats returns the client's counters.
func (v *Client) Stats() Stats {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.stats
}

// AddAttestation puts a vote (gossiped or own) in the pool for inclusion.
func (v *Client) AddAttestation(a *chain.Attestation) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.pool = append(v.pool, a)
}

// indexOf returns the validator index of key in st.
func indexOf(st *chain.State, key *bls.SecretKey) (uint64, bool) {
	return st.Registry.Index(key.PublicKey().Bytes())
}

// aggregated returns the pool's votes that a block at slot may still
// include, aggregated per data (votes whose bits overlap are left out of
// their group's aggregate), and drops the older ones.
func (v *Client) aggregated(slot uint64) []*chain.Attestation {
	v.mu.Lock()
	defer v.mu.Unlock()
	per := v.cfg.SlotsPerEpoch()
	keep := v.pool[:0]
	groups := map[chain.Root][]*chain.Attestation{}
	var order []chain.Root
	for _, a := range v.pool {
		if a.Data.Slot+per < slot {
			continue
		}
		keep = append(keep, a)
		k := a.Data.HashTreeRoot()
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], a)
	}
	v.pool = keep
	var out []*chain.Attestation
	for _, k := range order {
		var take []*chain.Attestation
		seen := make([]byte, len(groups[k][0].Bits))
	next:
		for _, a := range groups[k] {
			if len(a.Bits) != len(seen) {
				continue
			}
			for i := range a.Bits {
				if a.Bits[i]&seen[i] != 0 {
					continue next
				}
			}
			for i := range a.Bits {
				seen[i] |= a.Bits[i]
			}
			take = append(take, a)
		}
		if agg, ok := chain.Aggregate(take); ok {
			out = append(out, agg)
		}
	}
	return out
}

// Propose builds, signs and gossips the block of slot if one of the
// client's keys is its proposer on the current head. It returns whether
// it proposed.
func (v *Client) Propose(slot uint64) (bool, error) {
	if err := v.chain.OnTick(slot); err != nil {
		return false, err
	}
	_, head := v.chain.Head()
	if head.Slot >= slot {
		return false, nil
	}
	probe := head.Clone()
	if err := chain.ProcessSlots(v.cfg, probe, slot); err != nil {
		return false, err
	}
	proposer, err := probe.Proposer(v.cfg, slot)
	if err != nil {
		return false, err
	}
	for _, k := range v.keys {
		if i, ok := indexOf(probe, k); !ok || i != proposer {
			continue
		}
		b, _, err := chain.BuildBlock(v.cfg, head, slot, k, &chain.Proposal{Attestations: v.aggregated(slot)})
		if err != nil {
			return false, fmt.Errorf("building the block of slot %d: %w", slot, err)
		}
		sr := v.cfg.HeaderMessage(&b.Header.Message)
		if err := v.protect.SignBlock(k.PublicKey().Bytes(), slot, protection.Root(sr)); err != nil {
			v.count(func(s *Stats) { s.Refused++ })
			return false, fmt.Errorf("slashing protection refuses the block of slot %d: %w", slot, err)
		}
		if _, err := v.chain.AcceptBlock(b, slot); err != nil {
			return false, fmt.Errorf("own block of slot %d refused: %w", slot, err)
		}
		v.gossip.BroadcastBlock(b)
		v.count(func(s *Stats) { s.Proposed++ })
		v.logf("Proposed the block of slot %d (validator %d, %d attestations)", slot, proposer, len(b.Body.Attestations))
		return true, nil
	}
	return false, nil
}

func (v *Client) count(f func(*Stats)) {
	v.mu.Lock()
	f(&v.stats)
	v.mu.Unlock()
}

// Attest makes, signs and gossips the votes of the client's validators
// whose duty is slot, for the current head. It returns how many it made.
func (v *Client) Attest(slot uint64) (int, error) {
	root, head := v.chain.Head()
	probe := head
	if head.Slot < slot {
		probe = head.Clone()
		if err := chain.ProcessSlots(v.cfg, probe, slot); err != nil {
			return 0, err
		}
	}
	epoch := v.cfg.EpochOf(slot)
	n := 0
	for _, k := range v.keys {
		i, ok := indexOf(probe, k)
		if !ok {
			continue
		}
		d, ok, err := chain.AttesterDuty(v.cfg, probe, i, epoch)
		if err != nil {
			return n, err
		}
		if !ok || d.Slot != slot {
			continue
		}
		data, err := chain.AttestationData(v.cfg, head, root, slot, d.Committee)
		if err != nil {
			return n, err
		}
		sr := v.cfg.AttestationMessage(&data)
		if err := v.protect.SignAttestation(k.PublicKey().Bytes(), data.Source.Epoch, data.Target.Epoch, protection.Root(sr)); err != nil {
			v.count(func(s *Stats) { s.Refused++ })
			v.logf("Slashing protection refuses validator %d's vote at slot %d: %v", i, slot, err)
			continue
		}
		a := chain.Attest(v.cfg, d, data, k)
		if _, err := v.chain.AcceptAttestation(a, slot); err != nil {
			return n, fmt.Errorf("own vote of validator %d refused: %w", i, err)
		}
		v.AddAttestation(a)
		v.gossip.BroadcastAttestation(a)
		v.count(func(s *Stats) { s.Attested++ })
		n++
	}
	return n, nil
}

// OnSlot does slot's duties at once: propose, then attest.
func (v *Client) OnSlot(slot uint64) error {
	if _, err := v.Propose(slot); err != nil {
		return err
	}
	_, err := v.Attest(slot)
	return err
}

// Run does every slot's duties by clock until ctx ends: the proposal at the
// slot's start, the votes a third into it. A duty that fails is logged and
// the next slot goes on.
func (v *Client) Run(ctx context.Context, clock Clock) error {
	pp := v.cfg.Net.Pos
	for {
		slot, ok := pp.SlotAt(clock.Now())
		next := slot + 1
		if !ok {
			next = 0
		}
		if err := wait(ctx, clock, pp.SlotStart(next)); err != nil {
			return err
		}
		if _, err := v.Propose(next); err != nil {
			v.logf("Slot %d: %v", next, err)
		}
		if err := wait(ctx, clock, pp.SlotStart(next).Add(pp.SlotDuration/3)); err != nil {
			return err
		}
		if _, err := v.Attest(next); err != nil {
			v.logf("Slot %d: %v", next, err)
		}
	}
}

// wait returns at t or when ctx ends.
func wait(ctx context.Context, clock Clock, t time.Time) error {
	d := t.Sub(clock.Now())
	if d <= 0 {
		return ctx.Err()
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-clock.After(d):
		return nil
	}
}
