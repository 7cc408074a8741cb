package notary

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/notarize"
	"github.com/mainstake/sidenode/notarize/round"
)

// Transport carries the runner's own round messages to the other
// notaries: the Relay.
type Transport interface {
	Send(raw []byte)
}

// Sidechain is the node's best sidechain.
type Sidechain interface {
	// Tip returns the best chain and its tip (hash and height); ok is
	// false before the chain has a block.
	Tip() (chain notarize.Chain, hash chainhash.Hash, height int32, ok bool)
}

// Notarizations gives the last notarization that counts: the node's
// tracker.
type Notarizations interface {
	LastNotarization() *notarize.Notarization
}

// Backend sends a transaction to the mainchain: the node's mainchain
// source (btcd's sendrawtransaction, neutrino's broadcast).
type Backend interface {
	SendTx(ctx context.Context, tx *wire.MsgTx) error
}

// systemClock is the wall clock.
type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// Defaults of Config.
const (
	DefaultTimeout       = 30 * time.Second
	DefaultPollInterval  = time.Second
	DefaultSplitInterval = time.Minute
	DefaultSplitCount    = 3
	DefaultFeeRate       = 2
	DefaultMaxFeeRate    = 50
	sendTimeout          = 30 * time.Second
)

// Config is what a Runner needs.
type Config struct {
	Params        *chainparams.Params
	Sidechain     Sidechain
	Notarizations Notarizations
	Wallet        round.Wallet
	UTXOs         round.UTXOSource
	Backend       Backend
	Transport     Transport

	// Clock measures the attempts' timeouts; nil is the wall clock.
	Clock round.Clock

	// Timeout is how long an attempt lasts (DefaultTimeout);
	// PollInterval how often the runner looks at the tip and the
	// timeouts (DefaultPollInterval).
	Timeout      time.Duration
	PollInterval time.Duration

	// FeeRate is what this notary proposes when it leads and MaxFeeRate
	// the most it signs, in sat/vB (DefaultFeeRate, DefaultMaxFeeRate).
	FeeRate    int64
	MaxFeeRate int64

	// SplitCount is how many outputs of at least a round's input value
	// (at MaxFeeRate) the runner keeps (DefaultSplitCount; negative: no
	// splitting); SplitInterval how often it checks
	// (DefaultSplitInterval).
	SplitCount    int
	SplitInterval time.Duration
}

// Runner drives one node's round.Notary: see the package documentation.
type Runner struct {
	cfg    Config
	notary *round.Notary
	sends  chan *wire.MsgTx
	spends *pendingSpends

	mu        sync.Mutex
	lastTip   chainhash.Hash
	lastNotar *notarize.Notarization
	splitting *wire.OutPoint // the output the last split spends
	sent      map[chainhash.Hash]bool
	lastSplit time.Time
	splitErr  string
}

// broadcaster queues finished notarizations for the Run loop.
type broadcaster struct{ r *Runner }

func (b broadcaster) Broadcast(tx *wire.MsgTx) error {
	select {
	case b.r.sends <- tx:
		return nil
	default:
		return errors.New("notary: broadcast queue full")
	}
}

