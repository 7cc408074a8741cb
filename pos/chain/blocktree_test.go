package chain

import (
	"errors"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/pos/bls"
	"github.com/mainstake/sidenode/pos/slashing"
	"github.com/mainstake/sidenode/sideblock"
)

// tree drives one Chain with hand-made blocks, as sideblock's full-block
// tests do: each case builds a block on a parent, spoils one thing, and
// checks the code it is refused with and that the head did not move.
type tree struct {
	t    *testing.T
	cfg  *Config
	keys []*bls.SecretKey
	c    *Chain
}

func newTree(t *testing.T) *tree {
	cfg := testConfig(t)
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &tree{t: t, cfg: cfg, keys: devKeys(t), c: c}
}

// state returns the state after block root.
func (tr *tree) state(root Root) *State {
	tr.c.mu.Lock()
	defer tr.c.mu.Unlock()
	n, ok := tr.c.nodes[root]
	if !ok {
		tr.t.Fatalf("no block %x", root[:8])
	}
	return n.state
}

// proposer returns the proposer of slot on parent.
func (tr *tree) proposer(parent Root, slot uint64) uint64 {
	st := tr.state(parent).Clone()
	if err := ProcessSlots(tr.cfg, st, slot); err != nil {
		tr.t.Fatal(err)
	}
	p, err := st.Proposer(tr.cfg, slot)
	if err != nil {
		tr.t.Fatal(err)
	}
	return p
}

// nextSlot returns the first slot from from on whose proposer on parent
// is not slashed.
func (tr *tree) nextSlot(parent Root, from uint64) uint64 {
	st := tr.state(parent)
	for s := from; ; s++ {
		if !st.Registry.Validators[tr.proposer(parent, s)].Slashed {
			return s
		}
	}
}

// build returns a valid block of slot on parent.
func (tr *tree) build(parent Root, slot uint64, p *Proposal) *Block {
	b, _, err := BuildBlock(tr.cfg, tr.state(parent), slot, tr.keys[tr.proposer(parent, slot)], p)
	if err != nil {
		tr.t.Fatalf("build slot %d: %v", slot, err)
	}
	return b
}

// reseal recomputes b's body root and state root (when the state
// transition takes the body) and signs it again with key, so that a
// spoiled body is refused for what was spoiled, not for its seal.
func (tr *tree) reseal(parent Root, b *Block, key *bls.SecretKey) {
	h := &b.Header.Message
	var err error
	if h.BodyRoot, err = b.Body.BodyRoot(); err != nil {
		tr.t.Fatal(err)
	}
	st := tr.state(parent).Clone()
	if ProcessSlots(tr.cfg, st, h.Slot) == nil && ProcessBlock(tr.cfg, st, b, SkipSignatures) == nil {
		h.StateRoot = st.Root()
	}
	b.Header.Signature = sign(key, tr.cfg.HeaderMessage(h))
}

// accept adds b, which must be accepted and become the head.
func (tr *tree) accept(name string, b *Block, now uint64) Root {
	tr.t.Helper()
	root, err := tr.c.AcceptBlock(b, now)
	if err != nil {
		tr.t.Fatalf("%s: refused: %v", name, err)
	}
	if head, _ := tr.c.Head(); head != root {
		tr.t.Fatalf("%s: accepted but not the head", name)
	}
	return root
}

// reject checks that b is refused with code and that the head stays.
func (tr *tree) reject(name string, b *Block, now uint64, code ErrorCode) {
	tr.t.Helper()
	before, _ := tr.c.Head()
	_, err := tr.c.AcceptBlock(b, now)
	if !IsErrorCode(err, code) {
		tr.t.Fatalf("%s: got %v, want %v", name, err, code)
	}
	if after, _ := tr.c.Head(); after != before {
		tr.t.Fatalf("%s: the head moved", name)
	}
}

func clone(b *Block) *Block {
	e, err := b.Encode()
	if err != nil {
		panic(err)
	}
	c, err := DecodeBlock(e)
	if err != nil {
		panic(err)
	}
	return c
}

