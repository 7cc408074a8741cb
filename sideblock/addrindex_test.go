package sideblock_test

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand"
	"testing"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/sideblock/blocktests"
	"github.com/mainstake/sidenode/store"
)

// Scripts the kit cannot spend from, for outputs that only the indexes
// follow.
var (
	otherScript = []byte{txscript.OP_1, txscript.OP_DATA_32,
		1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
		17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32}
	thirdScript = []byte{txscript.OP_0, txscript.OP_DATA_20,
		9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9}
	dataScript   = []byte{txscript.OP_RETURN, txscript.OP_DATA_4, 'd', 'a', 't', 'a'}
	anyoneScript = []byte{txscript.OP_TRUE} // in the UTXO set, not an address
)

// pay returns a transaction signed by the kit that spends ins (outputs
// to the kit's script) into outs.
func (k *kit) pay(ins []spendable, outs ...*wire.TxOut) *wire.MsgTx {
	k.t.Helper()
	tx := wire.NewMsgTx(2)
	prev := make(map[wire.OutPoint]*wire.TxOut)
	for _, in := range ins {
		tx.AddTxIn(wire.NewTxIn(&in.op, nil, nil))
		prev[in.op] = in.out
	}
	for _, o := range outs {
		tx.AddTxOut(o)
	}
	hashes := txscript.NewTxSigHashes(tx, txscript.NewMultiPrevOutFetcher(prev))
	for i, in := range ins {
		w, err := txscript.WitnessSignature(tx, hashes, i, in.out.Value,
			in.out.PkScript, txscript.SigHashAll, k.key, true)
		if err != nil {
			k.t.Fatal(err)
		}
		tx.TxIn[i].Witness = w
	}
	return tx
}

// verifyIndexes fails the test if the indexes are not exactly what the
// UTXO set and the best chain give.
func (ms *mainSim) verifyIndexes(step string) {
	ms.t.Helper()
	err := ms.db.View(func(r storeReader) error { return sideblock.VerifyIndexes(r) })
	if err != nil {
		ms.t.Fatalf("%s: %v", step, err)
	}
}

func (ms *mainSim) utxos(script []byte, offset uint64, limit uint32, reversed bool) ([]sideblock.OutPointUtxo, uint64) {
	ms.t.Helper()
	var (
		out   []sideblock.OutPointUtxo
		total uint64
	)
	err := ms.db.View(func(r storeReader) error {
		var err error
		out, total, err = sideblock.UtxosByScript(r, script, offset, limit, reversed)
		return err
	})
	if err != nil {
		ms.t.Fatal(err)
	}
	return out, total
}

func (ms *mainSim) balance(script []byte) sideblock.ScriptBalance {
	ms.t.Helper()
	var b sideblock.ScriptBalance
	err := ms.db.View(func(r storeReader) error {
		h, err := sideblock.SpendHeight(r)
		if err != nil {
			return err
		}
		b, err = sideblock.BalanceByScript(r, script, h)
		return err
	})
	if err != nil {
		ms.t.Fatal(err)
	}
	return b
}

func (ms *mainSim) txLocation(txid chainhash.Hash) (sideblock.TxLoc, bool) {
	ms.t.Helper()
	var (
		loc sideblock.TxLoc
		ok  bool
	)
	err := ms.db.View(func(r storeReader) error {
		var err error
		loc, ok, err = sideblock.TxLocation(r, txid)
		return err
	})
	if err != nil {
		ms.t.Fatal(err)
	}
	return loc, ok
}

