package apitest

import (
	"context"
	"fmt"
	"math/big"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/api"
)

// mining serves MiningService: one template at a time, replaced by
// NewTemplate, which wakes the long polls.
type mining struct {
	tmpl    *api.BlockTemplate
	seq     int
	changed chan struct{}
	// waiting receives a value each time a long poll starts to wait.
	waiting chan struct{}
	submits [][]byte
}

// miningTemplate returns the current template, the first one
// made if none yet. Call it with b.mu held.
func (b *Backend) miningTemplate() *api.BlockTemplate {
	m := &b.mining
	if m.tmpl == nil {
		m.next()
	}
	return m.tmpl
}

func (m *mining) next() {
	m.seq++
	cb := wire.NewMsgTx(1)
	cb.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Index: wire.MaxPrevOutIndex},
		SignatureScript: []byte{0x51, 0x08, 0, 0, 0, 0, 0, 0, 0, 0}, Sequence: wire.MaxTxInSequenceNum})
	cb.AddTxOut(wire.NewTxOut(5_000_000_000+int64(m.seq), []byte{0x51}))
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Hash: hash(0x42)}, Sequence: wire.MaxTxInSequenceNum})
	tx.AddTxOut(wire.NewTxOut(1_000, []byte{0x51}))
	m.tmpl = &api.BlockTemplate{
		Header: wire.BlockHeader{Version: 0x20000000, PrevBlock: hash(byte(m.seq)),
			Bits: 0x207fffff, Timestamp: time.Unix(1_700_000_000, 0)},
		Height:           int32(m.seq),
		Target:           new(big.Int).Lsh(big.NewInt(0x7fffff), 8*(0x20-3)),
		MinTime:          time.Unix(1_699_999_990, 0),
		MaxTime:          time.Unix(1_700_007_200, 0),
		Coinbase:         api.TemplateTx{Tx: cb, Weight: int64(cb.SerializeSize()) * 4},
		ExtraNonceOffset: 44,
		ExtraNonceSize:   8,
		CoinbaseValue:    5_000_000_000 + int64(m.seq),
		Txs:              []api.TemplateTx{{Tx: tx, Fee: 500, SigOps: 1, Weight: 500, Depends: []int32{}}},
		CoinbaseBranch:   []chainhash.Hash{tx.TxHash()},
		LongPollID:       fmt.Sprintf("fake-%d", m.seq),
		WeightLimit:      4_000_000,
		SizeLimit:        1_000_000,
		SigOpLimit:       80_000,
		Algorithm:        "sha256d",
	}
	if m.changed != nil {
		close(m.changed)
	}
	m.changed = make(chan struct{})
}

// NewTemplate replaces the mining template and wakes the long polls.
func (b *Backend) NewTemplate() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.mining.next()
}

// LongPollWaiting returns a channel that receives a value each time a
// long poll starts to wait; call it before the server starts.
func (b *Backend) LongPollWaiting() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.mining.waiting == nil {
		b.mining.waiting = make(chan struct{}, 64)
	}
	return b.mining.waiting
}

// BlockTemplate implements api.MiningBackend.
func (b *Backend) BlockTemplate(ctx context.Context, longPollID string) (*api.BlockTemplate, error) {
	b.mu.Lock()
	t := b.miningTemplate()
	if longPollID == "" || longPollID != t.LongPollID {
		b.mu.Unlock()
		return t, nil
	}
	changed, waiting := b.mining.changed, b.mining.waiting
	b.mu.Unlock()
	if waiting != nil {
		waiting <- struct{}{}
	}
	select {
	case <-changed:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.mining.tmpl, nil
}

// SubmitBlock implements api.MiningBackend: it refuses blocks that start
// with a zero byte as "high-hash", accepts others, and records each.
func (b *Backend) SubmitBlock(_ context.Context, raw []byte) (*api.SubmitResult, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.mining.submits = append(b.mining.submits, append([]byte(nil), raw...))
	if len(raw) < 80 {
		return nil, api.Errorf(api.ErrInvalidArgument, "data is not a block: "+
			"%d bytes, shorter than a header", len(raw))
	}
	if raw[0] == 0 {
		return &api.SubmitResult{Reason: "high-hash", RuleCode: "ErrHighHash",
			Message: "hash above target", Height: 7}, nil
	}
	return &api.SubmitResult{Accepted: true, Hash: hash(0x77), Height: 7}, nil
}

// Submits returns the raw blocks SubmitBlock got.
func (b *Backend) Submits() [][]byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([][]byte(nil), b.mining.submits...)
}

// MiningInfo implements api.MiningBackend.
func (b *Backend) MiningInfo(_ context.Context, recent int) (*api.MiningInfo, error) {
	t := new(big.Int).Lsh(big.NewInt(0x7fffff), 8*(0x20-3))
	mi := &api.MiningInfo{
		Network:        "powregtest",
		Tip:            api.MinedBlock{Height: 30, Hash: hash(30), Time: time.Unix(1_700_000_000, 0), Bits: 0x207fffff, Algorithm: "sha256d", TxCount: 1},
		Target:         t,
		Difficulty:     1,
		HashPS:         1234.5,
		HashrateBlocks: 30,
		NextBits:       0x207fffff,
		NextTarget:     t,
		ScheduleOffset: -12,
		Algorithm:      "sha256d",
		IdealBlockTime: 2,
		HalfLife:       3600,
	}
	for i := 0; i < recent && i <= 30; i++ {
		mi.Recent = append(mi.Recent, api.MinedBlock{Height: int32(30 - i),
			Hash: hash(byte(30 - i)), Time: time.Unix(1_700_000_000-int64(2*i), 0),
			Bits: 0x207fffff, Algorithm: "sha256d", TxCount: 1})
	}
	return mi, nil
}
