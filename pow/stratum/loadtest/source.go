package loadtest

import (
	"fmt"
	"sync"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/pow/stratum/work"
)

// HardBits are a network target far below any share target the load
// generator asks for (Bitcoin's bits at height 800,000), so that no share
// of a run is a block.
const HardBits = 0x17053894

// Source is a stratum.JobSource of synthetic templates: a coinbase with a
// height push and a 32-byte main reference, Txs further transactions (so
// jobs carry a merkle branch), and Bits. NewTip moves it to a new tip.
type Source struct {
	Txs  int
	Bits uint32

	mu      sync.Mutex
	height  int32
	prev    chainhash.Hash
	tmpl    *work.Template
	changed chan struct{}
}

// NewSource returns a source at height 1.
func NewSource(txs int, bits uint32) *Source {
	s := &Source{Txs: txs, Bits: bits, changed: make(chan struct{}, 1)}
	s.mu.Lock()
	s.moveLocked()
	s.mu.Unlock()
	return s
}

func (s *Source) moveLocked() {
	s.height++
	s.prev = chainhash.DoubleHashH([]byte(fmt.Sprintf("loadtest tip %d", s.height)))
	script, err := txscript.NewScriptBuilder().AddInt64(int64(s.height)).AddData(s.prev[:]).Script()
	if err != nil {
		panic(err)
	}
	cb := wire.NewMsgTx(1)
	cb.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Index: wire.MaxPrevOutIndex},
		SignatureScript: script, Sequence: wire.MaxTxInSequenceNum})
	cb.AddTxOut(wire.NewTxOut(50_0000_0000, []byte{txscript.OP_TRUE}))
	var txs []*wire.MsgTx
	var fees []int64
	for i := 0; i < s.Txs; i++ {
		tx := wire.NewMsgTx(2)
		tx.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{
			Hash: chainhash.HashH([]byte(fmt.Sprintf("%d/%d", s.height, i)))}})
		tx.AddTxOut(wire.NewTxOut(1000, []byte{txscript.OP_TRUE}))
		txs = append(txs, tx)
		fees = append(fees, 100)
	}
	now := time.Now().Truncate(time.Second)
	s.tmpl = &work.Template{
		Height: s.height,
		Header: wire.BlockHeader{Version: 0x20000000, PrevBlock: s.prev, Bits: s.Bits,
			Timestamp: now},
		MinTime:  now.Add(-time.Hour),
		MaxTime:  now.Add(2 * time.Hour),
		Coinbase: cb,
		Txs:      txs,
		Fees:     fees,
		SHA256d:  true,
	}
}

// Template returns the current template with the clock's time.
func (s *Source) Template() (*work.Template, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	t := *s.tmpl
	now := time.Now().Truncate(time.Second)
	if now.After(t.Header.Timestamp) {
		t.Header.Timestamp = now
		t.MaxTime = now.Add(2 * time.Hour)
	}
	return &t, nil
}

// Prev is the previous block of the source's templates.
func (s *Source) Prev() chainhash.Hash {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.prev
}

// Changed fires when NewTip moves the source.
func (s *Source) Changed() <-chan struct{} { return s.changed }

// NewTip moves the source to a new tip and signals it.
func (s *Source) NewTip() {
	s.mu.Lock()
	s.moveLocked()
	s.mu.Unlock()
	select {
	case s.changed <- struct{}{}:
	default:
	}
}
