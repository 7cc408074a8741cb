package sideblock_test

import (
	"fmt"
	"testing"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/mainstake"
	"github.com/mainstake/sidenode/opreturn"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
)

// stageFuzz is one chain state that FuzzStageBody reuses for every input:
// the fixture (mainchain at 101, sidechain tip f1, ten spendable coins) and
// good, a valid block on f1 at lottery height 101 whose header mainchain
// block 102 publishes. Each input leaves the state as it found it: the
// mainchain blocks it connected are undone and the bodies it staged are
// unstaged.
type stageFuzz struct {
	ms   *mainSim
	fix  *fixture
	good *sideblock.Block
	base store.BlockID // mainchain block 101

	baseHash    chainhash.Hash // state hash at 101
	missingHash chainhash.Hash // at 102: good published, its body missing
	goodHash    chainhash.Hash // at 102: good connected
}

// mainID is the id of the fuzz's mainchain block at height h (> 101): the
// same on every input, so that state hashes compare.
func mainID(h int32) store.BlockID {
	return store.BlockID{Height: h, Hash: chainhash.DoubleHashH([]byte(fmt.Sprint("fuzz main ", h)))}
}

// connect connects mainchain block h (102 or 103) with a publication of hdr
// if not nil.
func (s *stageFuzz) connect(t testing.TB, h int32, hdr *sideblock.Header) {
	t.Helper()
	prev := s.base.Hash
	if h > s.base.Height+1 {
		prev = mainID(h - 1).Hash
	}
	var pub *mainstake.Publication
	if hdr != nil {
		pub = &mainstake.Publication{Height: h, TxID: chainhash.Hash{0xf2},
			Header: opreturn.Header{PrevBlock: hdr.PrevBlock, MerkleRoot: hdr.MerkleRoot}}
	}
	chain := s.ms.chain
	err := s.ms.db.ConnectBlock(mainID(h), prev, func(w *store.Writer) error {
		_, err := chain.ConnectMainBlock(w, h, pub)
		return err
	})
	if err != nil {
		_ = chain.DisconnectMainBlock(h)
		t.Fatalf("mainchain block %d: %v", h, err)
	}
	if err := chain.Committed(); err != nil {
		t.Fatal(err)
	}
}

// undoTo undoes mainchain blocks down to the base.
func (s *stageFuzz) undoTo(t testing.TB) {
	t.Helper()
	for {
		tip, err := s.ms.db.Tip()
		if err != nil {
			t.Fatal(err)
		}
		if tip == s.base {
			return
		}
		if _, err := s.ms.db.DisconnectBlock(tip); err != nil {
			t.Fatal(err)
		}
		if err := s.ms.chain.DisconnectMainBlock(tip.Height); err != nil {
			t.Fatal(err)
		}
	}
}