func (ms *mainSim) requireTxIn(tx *wire.MsgTx, block *sideblock.Block, index uint32) {
	ms.t.Helper()
	txid := tx.TxHash()
	loc, ok := ms.txLocation(txid)
	if block == nil {
		if ok {
			ms.t.Fatalf("transaction %v indexed in %v", txid, loc.Block)
		}
		if _, ok, err := ms.chain.ConfirmedTx(txid); ok || err != nil {
			ms.t.Fatalf("ConfirmedTx(%v) = %v, %v", txid, ok, err)
		}
		return
	}
	if !ok || loc.Block != block.BlockHash() || loc.Index != index {
		ms.t.Fatalf("transaction %v at %+v (%v), want %v:%d", txid, loc,
			ok, block.BlockHash(), index)
	}
	ct, ok, err := ms.chain.ConfirmedTx(txid)
	if err != nil || !ok || ct.Tx.TxHash() != txid || ct.Block.Hash != block.BlockHash() ||
		ct.Index != index || !ct.Block.OnBestChain {
		ms.t.Fatalf("ConfirmedTx(%v) = %+v, %v, %v", txid, ct, ok, err)
	}
}

// TestIndexesFollowReorgs: the indexes follow connects, sidechain reorgs
// both ways, outputs created and spent in one block, and mainchain undos,
// and always equal what the UTXO set and the best chain give.
func TestIndexesFollowReorgs(t *testing.T) {
	f := newFixture(t)
	k := f.k

	// Branch A pays fan output 0 to otherScript and spends its own
	// change in the same block; branch B pays fan output 0 to
	// thirdScript.
	txA := k.pay(f.fan[:1], wire.NewTxOut(400_000, otherScript),
		wire.NewTxOut(f.fan[0].out.Value-400_000-1000-1000, k.script),
		wire.NewTxOut(0, dataScript), wire.NewTxOut(1000, anyoneScript))
	txA2 := k.pay(outputs(txA)[1:2], wire.NewTxOut(outputs(txA)[1].out.Value-1000, k.script))
	a1 := k.child(f.f1, 101, 2000, txA, txA2)
	a2 := k.child(a1, 102, 0)
	txB := k.pay(f.fan[:1], wire.NewTxOut(f.fan[0].out.Value-3000, thirdScript))
	b1 := k.child(f.f1, 103, 3000, txB)
	b2 := k.child(b1, 104, 0)
	b3 := k.child(b2, 105, 0)

	ms := newMainSim(t)
	ms.verifyIndexes("empty")
	f.run(ms)
	ms.verifyIndexes("fixture")
	ms.requireTxIn(f.c0.Transactions[0], f.c0, 0)
	ms.requireTxIn(f.f1.Transactions[1], f.f1, 1)

	ms.stageNext(a1) // main 102
	ms.stageNext(a2) // main 103
	ms.requireTip(a2, 3)
	ms.verifyIndexes("branch A")
	ms.requireTxIn(txA, a1, 1)
	ms.requireTxIn(txA2, a1, 2)
	if got, n := ms.utxos(otherScript, 0, 10, false); n != 1 || len(got) != 1 ||
		got[0].OutPoint != (wire.OutPoint{Hash: txA.TxHash()}) || got[0].Utxo.Value != 400_000 ||
		got[0].Utxo.Height != 101 || got[0].Utxo.IsCoinbase {
		t.Fatalf("otherScript outputs %+v (%d)", got, n)
	}
	// The anyone-can-spend output is unspent but not indexed.
	if _, ok, _ := ms.chain.Utxo(wire.OutPoint{Hash: txA.TxHash(), Index: 3}); !ok {
		t.Fatal("anyone-can-spend output not in the UTXO set")
	}
	err := ms.db.View(func(r storeReader) error {
		_, _, err := sideblock.UtxosByScript(r, anyoneScript, 0, 10, false)
		return err
	})
	if !errors.Is(err, sideblock.ErrScriptNotIndexed) {
		t.Fatalf("UtxosByScript(OP_TRUE): %v", err)
	}
	err = ms.db.View(func(r storeReader) error {
		_, err := sideblock.BalanceByScript(r, dataScript, 0)
		return err
	})
	if !errors.Is(err, sideblock.ErrScriptNotIndexed) {
		t.Fatalf("BalanceByScript(OP_RETURN): %v", err)
	}
	// txA's change was spent in its own block: only txA2's output is
	// there, after the nine fan outputs and before a2's coinbase.
	got, n := ms.utxos(k.script, 0, 100, false)
	if n != 13 || len(got) != 13 {
		t.Fatalf("kit outputs: %d of %d", len(got), n)
	}
	for _, u := range got {
		if u.OutPoint == (wire.OutPoint{Hash: txA.TxHash(), Index: 1}) {
			t.Fatal("an output spent in its own block is indexed")
		}
	}

	ms.stage(b1, b2)
	ms.next(b1)
	ms.next(b2)
	ms.verifyIndexes("equal length")
	ms.stage(b3)
	res := ms.next(b3) // main 106: reorg to B
	requireHashes(t, "disconnected", res.Disconnected, a2, a1)
	ms.verifyIndexes("reorg to B")
	ms.requireTxIn(txA, nil, 0)
	ms.requireTxIn(txA2, nil, 0)
	ms.requireTxIn(a2.Transactions[0], nil, 0)
	ms.requireTxIn(txB, b1, 1)
	if _, n := ms.utxos(otherScript, 0, 10, false); n != 0 {
		t.Fatalf("branch A's output to otherScript survived: %d", n)
	}
	if got, n := ms.utxos(thirdScript, 0, 10, false); n != 1 || got[0].Utxo.Height != 103 {
		t.Fatalf("thirdScript outputs %+v (%d)", got, n)
	}
	fanOut := f.fan[0].op
	for _, u := range got {
		if u.OutPoint == fanOut {
			t.Fatal("spent fan output listed")
		}
	}

	// A mainchain undo takes the reorg back; connecting again redoes it.
	afterDump := ms.dump()
	ms.undo()
	ms.verifyIndexes("mainchain undo")
	ms.requireTip(a2, 3)
	ms.requireTxIn(txA2, a1, 2)
	ms.next(b3)
	ms.requireTip(b3, 4)
	ms.verifyIndexes("connected again")
	if ms.dump() != afterDump {
		t.Fatal("connecting again gave other indexes")
	}

	// And back to A.
	a3 := k.child(a2, 106, 0)
	a4 := k.child(a3, 107, 0)
	ms.stageNext(a3)
	res = ms.stageNext(a4)
	requireHashes(t, "connected", res.Connected, a1, a2, a3, a4)
	ms.verifyIndexes("back to A")
	ms.requireTxIn(txB, nil, 0)
	ms.requireTxIn(txA, a1, 1)

	// Undo everything down to the fixture, then to nothing.
	for ms.height() > 101 {
		ms.undo()
		ms.verifyIndexes(fmt.Sprintf("undo to %d", ms.height()))
	}
	ms.requireTip(f.f1, 1)
	for ms.height() > 0 {
		ms.undo()
	}
	ms.verifyIndexes("undone")
	if _, n := ms.utxos(k.script, 0, 10, false); n != 0 {
		t.Fatalf("%d outputs after undoing everything", n)
	}
}

