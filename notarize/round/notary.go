package round

import (
	"bytes"
	"errors"
	"sort"
	"sync"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/notarize"
	"github.com/mainstake/sidenode/psbtsign"
)

// Transport carries round messages between notaries: Send gives one to
// every other notary (in the node, notarize/notary's relay over the peer
// protocol). It must not call back into the Notary that sends.
type Transport interface {
	Send(msg []byte)
}

// Clock tells the time the round timeouts are measured by.
type Clock interface {
	Now() time.Time
}

// Output is a mainchain output of the notary's wallet.
type Output struct {
	OutPoint wire.OutPoint
	Value    int64
}

// Wallet holds the notary keys and their outputs.
type Wallet interface {
	// NotaryKey returns the private key of the notary key pub, and false
	// when the wallet does not hold it.
	NotaryKey(pub [33]byte) (*btcec.PrivateKey, bool)

	// Unspent returns the wallet's spendable outputs that pay pkScript.
	Unspent(pkScript []byte) ([]Output, error)
}

// UTXOSource is the mainchain's unspent outputs as the node sees them.
type UTXOSource interface {
	// Spendable returns the output op names while it is unspent (in the
	// chain and the mempool), and false once it is spent or unknown.
	Spendable(op wire.OutPoint) (*wire.TxOut, bool, error)
}

// Broadcaster sends a finalized notarization to the mainchain.
type Broadcaster interface {
	Broadcast(tx *wire.MsgTx) error
}

// Config is what a Notary needs.
type Config struct {
	Params *chainparams.Params

	// Timeout is how long an attempt may last before the notary starts
	// the next one.
	Timeout time.Duration

	// FeeRate is the fee rate, in satoshis per virtual byte, this notary
	// proposes when it leads; MaxFeeRate the most it signs.
	FeeRate    int64
	MaxFeeRate int64

	Transport   Transport
	Clock       Clock
	Wallet      Wallet
	UTXOs       UTXOSource
	Broadcaster Broadcaster
}

// maxEarly is how many authentic messages of rounds this node has not
// started yet it keeps; the oldest go first.
const maxEarly = 256

// Notary is one notary's part in the rounds: a state machine driven by
// Tip (a new best sidechain tip), Handle (a round message from a peer) and
// Poll (time passed). Its methods are safe for concurrent use; the
// messages and the broadcast they cause are handed to the Transport and
// the Broadcaster after the Notary's lock is released.
type Notary struct {
	cfg Config

	mu      sync.Mutex
	r       *roundState // nil before the first round
	early   []*Message  // authentic messages of later rounds
	out     [][]byte
	finals  []*wire.MsgTx
	lastErr error // the last broadcast or wallet failure
}

// roundState is the round of one payload, across its attempts.
type roundState struct {
	p        notarize.Payload
	id       RoundID // Attempt is the current attempt
	season   *chainparams.NotarySeason
	me       int // this node's notary index in the season, -1: none
	key      *btcec.PrivateKey
	pub      [33]byte
	deadline time.Time
	excluded map[wire.OutPoint]bool
	final    *wire.MsgTx
	settled  bool // a notarization at or above the height counts
	att      *attemptState
}

// attemptState is what one attempt gathered.
type attemptState struct {
	seen    map[msgKey]*Message // the first accepted message per sender and kind
	ann     map[int]notarize.NotaryUTXO
	myAnn   []byte // this node's announcement, to resend to stragglers
	nudged  map[uint8]bool
	set     *Message
	inputs  []notarize.NotaryUTXO
	session *psbtsign.Session
	pending []*Message // signatures that came before the set
}

type msgKey struct {
	sender uint8
	kind   Kind
}

// New returns a notary with the configuration cfg.
func New(cfg Config) (*Notary, error) {
	switch {
	case cfg.Params == nil || cfg.Params.Notary == nil:
		return nil, errors.New("round: the network has no notary set")
	case cfg.Timeout <= 0:
		return nil, errors.New("round: the attempt timeout must be positive")
	case cfg.FeeRate < 1 || cfg.MaxFeeRate < cfg.FeeRate:
		return nil, errors.New("round: the fee rate must be at least 1 sat/vB " +
			"and at most the maximum fee rate")
	case cfg.Transport == nil || cfg.Clock == nil || cfg.Wallet == nil ||
		cfg.UTXOs == nil || cfg.Broadcaster == nil:
		return nil, errors.New("round: transport, clock, wallet, UTXO source " +
			"and broadcaster are all needed")
	}
	return &Notary{cfg: cfg}, nil
}

