package sideblock_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/sideblock/blocktests"
)

// node is an accepted block in the test chain.
type node struct {
	name   string
	block  *sideblock.Block
	parent chainhash.Hash
	spent  []sideblock.SpentOutput
	digest [32]byte // of the view after the block
}

// harness is the smallest chain state that can run the generated tests: a
// tree of accepted blocks and one MemUtxoView that it moves between
// branches with UndoBlock and ApplyBlock.
type harness struct {
	params *chainparams.Params
	view   *sideblock.MemUtxoView
	tip    chainhash.Hash // zero: the empty state
	nodes  map[chainhash.Hash]*node
}

// viewDigest hashes the view's content in a canonical order.
func viewDigest(v *sideblock.MemUtxoView) [32]byte {
	type entry struct {
		op wire.OutPoint
		u  *sideblock.Utxo
	}
	var entries []entry
	v.ForEach(func(op wire.OutPoint, u *sideblock.Utxo) bool {
		entries = append(entries, entry{op, u})
		return true
	})
	sort.Slice(entries, func(i, j int) bool {
		a, b := entries[i].op, entries[j].op
		if c := bytes.Compare(a.Hash[:], b.Hash[:]); c != 0 {
			return c < 0
		}
		return a.Index < b.Index
	})
	h := sha256.New()
	for _, e := range entries {
		h.Write(e.op.Hash[:])
		_ = binary.Write(h, binary.BigEndian, e.op.Index)
		_ = binary.Write(h, binary.BigEndian, e.u.Value)
		_ = binary.Write(h, binary.BigEndian, e.u.Height)
		_ = binary.Write(h, binary.BigEndian, e.u.IsCoinbase)
		_ = binary.Write(h, binary.BigEndian, uint32(len(e.u.PkScript)))
		h.Write(e.u.PkScript)
	}
	var d [32]byte
	copy(d[:], h.Sum(nil))
	return d
}

// path returns the blocks from the empty state to hash, oldest first.
func (h *harness) path(t *testing.T, hash chainhash.Hash) []*node {
	var p []*node
	for hash != (chainhash.Hash{}) {
		n, ok := h.nodes[hash]
		if !ok {
			t.Fatalf("block %v is not an accepted block", hash)
		}
		p = append([]*node{n}, p...)
		hash = n.parent
	}
	return p
}

// moveTo disconnects blocks down to the fork point and connects the branch
// up to target, checking the view against what it was when each block was
// first connected.
func (h *harness) moveTo(t *testing.T, target chainhash.Hash) {
	if target == h.tip {
		return
	}
	from, to := h.path(t, h.tip), h.path(t, target)
	fork := 0
	for fork < len(from) && fork < len(to) && from[fork] == to[fork] {
		fork++
	}
	for i := len(from) - 1; i >= fork; i-- {
		n := from[i]
		if err := sideblock.UndoBlock(h.view, n.block, n.spent); err != nil {
			t.Fatalf("undo %s: %v", n.name, err)
		}
		want := viewDigest(sideblock.NewMemUtxoView())
		if i > 0 {
			want = from[i-1].digest
		}
		if viewDigest(h.view) != want {
			t.Fatalf("view after undoing %s differs from before it",
				n.name)
		}
	}
	for _, n := range to[fork:] {
		spent, err := sideblock.ApplyBlock(h.view, n.block)
		if err != nil {
			t.Fatalf("reapply %s: %v", n.name, err)
		}
		if !reflect.DeepEqual(spent, n.spent) {
			t.Fatalf("reapply %s: different undo data", n.name)
		}
		if viewDigest(h.view) != n.digest {
			t.Fatalf("view after reapplying %s differs", n.name)
		}
	}
	h.tip = target
}

// check runs every validation layer on a block against its parent's state.
func (h *harness) check(t *testing.T, block *sideblock.Block, lotteryHeight int32) (int64, []sideblock.SpentOutput, error) {
	h.moveTo(t, block.Header.PrevBlock)
	before := viewDigest(h.view)
	defer func() {
		if viewDigest(h.view) != before {
			t.Fatalf("validation changed the view")
		}
	}()
	if err := sideblock.CheckBlockSanity(block, h.params); err != nil {
		return 0, nil, err
	}
	if err := sideblock.CheckMint(block, h.due(t, block.Header.PrevBlock, lotteryHeight)); err != nil {
		return 0, nil, err
	}
	return sideblock.CheckConnectBlock(block, lotteryHeight, h.view, h.params)
}

