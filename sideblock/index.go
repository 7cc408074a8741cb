package sideblock

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/store"
)

// Store keys of the chain state.
//
// Mainchain-derived state, written only through the *store.Writer of a
// mainchain block's batch, so that the store's undo record of the block
// rolls it back with the block (first byte 0x40). It is covered by the
// node's state hash, and it is a function of the mainchain and of the
// best chain, which fork choice picks from the mainchain and the bodies
// the node holds:
//
//	0x40 'i' ‖ hash                 → header record: the header and its
//	                                  publication (headerRecLen bytes)
//	0x40 'c' ‖ parent ‖ child       → empty: the tree of published headers
//	0x40 'h' ‖ height (4)           → hash of the best chain's block
//	0x40 'T'                        → tip: hash ‖ height (4) ‖ lottery height (4)
//	0x40 'u' ‖ txid ‖ vout (4)      → unspent output
//	0x40 'r' ‖ hash                 → outputs the block spent (its undo data)
//	0x40 'x' ‖ script hash ‖ …      → address index (addrindex.go)
//	0x40 'y' ‖ txid                 → transaction index (addrindex.go)
//	0x40 'w' ‖ height (4)           → hash: a best-chain block with withdrawals
//
// What this node found out about the published headers' bodies, written
// by the same batches (so that the undo record takes it back with the
// block, and DB.AmendTip merges it into the tip's) but local, out of the
// state hash (first byte 0x41, docs/protocol.md §1.5): how far this node
// validated a block depends on the order its bodies arrived in. A node
// that connected a branch while a better branch's body was missing keeps
// "valid", or "invalid", for blocks its peers never looked at; it is a
// cache of results that any node would find again, not chain state.
// DB.Update never writes these keys:
//
//	0x41 'v' ‖ hash                 → status (1) ‖ flags (1) ‖ SHA256 of the
//	                                  last copy of the body that failed (32,
//	                                  zero if none)
//	0x41 'm' ‖ hash                 → empty: published, body missing
//	0x41 'a' ‖ fork key ‖ hash      → empty: candidates, best first
//
// State that does not derive from the mainchain, written with DB.Update
// and never through a batch, so that the keys never overlap the batch's
// (see store.DB.Update):
//
//	0x41 'b' ‖ hash                 → staged block: header ‖ lottery height (4) ‖ body
//	0x41 'l' ‖ lottery height ‖ hash → empty: staged blocks by coinbase height
//	0x41 'g'                        → lottery height up to which unpublished
//	                                  bodies have been pruned
//
// Integers are big-endian; heights are never negative in keys.
var (
	keyRecordPrefix   = []byte{0x40, 'i'}
	keyChildPrefix    = []byte{0x40, 'c'}
	keyBestPrefix     = []byte{0x40, 'h'}
	keyTip            = []byte{0x40, 'T'}
	keyUtxoPrefix     = []byte{0x40, 'u'}
	keySpentPrefix    = []byte{0x40, 'r'}
	keyWithdrawPrefix = []byte{0x40, 'w'}

	keyProgressPrefix  = []byte{StagingKeyByte, 'v'}
	keyMissingPrefix   = []byte{StagingKeyByte, 'm'}
	keyCandidatePrefix = []byte{StagingKeyByte, 'a'}

	keyBodyPrefix   = []byte{StagingKeyByte, 'b'}
	keyStagedPrefix = []byte{StagingKeyByte, 'l'}
	keyPruneCursor  = []byte{StagingKeyByte, 'g'}
)

// StagingKeyByte is the first byte of the keys of staged bodies and of
// what this node found out about them: a cache of what this node has
// received, produced or validated, not consensus state, so two nodes on
// the same chains may differ there.
const StagingKeyByte = 0x41

func hashKey(prefix []byte, h chainhash.Hash) []byte {
	k := make([]byte, 0, len(prefix)+chainhash.HashSize)
	k = append(k, prefix...)
	return append(k, h[:]...)
}