// Leader returns the notary index that leads attempt a of the round of
// payload p on params: the season's notary (p.Height /
// NotarizationInterval + a) mod the season's size.
func Leader(p notarize.Payload, params *chainparams.Params, a uint32) int {
	np := params.Notary
	n := uint64(len(np.Seasons[p.Season].Pubkeys))
	return int((uint64(p.Height/np.NotarizationInterval) + uint64(a)) % n)
}

// flush hands the queued messages and transactions over; call it without
// the lock.
func (n *Notary) flush() {
	n.mu.Lock()
	out, finals := n.out, n.finals
	n.out, n.finals = nil, nil
	n.mu.Unlock()
	for _, m := range out {
		n.cfg.Transport.Send(m)
	}
	for _, tx := range finals {
		if err := n.cfg.Broadcaster.Broadcast(tx); err != nil {
			n.mu.Lock()
			n.lastErr = err
			n.mu.Unlock()
		}
	}
}

// Tip tells the notary the best sidechain's tip height, its chain and the
// last notarization that counts (nil: none). When it gives a round target
// (notarize.RoundTarget) other than the current round's, a round of that
// target starts at attempt 0; a target at a lower height is ignored.
func (n *Notary) Tip(chain notarize.Chain, tipHeight int32, last *notarize.Notarization) {
	defer n.flush()
	n.mu.Lock()
	defer n.mu.Unlock()
	if r := n.r; r != nil && last != nil && int32(r.id.Height) <= last.Height {
		// A notarization of this round's height or above counts: the
		// round is over, whoever finished it.
		r.settled = true
	}
	p, ok := notarize.RoundTarget(chain, tipHeight, n.cfg.Params, last)
	if !ok {
		return
	}
	if r := n.r; r != nil {
		if p.Height < r.p.Height || p == r.p {
			return
		}
	}
	season := &n.cfg.Params.Notary.Seasons[p.Season]
	r := &roundState{p: p, season: season, me: -1,
		id:       RoundID{Season: uint16(p.Season), Height: uint32(p.Height), Block: p.Block},
		excluded: make(map[wire.OutPoint]bool)}
	for i, pub := range season.Pubkeys {
		if key, ok := n.cfg.Wallet.NotaryKey(pub); ok {
			r.me, r.key, r.pub = i, key, pub
			break
		}
	}
	n.r = r
	n.startAttempt(0)

	// The messages of this round that came early.
	var keep []*Message
	early := n.early
	n.early = nil
	for _, m := range early {
		switch {
		case m.Round.Height == r.id.Height:
			_ = n.dispatch(m)
		case m.Round.Height > r.id.Height:
			keep = append(keep, m)
		}
	}
	n.early = append(keep, n.early...)
}

// Poll starts the next attempt when the current one has passed its
// timeout without a complete transaction.
func (n *Notary) Poll() {
	defer n.flush()
	n.mu.Lock()
	defer n.mu.Unlock()
	r := n.r
	if r == nil || r.final != nil || r.settled || n.cfg.Clock.Now().Before(r.deadline) {
		return
	}
	n.startAttempt(r.id.Attempt + 1)
}

// startAttempt starts attempt a of the current round: it forgets what
// the previous attempt gathered (not the excluded inputs), sets the
// deadline and announces this notary's input.
func (n *Notary) startAttempt(a uint32) {
	r := n.r
	r.id.Attempt = a
	r.deadline = n.cfg.Clock.Now().Add(n.cfg.Timeout)
	r.att = &attemptState{seen: make(map[msgKey]*Message),
		ann: make(map[int]notarize.NotaryUTXO), nudged: make(map[uint8]bool)}
	if r.me < 0 {
		return
	}
	u, err := n.ownInput()
	if err != nil {
		n.lastErr = err
		return
	}
	m := &Message{Kind: KindAnnounce, Round: r.id, Sender: uint8(r.me),
		OutPoint: u.OutPoint, Value: u.Value}
	if n.send(m) {
		r.att.myAnn = m.Encode()
		_ = n.handleAnnounce(m)
	}
}

