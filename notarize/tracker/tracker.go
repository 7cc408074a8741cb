package tracker

import (
	"errors"
	"sync"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/notarize"
	"github.com/mainstake/sidenode/store"
)

// PrevoutFetcher finds the outputs a mainchain transaction's inputs spend,
// for the inputs the tracker's own record of notary outputs lacks (outputs
// created before the node followed the mainchain): the node's mainchain
// backend. An outpoint names one output for ever, so the answer is the
// same on every node; an error means the backend could not answer now, and
// the tracker asks again at the next block or Recheck.
type PrevoutFetcher interface {
	// Prevouts returns the outputs tx's inputs spend, one per input, in
	// input order.
	Prevouts(tx *wire.MsgTx) ([]*wire.TxOut, error)
}

// Viewer reads the store: *store.DB is one.
type Viewer interface {
	View(fn func(r store.Reader) error) error
}

// Config is what a Tracker needs.
type Config struct {
	// Params is the network; its Notary parameters say what counts.
	Params *chainparams.Params

	// Side is the node's sidechain: the block hash at a height.
	Side notarize.Chain

	// SideIn, when set, is the node's sidechain as the store reader of
	// a batch shows it, and is used instead of Side: the node's
	// sidechain moves inside the mainchain block's batch, before the
	// tracker looks at the block.
	SideIn func(r store.Reader) notarize.Chain

	// Prevouts fetches the prevouts of a notarization's inputs that the
	// tracker did not see created. Nil: such a notarization is dropped
	// (ErrMissingPrevout).
	Prevouts PrevoutFetcher

	// DB is the store the tracker's keys are in, read after an undo.
	DB Viewer

	// Report, when set, is told each reason a notarization does not
	// count, once per transaction and code, as it is logged: final is
	// true for a verdict that will not change (the notarization is
	// dropped), false for one that may pass later (it stays pending).
	Report func(txid chainhash.Hash, err error, final bool)
}

// Tracker follows the mainchain blocks the node connects and keeps the
// notarizations that count (doc.go). Its methods are safe for concurrent
// use; ConnectBlock, Recheck and DisconnectBlock are called by the one
// writer of the store's batches.
type Tracker struct {
	cfg     Config
	scripts map[string]struct{}

	mu       sync.Mutex
	last     *Record
	reported map[report]struct{}
}

// report is one reason logged for one transaction.
type report struct {
	txid chainhash.Hash
	code notarize.ErrorCode
}

// maxReported bounds the reasons remembered as logged; past it the memory
// starts over (a reason may then be logged once more).
const maxReported = 4096

// errNoNotarySet refuses a tracker on a network without notaries.
var errNoNotarySet = errors.New("notarization tracker: the network has no notary set")

// New returns a tracker of the notarizations of cfg.Params's sidechain. It
// holds no last notarization until Restore.
func New(cfg Config) (*Tracker, error) {
	if cfg.Params == nil || cfg.Params.Notary == nil {
		return nil, errNoNotarySet
	}
	t := &Tracker{
		cfg:      cfg,
		scripts:  make(map[string]struct{}),
		reported: make(map[report]struct{}),
	}
	for _, s := range cfg.Params.Notary.Seasons {
		for _, pub := range s.Pubkeys {
			t.scripts[string(notarize.NotaryScript(pub))] = struct{}{}
		}
	}
	return t, nil
}

// Last returns the last notarization that counts, nil when none does.
// The caller must not modify it.
func (t *Tracker) Last() *Record {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.last
}

// LastNotarization returns Last's notarization, for the reorg guard
// (notarize.CheckReorg): nil when none counts.
func (t *Tracker) LastNotarization() *notarize.Notarization {
	if r := t.Last(); r != nil {
		return &r.Notarization
	}
	return nil
}

// LastIn returns the last notarization that counts as the store reader r
// shows it, nil when none counts: the API reads it in the snapshot of its
// other figures.
func (t *Tracker) LastIn(r store.Reader) (*Record, error) {
	return readLast(r)
}