func (s *stageFuzz) hash(t testing.TB) chainhash.Hash {
	t.Helper()
	tip, err := s.ms.db.Tip()
	if err != nil {
		t.Fatal(err)
	}
	_, sum, err := s.ms.db.StateHash(tip.Height)
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func (s *stageFuzz) arrived(t testing.TB) {
	t.Helper()
	if _, err := s.ms.chain.ConnectArrived(); err != nil {
		t.Fatalf("ConnectArrived: %v", err)
	}
}

func newStageFuzz(t testing.TB) *stageFuzz {
	ms := newMainSim(t)
	fix := newFixture(t)
	fix.run(ms)
	k := fix.k
	in1, in2 := fix.fan[:1], fix.fan[1:3]
	tx1, tx2 := k.spend(in1, 1000, 2), k.spend(in2, 3000, 1)
	good := k.child(fix.f1, 101, fee(in1, tx1)+fee(in2, tx2), tx1, tx2)
	s := &stageFuzz{ms: ms, fix: fix, good: good,
		base: store.BlockID{Height: ms.height(), Hash: ms.hashes[ms.height()]}}
	s.baseHash = s.hash(t)
	s.connect(t, 102, &good.Header)
	s.missingHash = s.hash(t)
	if err := ms.chain.StageBody(good); err != nil {
		t.Fatal(err)
	}
	s.arrived(t)
	ms.requireTip(good, 2)
	s.goodHash = s.hash(t)
	s.undoTo(t)
	s.cleanup(t, good)
	if s.hash(t) != s.baseHash {
		t.Fatal("undo did not restore the base state")
	}
	return s
}

func (s *stageFuzz) cleanup(t testing.TB, blocks ...*sideblock.Block) {
	t.Helper()
	hashes := []chainhash.Hash{s.good.BlockHash()}
	for _, b := range blocks {
		hashes = append(hashes, b.BlockHash())
	}
	if err := s.ms.chain.Unstage(hashes...); err != nil {
		t.Fatal(err)
	}
}

// mutate applies the edits that data describes to a copy of good's
// transactions: bad signatures, double spends, wrong coinbases, changed
// amounts, dropped or reordered transactions, oversize blocks, or, for op
// 8, a body decoded from the rest of the bytes.
func mutate(good *sideblock.Block, k *kit, data []byte) []*wire.MsgTx {
	txs := make([]*wire.MsgTx, len(good.Transactions))
	for i, tx := range good.Transactions {
		txs[i] = tx.Copy()
	}
	for len(data) >= 3 {
		op, a, b := data[0]%9, int(data[1]), data[2]
		data = data[3:]
		pick := txs[a%len(txs)]
		switch op {
		case 0: // flip a byte of a witness
			for _, in := range pick.TxIn {
				for _, item := range in.Witness {
					if len(item) > 0 {
						item[int(b)%len(item)] ^= 1 << (b % 8)
					}
				}
			}
		case 1: // the same transaction twice
			txs = append(txs, pick.Copy())
		case 2: // another spend of the same input
			ds := pick.Copy()
			if len(ds.TxOut) > 0 {
				ds.TxOut[0].Value -= int64(b) + 1
			}
			txs = append(txs, ds)
		case 3: // the coinbase pays another amount
			txs[0].TxOut[0].Value += int64(int8(b)) * 1000
		case 4: // the coinbase carries another lottery height
			if cb, err := sideblock.NewCoinbaseTx(101+int32(int8(b)), []byte("fz"),
				txs[0].TxOut...); err == nil {
				txs[0] = cb
			}
		case 5: // drop a transaction
			if len(txs) > 1 {
				i := a % len(txs)
				txs = append(txs[:i], txs[i+1:]...)
			}
		case 6: // swap two transactions (the coinbase too)
			i, j := a%len(txs), int(b)%len(txs)
			txs[i], txs[j] = txs[j], txs[i]
		case 7: // an output pays more, or a new output script
			if len(pick.TxOut) > 0 {
				pick.TxOut[0].Value += int64(b) << 20
				if b%2 == 1 {
					pick.TxOut[0].PkScript = k.script[:len(k.script)-1]
				}
			}
		case 8: // a body from the remaining bytes, or an oversize one
			if b%2 == 0 {
				if dec, err := sideblock.DecodeBody(data); err == nil {
					return dec
				}
				return txs
			}
			big := wire.NewMsgTx(2)
			big.AddTxIn(wire.NewTxIn(&pick.TxIn[0].PreviousOutPoint, nil, nil))
			script := make([]byte, sideblock.MaxBlockSize)
			script[0] = txscript.OP_RETURN
			big.AddTxOut(wire.NewTxOut(0, script))
			return append(txs, big)
		}
	}
	return txs
}

// checkConnectable is the fuzz's own, partial, oracle of a block that the
// chain connected on f1: a coinbase first that carries lottery height 101
// and pays at most the subsidy plus fees, then transactions that spend
// only distinct fixture coins and create no money.
func (s *stageFuzz) checkConnectable(t *testing.T, blk *sideblock.Block) {
	t.Helper()
	coins := make(map[wire.OutPoint]int64)
	for _, c := range s.fix.fan {
		coins[c.op] = c.out.Value
	}
	if len(blk.Transactions) == 0 {
		t.Fatal("connected an empty block")
	}
	cb := blk.Transactions[0]
	if lh, err := sideblock.ExtractCoinbaseHeight(cb); err != nil || lh != 101 {
		t.Fatalf("connected a block whose coinbase carries %d, %v", lh, err)
	}
	var fees int64
	for _, tx := range blk.Transactions[1:] {
		var in, out int64
		for _, txin := range tx.TxIn {
			v, ok := coins[txin.PreviousOutPoint]
			if !ok {
				t.Fatalf("connected a block spending %v, not a coin", txin.PreviousOutPoint)
			}
			delete(coins, txin.PreviousOutPoint)
			in += v
		}
		for _, o := range tx.TxOut {
			out += o.Value
		}
		if out > in || out > btcutil.MaxSatoshi {
			t.Fatalf("connected a transaction creating %d sat from %d", out, in)
		}
		fees += in - out
	}
	var pay int64
	for _, o := range cb.TxOut {
		pay += o.Value
	}
	if pay > s.ms.params.SideSubsidy+fees {
		t.Fatalf("connected a coinbase paying %d, above %d", pay, s.ms.params.SideSubsidy+fees)
	}
}

// FuzzStageBody stages peer bodies made from a real valid block by
// arbitrary edits (bad signatures, double spends, wrong merkle root,
// oversize, wrong coinbase, arbitrary bytes) against a real chain state,
// and connects them as they arrive (ConnectArrived), as a node does with
// a body from a peer. The first byte chooses whose header the body comes
// with: the published header of the valid block (a wrong copy from a
// peer), or its own, published by a hostile producer. Invariants:
//
//   - nothing panics, and StageBody returns nil or a RuleError;
//   - a wrong copy of the valid block never connects, leaves the state
//     hash of a node that never saw it, and does not keep the valid body
//     out: staged afterwards, it connects;
//   - a hostile producer's block connects only if the fuzz's own oracle
//     passes it;
//   - connecting as the body arrives, then the next mainchain block, gives
//     the state hash of a node whose next block's batch took the body up;
//   - undoing the mainchain blocks restores the state hash from before.
func FuzzStageBody(f *testing.F) {
	s := newStageFuzz(f)
	for _, seed := range [][]byte{
		{0}, {1}, // the valid body itself, under both headers
		{0, 0, 1, 7}, {1, 0, 1, 7}, // a bad signature
		{0, 1, 1, 0}, {1, 1, 2, 0}, // a transaction twice
		{1, 2, 1, 0},                  // a double spend
		{1, 3, 0, 1}, {1, 3, 0, 0xff}, // the coinbase pays more, less
		{1, 4, 0, 1},               // another lottery height
		{0, 5, 1, 0},               // a dropped transaction: wrong merkle root
		{1, 6, 0, 1},               // the coinbase not first
		{1, 7, 1, 1}, {1, 7, 2, 2}, // an output pays more
		{1, 8, 1, 1},       // oversize
		{1, 8, 0, 0, 1, 0}, // arbitrary bytes
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) == 0 {
			return
		}
		hostile := data[0]%2 == 1
		txs := mutate(s.good, s.fix.k, data[1:])
		junk := &sideblock.Block{Header: s.good.Header, Transactions: txs}
		if hostile {
			junk = sideblock.NewBlock(s.good.Header.PrevBlock, txs)
		}
		hash := junk.BlockHash()
		defer s.cleanup(t, junk)
		defer s.undoTo(t)

		// As the body arrives.
		s.connect(t, 102, &junk.Header)
		stageErr := s.ms.chain.StageBody(junk)
		if stageErr != nil {
			if _, ok := sideblock.ErrorCodeOf(stageErr); !ok {
				t.Fatalf("StageBody: %v is not a rule error", stageErr)
			}
		}
		s.arrived(t)
		tip, _, _ := s.ms.chain.Tip()
		connected := tip == hash
		if !connected && tip != s.fix.f1.BlockHash() {
			t.Fatalf("tip %v, neither f1 nor the body", tip)
		}
		switch {
		case !hostile && connected:
			// Only a copy that differs in nothing the rules see.
			if got := s.hash(t); got != s.goodHash {
				t.Fatalf("a copy of the valid block connected with state hash %v, want %v",
					got, s.goodHash)
			}
		case !hostile:
			if got := s.hash(t); got != s.missingHash {
				t.Fatalf("a wrong copy changed the state hash to %v, want %v",
					got, s.missingHash)
			}
			// The valid body still gets in.
			if err := s.ms.chain.StageBody(s.good); err != nil {
				t.Fatalf("the valid body after a wrong copy: %v", err)
			}
			s.arrived(t)
			if got := s.hash(t); got != s.goodHash {
				t.Fatalf("after the valid body: state hash %v, want %v", got, s.goodHash)
			}
		case connected:
			s.checkConnectable(t, junk)
		}
		s.connect(t, 103, nil)
		onArrival := s.hash(t)
		s.undoTo(t)
		if got := s.hash(t); got != s.baseHash {
			t.Fatalf("undo left state hash %v, want %v", got, s.baseHash)
		}
		s.cleanup(t, junk)

		// The reference: the next block's batch takes the body up; for
		// a wrong copy, the reference never saw it and got the valid
		// body instead.
		s.connect(t, 102, &junk.Header)
		if !hostile && !connected {
			if err := s.ms.chain.StageBody(s.good); err != nil {
				t.Fatal(err)
			}
		} else if err := s.ms.chain.StageBody(junk); (err == nil) != (stageErr == nil) {
			t.Fatalf("StageBody %v, then %v", stageErr, err)
		}
		s.connect(t, 103, nil)
		if ref := s.hash(t); ref != onArrival {
			t.Fatalf("state hash %v connecting on arrival, %v at the next block",
				onArrival, ref)
		}
	})
}
