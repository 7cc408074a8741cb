package wallet

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/store"
)

// The withdrawals of the wallet's stakes. A stake output pays a script of
// its own (a CLTV P2WSH of the stake key), which no address of the wallet
// names. Two things put a stake outpoint on the watch list, so that
// ConnectBlock sees the block that spends it and records the spend
// (mainchain-derived: undone with its block):
//   - WatchOwnStake, for every ticket whose stake key is the wallet's:
//     the node calls it for the tickets in its state at start-up and for
//     each new one, so a withdrawal sent by anyone holding the key (a
//     copy of the wallet elsewhere) is seen too;
//   - WatchStake, when the node withdraws a stake itself, which also
//     records the withdrawal it sent (local state).
var (
	keyStakeWatchPrefix = []byte{KeyByte, 's'} // + outpoint → withdrawal txid + stake script
	keyStakeSpentPrefix = []byte{KeyByte, 'w'} // + outpoint → height (4) + spending txid
)

// StakeSpend is what the wallet knows of a stake's withdrawal.
type StakeSpend struct {
	// Sent is the withdrawal the node broadcast; zero when the node sent
	// none (the stake was only watched, WatchOwnStake).
	Sent chainhash.Hash
	// Spent reports whether a block spent the stake output, in
	// SpentTxID at SpentHeight.
	Spent       bool
	SpentTxID   chainhash.Hash
	SpentHeight int32
}

func outpointKey(prefix []byte, op wire.OutPoint) []byte {
	k := append([]byte(nil), prefix...)
	k = append(k, op.Hash[:]...)
	return binary.BigEndian.AppendUint32(k, op.Index)
}

// WatchStake records that the node sent withdrawal, spending the stake
// output op (whose script is pkScript), and watches op from now on.
func (w *Wallet) WatchStake(op wire.OutPoint, pkScript []byte, withdrawal chainhash.Hash) error {
	v := append(append([]byte(nil), withdrawal[:]...), pkScript...)
	err := w.db.Update(func(pw *store.PlainWriter) error {
		return pw.Set(outpointKey(keyStakeWatchPrefix, op), v)
	})
	if err != nil {
		return err
	}
	w.mu.Lock()
	w.stakes[op] = struct{}{}
	w.mu.Unlock()
	w.watch.AddOutPoint(op, pkScript)
	return nil
}

// WatchOwnStake watches the stake output op, whose script is pkScript, of
// one of the wallet's tickets, until a restart; the node calls it again
// then. Its spend is recorded by ConnectBlock, whoever sent it.
func (w *Wallet) WatchOwnStake(op wire.OutPoint, pkScript []byte) {
	w.mu.Lock()
	_, ok := w.stakes[op]
	w.stakes[op] = struct{}{}
	w.mu.Unlock()
	if !ok {
		w.watch.AddOutPoint(op, pkScript)
	}
}

// loadStakeWatches watches the stake outpoints recorded. Called by New.
func (w *Wallet) loadStakeWatches() error {
	return w.db.View(func(r store.Reader) error {
		return r.Iterate(keyStakeWatchPrefix, func(k, v []byte) error {
			if len(k) != len(keyStakeWatchPrefix)+36 || len(v) < 32 {
				return fmt.Errorf("wallet: corrupt stake record")
			}
			var op wire.OutPoint
			copy(op.Hash[:], k[len(keyStakeWatchPrefix):])
			op.Index = binary.BigEndian.Uint32(k[len(keyStakeWatchPrefix)+32:])
			w.stakes[op] = struct{}{}
			w.watch.AddOutPoint(op, append([]byte(nil), v[32:]...))
			return nil
		})
	})
}

// recordStakeSpend records, in the block's batch, that tx spends a
// watched stake output. Called from ConnectBlock with mu held.
func (w *Wallet) recordStakeSpend(wr *store.Writer, height int32, tx *wire.MsgTx) error {
	for _, in := range tx.TxIn {
		if _, ok := w.stakes[in.PreviousOutPoint]; !ok {
			continue
		}
		txid := tx.TxHash()
		v := binary.BigEndian.AppendUint32(nil, uint32(height))
		if err := wr.Set(outpointKey(keyStakeSpentPrefix, in.PreviousOutPoint), append(v, txid[:]...)); err != nil {
			return err
		}
		log.Infof("Stake %v withdrawn in mainchain block %d by %v", in.PreviousOutPoint, height, txid)
	}
	return nil
}

// StakeSpend returns what the wallet knows of the withdrawal of the stake
// output op: the withdrawal the node sent (zero when it sent none) and
// the spend a block made, by whichever transaction. ok is false when the
// wallet knows neither.
func (w *Wallet) StakeSpend(op wire.OutPoint) (spend *StakeSpend, ok bool, err error) {
	out := &StakeSpend{}
	err = w.db.View(func(r store.Reader) error {
		v, err := r.Get(outpointKey(keyStakeWatchPrefix, op))
		switch {
		case errors.Is(err, store.ErrNotFound):
		case err != nil:
			return err
		case len(v) < 32:
			return fmt.Errorf("wallet: corrupt stake record")
		default:
			ok = true
			copy(out.Sent[:], v)
		}
		s, err := r.Get(outpointKey(keyStakeSpentPrefix, op))
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if len(s) != 36 {
			return fmt.Errorf("wallet: corrupt stake spend record")
		}
		ok = true
		out.Spent, out.SpentHeight = true, int32(binary.BigEndian.Uint32(s))
		copy(out.SpentTxID[:], s[4:])
		return nil
	})
	if err != nil || !ok {
		return nil, false, err
	}
	return out, true, nil
}