// TestUtxosByScriptPages: pages of a script's outputs, oldest first or
// newest first, and its balance with coinbase maturity.
func TestUtxosByScriptPages(t *testing.T) {
	f := newFixture(t)
	k := f.k
	ms := newMainSim(t)
	f.run(ms)

	// The kit's script holds the ten fan outputs (lottery height 100)
	// and f1's coinbase (100, immature).
	all, n := ms.utxos(k.script, 0, 1000, false)
	if n != 11 || len(all) != 11 {
		t.Fatalf("%d of %d outputs", len(all), n)
	}
	for i := 1; i < len(all); i++ {
		a, b := all[i-1], all[i]
		if a.Utxo.Height > b.Utxo.Height {
			t.Fatal("not in lottery height order")
		}
	}
	for _, tc := range []struct {
		offset   uint64
		limit    uint32
		reversed bool
		want     []int
	}{
		{0, 3, false, []int{0, 1, 2}},
		{9, 5, false, []int{9, 10}},
		{11, 5, false, nil},
		{^uint64(0), 5, false, nil},
		{0, 0, false, nil},
		{0, 2, true, []int{10, 9}},
		{9, 5, true, []int{1, 0}},
		{11, 5, true, nil},
		{^uint64(0), ^uint32(0), true, nil},
		{3, 0, true, nil},
	} {
		got, total := ms.utxos(k.script, tc.offset, tc.limit, tc.reversed)
		if total != 11 || len(got) != len(tc.want) {
			t.Fatalf("%+v: %d outputs of %d", tc, len(got), total)
		}
		for i, j := range tc.want {
			if got[i].OutPoint != all[j].OutPoint {
				t.Fatalf("%+v: [%d] = %v, want %v", tc, i, got[i].OutPoint, all[j].OutPoint)
			}
		}
	}

	var fan, cb int64
	for _, s := range f.fan {
		fan += s.out.Value
	}
	cb = f.f1.Transactions[0].TxOut[0].Value
	b := ms.balance(k.script)
	want := sideblock.ScriptBalance{Total: fan + cb, Count: 11, Spendable: fan,
		Immature: cb, SpendHeight: 101}
	if b != want {
		t.Fatalf("balance %+v, want %+v", b, want)
	}
	// f1's coinbase (lottery height 100) matures at 200.
	ms.advanceTo(199)
	if b := ms.balance(k.script); b.Spendable != fan || b.SpendHeight != 199 {
		t.Fatalf("balance at 199: %+v", b)
	}
	ms.next(nil)
	if b := ms.balance(k.script); b.Spendable != fan+cb || b.Immature != 0 || b.SpendHeight != 200 {
		t.Fatalf("balance at 200: %+v", b)
	}
	if b := ms.balance(otherScript); b != (sideblock.ScriptBalance{SpendHeight: 200}) {
		t.Fatalf("balance of an unused script: %+v", b)
	}
}