// send signs m with this notary's key, records it as seen and queues it.
func (n *Notary) send(m *Message) bool {
	r := n.r
	if err := m.Sign(r.key, n.cfg.Params.SidechainID); err != nil {
		n.lastErr = err
		return false
	}
	n.out = append(n.out, m.Encode())
	return true
}

// ownInput picks the output this notary offers: of the wallet's outputs
// to its notary script that the UTXO source calls spendable, are not
// excluded from the round and are worth at least the round's input value
// at this node's fee rate, the least valuable (ties: the lowest outpoint).
func (n *Notary) ownInput() (notarize.NotaryUTXO, error) {
	r := n.r
	min, err := MinInputValue(r.p, n.cfg.Params, n.cfg.FeeRate)
	if err != nil {
		return notarize.NotaryUTXO{}, err
	}
	script := notarize.NotaryScript(r.pub)
	outs, err := n.cfg.Wallet.Unspent(script)
	if err != nil {
		return notarize.NotaryUTXO{}, err
	}
	var best *Output
	for i := range outs {
		o := &outs[i]
		if o.Value < min || r.excluded[o.OutPoint] || !n.spendable(o.OutPoint, o.Value, script) {
			continue
		}
		if best == nil || o.Value < best.Value || (o.Value == best.Value &&
			lessOutPoint(o.OutPoint, best.OutPoint)) {
			best = o
		}
	}
	if best == nil {
		return notarize.NotaryUTXO{}, ruleErrorf(ErrNoInput, "notary %d has no "+
			"spendable output of at least %d sat for the round of height %d",
			r.me, min, r.p.Height)
	}
	return notarize.NotaryUTXO{Notary: r.me, OutPoint: best.OutPoint,
		Value: best.Value, PkScript: script}, nil
}

func lessOutPoint(a, b wire.OutPoint) bool {
	if c := bytes.Compare(a.Hash[:], b.Hash[:]); c != 0 {
		return c < 0
	}
	return a.Index < b.Index
}

// spendable reports whether the UTXO source has op unspent, with the
// given value and script.
func (n *Notary) spendable(op wire.OutPoint, value int64, script []byte) bool {
	out, ok, err := n.cfg.UTXOs.Spendable(op)
	if err != nil {
		n.lastErr = err
		return false
	}
	return ok && out.Value == value && bytes.Equal(out.PkScript, script)
}

// Handle takes a round message from a peer. A refusal is a *RuleError
// whose code's BanScore is what the delivering peer's ban score should
// grow by; a nil error means the message was taken (or kept for a round
// this notary has not started yet).
func (n *Notary) Handle(raw []byte) error {
	m, err := Decode(raw)
	if err != nil {
		return err
	}
	if _, err := m.Verify(n.cfg.Params); err != nil {
		return err
	}
	defer n.flush()
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.dispatch(m)
}

