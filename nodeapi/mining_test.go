package nodeapi

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"math/big"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/pow/headerchain"
	"github.com/mainstake/sidenode/sideblock"
)

// fakeMining is a Mining whose template the test replaces, and whose
// SubmitBlock answers SubmitErr.
type fakeMining struct {
	mu        sync.Mutex
	tmpl      *MiningTemplate
	changed   chan struct{}
	SubmitErr error
	submits   int
	info      MiningInfo

	// built receives a value at every MiningTemplate call, when set.
	built chan struct{}
}

func newFakeMining(t *MiningTemplate) *fakeMining {
	return &fakeMining{tmpl: t, changed: make(chan struct{})}
}

func (f *fakeMining) MiningTemplate(context.Context) (*MiningTemplate, error) {
	f.mu.Lock()
	t, built := f.tmpl, f.built
	f.mu.Unlock()
	if built != nil {
		built <- struct{}{}
	}
	return t, nil
}

func (f *fakeMining) TemplateChanged() <-chan struct{} {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.changed
}

// replace sets the template and signals the change.
func (f *fakeMining) replace(t *MiningTemplate) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tmpl = t
	close(f.changed)
	f.changed = make(chan struct{})
}

func (f *fakeMining) SubmitBlock(context.Context, []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.submits++
	return f.SubmitErr
}

func (f *fakeMining) MiningInfo(context.Context) (*MiningInfo, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	mi := f.info
	return &mi, nil
}

// p2pkhLike is an output script with one OP_CHECKSIG.
var p2pkhLike = []byte{txscript.OP_DUP, txscript.OP_HASH160, txscript.OP_DATA_20,
	1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
	txscript.OP_EQUALVERIFY, txscript.OP_CHECKSIG}

// testTemplate returns a template at height whose coinbase carries a
// 40-byte main reference, and two transactions: a withdrawal, and one
// that spends it; extra (0 or more) changes the second's output.
func testTemplate(t *testing.T, height int32, extra int64) *MiningTemplate {
	t.Helper()
	wscript, err := sideblock.WithdrawalScript(1_000, p2pkhLike)
	if err != nil {
		t.Fatal(err)
	}
	tx1 := wire.NewMsgTx(2)
	tx1.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Hash: chainhash.Hash{9}}, Sequence: wire.MaxTxInSequenceNum})
	tx1.AddTxOut(wire.NewTxOut(100_000, wscript))
	tx1.AddTxOut(wire.NewTxOut(50_000, p2pkhLike))
	tx2 := wire.NewMsgTx(2)
	tx2.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Hash: tx1.TxHash(), Index: 1}, Sequence: wire.MaxTxInSequenceNum})
	tx2.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Hash: tx1.TxHash(), Index: 2}, Sequence: wire.MaxTxInSequenceNum})
	tx2.AddTxOut(wire.NewTxOut(40_000+extra, p2pkhLike))
	mainRef := bytes.Repeat([]byte{0xab}, 36)
	cb, err := sideblock.NewCoinbaseTx(height, mainRef, wire.NewTxOut(5_000_000_700, p2pkhLike))
	if err != nil {
		t.Fatal(err)
	}
	return &MiningTemplate{
		Header: wire.BlockHeader{Version: 0x20000000, PrevBlock: chainhash.Hash{byte(height - 1)},
			Bits: 0x207fffff, Timestamp: time.Unix(1_800_000_100, 0)},
		Height:   height,
		MinTime:  time.Unix(1_800_000_050, 0),
		Coinbase: cb,
		Txs:      []MiningTx{{Tx: tx1, Fee: 300}, {Tx: tx2, Fee: 400}},
	}
}

func powAdapter(m Mining) *Adapter {
	var env Env
	env.Network, env.Params = "powregtest", &chainparams.PowRegtest
	if m != nil {
		env.Mining = m
	}
	return New(env)
}