func recordKey(h chainhash.Hash) []byte   { return hashKey(keyRecordPrefix, h) }
func missingKey(h chainhash.Hash) []byte  { return hashKey(keyMissingPrefix, h) }
func progressKey(h chainhash.Hash) []byte { return hashKey(keyProgressPrefix, h) }
func spentKey(h chainhash.Hash) []byte    { return hashKey(keySpentPrefix, h) }
func bodyKey(h chainhash.Hash) []byte     { return hashKey(keyBodyPrefix, h) }

func childKey(parent, child chainhash.Hash) []byte {
	return append(hashKey(keyChildPrefix, parent), child[:]...)
}

func withdrawKey(height int32) []byte {
	return binary.BigEndian.AppendUint32(append([]byte(nil), keyWithdrawPrefix...), uint32(height))
}

func bestKey(height int32) []byte {
	return binary.BigEndian.AppendUint32(append([]byte(nil), keyBestPrefix...), uint32(height))
}

func stagedHeightPrefix(lotteryHeight int32) []byte {
	return binary.BigEndian.AppendUint32(append([]byte(nil), keyStagedPrefix...),
		uint32(lotteryHeight))
}

func stagedKey(lotteryHeight int32, h chainhash.Hash) []byte {
	return append(stagedHeightPrefix(lotteryHeight), h[:]...)
}

func utxoKey(op wire.OutPoint) []byte {
	k := hashKey(keyUtxoPrefix, op.Hash)
	return binary.BigEndian.AppendUint32(k, op.Index)
}

// BlockStatus is what the chain state knows about a published header's
// body.
type BlockStatus uint8

const (
	// StatusBodyMissing: no usable body is staged. The node should ask
	// its peers for it (Chain.MissingBodies).
	StatusBodyMissing BlockStatus = iota + 1

	// StatusBodyStaged: a body is staged and has not been validated yet,
	// usually because an ancestor's body is missing.
	StatusBodyStaged

	// StatusValid: the body passed CheckBlockSanity and CheckConnectBlock
	// on top of its ancestors. Validity is a function of the header and
	// its ancestry, so it is never checked again.
	StatusValid

	// StatusInvalid: the body broke a rule that condemns the header
	// (ErrorCode.MarksHeaderInvalid). Final for this mainchain history:
	// like every index entry it is undone with the mainchain block that
	// found it, and a header published at another height (after a
	// mainchain reorg) is checked afresh.
	StatusInvalid

	// StatusInvalidAncestor: an ancestor is invalid. Final as
	// StatusInvalid.
	StatusInvalidAncestor
)

// String returns the status as a word.
func (s BlockStatus) String() string {
	switch s {
	case StatusBodyMissing:
		return "body missing"
	case StatusBodyStaged:
		return "body staged"
	case StatusValid:
		return "valid"
	case StatusInvalid:
		return "invalid"
	case StatusInvalidAncestor:
		return "invalid ancestor"
	}
	return fmt.Sprintf("BlockStatus(%d)", uint8(s))
}

// Invalid reports whether the header can never be part of the best chain.
func (s BlockStatus) Invalid() bool {
	return s == StatusInvalid || s == StatusInvalidAncestor
}

// hasBody reports whether the status says a usable body is staged.
func (s BlockStatus) hasBody() bool {
	return s == StatusBodyStaged || s == StatusValid
}

// BlockInfo is the index entry of a published header.
type BlockInfo struct {
	Hash       chainhash.Hash
	PrevBlock  chainhash.Hash
	MerkleRoot chainhash.Hash

	// Height is the sidechain height: 0 for a header whose PrevBlock is
	// zero, else the parent's height + 1.
	Height int32

	// LotteryHeight is the mainchain height of the lottery the block won:
	// its publication's height − 1. Its coinbase must carry it.
	LotteryHeight int32

	// PubHeight is the mainchain block that published the header, and
	// PubTxID the header transaction. An earlier publication wins a tie
	// in fork choice.
	PubHeight int32
	PubTxID   chainhash.Hash

	Status BlockStatus

	// OnBestChain tells whether the block is connected: an ancestor of the
	// tip, or the tip.
	OnBestChain bool

	// Connectable tells whether the block and all its ancestors have
	// usable bodies and none is known invalid: it is a fork-choice
	// candidate.
	Connectable bool
}