// New returns a runner for cfg.
func New(cfg Config) (*Runner, error) {
	if cfg.Sidechain == nil || cfg.Notarizations == nil || cfg.Backend == nil {
		return nil, errors.New("notary: sidechain, notarizations and backend are all needed")
	}
	if cfg.Clock == nil {
		cfg.Clock = systemClock{}
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.PollInterval <= 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.FeeRate == 0 {
		cfg.FeeRate = DefaultFeeRate
	}
	if cfg.MaxFeeRate == 0 {
		cfg.MaxFeeRate = DefaultMaxFeeRate
	}
	if cfg.SplitCount == 0 {
		cfg.SplitCount = DefaultSplitCount
	}
	if cfg.SplitInterval <= 0 {
		cfg.SplitInterval = DefaultSplitInterval
	}
	r := &Runner{cfg: cfg, sends: make(chan *wire.MsgTx, 16),
		sent: make(map[chainhash.Hash]bool)}
	r.spends = &pendingSpends{inner: cfg.UTXOs, clock: cfg.Clock,
		m: make(map[wire.OutPoint]time.Time)}
	r.cfg.UTXOs = r.spends
	r.cfg.Wallet = unspentWallet{cfg.Wallet, r.spends}
	n, err := round.New(round.Config{Params: cfg.Params, Timeout: cfg.Timeout,
		FeeRate: cfg.FeeRate, MaxFeeRate: cfg.MaxFeeRate, Transport: cfg.Transport,
		Clock: cfg.Clock, Wallet: r.cfg.Wallet, UTXOs: r.spends,
		Broadcaster: broadcaster{r}})
	if err != nil {
		return nil, err
	}
	r.notary = n
	return r, nil
}

// Handle takes a round message the relay accepted (Local).
func (r *Runner) Handle(raw []byte) error { return r.notary.Handle(raw) }

// Status returns the notary's round status.
func (r *Runner) Status() round.Status { return r.notary.Status() }

// Keys returns the indexes of the notaries of the season in force at the
// sidechain tip whose keys the wallet holds.
func (r *Runner) Keys() []int {
	_, _, h, ok := r.cfg.Sidechain.Tip()
	if !ok {
		h = 0
	}
	_, season, ok := r.cfg.Params.Notary.SeasonAt(h)
	if !ok {
		return nil
	}
	var out []int
	for i, pub := range season.Pubkeys {
		if _, ok := r.cfg.Wallet.NotaryKey(pub); ok {
			out = append(out, i)
		}
	}
	return out
}

// Run drives the notary until ctx ends.
func (r *Runner) Run(ctx context.Context) {
	tick := time.NewTicker(r.cfg.PollInterval)
	defer tick.Stop()
	r.step(ctx)
	for {
		select {
		case <-ctx.Done():
			return
		case tx := <-r.sends:
			r.broadcast(ctx, tx, "notarization")
		case <-tick.C:
			r.step(ctx)
		}
	}
}

// Kick looks at the tip at once (the node calls it at a new sidechain
// tip or notarization); it runs on the caller's goroutine.
func (r *Runner) Kick() { r.tip() }

// step gives the notary the tip when it changed, polls it, and splits
// when it is time.
func (r *Runner) step(ctx context.Context) {
	r.tip()
	r.notary.Poll()
	if r.cfg.SplitCount > 0 {
		// Not while a round is under way: the split could spend the
		// output this notary offered it.
		if st := r.notary.Status(); st.Active && !st.Done {
			return
		}
		now := r.cfg.Clock.Now()
		r.mu.Lock()
		due := now.Sub(r.lastSplit) >= r.cfg.SplitInterval
		if due {
			r.lastSplit = now
		}
		r.mu.Unlock()
		if due {
			r.split(ctx)
		}
	}
}

// tip hands the notary the best tip and the last notarization when
// either changed.
func (r *Runner) tip() {
	chain, hash, height, ok := r.cfg.Sidechain.Tip()
	if !ok {
		return
	}
	last := r.cfg.Notarizations.LastNotarization()
	r.mu.Lock()
	same := hash == r.lastTip && sameNotarization(last, r.lastNotar)
	r.lastTip, r.lastNotar = hash, last
	r.mu.Unlock()
	if same {
		return
	}
	r.notary.Tip(chain, height, last)
}

func sameNotarization(a, b *notarize.Notarization) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Height == b.Height && a.Block == b.Block && a.TxID == b.TxID
}

// broadcast sends tx to the mainchain, logging the outcome.
func (r *Runner) broadcast(ctx context.Context, tx *wire.MsgTx, what string) {
	ctx, cancel := context.WithTimeout(ctx, sendTimeout)
	defer cancel()
	txid := tx.TxHash()
	if err := r.cfg.Backend.SendTx(ctx, tx); err != nil {
		log.Warnf("Broadcast %s %v: %v", what, txid, err)
		return
	}
	r.spends.add(tx)
	r.mu.Lock()
	first := !r.sent[txid]
	r.sent[txid] = true
	r.mu.Unlock()
	if first {
		log.Infof("Broadcast %s %v", what, txid)
	}
}