// TestMiningTemplate: the template a miner gets commits, once it sets any
// extranonce at the offset given, to the merkle root of §6 of the block it
// then assembles, and carries BIP22's figures.
func TestMiningTemplate(t *testing.T) {
	mt := testTemplate(t, 5, 0)
	b := powAdapter(newFakeMining(mt))
	tmpl, err := b.BlockTemplate(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	if tmpl.Algorithm != "sha256d" || tmpl.Height != 5 || tmpl.Target.Cmp(blockchain.CompactToBig(0x207fffff)) != 0 ||
		tmpl.CoinbaseValue != 5_000_000_700 || tmpl.Coinbase.Fee != 700 || tmpl.WeightLimit != 4_000_000 ||
		!tmpl.MaxTime.Equal(mt.Header.Timestamp.Add(chainparams.PowRegtest.Pow.MaxFutureBlockTime)) {
		t.Fatalf("template %+v", tmpl)
	}
	if len(tmpl.Txs) != 2 || len(tmpl.Txs[0].Depends) != 0 || len(tmpl.Txs[1].Depends) != 1 || tmpl.Txs[1].Depends[0] != 1 {
		t.Fatalf("depends %v, %v", tmpl.Txs[0].Depends, tmpl.Txs[1].Depends)
	}
	if tx := tmpl.Txs[0]; tx.SigOps != 1 || tx.Weight != int64(tx.Tx.SerializeSize())*4+384 || tx.Fee != 300 {
		t.Errorf("first transaction: %d sigops, weight %d, fee %d", tx.SigOps, tx.Weight, tx.Fee)
	}
	// The node's coinbase is untouched.
	if len(mt.Coinbase.TxIn[0].SignatureScript) != 1+37 {
		t.Errorf("the node's coinbase script changed: %x", mt.Coinbase.TxIn[0].SignatureScript)
	}
	var raw bytes.Buffer
	if err := tmpl.Coinbase.Tx.Serialize(&raw); err != nil {
		t.Fatal(err)
	}
	data := raw.Bytes()
	off, n := tmpl.ExtraNonceOffset, tmpl.ExtraNonceSize
	if n != 8 || off+n > len(data) || !bytes.Equal(data[off:off+n], make([]byte, 8)) || data[off-1] != 8 {
		t.Fatalf("extranonce %d+%d of coinbase %x", off, n, data)
	}
	if tmpl.WithdrawalRoot == (chainhash.Hash{}) {
		t.Fatal("no withdrawal root for a template with a withdrawal")
	}

	// A miner's extranonce.
	copy(data[off:], []byte{1, 2, 3, 4, 5, 6, 7, 8})
	var cb wire.MsgTx
	if err := cb.Deserialize(bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if h, err := sideblock.ExtractCoinbaseHeight(&cb); err != nil || h != 5 {
		t.Fatalf("coinbase height %d, %v", h, err)
	}
	root := cb.TxHash()
	for i := range tmpl.CoinbaseBranch {
		root = blockchain.HashMerkleBranches(&root, &tmpl.CoinbaseBranch[i])
	}
	merkle := sideblock.HeaderMerkleRoot(root, tmpl.WithdrawalRoot)
	txs := []*wire.MsgTx{&cb, mt.Txs[0].Tx, mt.Txs[1].Tx}
	if want := sideblock.CalcBlockMerkleRoot(txs); merkle != want {
		t.Fatalf("merkle root from the template %v, of the block %v", merkle, want)
	}

	// The id depends on the work, not on the clock.
	again := testTemplate(t, 5, 0)
	again.Header.Timestamp = again.Header.Timestamp.Add(time.Minute)
	tmpl2, err := powAdapter(newFakeMining(again)).BlockTemplate(context.Background(), "")
	if err != nil || tmpl2.LongPollID != tmpl.LongPollID {
		t.Fatalf("ids %q and %q (%v) for the same work", tmpl.LongPollID, tmpl2.LongPollID, err)
	}
	other, err := powAdapter(newFakeMining(testTemplate(t, 5, 1))).BlockTemplate(context.Background(), "")
	if err != nil || other.LongPollID == tmpl.LongPollID ||
		!strings.HasPrefix(other.LongPollID, mt.Header.PrevBlock.String()) {
		t.Fatalf("ids %q and %q (%v) for other work", tmpl.LongPollID, other.LongPollID, err)
	}
}

// TestMiningCoinbaseWithoutRoom: a coinbase script that leaves no room
// for the extranonce is the node's error, never a template.
func TestMiningCoinbaseWithoutRoom(t *testing.T) {
	mt := testTemplate(t, 5, 0)
	mt.Coinbase.TxIn[0].SignatureScript = make([]byte, 92)
	if _, err := powAdapter(newFakeMining(mt)).BlockTemplate(context.Background(), ""); err == nil {
		t.Fatal("template with a 92-byte coinbase script")
	}
}

func TestMiningLongPoll(t *testing.T) {
	f := newFakeMining(testTemplate(t, 5, 0))
	b := powAdapter(f)
	ctx := context.Background()
	first, err := b.BlockTemplate(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	// Another id answers at once.
	if got, err := b.BlockTemplate(ctx, "other"); err != nil || got.LongPollID != first.LongPollID {
		t.Fatalf("other id: %v, %v", got, err)
	}

	f.built = make(chan struct{})
	res := make(chan *api.BlockTemplate, 1)
	go func() {
		got, err := b.BlockTemplate(ctx, first.LongPollID)
		if err != nil {
			t.Error(err)
		}
		res <- got
	}()
	<-f.built
	// A change that leaves the work as it was (a new time) does not end
	// the poll: it builds again and waits on.
	same := testTemplate(t, 5, 0)
	same.Header.Timestamp = same.Header.Timestamp.Add(time.Second)
	f.replace(same)
	<-f.built
	f.replace(testTemplate(t, 6, 0))
	<-f.built
	got := <-res
	if got == nil || got.Height != 6 || got.LongPollID == first.LongPollID {
		t.Fatalf("long poll answered %+v", got)
	}
}

// TestMiningLongPollCanceled: a long poll ends with its caller's context,
// and leaves no goroutine behind.
func TestMiningLongPollCanceled(t *testing.T) {
	f := newFakeMining(testTemplate(t, 5, 0))
	b := powAdapter(f)
	first, err := b.BlockTemplate(context.Background(), "")
	if err != nil {
		t.Fatal(err)
	}
	before := runtime.NumGoroutine()
	f.built = make(chan struct{})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := b.BlockTemplate(ctx, first.LongPollID)
		done <- err
	}()
	<-f.built
	cancel()
	if err := <-done; !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled long poll: %v", err)
	}
	// The poll's own goroutine (the test's) has returned; nothing else
	// of it runs.
	for runtime.NumGoroutine() > before {
		runtime.Gosched()
	}
}

// TestMiningWithoutEngine: a node without Mining answers every mining
// method with FailedPrecondition naming its network's engine.
func TestMiningWithoutEngine(t *testing.T) {
	b := New(Env{Network: "regtest", Params: &chainparams.Regtest})
	ctx := context.Background()
	raw := blockBytes(t, testTemplate(t, 5, 0))
	_, err1 := b.BlockTemplate(ctx, "")
	_, err2 := b.SubmitBlock(ctx, raw)
	_, err3 := b.MiningInfo(ctx, 10)
	for i, err := range []error{err1, err2, err3} {
		if !api.IsErrorCode(err, api.ErrFailedPrecondition) ||
			!strings.Contains(err.Error(), "network regtest runs the mainstake engine") {
			t.Errorf("method %d: %v", i, err)
		}
	}
	// A pow network whose node serves no mining says so.
	_, err := powAdapter(nil).BlockTemplate(ctx, "")
	if !api.IsErrorCode(err, api.ErrFailedPrecondition) || !strings.Contains(err.Error(), "powregtest") {
		t.Errorf("pow node without mining: %v", err)
	}
}

// blockBytes assembles the block of a template, with a zero extranonce.
func blockBytes(t *testing.T, mt *MiningTemplate) []byte {
	t.Helper()
	txs := []*wire.MsgTx{mt.Coinbase}
	for _, tx := range mt.Txs {
		txs = append(txs, tx.Tx)
	}
	blk := &headerchain.Block{Header: mt.Header, Transactions: txs}
	blk.Header.MerkleRoot = sideblock.CalcBlockMerkleRoot(txs)
	raw, err := blk.Bytes()
	if err != nil {
		t.Fatal(err)
	}
	return raw
}

// TestSubmitBlockReasons: the node's verdicts become BIP22 reasons with
// the rule's code; a block that does not decode never reaches the node.
func TestSubmitBlockReasons(t *testing.T) {
	f := newFakeMining(testTemplate(t, 5, 0))
	b := powAdapter(f)
	raw := blockBytes(t, testTemplate(t, 5, 0))
	ctx := context.Background()
	for _, tc := range []struct {
		err              error
		accepted         bool
		reason, ruleCode string
	}{
		{nil, true, "", ""},
		{ErrMiningInconclusive, false, "inconclusive", ""},
		{headerchain.RuleError{ErrorCode: headerchain.ErrHighHash}, false, "high-hash", "ErrHighHash"},
		{headerchain.RuleError{ErrorCode: headerchain.ErrDuplicateBlock}, false, "duplicate", "ErrDuplicateBlock"},
		{headerchain.RuleError{ErrorCode: headerchain.ErrKnownInvalid}, false, "duplicate-invalid", "ErrKnownInvalid"},
		{headerchain.RuleError{ErrorCode: headerchain.ErrBadMerkleRoot}, false, "bad-txnmrklroot", "ErrBadMerkleRoot"},
		{headerchain.RuleError{ErrorCode: headerchain.ErrBadBits}, false, "bad-diffbits", "ErrBadBits"},
		{headerchain.RuleError{ErrorCode: headerchain.ErrTimeTooOld}, false, "time-too-old", "ErrTimeTooOld"},
		{headerchain.RuleError{ErrorCode: headerchain.ErrBlockTooHeavy}, false, "bad-blk-weight", "ErrBlockTooHeavy"},
		{headerchain.RuleError{ErrorCode: headerchain.ErrBadBody,
			Err: sideblock.RuleError{ErrorCode: sideblock.ErrBadFees}}, false, "bad-txns", "ErrBadFees"},
		{headerchain.RuleError{ErrorCode: headerchain.ErrInvalidated,
			Err: sideblock.RuleError{ErrorCode: sideblock.ErrBadCoinbaseValue}}, false, "bad-cb-amount", "ErrBadCoinbaseValue"},
		{sideblock.RuleError{ErrorCode: sideblock.ErrDoubleSpend}, false, "bad-txns", "ErrDoubleSpend"},
	} {
		f.SubmitErr = tc.err
		res, err := b.SubmitBlock(ctx, raw)
		if err != nil {
			t.Errorf("%v: %v", tc.err, err)
			continue
		}
		if res.Accepted != tc.accepted || res.Reason != tc.reason || res.RuleCode != tc.ruleCode ||
			res.Height != 5 || res.Hash == (chainhash.Hash{}) {
			t.Errorf("%v: result %+v", tc.err, res)
		}
	}

	// The node's own failure is an error, not a verdict on the block.
	f.SubmitErr = errors.New("disk full")
	if _, err := b.SubmitBlock(ctx, raw); err == nil || api.IsErrorCode(err, api.ErrInvalidArgument) {
		t.Errorf("node failure: %v", err)
	}
	f.SubmitErr = api.Errorf(api.ErrUnavailable, "busy")
	if _, err := b.SubmitBlock(ctx, raw); !api.IsErrorCode(err, api.ErrUnavailable) {
		t.Errorf("node's api error: %v", err)
	}

	calls := f.submits
	for _, bad := range [][]byte{nil, raw[:79], raw[:len(raw)-1], append(append([]byte(nil), raw...), 0)} {
		_, err := b.SubmitBlock(ctx, bad)
		if !api.IsErrorCode(err, api.ErrInvalidArgument) {
			t.Errorf("%d bytes: %v", len(bad), err)
		}
	}
	if f.submits != calls {
		t.Errorf("the node got %d undecodable blocks", f.submits-calls)
	}
}

func TestMiningInfo(t *testing.T) {
	f := newFakeMining(nil)
	now := time.Unix(1_800_000_000, 0)
	for i := 0; i < 5; i++ {
		f.info.Recent = append(f.info.Recent, MinedBlock{Height: int32(10 - i),
			Hash: chainhash.Hash{byte(10 - i)}, Time: now.Add(-time.Duration(3*i) * time.Second),
			Bits: 0x207fffff, TxCount: 1 + i})
	}
	f.info.NextBits, f.info.ScheduleOffset = 0x207ffff0, -40
	b := powAdapter(f)
	mi, err := b.MiningInfo(context.Background(), 3)
	if err != nil {
		t.Fatal(err)
	}
	work := new(big.Int).Mul(blockchain.CalcWork(0x207fffff), big.NewInt(4))
	want, _ := new(big.Rat).SetFrac(work, big.NewInt(12)).Float64()
	if mi.HashPS != want || mi.HashrateBlocks != 4 {
		t.Errorf("hashrate %v over %d blocks, want %v over 4", mi.HashPS, mi.HashrateBlocks, want)
	}
	if mi.Tip.Height != 10 || len(mi.Recent) != 3 || mi.Recent[2].Height != 8 || mi.Recent[2].TxCount != 3 ||
		mi.Recent[0].Algorithm != "sha256d" || mi.Algorithm != "sha256d" || mi.ScheduleOffset != -40 ||
		mi.NextBits != 0x207ffff0 || mi.NextTarget.Cmp(blockchain.CompactToBig(0x207ffff0)) != 0 ||
		mi.IdealBlockTime != 2 || mi.Network != "powregtest" {
		t.Errorf("mining info %+v", mi)
	}
	if mi.Difficulty < 1 || mi.Difficulty > 1.001 {
		t.Errorf("difficulty %v at the pow limit's bits", mi.Difficulty)
	}
	if hex.EncodeToString(mi.Tip.Hash[:1]) != "0a" {
		t.Errorf("tip %v", mi.Tip.Hash)
	}

	// One block: no hashrate.
	f.info.Recent = f.info.Recent[:1]
	if mi, err := b.MiningInfo(context.Background(), 3); err != nil || mi.HashPS != 0 || mi.HashrateBlocks != 0 {
		t.Errorf("one block: %+v, %v", mi, err)
	}
}

// TestMiningTemplateTimeNotBeforeMinTime: a clock behind the median time
// past gives the template MinTime as its time.
func TestMiningTemplateTimeNotBeforeMinTime(t *testing.T) {
	mt := testTemplate(t, 5, 0)
	mt.Header.Timestamp = mt.MinTime.Add(-time.Minute)
	tmpl, err := powAdapter(newFakeMining(mt)).BlockTemplate(context.Background(), "")
	if err != nil || !tmpl.Header.Timestamp.Equal(mt.MinTime) {
		t.Fatalf("template time %v (%v), min time %v", tmpl.Header.Timestamp, err, mt.MinTime)
	}
}

// BenchmarkMiningTemplate measures what the adapter adds to the node's
// template of a full block (4,000 one-in-two-out transactions, about
// 900 kB): the extranonce, the figures of each transaction, the withdrawal
// root, the merkle branch and the id.
func BenchmarkMiningTemplate(b *testing.B) {
	mt := &MiningTemplate{Header: wire.BlockHeader{Version: 1, Bits: 0x207fffff,
		Timestamp: time.Unix(1_800_000_000, 0)}, Height: 100}
	cb, err := sideblock.NewCoinbaseTx(100, bytes.Repeat([]byte{1}, 36), wire.NewTxOut(1, p2pkhLike))
	if err != nil {
		b.Fatal(err)
	}
	mt.Coinbase = cb
	for i := 0; i < 4000; i++ {
		tx := wire.NewMsgTx(2)
		tx.AddTxIn(&wire.TxIn{PreviousOutPoint: wire.OutPoint{Hash: chainhash.Hash{byte(i), byte(i >> 8)}},
			Witness: wire.TxWitness{make([]byte, 72), make([]byte, 33)}, Sequence: wire.MaxTxInSequenceNum})
		tx.AddTxOut(wire.NewTxOut(1000, p2pkhLike))
		tx.AddTxOut(wire.NewTxOut(1000, p2pkhLike))
		mt.Txs = append(mt.Txs, MiningTx{Tx: tx, Fee: 100})
	}
	a := powAdapter(newFakeMining(mt))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := a.BlockTemplate(context.Background(), ""); err != nil {
			b.Fatal(err)
		}
	}
}