// dispatch routes an authentic message by its round and attempt.
func (n *Notary) dispatch(m *Message) error {
	r := n.r
	switch {
	case r == nil || m.Round.Height > r.id.Height:
		for _, e := range n.early {
			if sameContent(e, m) {
				return ruleErrorf(ErrDuplicate, "early %v message of notary %d "+
					"already kept", m.Kind, m.Sender)
			}
		}
		if len(n.early) == maxEarly {
			n.early = n.early[1:]
		}
		n.early = append(n.early, m)
		return nil
	case m.Round.Height < r.id.Height:
		if int64(m.Round.Height)+int64(n.cfg.Params.Notary.NotarizationInterval) >= int64(r.id.Height) {
			return ruleErrorf(ErrStale, "%v message of notary %d for the "+
				"previous round (height %d)", m.Kind, m.Sender, m.Round.Height)
		}
		return ruleErrorf(ErrReplayed, "%v message of notary %d for the old "+
			"round of height %d (the current is %d)", m.Kind, m.Sender,
			m.Round.Height, r.id.Height)
	case m.Round.Block != r.id.Block || m.Round.Season != r.id.Season:
		return ruleErrorf(ErrOtherRound, "%v message of notary %d for block %v "+
			"at height %d, this node's round is for %v", m.Kind, m.Sender,
			m.Round.Block, m.Round.Height, r.id.Block)
	case m.Round.Attempt < r.id.Attempt:
		// An abort of an earlier attempt still names a spent input.
		if m.Kind == KindAbort {
			r.excluded[m.OutPoint] = true
		}
		// A straggler: tell it where the round is.
		if a := r.att; a.myAnn != nil && !a.nudged[m.Sender] && int(m.Sender) != r.me {
			a.nudged[m.Sender] = true
			n.out = append(n.out, a.myAnn)
		}
		return ruleErrorf(ErrStale, "%v message of notary %d for attempt %d, "+
			"the round is at attempt %d", m.Kind, m.Sender, m.Round.Attempt,
			r.id.Attempt)
	case m.Round.Attempt > r.id.Attempt:
		// Another notary timed out first, or saw an abort: follow it.
		n.startAttempt(m.Round.Attempt)
	}

	key := msgKey{m.Sender, m.Kind}
	if prev, ok := r.att.seen[key]; ok {
		if sameContent(prev, m) {
			return ruleErrorf(ErrDuplicate, "%v message of notary %d already "+
				"taken", m.Kind, m.Sender)
		}
		return ruleErrorf(ErrConflicting, "notary %d signed two different %v "+
			"messages in attempt %d of the round of height %d", m.Sender,
			m.Kind, m.Round.Attempt, m.Round.Height)
	}
	if r.final != nil || r.settled {
		r.att.seen[key] = m
		return nil
	}
	var err error
	switch m.Kind {
	case KindAnnounce:
		err = n.handleAnnounce(m)
	case KindInputSet:
		err = n.handleSet(m)
	case KindSignature:
		err = n.handleSig(m)
	case KindAbort:
		err = n.handleAbort(m)
	}
	if err == nil || IsErrorCode(err, ErrFeeRate) {
		if n.r.att != nil && n.r.id.Attempt == m.Round.Attempt {
			n.r.att.seen[key] = m
		}
	}
	return err
}

// handleAnnounce takes a notary's offered input; the leader fixes the set
// once it can.
func (n *Notary) handleAnnounce(m *Message) error {
	r := n.r
	if r.att.set != nil {
		return nil
	}
	r.att.ann[int(m.Sender)] = notarize.NotaryUTXO{Notary: int(m.Sender),
		OutPoint: m.OutPoint, Value: m.Value,
		PkScript: notarize.NotaryScript(r.season.Pubkeys[m.Sender])}
	n.maybeFix()
	return nil
}

// maybeFix fixes the input set when this notary leads the attempt and
// enough notaries announced usable inputs: those the UTXO source has
// unspent as announced and that are not excluded, chosen by
// notarize.SelectInputs at the round's input value for this node's fee
// rate.
func (n *Notary) maybeFix() {
	r := n.r
	if r.att.set != nil || r.me < 0 || Leader(r.p, n.cfg.Params, r.id.Attempt) != r.me ||
		len(r.att.ann) < r.season.Threshold {
		return
	}
	var cands []notarize.NotaryUTXO
	for _, u := range r.att.ann {
		if r.excluded[u.OutPoint] {
			continue
		}
		if !n.spendable(u.OutPoint, u.Value, u.PkScript) {
			r.excluded[u.OutPoint] = true
			continue
		}
		cands = append(cands, u)
	}
	min, err := MinInputValue(r.p, n.cfg.Params, n.cfg.FeeRate)
	if err != nil {
		n.lastErr = err
		return
	}
	inputs, err := notarize.SelectInputs(r.p, n.cfg.Params, cands, min)
	if err != nil {
		return // not enough yet
	}
	m := &Message{Kind: KindInputSet, Round: r.id, Sender: uint8(r.me),
		FeeRate: n.cfg.FeeRate}
	for _, in := range inputs {
		m.Inputs = append(m.Inputs, SetInput{Notary: uint8(in.Notary),
			OutPoint: in.OutPoint, Value: in.Value})
	}
	if n.send(m) {
		if err := n.handleSet(m); err != nil {
			n.lastErr = err
		}
	}
}

