package sideblock

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"
	"github.com/mainstake/sidenode/store"
)

// WithdrawalTag starts the payload of every withdrawal output: the protocol
// magic "PMS" and the kind letter 'w' (lower case: a sidechain output, not
// one of the mainchain kinds of design §2).
var WithdrawalTag = [4]byte{'P', 'M', 'S', 'w'}

const (
	// withdrawalFeeSize is the size of the fee budget field.
	withdrawalFeeSize = 8

	// withdrawalPrefixSize is the size of the payload before the
	// destination script: tag and fee.
	withdrawalPrefixSize = len(WithdrawalTag) + withdrawalFeeSize

	// MaxWithdrawalDestSize is the size of the longest destination a
	// withdrawal may name: a P2WSH or P2TR scriptPubKey.
	MaxWithdrawalDestSize = 34
)

// WithdrawalScript returns the script of a sidechain output that withdraws
// its value to the mainchain scriptPubKey dest, with a mainchain fee budget
// of fee satoshis:
//
//	OP_RETURN <push: "PMS" 'w' · fee (8 bytes, big-endian) · dest>
//
// as txscript.NullDataScript builds it (one minimal push, at most 46 bytes
// of payload). dest must be P2PKH, P2SH, P2WPKH, P2WSH or P2TR, and fee in
// [0, btcutil.MaxSatoshi]. The output's value less fee is paid on the
// mainchain; CheckBlockSanity requires that to be at least DustLimit.
func WithdrawalScript(fee int64, dest []byte) ([]byte, error) {
	if fee < 0 || fee > btcutil.MaxSatoshi {
		return nil, ruleErrorf(ErrBadWithdrawalScript,
			"withdrawal fee %d out of range", fee)
	}
	if err := checkWithdrawalDest(dest); err != nil {
		return nil, err
	}
	payload := make([]byte, 0, withdrawalPrefixSize+len(dest))
	payload = append(payload, WithdrawalTag[:]...)
	payload = binary.BigEndian.AppendUint64(payload, uint64(fee))
	payload = append(payload, dest...)
	return txscript.NullDataScript(payload)
}

// ParseWithdrawalScript reads a sidechain output script.
//
// An output is tagged as a withdrawal when its script is OP_RETURN followed
// by a data push whose first four bytes are WithdrawalTag. For an untagged
// script, isWithdrawal is false and err nil: it is an ordinary output, or
// OP_RETURN data that burns its value (this includes OP_RETURN scripts that
// do not parse, and "PMS" payloads of other kinds, which are left to future
// versions). For a tagged script, isWithdrawal is true, and err is a
// RuleError if the script is not exactly what WithdrawalScript builds:
// ErrBadWithdrawalScript for the encoding and ErrBadWithdrawalDestination
// for a destination that is not a standard mainchain output.
func ParseWithdrawalScript(pkScript []byte) (fee int64, dest []byte, isWithdrawal bool, err error) {
	if len(pkScript) < 1 || pkScript[0] != txscript.OP_RETURN {
		return 0, nil, false, nil
	}
	tok := txscript.MakeScriptTokenizer(0, pkScript[1:])
	if !tok.Next() || tok.Opcode() > txscript.OP_PUSHDATA4 {
		return 0, nil, false, nil
	}
	data := tok.Data()
	if !bytes.HasPrefix(data, WithdrawalTag[:]) {
		return 0, nil, false, nil
	}

	// Tagged: from here on every deviation is an error.
	canonical, nerr := txscript.NullDataScript(data)
	if nerr != nil || !bytes.Equal(canonical, pkScript) {
		return 0, nil, true, ruleError(ErrBadWithdrawalScript,
			"withdrawal script is not OP_RETURN and one minimal "+
				"push of at most 80 bytes")
	}
	if len(data) <= withdrawalPrefixSize {
		return 0, nil, true, ruleErrorf(ErrBadWithdrawalScript,
			"withdrawal payload is %d bytes, too short for a fee "+
				"and a destination", len(data))
	}
	ufee := binary.BigEndian.Uint64(data[len(WithdrawalTag):withdrawalPrefixSize])
	if ufee > btcutil.MaxSatoshi {
		return 0, nil, true, ruleErrorf(ErrBadWithdrawalScript,
			"withdrawal fee %d above the supply limit", ufee)
	}
	dest = data[withdrawalPrefixSize:]
	if err := checkWithdrawalDest(dest); err != nil {
		return 0, nil, true, err
	}
	return int64(ufee), dest, true, nil
}