// record is the stored form of a BlockInfo, plus the digest of the last
// copy of the body found bad. It is stored in two parts: the header and its
// publication, covered by the state hash (recordKey), and what this node
// found out about the body, which is local (progressKey).
type record struct {
	BlockInfo
	badBody [32]byte // SHA256 of a body copy that failed; zero if none
}

const (
	headerRecLen   = 32*2 + 4*3 + 32
	progressRecLen = 1 + 1 + 32

	flagOnBest      = 1 << 0
	flagConnectable = 1 << 1
)

// encodeHeader is the covered part: the same on every node that saw the
// publication.
func (r *record) encodeHeader() []byte {
	b := make([]byte, 0, headerRecLen)
	b = append(b, r.PrevBlock[:]...)
	b = append(b, r.MerkleRoot[:]...)
	b = binary.BigEndian.AppendUint32(b, uint32(r.Height))
	b = binary.BigEndian.AppendUint32(b, uint32(r.LotteryHeight))
	b = binary.BigEndian.AppendUint32(b, uint32(r.PubHeight))
	return append(b, r.PubTxID[:]...)
}

// encodeProgress is the local part: status, flags and the bad copy.
func (r *record) encodeProgress() []byte {
	b := make([]byte, 0, progressRecLen)
	b = append(b, byte(r.Status))
	var flags byte
	if r.OnBestChain {
		flags |= flagOnBest
	}
	if r.Connectable {
		flags |= flagConnectable
	}
	b = append(b, flags)
	return append(b, r.badBody[:]...)
}

func decodeRecord(hash chainhash.Hash, hdr, prog []byte) (*record, error) {
	if len(hdr) != headerRecLen {
		return nil, fmt.Errorf("sideblock: index record of %v has %d "+
			"bytes, want %d", hash, len(hdr), headerRecLen)
	}
	if len(prog) != progressRecLen {
		return nil, fmt.Errorf("sideblock: status record of %v has %d "+
			"bytes, want %d", hash, len(prog), progressRecLen)
	}
	r := &record{}
	r.Hash = hash
	copy(r.PrevBlock[:], hdr[0:32])
	copy(r.MerkleRoot[:], hdr[32:64])
	r.Height = int32(binary.BigEndian.Uint32(hdr[64:]))
	r.LotteryHeight = int32(binary.BigEndian.Uint32(hdr[68:]))
	r.PubHeight = int32(binary.BigEndian.Uint32(hdr[72:]))
	copy(r.PubTxID[:], hdr[76:108])
	r.Status = BlockStatus(prog[0])
	if r.Status < StatusBodyMissing || r.Status > StatusInvalidAncestor {
		return nil, fmt.Errorf("sideblock: status record of %v has "+
			"status %d", hash, prog[0])
	}
	r.OnBestChain = prog[1]&flagOnBest != 0
	r.Connectable = prog[1]&flagConnectable != 0
	copy(r.badBody[:], prog[2:34])
	return r, nil
}