// handleSet checks the leader's input set, aborts the attempt when an
// input is spent, and otherwise signs this notary's input of the
// transaction it makes.
func (n *Notary) handleSet(m *Message) error {
	r := n.r
	params := n.cfg.Params
	if l := Leader(r.p, params, r.id.Attempt); int(m.Sender) != l {
		return ruleErrorf(ErrNotLeader, "input set of notary %d, the leader "+
			"of attempt %d is notary %d", m.Sender, r.id.Attempt, l)
	}
	if m.FeeRate < 1 || m.FeeRate > n.cfg.MaxFeeRate {
		return ruleErrorf(ErrFeeRate, "input set at %d sat/vB, this notary "+
			"signs at most %d sat/vB", m.FeeRate, n.cfg.MaxFeeRate)
	}
	min, err := MinInputValue(r.p, params, m.FeeRate)
	if err != nil {
		return wrapErrorf(ErrBadInputSet, err, "input set")
	}
	inputs := make([]notarize.NotaryUTXO, len(m.Inputs))
	for i, in := range m.Inputs {
		if int(in.Notary) >= len(r.season.Pubkeys) {
			return ruleErrorf(ErrBadInputSet, "input set names notary %d of "+
				"%d", in.Notary, len(r.season.Pubkeys))
		}
		inputs[i] = notarize.NotaryUTXO{Notary: int(in.Notary), OutPoint: in.OutPoint,
			Value: in.Value, PkScript: notarize.NotaryScript(r.season.Pubkeys[in.Notary])}
	}
	sel, err := notarize.SelectInputs(r.p, params, inputs, min)
	if err != nil || len(sel) != len(inputs) {
		return ruleErrorf(ErrBadInputSet, "input set of %d inputs is not the "+
			"selection of its own inputs (threshold %d, least value %d sat)",
			len(inputs), r.season.Threshold, min)
	}
	for i := range sel {
		if sel[i].Notary != inputs[i].Notary || sel[i].OutPoint != inputs[i].OutPoint {
			return ruleErrorf(ErrBadInputSet, "input set is not in the "+
				"selection's order, or names two inputs of one notary")
		}
		if sel[i].Notary == r.me {
			mine, ok := r.att.ann[r.me]
			if !ok || mine.OutPoint != sel[i].OutPoint {
				return ruleErrorf(ErrBadInputSet, "input set spends %v for "+
					"this notary, which did not offer it", sel[i].OutPoint)
			}
		}
	}
	tx, err := BuildTx(r.p, params, inputs, m.FeeRate)
	if err != nil {
		return wrapErrorf(ErrBadInputSet, err, "input set")
	}
	r.att.set, r.att.inputs = m, inputs

	for _, in := range inputs {
		if !n.spendable(in.OutPoint, in.Value, in.PkScript) {
			n.abort(in.OutPoint)
			return nil
		}
	}
	specs := make([]psbtsign.Input, len(inputs))
	for i, in := range inputs {
		pub := r.season.Pubkeys[in.Notary]
		specs[i] = psbtsign.Input{Prev: wire.NewTxOut(in.Value, in.PkScript),
			Signers: [][]byte{pub[:]}, Need: 1}
	}
	s, err := psbtsign.New(tx, specs)
	if err != nil {
		return wrapErrorf(ErrBadInputSet, err, "input set")
	}
	r.att.session = s
	for i, in := range inputs {
		if in.Notary != r.me {
			continue
		}
		if _, err := s.Sign(r.key); err != nil {
			n.lastErr = err
			break
		}
		sig, _ := s.Sig(i, r.pub[:])
		n.send(&Message{Kind: KindSignature, Round: r.id, Sender: uint8(r.me),
			TxID: s.TxHash(), TxSig: sig})
	}
	pending := r.att.pending
	r.att.pending = nil
	for _, p := range pending {
		if err := n.handleSig(p); err != nil {
			delete(r.att.seen, msgKey{p.Sender, p.Kind})
		}
	}
	n.maybeComplete()
	return nil
}