// checkWithdrawalDest checks that dest is a mainchain scriptPubKey that a
// payout can pay in a standard transaction.
func checkWithdrawalDest(dest []byte) error {
	switch txscript.GetScriptClass(dest) {
	case txscript.PubKeyHashTy, txscript.ScriptHashTy,
		txscript.WitnessV0PubKeyHashTy, txscript.WitnessV0ScriptHashTy,
		txscript.WitnessV1TaprootTy:
		return nil
	}
	return ruleErrorf(ErrBadWithdrawalDestination,
		"withdrawal destination %x is not a P2PKH, P2SH, P2WPKH, "+
			"P2WSH or P2TR script", dest)
}

// Withdrawal is one withdrawal of a sideblock: a leaf of its withdrawal
// tree.
type Withdrawal struct {
	// OutPoint is the sidechain output that burns the value.
	OutPoint wire.OutPoint

	// Value is the sidechain value burned, in satoshis.
	Value int64

	// Fee is the mainchain fee budget declared in the script.
	Fee int64

	// PkScript is the mainchain scriptPubKey to pay.
	PkScript []byte

	// Index is the withdrawal's position among the block's
	// withdrawals, and Count their number. Both are part of the leaf, so
	// that one proof also proves how many withdrawals the block has.
	Index uint32
	Count uint32
}

// Amount returns what the payout pays on the mainchain: Value − Fee.
func (w *Withdrawal) Amount() int64 {
	return w.Value - w.Fee
}

// LeafHash returns the leaf of the withdrawal tree:
//
//	SHA256d(count (4) ‖ index (4) ‖ txid (32, internal order) ‖ vout (4) ‖
//	        value (8) ‖ fee (8) ‖ len(pkScript) (1) ‖ pkScript)
//
// with integers big-endian. PkScript must be at most 255 bytes (withdrawal
// destinations are at most MaxWithdrawalDestSize). For a standard
// destination (22 bytes or more)
// the preimage is at least 83 bytes, so a leaf can never be mistaken for an
// inner node, whose preimage is 64 bytes.
func (w *Withdrawal) LeafHash() chainhash.Hash {
	b := make([]byte, 0, 61+len(w.PkScript))
	b = binary.BigEndian.AppendUint32(b, w.Count)
	b = binary.BigEndian.AppendUint32(b, w.Index)
	b = append(b, w.OutPoint.Hash[:]...)
	b = binary.BigEndian.AppendUint32(b, w.OutPoint.Index)
	b = binary.BigEndian.AppendUint64(b, uint64(w.Value))
	b = binary.BigEndian.AppendUint64(b, uint64(w.Fee))
	b = append(b, byte(len(w.PkScript)))
	b = append(b, w.PkScript...)
	return chainhash.DoubleHashH(b)
}

// BlockWithdrawals returns the withdrawals of a list of transactions: every
// output whose script parses as a withdrawal, in transaction and output
// order, with Index and Count set. Malformed withdrawal outputs are left out
// (a block that has one is invalid; CheckBlockSanity reports it).
func BlockWithdrawals(txs []*wire.MsgTx) []Withdrawal {
	return blockWithdrawals(utilTxs(txs))
}

func blockWithdrawals(txs []*btcutil.Tx) []Withdrawal {
	var ws []Withdrawal
	for _, tx := range txs {
		for vout, out := range tx.MsgTx().TxOut {
			fee, dest, ok, err := ParseWithdrawalScript(out.PkScript)
			if !ok || err != nil {
				continue
			}
			ws = append(ws, Withdrawal{
				OutPoint: wire.OutPoint{Hash: *tx.Hash(), Index: uint32(vout)},
				Value:    out.Value,
				Fee:      fee,
				PkScript: dest,
				Index:    uint32(len(ws)),
			})
		}
	}
	for i := range ws {
		ws[i].Count = uint32(len(ws))
	}
	return ws
}