// getRecord reads the index entry of a published header.
func getRecord(r store.Reader, hash chainhash.Hash) (*record, bool, error) {
	hdr, err := r.Get(recordKey(hash))
	if errors.Is(err, store.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	prog, err := r.Get(progressKey(hash))
	if errors.Is(err, store.ErrNotFound) {
		return nil, false, fmt.Errorf("sideblock: index record of %v "+
			"has no status record", hash)
	}
	if err != nil {
		return nil, false, err
	}
	rec, err := decodeRecord(hash, hdr, prog)
	if err != nil {
		return nil, false, err
	}
	return rec, true, nil
}

// tipState is the best chain's tip. An empty chain has height −1.
type tipState struct {
	hash          chainhash.Hash
	height        int32
	lotteryHeight int32
	minted        uint64 // deposits the best chain has minted, in all
}

var emptyTip = tipState{height: -1, lotteryHeight: -1}

func (t tipState) encode() []byte {
	b := append([]byte(nil), t.hash[:]...)
	b = binary.BigEndian.AppendUint32(b, uint32(t.height))
	b = binary.BigEndian.AppendUint32(b, uint32(t.lotteryHeight))
	return binary.BigEndian.AppendUint64(b, t.minted)
}

// readTip reads the best chain's tip.
func readTip(r store.Reader) (tipState, error) {
	v, err := r.Get(keyTip)
	if errors.Is(err, store.ErrNotFound) {
		return emptyTip, nil
	}
	if err != nil {
		return emptyTip, err
	}
	// A 40-byte record is from before the peg: nothing was minted.
	if len(v) != 40 && len(v) != 48 {
		return emptyTip, fmt.Errorf("sideblock: tip record has %d bytes", len(v))
	}
	var t tipState
	copy(t.hash[:], v[:32])
	t.height = int32(binary.BigEndian.Uint32(v[32:]))
	t.lotteryHeight = int32(binary.BigEndian.Uint32(v[36:]))
	if len(v) == 48 {
		t.minted = binary.BigEndian.Uint64(v[40:])
	}
	return t, nil
}

// Unspent outputs: value (8) ‖ height (4) ‖ flags (1: coinbase) ‖ script.
func encodeUtxo(b []byte, u *Utxo) []byte {
	b = binary.BigEndian.AppendUint64(b, uint64(u.Value))
	b = binary.BigEndian.AppendUint32(b, uint32(u.Height))
	var flags byte
	if u.IsCoinbase {
		flags = 1
	}
	b = append(b, flags)
	return append(b, u.PkScript...)
}

func decodeUtxo(v []byte) (*Utxo, error) {
	if len(v) < 13 {
		return nil, fmt.Errorf("sideblock: unspent output record of %d bytes", len(v))
	}
	return &Utxo{
		Value:      int64(binary.BigEndian.Uint64(v)),
		Height:     int32(binary.BigEndian.Uint32(v[8:])),
		IsCoinbase: v[12]&1 != 0,
		PkScript:   append([]byte(nil), v[13:]...),
	}, nil
}

// Spent outputs of a block (its undo data): count (4), then per output
// txid (32) ‖ vout (4) ‖ script length (4) ‖ the unspent output record.
func encodeSpent(spent []SpentOutput) []byte {
	b := binary.BigEndian.AppendUint32(nil, uint32(len(spent)))
	for i := range spent {
		s := &spent[i]
		b = append(b, s.OutPoint.Hash[:]...)
		b = binary.BigEndian.AppendUint32(b, s.OutPoint.Index)
		b = binary.BigEndian.AppendUint32(b, uint32(13+len(s.Utxo.PkScript)))
		b = encodeUtxo(b, &s.Utxo)
	}
	return b
}

func decodeSpent(v []byte) ([]SpentOutput, error) {
	bad := fmt.Errorf("sideblock: malformed undo data (%d bytes)", len(v))
	if len(v) < 4 {
		return nil, bad
	}
	n := binary.BigEndian.Uint32(v)
	v = v[4:]
	if uint64(n) > uint64(len(v)/(40+13)) {
		return nil, bad
	}
	out := make([]SpentOutput, 0, n)
	for i := uint32(0); i < n; i++ {
		if len(v) < 40 {
			return nil, bad
		}
		var s SpentOutput
		copy(s.OutPoint.Hash[:], v[:32])
		s.OutPoint.Index = binary.BigEndian.Uint32(v[32:])
		l := binary.BigEndian.Uint32(v[36:])
		v = v[40:]
		if uint64(l) > uint64(len(v)) {
			return nil, bad
		}
		u, err := decodeUtxo(v[:l])
		if err != nil {
			return nil, err
		}
		s.Utxo = *u
		out = append(out, s)
		v = v[l:]
	}
	if len(v) != 0 {
		return nil, bad
	}
	return out, nil
}

// storeView is a UtxoSet over the store: reads through r (a batch Writer
// sees its own writes), writes through w. It has no error returns, so the
// first store error is kept in err; the caller checks it after every use,
// before it reads anything into a rule error (a failed read looks like a
// missing output).
type storeView struct {
	r   store.Reader
	w   *store.Writer // nil: read-only
	err error
}

var _ UtxoSet = (*storeView)(nil)

func (v *storeView) fail(err error) {
	if v.err == nil {
		v.err = err
	}
}

// FetchUtxo implements UtxoView.
func (v *storeView) FetchUtxo(op wire.OutPoint) (*Utxo, bool) {
	raw, err := v.r.Get(utxoKey(op))
	if errors.Is(err, store.ErrNotFound) {
		return nil, false
	}
	if err != nil {
		v.fail(err)
		return nil, false
	}
	u, err := decodeUtxo(raw)
	if err != nil {
		v.fail(err)
		return nil, false
	}
	return u, true
}

// AddUtxo implements UtxoSet.
func (v *storeView) AddUtxo(op wire.OutPoint, u *Utxo) {
	if v.w == nil {
		v.fail(errors.New("sideblock: write to a read-only view"))
		return
	}
	if err := v.w.Set(utxoKey(op), encodeUtxo(nil, u)); err != nil {
		v.fail(err)
	}
}

// SpendUtxo implements UtxoSet.
func (v *storeView) SpendUtxo(op wire.OutPoint) {
	if v.w == nil {
		v.fail(errors.New("sideblock: write to a read-only view"))
		return
	}
	if err := v.w.Delete(utxoKey(op)); err != nil {
		v.fail(err)
	}
}

// overlayView layers changes over a read-only view, for checking
// transactions one after another without writing (templates, mempool).
type overlayView struct {
	base  UtxoView
	added map[wire.OutPoint]*Utxo
	spent map[wire.OutPoint]struct{}
}

var _ UtxoSet = (*overlayView)(nil)

func newOverlayView(base UtxoView) *overlayView {
	return &overlayView{
		base:  base,
		added: make(map[wire.OutPoint]*Utxo),
		spent: make(map[wire.OutPoint]struct{}),
	}
}

// FetchUtxo implements UtxoView.
func (v *overlayView) FetchUtxo(op wire.OutPoint) (*Utxo, bool) {
	if u, ok := v.added[op]; ok {
		return u, true
	}
	if _, ok := v.spent[op]; ok {
		return nil, false
	}
	return v.base.FetchUtxo(op)
}

// AddUtxo implements UtxoSet.
func (v *overlayView) AddUtxo(op wire.OutPoint, u *Utxo) {
	v.added[op] = u
	delete(v.spent, op)
}

// SpendUtxo implements UtxoSet.
func (v *overlayView) SpendUtxo(op wire.OutPoint) {
	delete(v.added, op)
	v.spent[op] = struct{}{}
}

// applyTx spends tx's inputs and adds its spendable outputs at height.
func applyTx(view UtxoSet, tx *wire.MsgTx, height int32) {
	for _, in := range tx.TxIn {
		view.SpendUtxo(in.PreviousOutPoint)
	}
	txid := tx.TxHash()
	for vout, out := range tx.TxOut {
		if isUnspendable(out.PkScript) {
			continue
		}
		view.AddUtxo(wire.OutPoint{Hash: txid, Index: uint32(vout)},
			&Utxo{Value: out.Value, PkScript: out.PkScript, Height: height})
	}
}