// LastNotarizationIn returns the last notarization that counts as the
// store reader r shows it (nil when none counts): the reorg guard of the
// sidechain's fork choice (sideblock.Notarizations) reads it in the batch
// it runs in.
func (t *Tracker) LastNotarizationIn(r store.Reader) (*notarize.Notarization, error) {
	last, err := readLast(r)
	if err != nil || last == nil {
		return nil, err
	}
	return &last.Notarization, nil
}

// side returns the sidechain as r shows it.
func (t *Tracker) side(r store.Reader) notarize.Chain {
	if t.cfg.SideIn != nil {
		return t.cfg.SideIn(r)
	}
	return t.cfg.Side
}

// Restore reads the last notarization that counts from the store, makes
// it Last, and returns it (nil when none counts). The node calls it at
// startup before it accepts any sidechain reorg.
func (t *Tracker) Restore(r store.Reader) (*Record, error) {
	last, err := readLast(r)
	if err != nil {
		return nil, err
	}
	t.mu.Lock()
	t.last = last
	t.mu.Unlock()
	return last, nil
}

func readLast(r store.Reader) (*Record, error) {
	v, err := r.Get(keyLast)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return decodeRecord(v)
}

// WatchesScript implements mainwatch.WatchSet: the P2WPKH scripts of
// every season's notaries.
func (t *Tracker) WatchesScript(pkScript []byte) (bool, error) {
	_, ok := t.scripts[string(pkScript)]
	return ok, nil
}

// WatchesOutPoint implements mainwatch.WatchSet: no outpoint.
func (t *Tracker) WatchesOutPoint(wire.OutPoint) (bool, error) { return false, nil }

var _ mainwatch.WatchSet = (*Tracker)(nil)

// Watch adds the tracker's scripts to the node's watch list, so that the
// backends deliver the blocks and transactions it needs.
func (t *Tracker) Watch(wl *mainwatch.WatchList) {
	for s := range t.scripts {
		wl.AddScript([]byte(s))
	}
}

// ConnectBlock takes in the mainchain block b inside its store batch w.
// Of b's candidates it takes those the tracker's watch set delivers
// (mainwatch.Deliver), in block order; for each, it updates its record of
// notary outputs (the outputs it spends are gone, its outputs to a
// notary's script are new), and keeps it as pending if it carries an `N`
// payload of this sidechain, with its prevouts: from that record, or,
// for inputs it lacks, from Config.Prevouts. Then every pending
// notarization is checked (Recheck).
// The node calls it after the protocol has connected the block, so that
// the sidechain view includes what the block brought.
func (t *Tracker) ConnectBlock(w *store.Writer, b *mainwatch.Block) error {
	txs, err := mainwatch.Deliver(b.Txs, t)
	if err != nil {
		return err
	}
	for _, tx := range txs {
		// The prevouts this tracker saw created, read before the
		// transaction's spends remove them.
		prevouts, complete, err := t.knownPrevouts(w, tx.MsgTx)
		if err != nil {
			return err
		}
		if err := t.recordOutputs(w, tx.MsgTx); err != nil {
			return err
		}
		if _, _, err := notarize.FindPayload(tx.MsgTx, t.cfg.Params); err != nil {
			if !notarize.IsErrorCode(err, notarize.ErrNotNotarization) {
				t.ignore(tx.MsgTx.TxHash(), err)
			}
			continue
		}
		p := &pending{mainHeight: b.Height, mainTime: b.Header.Timestamp.Unix(),
			index: uint32(tx.Index), tx: tx.MsgTx}
		switch {
		case complete:
			p.prevouts = prevouts
		case t.cfg.Prevouts == nil:
			// No other source: Check names the input without a
			// prevout (ErrMissingPrevout), a final verdict.
			_, err := notarize.Check(notarize.Candidate{Tx: tx.MsgTx,
				Prevouts: prevouts}, t.cfg.Params, t.side(w))
			if err != nil {
				t.ignore(tx.MsgTx.TxHash(), err)
			}
			continue
		default:
			if err := t.fetch(p); err != nil {
				log.Warnf("Notarization %v (mainchain block %d): "+
					"its prevouts cannot be fetched yet: %v",
					tx.MsgTx.TxHash(), b.Height, err)
			} else if !matches(p.prevouts, p.tx) {
				t.dropMissing(w, p)
				continue
			}
		}
		v, err := encodePending(p)
		if err != nil {
			return err
		}
		if err := w.Set(pendingKey(p.mainHeight, p.index), v); err != nil {
			return err
		}
	}
	return t.Recheck(w)
}