// TestIndexesRandom drives the chain with random branches, bodies that
// come late, mainchain undos and a small batch budget, and checks the
// indexes after every mainchain block.
func TestIndexesRandom(t *testing.T) {
	var total randStats
	for seed := int64(1); seed <= 6; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			if seed%2 == 0 {
				defer sideblock.SetBatchBudget(2, 1<<30)()
			}
			st := runRandomIndexes(t, seed, 60)
			t.Logf("%+v", st)
			total.disconnected += st.disconnected
			total.intraBlock += st.intraBlock
			total.undos += st.undos
		})
	}
	// The scenarios the test is for did happen.
	if total.disconnected == 0 || total.intraBlock == 0 || total.undos == 0 {
		t.Fatalf("random runs too tame: %+v", total)
	}
}

// randStats counts what a random run did.
type randStats struct {
	disconnected int // sideblocks disconnected by fork choice
	intraBlock   int // outputs spent in the block that created them
	undos        int // mainchain blocks undone
}

// randNode is a published sideblock of the random test and the kit's
// outputs spendable after it (coinbases aside).
type randNode struct {
	block *sideblock.Block
	pub   int32 // mainchain height of its publication
	avail map[wire.OutPoint]*wire.TxOut
}

func runRandomIndexes(t *testing.T, seed int64, steps int) randStats {
	var st randStats
	rng := rand.New(rand.NewSource(seed))
	f := newFixture(t)
	k := f.k
	ms := newMainSim(t)
	f.run(ms)

	base := &randNode{block: f.f1, pub: 101, avail: make(map[wire.OutPoint]*wire.TxOut)}
	for _, s := range f.fan {
		base.avail[s.op] = s.out
	}
	live := []*randNode{base}
	var late []*sideblock.Block // published, body not staged yet
	scripts := [][]byte{k.script, k.script, otherScript, thirdScript, dataScript, anyoneScript}

	for step := 0; step < steps; step++ {
		switch x := rng.Intn(100); {
		case x < 65:
			parent := live[rng.Intn(len(live))]
			avail := make(map[wire.OutPoint]*wire.TxOut, len(parent.avail))
			for op, o := range parent.avail {
				avail[op] = o
			}
			var (
				txs  []*wire.MsgTx
				fees int64
			)
			for n := rng.Intn(3); n > 0 && len(avail) > 0; n-- {
				var ins []spendable
				var in int64
				for op, o := range avail { // map order: random enough
					if _, ok := parent.avail[op]; !ok {
						st.intraBlock++
					}
					ins = append(ins, spendable{op, o})
					in += o.Value
					delete(avail, op)
					if len(ins) == 2 || rng.Intn(2) == 0 {
						break
					}
				}
				nOut := 1 + rng.Intn(3)
				each := (in - 1000) / int64(nOut)
				var outs []*wire.TxOut
				for i := 0; i < nOut; i++ {
					s := scripts[rng.Intn(len(scripts))]
					v := each
					if s[0] == txscript.OP_RETURN {
						v = 0
					}
					outs = append(outs, wire.NewTxOut(v, s))
				}
				tx := k.pay(ins, outs...)
				var out int64
				for i, o := range tx.TxOut {
					out += o.Value
					if string(o.PkScript) == string(k.script) {
						avail[wire.OutPoint{Hash: tx.TxHash(), Index: uint32(i)}] = o
					}
				}
				fees += in - out
				txs = append(txs, tx)
			}
			b := k.child(parent.block, ms.height(), fees, txs...)
			node := &randNode{block: b, pub: ms.height() + 1, avail: avail}
			var res *sideblock.Result
			if rng.Intn(4) == 0 {
				res = ms.next(b)
				late = append(late, b)
			} else {
				res = ms.stageNext(b)
			}
			st.disconnected += len(res.Disconnected)
			live = append(live, node)
		case x < 80:
			ms.next(nil)
		default:
			for n := 1 + rng.Intn(2); n > 0 && ms.height() > 102; n-- {
				h := ms.height()
				ms.undo()
				st.undos++
				kept := live[:0]
				for _, nd := range live {
					if nd.pub != h {
						kept = append(kept, nd)
					}
				}
				live = kept
			}
		}
		// Late bodies arrive now and then; those whose publication
		// was undone stay staged, unused.
		if len(late) > 0 && rng.Intn(3) == 0 {
			b := late[0]
			late = late[1:]
			if _, info, err := ms.chain.Block(b.BlockHash()); err == nil && info != nil {
				ms.stage(b)
			}
		}
		ms.verifyIndexes(fmt.Sprintf("seed %d step %d", seed, step))
	}
	// Everything arrives; the chain settles.
	for _, b := range late {
		if _, info, err := ms.chain.Block(b.BlockHash()); err == nil && info != nil {
			ms.stage(b)
		}
	}
	for i := 0; i < 10; i++ {
		ms.next(nil)
		ms.verifyIndexes(fmt.Sprintf("seed %d settling", seed))
	}
	return st
}

