package wallet

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"

	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/store"
)

// keyTopUpPrefix keys the top-ups the operator asked for: + ticket id (8)
// → amount (8). Local state, like the pending records.
var keyTopUpPrefix = []byte{KeyByte, 't'}

// ErrNoCoins is the error of TakeCoins when the confirmed coins do not
// suffice.
var ErrNoCoins = errors.New("not enough confirmed coins")

// TakeCoins selects confirmed coins (at least one confirmation) that no
// pending transaction spends and no other transaction holds, largest
// first, until they are worth at least need sat plus perInput sat for each
// coin taken (the fee its input adds), and holds them back as Fund does,
// until a block spends them or Release frees them. For the further inputs
// of a header transaction (design reference §5). It fails with an error
// wrapping ErrNoCoins, saying how much there is, when they do not suffice.
func (w *Wallet) TakeCoins(need, perInput int64) ([]*Coin, error) {
	if need <= 0 || need > MaxAmount || perInput < 0 || perInput > MaxAmount {
		return nil, fmt.Errorf("wallet: %w: %d sat plus %d sat per input",
			ErrAmount, need, perInput)
	}
	coins, pending, tip, err := w.pendingState()
	if err != nil {
		return nil, err
	}
	spent := spentByPending(pending)
	sort.Slice(coins, func(i, j int) bool { return coins[i].Value > coins[j].Value })
	w.mu.Lock()
	defer w.mu.Unlock()
	var (
		have int64
		took []*Coin
	)
	for _, c := range coins {
		_, inFlight := spent[c.OutPoint]
		if _, busy := w.locked[c.OutPoint]; busy || inFlight || tip.Height < c.Height {
			continue
		}
		if CheckAmount(c.Value) != nil || have > MaxAmount-c.Value {
			continue
		}
		took = append(took, c)
		have += c.Value
		if have >= need+int64(len(took))*perInput {
			for _, c := range took {
				w.locked[c.OutPoint] = struct{}{}
			}
			return took, nil
		}
	}
	return nil, fmt.Errorf("wallet: %w: %d sat confirmed and free, need %d sat and %d sat "+
		"per input", ErrNoCoins, have, need, perInput)
}

// ReleaseCoins frees coins TakeCoins held back.
func (w *Wallet) ReleaseCoins(coins []*Coin) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, c := range coins {
		delete(w.locked, c.OutPoint)
	}
}

// SignCoins signs the inputs of tx that spend coins (from TakeCoins);
// prevs gives the previous output of every input of tx. The transaction
// must be complete: every signature commits to all its inputs and outputs.
func (w *Wallet) SignCoins(tx *wire.MsgTx, coins []*Coin, prevs txscript.PrevOutputFetcher) error {
	byOutPoint := make(map[wire.OutPoint]*Coin, len(coins))
	for _, c := range coins {
		byOutPoint[c.OutPoint] = c
	}
	hashes := txscript.NewTxSigHashes(tx, prevs)
	for i, in := range tx.TxIn {
		c, ok := byOutPoint[in.PreviousOutPoint]
		if !ok {
			continue
		}
		priv, err := w.keys.PrivKey(c.Key)
		if err != nil {
			return err
		}
		wit, err := txscript.WitnessSignature(tx, hashes, i, c.Value, c.PkScript,
			txscript.SigHashAll, priv, true)
		if err != nil {
			return err
		}
		in.Witness = wit
	}
	return nil
}

// HeaderChange issues the next change address of the wallet and returns
// its script, for the change of the further inputs of a header transaction.
// It may run inside a block's store batch: the address counter is local
// state, written with UpdateLocal.
func (w *Wallet) HeaderChange() ([]byte, error) {
	w.issueMu.Lock()
	defer w.issueMu.Unlock()
	w.mu.Lock()
	ref := KeyRef{Change, w.issued[Change]}
	w.mu.Unlock()
	_, script, err := w.keys.P2WPKH(ref)
	if err != nil {
		return nil, err
	}
	next := binary.BigEndian.AppendUint32(nil, ref.Index+1)
	err = w.db.UpdateLocal(func(pw *store.PlainWriter) error {
		return pw.Set(append(append([]byte(nil), keyIssuedPrefix...), byte(ref.Family)), next)
	})
	if err != nil {
		return nil, err
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	w.issued[ref.Family] = ref.Index + 1
	return script, w.extend(ref.Family)
}

func topUpKey(ticket uint64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte(nil), keyTopUpPrefix...), ticket)
}

// AddTopUp records that the next header transaction of ticket is to add
// amount sat of the wallet's coins to its publisher output (sidecli stake
// topup), on top of any top-up already pending; it returns the total
// pending. The record is local and survives restarts; the producer clears
// it once a header transaction that carries it has been accepted by the
// mainchain node (ClearTopUp).
func (w *Wallet) AddTopUp(ticket uint64, amount int64) (int64, error) {
	if amount < 1 || amount > MaxAmount {
		return 0, fmt.Errorf("wallet: %w: a top-up of %d sat is not between 1 and %d sat",
			ErrAmount, amount, int64(MaxAmount))
	}
	var total int64
	err := w.db.Update(func(pw *store.PlainWriter) error {
		v, err := pw.Get(topUpKey(ticket))
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return err
		case len(v) == 8:
			total = int64(binary.BigEndian.Uint64(v))
		}
		if total > MaxAmount-amount {
			return fmt.Errorf("wallet: %w: %d sat pending plus %d sat is above %d sat",
				ErrAmount, total, amount, int64(MaxAmount))
		}
		total += amount
		return pw.Set(topUpKey(ticket), binary.BigEndian.AppendUint64(nil, uint64(total)))
	})
	return total, err
}

// TopUp returns the top-up pending for ticket, in sat (0: none).
func (w *Wallet) TopUp(ticket uint64) (int64, error) {
	var total int64
	err := w.db.View(func(r store.Reader) error {
		v, err := r.Get(topUpKey(ticket))
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if len(v) == 8 {
			total = int64(binary.BigEndian.Uint64(v))
		}
		return nil
	})
	return total, err
}

// ClearTopUp takes amount sat off the top-up pending for ticket: a header
// transaction that carries them was accepted.
func (w *Wallet) ClearTopUp(ticket uint64, amount int64) error {
	return w.db.Update(func(pw *store.PlainWriter) error {
		v, err := pw.Get(topUpKey(ticket))
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		var total int64
		if len(v) == 8 {
			total = int64(binary.BigEndian.Uint64(v))
		}
		if total <= amount {
			return pw.Delete(topUpKey(ticket))
		}
		return pw.Set(topUpKey(ticket), binary.BigEndian.AppendUint64(nil, uint64(total-amount)))
	})
}