// knownPrevouts returns the prevouts of tx's inputs that the tracker's
// record of notary outputs holds (nil for the others), and whether it
// holds all of them.
func (t *Tracker) knownPrevouts(r store.Reader, tx *wire.MsgTx) ([]*wire.TxOut, bool, error) {
	prev := make([]*wire.TxOut, len(tx.TxIn))
	complete := true
	for i, in := range tx.TxIn {
		v, err := r.Get(outputKey(in.PreviousOutPoint))
		if errors.Is(err, store.ErrNotFound) {
			complete = false
			continue
		}
		if err != nil {
			return nil, false, err
		}
		if prev[i], err = decodeOutput(v); err != nil {
			return nil, false, err
		}
	}
	return prev, complete, nil
}

// recordOutputs updates the record of notary outputs with tx: the outputs
// it spends are gone, its outputs to a notary's script are new.
func (t *Tracker) recordOutputs(w *store.Writer, tx *wire.MsgTx) error {
	for _, in := range tx.TxIn {
		k := outputKey(in.PreviousOutPoint)
		if _, err := w.Get(k); err == nil {
			if err := w.Delete(k); err != nil {
				return err
			}
		} else if !errors.Is(err, store.ErrNotFound) {
			return err
		}
	}
	txid := tx.TxHash()
	for i, out := range tx.TxOut {
		if _, ok := t.scripts[string(out.PkScript)]; !ok {
			continue
		}
		op := wire.OutPoint{Hash: txid, Index: uint32(i)}
		if err := w.Set(outputKey(op), encodeOutput(out)); err != nil {
			return err
		}
	}
	return nil
}

// matches reports whether prev holds one output per input of tx.
func matches(prev []*wire.TxOut, tx *wire.MsgTx) bool {
	if len(prev) != len(tx.TxIn) {
		return false
	}
	for _, o := range prev {
		if o == nil {
			return false
		}
	}
	return true
}

// dropMissing logs why p, whose prevouts do not match its inputs, never
// counts: Check's ErrMissingPrevout.
func (t *Tracker) dropMissing(r store.Reader, p *pending) {
	_, err := notarize.Check(notarize.Candidate{Tx: p.tx, Prevouts: p.prevouts},
		t.cfg.Params, t.side(r))
	if err != nil {
		t.ignore(p.tx.TxHash(), err)
	}
}

// fetch fills p's prevouts from the fetcher.
func (t *Tracker) fetch(p *pending) error {
	prev, err := t.cfg.Prevouts.Prevouts(p.tx)
	if err != nil {
		return err
	}
	if prev == nil {
		prev = []*wire.TxOut{}
	}
	p.prevouts = prev
	return nil
}