// TestEstimateFee: the estimate is the minimum while the pool fits in a
// block, and outbids the last transaction that fits when it does not.
func TestEstimateFee(t *testing.T) {
	f := newFixture(t)
	k := f.k
	ms := newMainSim(t)
	f.run(ms)
	mp := sideblock.NewMempool(ms.chain, ms.params, sideblock.MempoolConfig{})

	e := mp.EstimateFee(1_000_000)
	if e.FeeRate != sideblock.DefaultMinFeeRate || e.MinFeeRate != mp.MinFeeRate() ||
		e.Count != 0 || e.Full {
		t.Fatalf("empty pool: %+v", e)
	}
	cheap := k.spend(f.fan[:1], 2000, 1)
	dear := k.spend(f.fan[1:2], 20_000, 1)
	mid := k.spend(f.fan[2:3], 5000, 1)
	mustAdd(t, mp, cheap, dear, mid)
	if e := mp.EstimateFee(1_000_000); e.FeeRate != sideblock.DefaultMinFeeRate || e.Count != 3 ||
		e.Bytes != mp.Bytes() || e.Full {
		t.Fatalf("pool that fits: %+v", e)
	}
	// Room for two: the estimate outbids mid.
	room := dear.SerializeSize() + mid.SerializeSize()
	e = mp.EstimateFee(room)
	wantRate := 5000*1000/int64(mid.SerializeSize()) + 1
	if !e.Full || e.FeeRate != wantRate {
		t.Fatalf("full pool: %+v, want rate %d", e, wantRate)
	}

	if by, ok := mp.SpentBy(f.fan[1].op); !ok || by != dear.TxHash() {
		t.Fatalf("SpentBy(fan 1) = %v, %v", by, ok)
	}
	if _, ok := mp.SpentBy(f.fan[5].op); ok {
		t.Fatal("an unspent output is spent by the pool")
	}
}