// due returns the deposits a block on parent at lotteryHeight must mint:
// those of blocktests.Deposits due by then that the branch has not minted.
func (h *harness) due(t *testing.T, parent chainhash.Hash, lotteryHeight int32) []sideblock.Deposit {
	all := blocktests.Deposits()
	if lotteryHeight < blocktests.MintHeight {
		return nil
	}
	minted := 0
	for _, n := range h.path(t, parent) {
		if txs := n.block.Transactions; len(txs) > 1 && sideblock.IsMintTx(txs[1]) {
			minted += len(txs[1].TxOut)
		}
	}
	if minted >= len(all) {
		return nil
	}
	return all[minted:]
}

// TestFullBlocks runs every generated scenario, each as a subtest named
// after its block, in order; the first failure stops the run, since later
// scenarios build on earlier ones.
func TestFullBlocks(t *testing.T) {
	tests, err := blocktests.Generate()
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	h := &harness{
		params: blocktests.Params(),
		view:   sideblock.NewMemUtxoView(),
		nodes:  make(map[chainhash.Hash]*node),
	}
	names := make(map[string]bool)
	for _, inst := range tests {
		var ok bool
		switch ti := inst.(type) {
		case blocktests.AcceptedBlock:
			checkUnique(t, names, ti.Name)
			ok = t.Run(ti.Name, func(t *testing.T) {
				h.accept(t, ti)
			})

		case blocktests.RejectedBlock:
			checkUnique(t, names, ti.Name)
			ok = t.Run(ti.Name, func(t *testing.T) {
				h.reject(t, ti)
			})

		default:
			t.Fatalf("unknown test instance %T", inst)
		}
		if !ok {
			return
		}
	}

	// Disconnect everything: the view must end empty.
	h.moveTo(t, chainhash.Hash{})
	if h.view.Len() != 0 {
		t.Fatalf("view has %d outputs after undoing every block",
			h.view.Len())
	}
}

// accept checks that a block is accepted, connects it and makes it the tip.
func (h *harness) accept(t *testing.T, ti blocktests.AcceptedBlock) {
	_, spent, err := h.check(t, ti.Block, ti.LotteryHeight)
	if err != nil {
		t.Fatalf("want accepted, got %v", err)
	}
	hash := ti.Block.BlockHash()
	got, err := sideblock.ApplyBlock(h.view, ti.Block)
	if err != nil {
		t.Fatalf("apply: %v", err)
	}
	if !reflect.DeepEqual(got, spent) {
		t.Fatalf("ApplyBlock and CheckConnectBlock disagree on the " +
			"spent outputs")
	}
	h.nodes[hash] = &node{
		name: ti.Name, block: ti.Block,
		parent: ti.Block.Header.PrevBlock,
		spent:  spent, digest: viewDigest(h.view),
	}
	h.tip = hash
	checkRoundTrip(t, ti.Block)
	checkWithdrawalProofs(t, ti.Block)
}

// reject checks that a block is rejected with the expected code.
func (h *harness) reject(t *testing.T, ti blocktests.RejectedBlock) {
	_, _, err := h.check(t, ti.Block, ti.LotteryHeight)
	code, ok := sideblock.ErrorCodeOf(err)
	if !ok || code != ti.RejectCode {
		t.Fatalf("want %v, got %v", ti.RejectCode, err)
	}
	if !sideblock.IsErrorCode(err, ti.RejectCode) {
		t.Fatalf("IsErrorCode disagrees")
	}
	t.Logf("rejected: %v", err)
}

func checkUnique(t *testing.T, names map[string]bool, name string) {
	t.Helper()
	if names[name] {
		t.Fatalf("scenario name %q used twice", name)
	}
	names[name] = true
}

// checkRoundTrip encodes and decodes a block.
func checkRoundTrip(t *testing.T, b *sideblock.Block) {
	t.Helper()
	raw, err := b.Bytes()
	if err != nil {
		t.Fatalf("encode: %v", err)
	}
	if len(raw) != sideblock.HeaderSize+b.BodySize() {
		t.Fatalf("encoded %d bytes, sizes say %d", len(raw),
			sideblock.HeaderSize+b.BodySize())
	}
	got, err := sideblock.DecodeBlock(raw)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if got.BlockHash() != b.BlockHash() ||
		sideblock.CalcBlockMerkleRoot(got.Transactions) != b.Header.MerkleRoot {
		t.Fatalf("decoded block differs")
	}
	raw2, err := got.Bytes()
	if err != nil || !bytes.Equal(raw, raw2) {
		t.Fatalf("re-encoded block differs")
	}
}