// abort ends the attempt because op is spent: it is excluded from the
// round, the other notaries are told, and the next attempt starts.
func (n *Notary) abort(op wire.OutPoint) {
	r := n.r
	r.excluded[op] = true
	if r.me >= 0 {
		n.send(&Message{Kind: KindAbort, Round: r.id, Sender: uint8(r.me),
			Reason: AbortSpent, OutPoint: op})
	}
	n.startAttempt(r.id.Attempt + 1)
}

// handleSig takes a notary's signature of its input.
func (n *Notary) handleSig(m *Message) error {
	r := n.r
	a := r.att
	if a.session == nil {
		if len(a.pending) < len(r.season.Pubkeys) {
			a.pending = append(a.pending, m)
		}
		return nil
	}
	idx := -1
	for i, in := range a.inputs {
		if in.Notary == int(m.Sender) {
			idx = i
		}
	}
	if idx < 0 {
		return ruleErrorf(ErrNotInSet, "signature of notary %d, whose input "+
			"is not in the set", m.Sender)
	}
	if m.TxID != a.session.TxHash() {
		return ruleErrorf(ErrWrongTx, "signature of notary %d for %v, the set "+
			"makes %v", m.Sender, m.TxID, a.session.TxHash())
	}
	pub := r.season.Pubkeys[m.Sender]
	if _, err := a.session.AddSig(idx, pub[:], m.TxSig); err != nil {
		return wrapErrorf(ErrBadTxSignature, err, "signature of notary %d", m.Sender)
	}
	n.maybeComplete()
	return nil
}

// maybeComplete finalizes the transaction once every input is signed,
// and queues it for the Broadcaster.
func (n *Notary) maybeComplete() {
	r := n.r
	if r.final != nil || r.att.session == nil {
		return
	}
	tx, ok, err := r.att.session.Complete()
	if err != nil {
		n.lastErr = err
		return
	}
	if ok {
		r.final = tx
		n.finals = append(n.finals, tx)
	}
}

// handleAbort ends the attempt: the named input is excluded from the
// round and the next attempt starts.
func (n *Notary) handleAbort(m *Message) error {
	r := n.r
	r.excluded[m.OutPoint] = true
	n.startAttempt(r.id.Attempt + 1)
	return nil
}

// Status is what a notary knows of its current round.
type Status struct {
	// Round is the current round and attempt; Active is false before
	// the first round.
	Round  RoundID
	Active bool

	// Me is this node's notary index in the round's season, -1 if none;
	// Leader the attempt's leader.
	Me, Leader int

	// Announced is how many notaries offered an input in this attempt;
	// Inputs the notaries of the fixed set (nil before), Signed how many
	// of them signed.
	Announced int
	Inputs    []int
	Signed    int

	// TxID is the txid of the attempt's transaction once the set is
	// fixed (a segwit txid: the signed transaction's too).
	TxID chainhash.Hash

	// Final is the complete notarization once there is one.
	Final *wire.MsgTx

	// Done is true once the round is over: its transaction is finished,
	// or a notarization at or above its height counts.
	Done bool

	// Excluded are the outpoints left out of the round as spent.
	Excluded []wire.OutPoint

	// Err is the last wallet, UTXO source or broadcast failure.
	Err error
}

// Status returns what the notary knows of its current round.
func (n *Notary) Status() Status {
	n.mu.Lock()
	defer n.mu.Unlock()
	st := Status{Me: -1, Err: n.lastErr}
	r := n.r
	if r == nil {
		return st
	}
	st.Round, st.Active, st.Me = r.id, true, r.me
	st.Leader = Leader(r.p, n.cfg.Params, r.id.Attempt)
	st.Announced = len(r.att.ann)
	for i, in := range r.att.inputs {
		st.Inputs = append(st.Inputs, in.Notary)
		if r.att.session != nil && r.att.session.Count(i) > 0 {
			st.Signed++
		}
	}
	if r.att.session != nil {
		st.TxID = r.att.session.TxHash()
	}
	if r.final != nil {
		st.Final = r.final.Copy()
	}
	st.Done = r.final != nil || r.settled
	for op := range r.excluded {
		st.Excluded = append(st.Excluded, op)
	}
	sort.Slice(st.Excluded, func(i, j int) bool {
		return lessOutPoint(st.Excluded[i], st.Excluded[j])
	})
	return st
}