// TestVerifyIndexesDetects: VerifyIndexes notices an entry missing, an
// extra one and a wrong one.
func TestVerifyIndexesDetects(t *testing.T) {
	f := newFixture(t)
	ms := newMainSim(t)
	f.run(ms)
	ms.verifyIndexes("fixture")

	txid := f.f1.Transactions[1].TxHash()
	key := append([]byte{0x40, 'y'}, txid[:]...)
	var saved []byte
	for _, tc := range []struct {
		name   string
		change func(w *store.PlainWriter) error
	}{
		{"missing", func(w *store.PlainWriter) error {
			var err error
			if saved, err = w.Get(key); err != nil {
				return err
			}
			return w.Delete(key)
		}},
		{"wrong", func(w *store.PlainWriter) error {
			bad := append([]byte(nil), saved...)
			bad[len(bad)-1] ^= 1
			return w.Set(key, bad)
		}},
		{"extra", func(w *store.PlainWriter) error {
			if err := w.Set(key, saved); err != nil {
				return err
			}
			return w.Set(append([]byte{0x40, 'y'}, make([]byte, 32)...), saved)
		}},
	} {
		if err := ms.db.Update(tc.change); err != nil {
			t.Fatal(err)
		}
		err := ms.db.View(func(r storeReader) error { return sideblock.VerifyIndexes(r) })
		if err == nil {
			t.Fatalf("%s entry not noticed", tc.name)
		}
	}
}

