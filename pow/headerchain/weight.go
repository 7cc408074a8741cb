package headerchain

import (
	"math"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/wire"
)

const (
	// MaxBlockWeight is the largest weight a block may have, in weight
	// units (WU).
	MaxBlockWeight = 4_000_000

	// BaseSizeFactor is the weight of one byte of the block.
	BaseSizeFactor = 4

	// SignatureWeight is the weight of one signature operation.
	SignatureWeight = 384
)

// Weight returns baseSize·BaseSizeFactor + signatureCount·SignatureWeight,
// saturating at math.MaxUint64 instead of wrapping: no input can make an
// overweight block look light.
func Weight(baseSize, signatureCount uint64) uint64 {
	a, ok := mulSat(baseSize, BaseSizeFactor)
	if !ok {
		return math.MaxUint64
	}
	b, ok := mulSat(signatureCount, SignatureWeight)
	if !ok {
		return math.MaxUint64
	}
	if a > math.MaxUint64-b {
		return math.MaxUint64
	}
	return a + b
}

func mulSat(x, k uint64) (uint64, bool) {
	if x > math.MaxUint64/k {
		return 0, false
	}
	return x * k, true
}

// BaseSize returns the block's base_size: its whole serialization, the
// 80-byte header, the transaction count and every transaction with its
// witness. The sidechain gives witness bytes no discount (sideblock's
// MaxBlockSize counts them in full), so base_size does not either.
func BaseSize(b *Block) uint64 {
	n := uint64(wire.MaxBlockHeaderPayload) +
		uint64(wire.VarIntSerializeSize(uint64(len(b.Transactions))))
	for _, tx := range b.Transactions {
		if tx != nil {
			n += uint64(tx.SerializeSize())
		}
	}
	return n
}

// SignatureCount returns the block's signature_count: the signature
// operations of every signature script and output script of every
// transaction, counted as Bitcoin's legacy rule counts them
// (blockchain.CountSigOps: OP_CHECKSIG and OP_CHECKSIGVERIFY count 1,
// OP_CHECKMULTISIG and OP_CHECKMULTISIGVERIFY count 20, wherever they
// appear, and a script that does not parse counts up to where it stops).
// It is a function of the block alone, so an overweight block is refused
// before any output it spends is looked up. Signature operations inside
// P2SH redeem scripts and witnesses are bounded at connection by
// sideblock.MaxBlockSigOpsCost.
func SignatureCount(b *Block) uint64 {
	var n uint64
	for _, tx := range b.Transactions {
		if tx != nil {
			n += uint64(blockchain.CountSigOps(btcutil.NewTx(tx)))
		}
	}
	return n
}

// BlockWeight returns Weight(BaseSize(b), SignatureCount(b)).
func BlockWeight(b *Block) uint64 {
	return Weight(BaseSize(b), SignatureCount(b))
}

// CheckBlockWeight returns a RuleError with ErrBlockTooHeavy if the block
// weighs more than MaxBlockWeight. It sizes the block first and counts
// signature operations only if the size alone is within the limit.
func CheckBlockWeight(b *Block) error {
	size := BaseSize(b)
	if w := Weight(size, 0); w > MaxBlockWeight {
		return ruleErrorf(ErrBlockTooHeavy,
			"block is %d bytes, %d WU before signatures, max %d WU",
			size, w, MaxBlockWeight)
	}
	sigs := SignatureCount(b)
	if w := Weight(size, sigs); w > MaxBlockWeight {
		return ruleErrorf(ErrBlockTooHeavy,
			"block weighs %d WU (%d bytes ×%d + %d signatures ×%d), "+
				"max %d WU", w, size, BaseSizeFactor, sigs,
			SignatureWeight, MaxBlockWeight)
	}
	return nil
}