// split keeps the outputs of each of the wallet's notary keys of the
// season in force split (round.Split), one split in flight at a time.
func (r *Runner) split(ctx context.Context) {
	_, _, h, ok := r.cfg.Sidechain.Tip()
	if !ok {
		return
	}
	np := r.cfg.Params.Notary
	idx, season, ok := np.SeasonAt(h)
	if !ok {
		return
	}
	target, ok := notarize.TargetHeight(h, np)
	if !ok {
		target = int32(np.NotarizationInterval)
	}
	unit, err := round.MinInputValue(notarize.Payload{Height: target,
		Block: chainhash.Hash{1}, Season: idx}, r.cfg.Params, r.cfg.MaxFeeRate)
	if err != nil {
		return
	}
	for _, pub := range season.Pubkeys {
		if _, ok := r.cfg.Wallet.NotaryKey(pub); !ok {
			continue
		}
		script := notarize.NotaryScript(pub)
		outs, err := r.cfg.Wallet.Unspent(script)
		if err != nil {
			log.Warnf("Notary outputs: %v", err)
			return
		}
		r.mu.Lock()
		pending := r.splitting
		r.mu.Unlock()
		if pending != nil {
			held := false
			for _, o := range outs {
				held = held || o.OutPoint == *pending
			}
			if held {
				return // the last split is not confirmed yet
			}
			r.mu.Lock()
			r.splitting = nil
			r.mu.Unlock()
		}
		tx, err := round.Split(r.cfg.Wallet, pub, unit, r.cfg.SplitCount, r.cfg.FeeRate)
		if err != nil {
			msg := fmt.Sprint(err)
			r.mu.Lock()
			repeat := msg == r.splitErr
			r.splitErr = msg
			r.mu.Unlock()
			if !repeat {
				log.Warnf("Split notary outputs: %v", err)
			}
			continue
		}
		if tx == nil {
			continue
		}
		op := tx.TxIn[0].PreviousOutPoint
		r.mu.Lock()
		r.splitting = &op
		r.mu.Unlock()
		r.broadcast(ctx, tx, fmt.Sprintf("split of %v into %d outputs", op, len(tx.TxOut)))
	}
}

// pendingSpendTTL is how long an output spent by a transaction the runner
// sent stays unspendable while the mainchain still has it unspent (the
// transaction waits in the mempool, or left it).
const pendingSpendTTL = 24 * time.Hour

// pendingSpends is the runner's UTXO source: the backend's, less the
// outputs that the transactions the runner sent spend. btcd's gettxout
// does not see a spend in its mempool, so without it a round would offer,
// or accept, an output that a notarization or split waiting in the
// mempool already spends (a notarization a mainchain reorg took out of
// its block, a split not mined yet), and the mainchain would refuse the
// round's transaction. An output leaves the set once the backend has it
// spent, or after pendingSpendTTL.
type pendingSpends struct {
	inner round.UTXOSource
	clock round.Clock
	mu    sync.Mutex
	m     map[wire.OutPoint]time.Time
}

func (p *pendingSpends) add(tx *wire.MsgTx) {
	now := p.clock.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, in := range tx.TxIn {
		p.m[in.PreviousOutPoint] = now
	}
}

// pending reports whether op is spent by a transaction the runner sent.
func (p *pendingSpends) pending(op wire.OutPoint) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	at, ok := p.m[op]
	if ok && p.clock.Now().Sub(at) > pendingSpendTTL {
		delete(p.m, op)
		return false
	}
	return ok
}

// Spendable implements round.UTXOSource.
func (p *pendingSpends) Spendable(op wire.OutPoint) (*wire.TxOut, bool, error) {
	out, ok, err := p.inner.Spendable(op)
	if err != nil {
		return nil, false, err
	}
	if !ok {
		p.mu.Lock()
		delete(p.m, op) // spent for the backend too: no need to remember
		p.mu.Unlock()
		return nil, false, nil
	}
	if p.pending(op) {
		return nil, false, nil
	}
	return out, true, nil
}

// unspentWallet is the runner's wallet: the node's, less the outputs
// pendingSpends holds, so that a split never spends one either.
type unspentWallet struct {
	round.Wallet
	spends *pendingSpends
}

func (w unspentWallet) Unspent(pkScript []byte) ([]round.Output, error) {
	outs, err := w.Wallet.Unspent(pkScript)
	if err != nil {
		return nil, err
	}
	kept := outs[:0:0]
	for _, o := range outs {
		if !w.spends.pending(o.OutPoint) {
			kept = append(kept, o)
		}
	}
	return kept, nil
}