// newDiskSim is newMainSim on a store on disk with the default options,
// whose batches have the size and entry caps a node's have (an in-memory
// store caps undo records lower).
func newDiskSim(t *testing.T) *mainSim {
	t.Helper()
	db, err := store.Open(t.TempDir(), store.Options{
		Genesis: *chaincfg.RegressionNetParams.GenesisHash,
		Network: "regtest",
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	params := blocktests.Params()
	chain, err := sideblock.NewChain(db, params)
	if err != nil {
		t.Fatal(err)
	}
	ms := &mainSim{t: t, db: db, chain: chain, params: params}
	ms.next(nil)
	return ms
}

// TestIndexWorstCaseFits connects, each in one mainchain batch, the
// bodies that cost a batch most: a full block of ten-byte outputs (the
// worst case without the indexes), a full block of indexed P2WPKH
// outputs, a full block of cheap spends of indexed outputs, and a full
// block of minimal transactions (one transaction index entry each).
func TestIndexWorstCaseFits(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and connects four 1 MB sideblocks")
	}
	f := newFixture(t)
	k := f.k
	ms := newDiskSim(t)
	f.run(ms)
	tip := f.f1

	connect := func(what string, txs ...*wire.MsgTx) {
		t.Helper()
		var fees int64
		err := ms.db.View(func(r storeReader) error {
			for _, tx := range txs {
				var in, out int64
				for _, ti := range tx.TxIn {
					u, ok, err := ms.chain.Utxo(ti.PreviousOutPoint)
					if err == nil && !ok {
						// Spends an output of an earlier
						// transaction of this block.
						for _, p := range txs {
							if p.TxHash() == ti.PreviousOutPoint.Hash {
								u = &sideblock.Utxo{Value: p.TxOut[ti.PreviousOutPoint.Index].Value}
							}
						}
					}
					if err != nil || u == nil {
						return fmt.Errorf("input %v: %v", ti.PreviousOutPoint, err)
					}
					in += u.Value
				}
				for _, o := range tx.TxOut {
					out += o.Value
				}
				fees += in - out
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		b := k.child(tip, ms.height(), fees, txs...)
		if size := b.BodySize(); size < sideblock.MaxBlockSize*9/10 || size > sideblock.MaxBlockSize {
			t.Fatalf("%s: body of %d bytes", what, size)
		}
		res := ms.stageNext(b)
		requireHashes(t, what, res.Connected, b)
		tip = b
		t.Logf("%s: %d bytes, %d transactions", what, b.BodySize(), len(b.Transactions))
	}
	fanOut := func(in spendable, script []byte, outSize int) *wire.MsgTx {
		n := (sideblock.MaxBlockSize - 1000) / outSize
		outs := make([]*wire.TxOut, n)
		each := (in.out.Value - 100_000) / int64(n)
		for i := range outs {
			outs[i] = wire.NewTxOut(each, script)
		}
		return k.pay([]spendable{in}, outs...)
	}

	// Ten-byte outputs (value, length, OP_TRUE): not indexed.
	opTrue := []byte{txscript.OP_TRUE}
	tiny := fanOut(f.fan[0], opTrue, 10)
	connect("ten-byte outputs", tiny)

	// P2WPKH outputs, 31 bytes: indexed.
	wide := fanOut(f.fan[1], thirdScript, 31)
	connect("P2WPKH outputs", wide)

	// P2WSH outputs of OP_TRUE, then one transaction that spends them
	// all with a one-byte witness script: 44 bytes an input.
	wsh := sha256.Sum256(opTrue)
	p2wsh := append([]byte{txscript.OP_0, txscript.OP_DATA_32}, wsh[:]...)
	cheap := fanOut(f.fan[2], p2wsh, 43)
	cheap.TxOut = cheap.TxOut[:(sideblock.MaxBlockSize-1000)/44]
	cheap.TxOut[0].Value += f.fan[2].out.Value - 100_000 - cheap.TxOut[0].Value*int64(len(cheap.TxOut))
	cheap = k.pay(f.fan[2:3], cheap.TxOut...)
	connect("P2WSH outputs", cheap)
	sweep := wire.NewMsgTx(2)
	var swept int64
	cheapID := cheap.TxHash()
	for i, o := range cheap.TxOut {
		sweep.AddTxIn(&wire.TxIn{
			PreviousOutPoint: wire.OutPoint{Hash: cheapID, Index: uint32(i)},
			Witness:          wire.TxWitness{opTrue},
			Sequence:         wire.MaxTxInSequenceNum,
		})
		swept += o.Value
	}
	sweep.AddTxOut(wire.NewTxOut(swept-100_000, k.script))
	connect("spends of indexed outputs", sweep)

	// Minimal transactions: one input (a ten-byte output), one ten-byte
	// output, 61 bytes.
	var small []*wire.MsgTx
	tinyID := tiny.TxHash()
	for i := 0; i < (sideblock.MaxBlockSize-1000)/61; i++ {
		tx := wire.NewMsgTx(2)
		tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: tinyID, Index: uint32(i)}, nil, nil))
		tx.AddTxOut(wire.NewTxOut(tiny.TxOut[i].Value, opTrue))
		small = append(small, tx)
	}
	connect("minimal transactions", small...)
	ms.verifyIndexes("worst cases")
}
