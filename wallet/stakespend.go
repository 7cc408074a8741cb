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
// its own (a CLTV P2WSH of the stake key), which the wallet does not
// watch; when the node withdraws a stake, WatchStake records the stake
// outpoint and the withdrawal (local state), and puts the outpoint on the
// watch list, so that ConnectBlock sees the block that spends it and
// records the spend (mainchain-derived: undone with its block).
var (
	keyStakeWatchPrefix = []byte{KeyByte, 's'} // + outpoint → withdrawal txid + stake script
	keyStakeSpentPrefix = []byte{KeyByte, 'w'} // + outpoint → height (4) + spending txid
)

// StakeSpend is what the wallet knows of a stake's withdrawal.
type StakeSpend struct {
	// Sent is the withdrawal the node broadcast.
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
// output op: false when the node never sent one.
func (w *Wallet) StakeSpend(op wire.OutPoint) (*StakeSpend, bool, error) {
	var (
		out *StakeSpend
	)
	err := w.db.View(func(r store.Reader) error {
		v, err := r.Get(outpointKey(keyStakeWatchPrefix, op))
		if errors.Is(err, store.ErrNotFound) {
			return nil
		}
		if err != nil {
			return err
		}
		if len(v) < 32 {
			return fmt.Errorf("wallet: corrupt stake record")
		}
		out = &StakeSpend{}
		copy(out.Sent[:], v)
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
		out.Spent, out.SpentHeight = true, int32(binary.BigEndian.Uint32(s))
		copy(out.SpentTxID[:], s[4:])
		return nil
	})
	return out, out != nil, err
}