// TestBlockTree accepts and refuses blocks one rule at a time.
func TestBlockTree(t *testing.T) {
	tr := newTree(t)
	g := tr.c.Genesis()
	b1 := tr.build(g, 1, nil)
	r1 := tr.accept("b1", b1, 1)
	tr.reject("duplicate", b1, 1, ErrDuplicateBlock)

	b2 := tr.build(r1, 2, nil)
	tr.reject("future slot", b2, 1, ErrFutureSlot)

	orphan := clone(b2)
	orphan.Header.Message.ParentRoot[0] ^= 1
	tr.reject("unknown parent", orphan, 2, ErrUnknownParent)

	wrong := clone(b2)
	other := (wrong.Header.Message.ProposerIndex + 1) % 4
	wrong.Header.Message.ProposerIndex = other
	tr.reseal(r1, wrong, tr.keys[other])
	tr.reject("wrong proposer", wrong, 2, ErrWrongProposer)

	badSig := clone(b2)
	badSig.Header.Signature = sign(tr.keys[other], tr.cfg.HeaderMessage(&badSig.Header.Message))
	tr.reject("signature of another key", badSig, 2, ErrBadProposerSignature)

	proposer := b2.Header.Message.ProposerIndex
	badRandao := clone(b2)
	badRandao.Body.RandaoReveal = sign(tr.keys[proposer], tr.cfg.RandaoMessage(7))
	tr.reseal(r1, badRandao, tr.keys[proposer])
	tr.reject("reveal of another epoch", badRandao, 2, ErrBadRandao)

	badBody := clone(b2)
	badBody.Body.Transactions[0].TxOut[0].Value--
	tr.reject("body not the header's", badBody, 2, ErrBadBodyRoot)

	badState := clone(b2)
	badState.Header.Message.StateRoot[0] ^= 1
	badState.Header.Signature = sign(tr.keys[proposer], tr.cfg.HeaderMessage(&badState.Header.Message))
	tr.reject("wrong state root", badState, 2, ErrBadStateRoot)

	overpay := clone(b2)
	overpay.Body.Transactions[0].TxOut[0].Value++
	tr.reseal(r1, overpay, tr.keys[proposer])
	tr.reject("coinbase pays too much", overpay, 2, ErrBadTransactions)
	_, err := tr.c.AcceptBlock(overpay, 2)
	var se sideblock.RuleError
	if !errors.As(err, &se) || se.ErrorCode != sideblock.ErrBadCoinbaseValue {
		t.Fatalf("coinbase pays too much: leaf error %v", err)
	}

	spend := clone(b2)
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(wire.NewOutPoint(&chainhash.Hash{1}, 0), nil, nil))
	tx.AddTxOut(wire.NewTxOut(1000, []byte{0x51}))
	spend.Body.Transactions = append(spend.Body.Transactions, tx)
	tr.reseal(r1, spend, tr.keys[proposer])
	tr.reject("spends a missing output", spend, 2, ErrBadTransactions)

	mint := clone(b2)
	mt, err := sideblock.NewMintTx([]sideblock.Deposit{{Seq: 1, Value: 1000, PkScript: []byte{0x51}}})
	if err != nil {
		t.Fatal(err)
	}
	mint.Body.Transactions = append(mint.Body.Transactions[:1], mt)
	tr.reseal(r1, mint, tr.keys[proposer])
	tr.reject("mint transaction", mint, 2, ErrBadWithdrawals)

	r2 := tr.accept("b2", b2, 2)

	// Attestations: validators of slot 2's committee vote for b2 and
	// b3 includes them.
	st := tr.state(r2)
	var votes []*Attestation
	var voters []uint64
	for v := uint64(0); v < 4; v++ {
		d, ok, err := AttesterDuty(tr.cfg, st, v, 0)
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		if d.Slot != 2 {
			continue
		}
		data, err := AttestationData(tr.cfg, st, r2, 2, d.Committee)
		if err != nil {
			t.Fatal(err)
		}
		votes = append(votes, Attest(tr.cfg, d, data, tr.keys[v]))
		voters = append(voters, v)
	}
	if len(votes) == 0 {
		t.Skip("nobody attests at slot 2 with these keys")
	}
	good := tr.build(r2, 3, &Proposal{Attestations: votes})
	if len(good.Body.Attestations) != len(votes) {
		t.Fatalf("%d of %d votes included", len(good.Body.Attestations), len(votes))
	}
	p3 := good.Header.Message.ProposerIndex

	badAgg := clone(good)
	badAgg.Body.Attestations[0].Signature = sign(tr.keys[(voters[0]+1)%4], tr.cfg.AttestationMessage(&badAgg.Body.Attestations[0].Data))
	tr.reseal(r2, badAgg, tr.keys[p3])
	tr.reject("vote signed by another key", badAgg, 3, ErrBadAttestationSignature)

	badSource := clone(good)
	badSource.Body.Attestations[0].Data.Source.Epoch = 1
	badSource.Body.Attestations[0].Signature = sign(tr.keys[voters[0]], tr.cfg.AttestationMessage(&badSource.Body.Attestations[0].Data))
	tr.reseal(r2, badSource, tr.keys[p3])
	tr.reject("vote with a source not justified", badSource, 3, ErrBadAttestation)

	badBits := clone(good)
	badBits.Body.Attestations[0].Len++
	if badBits.Body.Attestations[0].Len%8 == 1 {
		badBits.Body.Attestations[0].Bits = append(badBits.Body.Attestations[0].Bits, 0)
	}
	tr.reseal(r2, badBits, tr.keys[p3])
	tr.reject("bits for another committee size", badBits, 3, ErrBadAttestation)

	sameSlot := clone(good)
	sameSlot.Body.Attestations[0].Data.Slot = 3
	tr.reseal(r2, sameSlot, tr.keys[p3])
	tr.reject("vote included in its own slot", sameSlot, 3, ErrBadAttestation)

	r3 := tr.accept("b3 with votes", good, 3)
	st3 := tr.state(r3)
	for _, v := range voters {
		if st3.CurrentParticipation[v] == 0 {
			t.Fatalf("voter %d has no participation flag", v)
		}
	}
}