// WithdrawalRoot returns the Bitcoin-style merkle root of the withdrawals'
// leaf hashes, in order, or the zero hash if there are none.
func WithdrawalRoot(ws []Withdrawal) chainhash.Hash {
	return merkleRoot(withdrawalLeaves(ws))
}

// WithdrawalBranch returns the merkle branch of withdrawal i in the tree of
// ws.
func WithdrawalBranch(ws []Withdrawal, i int) (MerkleBranch, error) {
	if i < 0 || i >= len(ws) {
		return MerkleBranch{}, ruleErrorf(ErrBadWithdrawalProof,
			"withdrawal index %d out of range [0, %d)", i, len(ws))
	}
	return merkleBranch(withdrawalLeaves(ws), i), nil
}

func withdrawalLeaves(ws []Withdrawal) []chainhash.Hash {
	leaves := make([]chainhash.Hash, len(ws))
	for i := range ws {
		leaves[i] = ws[i].LeafHash()
	}
	return leaves
}

// VerifyWithdrawal checks that leaf is withdrawal leaf.Index of leaf.Count
// in the block whose header has hashMerkleRoot merkleRoot, given the block's
// txRoot and the leaf's branch in the withdrawal tree. It returns nil or a
// RuleError with ErrBadWithdrawalProof.
//
// The branch must have exactly the depth of a tree of leaf.Count leaves, and
// where the leaf's path passes the last node of an odd level its sibling
// must be that node itself, as Bitcoin's tree builds it; so a proof cannot
// place a leaf at a position the tree does not have.
func VerifyWithdrawal(branch MerkleBranch, leaf *Withdrawal, txRoot, merkleRoot chainhash.Hash) error {
	if leaf.Count == 0 || leaf.Index >= leaf.Count {
		return ruleErrorf(ErrBadWithdrawalProof,
			"withdrawal index %d of %d", leaf.Index, leaf.Count)
	}
	if branch.Index != leaf.Index {
		return ruleErrorf(ErrBadWithdrawalProof,
			"branch is for index %d, leaf has index %d",
			branch.Index, leaf.Index)
	}
	if err := checkWithdrawalDest(leaf.PkScript); err != nil {
		return ruleErrorf(ErrBadWithdrawalProof, "leaf: %v", err)
	}
	if len(branch.Hashes) != merkleDepth(int(leaf.Count)) {
		return ruleErrorf(ErrBadWithdrawalProof,
			"branch has %d hashes, a tree of %d leaves needs %d",
			len(branch.Hashes), leaf.Count,
			merkleDepth(int(leaf.Count)))
	}
	root, ok := branch.root(leaf.LeafHash(), int(leaf.Count))
	if !ok {
		return ruleError(ErrBadWithdrawalProof,
			"branch does not duplicate the last node of an odd level")
	}
	if HeaderMerkleRoot(txRoot, root) != merkleRoot {
		return ruleError(ErrBadWithdrawalProof,
			"withdrawal does not hash to the merkle root")
	}
	return nil
}

// WithdrawalBlock is a best-chain block that has withdrawals.
type WithdrawalBlock struct {
	Hash   chainhash.Hash
	Height int32
}

// WithdrawalBlocks returns the best chain's blocks that have withdrawals,
// from height from on, lowest first, at most limit of them.
func WithdrawalBlocks(r store.Reader, from int32, limit int) ([]WithdrawalBlock, error) {
	var out []WithdrawalBlock
	err := r.Iterate(keyWithdrawPrefix, func(k, v []byte) error {
		if len(k) != len(keyWithdrawPrefix)+4 || len(v) != chainhash.HashSize {
			return fmt.Errorf("sideblock: withdrawal index entry of %d/%d bytes", len(k), len(v))
		}
		h := int32(binary.BigEndian.Uint32(k[len(keyWithdrawPrefix):]))
		if h < from {
			return nil
		}
		var wb WithdrawalBlock
		copy(wb.Hash[:], v)
		wb.Height = h
		out = append(out, wb)
		if len(out) >= limit {
			return store.ErrStopIteration
		}
		return nil
	})
	return out, err
}
