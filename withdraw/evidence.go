package withdraw

import (
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/sideblock"
)

// NewEvidence builds the evidence of the withdrawals of a sideblock from
// its index entry and its transactions: the published header, the body's
// transaction root and every withdrawal with its branch. It returns
// ErrBadProof when the body does not match the published header, which
// then proves nothing.
func NewEvidence(info *sideblock.BlockInfo, txs []*wire.MsgTx) (*Evidence, error) {
	ws := sideblock.BlockWithdrawals(txs)
	txRoot := sideblock.CalcTxRoot(txs)
	if sideblock.HeaderMerkleRoot(txRoot, sideblock.WithdrawalRoot(ws)) != info.MerkleRoot {
		return nil, ruleErrorf(ErrBadProof, "the body of sideblock %v does "+
			"not match its published header", info.Hash)
	}
	ev := &Evidence{
		Header: sideblock.Header{PrevBlock: info.PrevBlock, MerkleRoot: info.MerkleRoot},
		TxRoot: txRoot,
	}
	for i := range ws {
		branch, err := sideblock.WithdrawalBranch(ws, i)
		if err != nil {
			return nil, err
		}
		ev.Proofs = append(ev.Proofs, Proof{Withdrawal: ws[i], Branch: branch})
	}
	return ev, nil
}