// TestDoubleProposalSlashed: two signed headers of one proposer at one
// slot, included as evidence, slash it (immediate penalty, forced exit,
// whistleblower reward); evidence with a forged signature is refused.
func TestDoubleProposalSlashed(t *testing.T) {
	tr := newTree(t)
	g := tr.c.Genesis()
	b1 := tr.build(g, 1, nil)
	r1 := tr.accept("b1", b1, 1)
	p1 := b1.Header.Message.ProposerIndex
	twin := b1.Header
	twin.Message.BodyRoot[0] ^= 1
	twin.Signature = sign(tr.keys[p1], tr.cfg.HeaderMessage(&twin.Message))
	ev := slashing.ProposerSlashing{Header1: b1.Header, Header2: twin}

	slot := uint64(2)
	for tr.proposer(r1, slot) == p1 {
		slot++
	}
	forged := ev
	forged.Header2.Signature = sign(tr.keys[(p1+1)%4], tr.cfg.HeaderMessage(&twin.Message))
	bad := tr.build(r1, slot, nil)
	bad.Body.ProposerSlashings = []slashing.ProposerSlashing{forged}
	tr.reseal(r1, bad, tr.keys[bad.Header.Message.ProposerIndex])
	tr.reject("forged evidence", bad, slot, ErrBadSlashing)

	b := tr.build(r1, slot, &Proposal{ProposerSlashings: []slashing.ProposerSlashing{ev}})
	r := tr.accept("evidence", b, slot)
	st := tr.state(r)
	v := st.Registry.Validators[p1]
	if !v.Slashed || v.Balance >= tr.state(r1).Registry.Validators[p1].Balance {
		t.Fatalf("validator %d slashed %v balance %d", p1, v.Slashed, v.Balance)
	}
	whistle := b.Header.Message.ProposerIndex
	if st.Registry.Validators[whistle].Balance <= tr.state(r1).Registry.Validators[whistle].Balance {
		t.Fatal("no whistleblower reward")
	}
	next := tr.nextSlot(r, slot+1)
	again := tr.build(r, next, nil)
	again.Body.ProposerSlashings = []slashing.ProposerSlashing{ev}
	tr.reseal(r, again, tr.keys[again.Header.Message.ProposerIndex])
	tr.reject("evidence of a slashed validator", again, next, ErrBadSlashing)
}

// TestSurroundVoteSlashed: two votes of one validator, one surrounding the
// other, included as evidence, slash it.
func TestSurroundVoteSlashed(t *testing.T) {
	tr := newTree(t)
	g := tr.c.Genesis()
	b1 := tr.build(g, 1, nil)
	r1 := tr.accept("b1", b1, 1)
	const v = 2
	vote := func(src, target uint64) slashing.IndexedAttestation {
		d := slashing.AttestationData{Slot: target * 8, Source: slashing.Checkpoint{Epoch: src}, Target: slashing.Checkpoint{Epoch: target}}
		return slashing.IndexedAttestation{AttestingIndices: []uint64{v}, Data: d, Signature: sign(tr.keys[v], tr.cfg.AttestationMessage(&d))}
	}
	ev := slashing.AttesterSlashing{Attestation1: vote(0, 5), Attestation2: vote(1, 3)}
	slot := uint64(2)
	b := tr.build(r1, slot, &Proposal{AttesterSlashings: []slashing.AttesterSlashing{ev}})
	r := tr.accept("surround evidence", b, slot)
	if !tr.state(r).Registry.Validators[v].Slashed {
		t.Fatal("surrounding validator not slashed")
	}
	notSlashable := slashing.AttesterSlashing{Attestation1: vote(0, 3), Attestation2: vote(1, 5)}
	next := tr.nextSlot(r, slot+1)
	bad := tr.build(r, next, nil)
	bad.Body.AttesterSlashings = []slashing.AttesterSlashing{notSlashable}
	tr.reseal(r, bad, tr.keys[bad.Header.Message.ProposerIndex])
	tr.reject("votes that do not conflict", bad, next, ErrBadSlashing)
}

