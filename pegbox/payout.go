package pegbox

import (
	"bytes"
	"fmt"
	"sort"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/opreturn"
	"github.com/mainstake/sidenode/sideblock"
)

// Coin is a pegbox output on the mainchain.
type Coin struct {
	OutPoint wire.OutPoint
	Value    int64
	PkScript []byte
	Height   int32 // the block that confirmed it
}

// SortCoins orders coins oldest first: by confirmation height, then
// outpoint. Every federation member spends coins in this order, so that
// all of them build the same payout.
func SortCoins(coins []Coin) {
	sort.Slice(coins, func(i, j int) bool {
		a, b := coins[i], coins[j]
		if a.Height != b.Height {
			return a.Height < b.Height
		}
		if c := bytes.Compare(a.OutPoint.Hash[:], b.OutPoint.Hash[:]); c != 0 {
			return c < 0
		}
		return a.OutPoint.Index < b.OutPoint.Index
	})
}

// BuildPayout builds the unsigned payout of the withdrawals ws of sideblock
// side: output 0 the 'W' OP_RETURN naming side, then one output per
// withdrawal, in order, paying its value less its declared fee, then the
// change back to the pegbox script change. Inputs are the first coins, in
// SortCoins order, whose sum covers every withdrawal's value plus extraFee
// and leaves a change of zero or at least dust; they signal replaceability
// (SpendSequence). The transaction's fee is the sum of the withdrawals' fee
// budgets plus extraFee, which only a fee bump sets (BumpFee): without it,
// the pegbox keeps exactly the value the withdrawals did not burn.
//
// The result is a function of its arguments alone, so every member that
// agrees on the pegbox's coins builds the same transaction, byte for byte.
// It returns ErrNoWithdrawals for an empty ws and ErrPegboxShort when the
// coins cannot pay.
func BuildPayout(side chainhash.Hash, ws []sideblock.Withdrawal, coins []Coin,
	change []byte, sidechainID uint32, dust, extraFee int64) (*wire.MsgTx, error) {

	if len(ws) == 0 {
		return nil, ruleErrorf(ErrNoWithdrawals, "sideblock %v has no withdrawals", side)
	}
	nullData, err := opreturn.Encode(sidechainID, &opreturn.Payout{SideBlock: side})
	if err != nil {
		return nil, err
	}
	tx := wire.NewMsgTx(2)
	tx.AddTxOut(wire.NewTxOut(0, nullData))
	var burned int64
	for i := range ws {
		amount := ws[i].Amount()
		if amount < dust {
			return nil, ruleErrorf(ErrPayoutDust, "withdrawal %d of sideblock %v "+
				"pays %d sat, below the dust limit of %d", i, side, amount, dust)
		}
		tx.AddTxOut(wire.NewTxOut(amount, ws[i].PkScript))
		burned += ws[i].Value
	}

	if extraFee < 0 {
		return nil, fmt.Errorf("pegbox: negative extra fee %d", extraFee)
	}
	need := burned + extraFee
	sorted := append([]Coin(nil), coins...)
	SortCoins(sorted)
	var in int64
	for _, c := range sorted {
		if in >= need && (in-need == 0 || in-need >= dust) {
			break
		}
		txIn := wire.NewTxIn(&c.OutPoint, nil, nil)
		txIn.Sequence = SpendSequence
		tx.AddTxIn(txIn)
		in += c.Value
	}
	left := in - need
	if left < 0 || (left > 0 && left < dust) {
		return nil, ruleErrorf(ErrPegboxShort, "the pegbox's %d coins hold %d sat; "+
			"the withdrawals of sideblock %v burn %d sat and the bump adds %d",
			len(coins), in, side, burned, extraFee)
	}
	if left > 0 {
		tx.AddTxOut(wire.NewTxOut(left, change))
	}
	return tx, nil
}