// Recheck checks every pending notarization again in the batch w, against
// the sidechain as Side shows it now and the confirmations at the
// mainchain block w.Block(): ConnectBlock calls it, and the node calls it
// in an amendment of the tip (store.DB.AmendTip) when the sidechain moved
// without a mainchain block. Pending notarizations are checked in
// mainchain order (height, index in the block). One that counts is
// removed from the pending set and becomes the last notarization if it
// supersedes it (notarize.Notarization.Supersedes); one at or below the
// last notarization's height is dropped, since it can never supersede it;
// one that fails a final rule is dropped with its reason logged; one
// whose block is unknown (ErrUnknownBlock) or not on the sidechain
// (ErrOrphanedBlock), that lacks confirmations (ErrTooFewConfirmations),
// or whose prevouts could not be fetched stays pending.
func (t *Tracker) Recheck(w *store.Writer) error {
	tip := w.Block().Height
	last, err := readLast(w)
	if err != nil {
		return err
	}
	var ps []*pending
	err = w.Iterate(keyPendingPrefix, func(k, v []byte) error {
		p, err := decodePending(k, v)
		if err != nil {
			return err
		}
		ps = append(ps, p)
		return nil
	})
	if err != nil {
		return err
	}
	changed := false
	for _, p := range ps {
		key := pendingKey(p.mainHeight, p.index)
		txid := p.tx.TxHash()
		_, payload, err := notarize.FindPayload(p.tx, t.cfg.Params)
		if err == nil && last != nil && payload.Height <= last.Height {
			log.Debugf("Notarization %v of height %d dropped: the "+
				"last notarization is at height %d", txid,
				payload.Height, last.Height)
			if err := w.Delete(key); err != nil {
				return err
			}
			continue
		}
		if p.prevouts == nil && t.cfg.Prevouts != nil {
			if ferr := t.fetch(p); ferr != nil {
				log.Debugf("Notarization %v: prevouts still cannot "+
					"be fetched: %v", txid, ferr)
				continue
			}
			if !matches(p.prevouts, p.tx) {
				t.dropMissing(w, p)
				if err := w.Delete(key); err != nil {
					return err
				}
				continue
			}
			v, err := encodePending(p)
			if err != nil {
				return err
			}
			if err := w.Set(key, v); err != nil {
				return err
			}
		}
		n, err := notarize.Check(notarize.Candidate{
			Tx:            p.tx,
			Prevouts:      p.prevouts,
			Confirmations: tip - p.mainHeight + 1,
		}, t.cfg.Params, t.side(w))
		if err != nil {
			code, _ := notarize.Code(err)
			switch code {
			case notarize.ErrUnknownBlock, notarize.ErrOrphanedBlock,
				notarize.ErrTooFewConfirmations:
				t.report(txid, err, "waits")
				continue
			}
			t.ignore(txid, err)
			if err := w.Delete(key); err != nil {
				return err
			}
			continue
		}
		if err := w.Delete(key); err != nil {
			return err
		}
		if !n.Supersedes(lastNotarization(last)) {
			continue
		}
		last = &Record{Notarization: *n, MainHeight: p.mainHeight,
			MainTime: p.mainTime}
		changed = true
		log.Infof("Sideblock %v at height %d notarized by mainchain "+
			"transaction %v (block %d, season %d, %d notaries)",
			n.Block, n.Height, n.TxID, p.mainHeight, n.Season,
			len(n.Signers))
	}
	if !changed {
		return nil
	}
	if err := w.Set(keyLast, encodeRecord(last)); err != nil {
		return err
	}
	t.mu.Lock()
	t.last = last
	t.mu.Unlock()
	return nil
}

func lastNotarization(r *Record) *notarize.Notarization {
	if r == nil {
		return nil
	}
	return &r.Notarization
}

// DisconnectBlock implements the node's block connectors' forget step: the
// store has undone the block at height (or its batch failed), so the
// tracker reads its last notarization from the store again.
func (t *Tracker) DisconnectBlock(height int32) error {
	return t.cfg.DB.View(func(r store.Reader) error {
		_, err := t.Restore(r)
		return err
	})
}

// ignore logs, once per transaction and code, why a notarization does not
// count and never will.
func (t *Tracker) ignore(txid chainhash.Hash, err error) {
	t.report(txid, err, "ignored")
}

// report logs err for txid once per code: "ignored" for a final verdict,
// "waits" for one that may pass later.
func (t *Tracker) report(txid chainhash.Hash, err error, what string) {
	code, _ := notarize.Code(err)
	k := report{txid: txid, code: code}
	t.mu.Lock()
	_, done := t.reported[k]
	if !done {
		if len(t.reported) >= maxReported {
			t.reported = make(map[report]struct{})
		}
		t.reported[k] = struct{}{}
	}
	t.mu.Unlock()
	if done {
		return
	}
	if t.cfg.Report != nil {
		t.cfg.Report(txid, err, what != "waits")
	}
	if what == "waits" {
		log.Infof("Notarization %v waits (%v): %v", txid, code, err)
		return
	}
	log.Warnf("Notarization %v ignored (%v): %v", txid, code, err)
}