// TestHeavierForkWins: two children of one block; the one more
// validators vote for becomes the head, whichever was head before.
func TestHeavierForkWins(t *testing.T) {
	tr := newTree(t)
	g := tr.c.Genesis()
	base := tr.accept("base", tr.build(g, 1, nil), 1)
	a := tr.build(base, 2, nil)
	b := tr.build(base, 3, nil)
	ra, err := tr.c.AcceptBlock(a, 3)
	if err != nil {
		t.Fatal(err)
	}
	rb, err := tr.c.AcceptBlock(b, 3)
	if err != nil {
		t.Fatal(err)
	}
	// The epoch's votes: three for the block that is not the head.
	head, _ := tr.c.Head()
	loser, lst := ra, tr.state(ra)
	if head == ra {
		loser, lst = rb, tr.state(rb)
	}
	n := 0
	for v := uint64(0); v < 4 && n < 3; v++ {
		d, ok, err := AttesterDuty(tr.cfg, lst, v, 1)
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		data, err := AttestationData(tr.cfg, lst, loser, d.Slot, d.Committee)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.c.AcceptAttestation(Attest(tr.cfg, d, data, tr.keys[v]), 15); err != nil {
			t.Fatalf("vote of %d: %v", v, err)
		}
		n++
	}
	if err := tr.c.OnTick(15); err != nil {
		t.Fatal(err)
	}
	if now, _ := tr.c.Head(); now != loser {
		t.Fatal("the fork with more votes is not the head")
	}
}

// TestBadGossipVotes: votes for unknown blocks, future slots, with a bad
// signature or for another committee are refused and move nothing.
func TestBadGossipVotes(t *testing.T) {
	tr := newTree(t)
	g := tr.c.Genesis()
	r1 := tr.accept("b1", tr.build(g, 1, nil), 1)
	st := tr.state(r1)
	d, _, err := AttesterDuty(tr.cfg, st, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	data, err := AttestationData(tr.cfg, st, r1, d.Slot, d.Committee)
	if err != nil {
		t.Fatal(err)
	}
	good := Attest(tr.cfg, d, data, tr.keys[0])

	unknown := *good
	unknown.Data.BeaconBlockRoot[0] ^= 1
	if _, err := tr.c.AcceptAttestation(&unknown, 15); !IsErrorCode(err, ErrUnknownBlockRoot) {
		t.Errorf("unknown block: %v", err)
	}
	if _, err := tr.c.AcceptAttestation(good, d.Slot-1); !IsErrorCode(err, ErrFutureSlot) {
		t.Errorf("future slot: %v", err)
	}
	forged := *good
	forged.Signature = sign(tr.keys[1], tr.cfg.AttestationMessage(&good.Data))
	if _, err := tr.c.AcceptAttestation(&forged, 15); !IsErrorCode(err, ErrBadAttestationSignature) {
		t.Errorf("forged: %v", err)
	}
	wrongCommittee := *good
	wrongCommittee.Data.Index = 99
	if _, err := tr.c.AcceptAttestation(&wrongCommittee, 15); !IsErrorCode(err, ErrBadAttestation) {
		t.Errorf("wrong committee: %v", err)
	}
	if _, err := tr.c.AcceptAttestation(good, 15); err != nil {
		t.Errorf("good vote: %v", err)
	}
}

// TestFinalizedNeverReverted: once the chain finalizes, it forgets the
// blocks that do not descend from the finalized one, so a branch from
// before it (here from genesis, validly signed) is refused
// (ErrUnknownParent) and the head stays.
func TestFinalizedNeverReverted(t *testing.T) {
	s := newSim(t, []bool{true, true, true, true})
	for i := 0; i < 5*8; i++ {
		s.step()
	}
	c := s.nodes[0]
	fin := c.Finalized()
	if fin.Epoch < 2 {
		t.Fatalf("finalized epoch %d", fin.Epoch)
	}
	tr := &tree{t: t, cfg: s.cfg, keys: s.keys, c: c}
	g := c.Genesis()
	gs, _, err := GenesisState(s.cfg)
	if err != nil {
		t.Fatal(err)
	}
	slot := s.slot
	st := gs.Clone()
	if err := ProcessSlots(s.cfg, st, slot); err != nil {
		t.Fatal(err)
	}
	p, err := st.Proposer(s.cfg, slot)
	if err != nil {
		t.Fatal(err)
	}
	b, _, err := BuildBlock(s.cfg, gs, slot, s.keys[p], nil)
	if err != nil {
		t.Fatal(err)
	}
	if b.Header.Message.ParentRoot != g {
		t.Fatal("not on genesis")
	}
	tr.reject("branch from genesis", b, slot, ErrUnknownParent)
}
