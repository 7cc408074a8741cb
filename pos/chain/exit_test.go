package chain

import (
	"errors"
	"testing"

	"github.com/mainstake/sidenode/pos/registry"
)

// TestVoluntaryExits: a validator's signed exit, once it has been active
// for ShardCommitteePeriod epochs, sets its exit epoch through the queue
// and its withdrawable epoch after the delay; an exit too early, for a
// later epoch, signed by another key, or repeated is refused with
// ErrBadExit.
func TestVoluntaryExits(t *testing.T) {
	s := newSim(t, []bool{true, true, true, true})
	for i := 0; i < 2*8; i++ {
		s.step()
	}
	tr := &tree{t: t, cfg: s.cfg, keys: s.keys, c: s.nodes[0]}
	const v = 2
	try := func(name string, e SignedExit, code ErrorCode) {
		t.Helper()
		head, _ := tr.c.Head()
		slot := tr.nextSlot(head, s.slot+1)
		b := tr.build(head, slot, nil)
		b.Body.VoluntaryExits = []SignedExit{e}
		tr.reseal(head, b, s.keys[b.Header.Message.ProposerIndex])
		tr.reject(name, b, slot, code)
	}
	_, st := tr.c.Head()
	early := s.cfg.NewExit(st.Epoch(s.cfg), v, s.keys[v])
	try("too early", early, ErrBadExit)
	if _, err := tr.c.AcceptBlock(func() *Block {
		head, _ := tr.c.Head()
		slot := tr.nextSlot(head, s.slot+1)
		b := tr.build(head, slot, nil)
		b.Body.VoluntaryExits = []SignedExit{early}
		tr.reseal(head, b, s.keys[b.Header.Message.ProposerIndex])
		return b
	}(), s.slot+1); !errors.Is(err, registry.ErrExitTooEarly) {
		t.Fatalf("too early: %v, want the registry's ErrExitTooEarly", err)
	}

	for i := 0; i < 3*8; i++ { // to epoch 5, past the 4-epoch period
		s.step()
	}
	epoch := s.cfg.EpochOf(s.slot + 1)
	try("a later epoch", s.cfg.NewExit(epoch+1, v, s.keys[v]), ErrBadExit)
	forged := s.cfg.NewExit(epoch, v, s.keys[v])
	forged.Signature = sign(s.keys[0], s.cfg.ExitMessage(epoch, v))
	try("signed by another key", forged, ErrBadExit)
	try("unknown validator", s.cfg.NewExit(epoch, 9, s.keys[v]), ErrBadExit)

	head, _ := tr.c.Head()
	slot := tr.nextSlot(head, s.slot+1)
	b := tr.build(head, slot, &Proposal{VoluntaryExits: []SignedExit{s.cfg.NewExit(epoch, v, s.keys[v])}})
	r := tr.accept("exit", b, slot)
	val := tr.state(r).Registry.Validators[v]
	want := s.cfg.Registry.ActivationExitEpoch(epoch)
	if val.ExitEpoch != want || val.WithdrawableEpoch != want+s.cfg.Registry.MinValidatorWithdrawabilityDelay {
		t.Fatalf("exit epoch %d withdrawable %d, want %d and %d", val.ExitEpoch, val.WithdrawableEpoch,
			want, want+s.cfg.Registry.MinValidatorWithdrawabilityDelay)
	}
	s.slot = slot
	try("again", s.cfg.NewExit(epoch, v, s.keys[v]), ErrBadExit)
}