// checkWithdrawalProofs proves every withdrawal of an accepted block from
// its header, and checks that a changed proof fails.
func checkWithdrawalProofs(t *testing.T, b *sideblock.Block) {
	t.Helper()
	ws := sideblock.BlockWithdrawals(b.Transactions)
	txRoot := sideblock.CalcTxRoot(b.Transactions)
	if len(ws) == 0 {
		if sideblock.WithdrawalRoot(ws) != (chainhash.Hash{}) {
			t.Fatalf("empty withdrawal root is not zero")
		}
		return
	}
	for i := range ws {
		br, err := sideblock.WithdrawalBranch(ws, i)
		if err != nil {
			t.Fatalf("branch %d: %v", i, err)
		}
		err = sideblock.VerifyWithdrawal(br, &ws[i], txRoot, b.Header.MerkleRoot)
		if err != nil {
			t.Fatalf("withdrawal %d does not verify: %v", i, err)
		}
		bad := ws[i]
		bad.Fee++
		err = sideblock.VerifyWithdrawal(br, &bad, txRoot, b.Header.MerkleRoot)
		if !sideblock.IsErrorCode(err, sideblock.ErrBadWithdrawalProof) {
			t.Fatalf("changed withdrawal %d verifies: %v", i, err)
		}
	}
}

// TestGeneratorCoversEveryRule checks that every error code is the
// expected outcome of at least one generated block, except the codes that
// a generated block cannot reach, which other tests in this package cover.
func TestGeneratorCoversEveryRule(t *testing.T) {
	elsewhere := map[sideblock.ErrorCode]string{
		sideblock.ErrBadEncoding:        "TestDecodeBodyErrors",
		sideblock.ErrBadTransaction:     "unknown btcd codes; unreachable",
		sideblock.ErrBadTxInValue:       "TestConnectAmountLimits",
		sideblock.ErrBadFees:            "TestConnectAmountLimits",
		sideblock.ErrBadUndoData:        "TestApplyUndoErrors",
		sideblock.ErrBadWithdrawalProof: "TestVerifyWithdrawalRejects",

		// Chain state, staging and mempool codes: not block rules.
		sideblock.ErrUnknownParent:        "TestChainIgnoredPublications",
		sideblock.ErrDuplicatePublication: "TestChainIgnoredPublications",
		sideblock.ErrBlockNotFound:        "TestChainLinear",
		sideblock.ErrBodyKnown:            "TestChainOrphanBody",
		sideblock.ErrBodyKnownBad:         "TestChainBadCopy",
		sideblock.ErrKnownInvalid:         "TestChainInvalidBody",
		sideblock.ErrBodyOutOfWindow:      "TestStageBodyBounds",
		sideblock.ErrTooManyStagedBodies:  "TestStageBodyBounds",
		sideblock.ErrMempoolDuplicate:     "TestMempoolRejects",
		sideblock.ErrMempoolConflict:      "TestMempoolRejects",
		sideblock.ErrMempoolCoinbase:      "TestMempoolRejects",
		sideblock.ErrTxTooLarge:           "TestMempoolRejects",
		sideblock.ErrMempoolLowFee:        "TestMempoolRejects",
		sideblock.ErrMempoolFull:          "TestMempoolEviction",
		sideblock.ErrBadMainRef:           "TestOwnClock",
	}
	tests, err := blocktests.Generate()
	if err != nil {
		t.Fatal(err)
	}
	covered := make(map[sideblock.ErrorCode]bool)
	for _, inst := range tests {
		if r, ok := inst.(blocktests.RejectedBlock); ok {
			covered[r.RejectCode] = true
		}
	}
	for c := sideblock.ErrorCode(0); !strings.HasPrefix(c.String(), "Unknown"); c++ {
		if _, ok := elsewhere[c]; ok {
			continue
		}
		if !covered[c] {
			t.Errorf("no generated block is rejected with %v", c)
		}
	}
}
