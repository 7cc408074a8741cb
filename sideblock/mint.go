package sideblock

import (
	"bytes"
	"encoding/binary"
	"fmt"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/store"
)

// MintIndex is the previous-output index of the one input of a mint
// transaction. Like a coinbase's, the input spends nothing: its hash is zero
// and its index, one below the coinbase's, tells the two apart.
const MintIndex = wire.MaxPrevOutIndex - 1

// MaxMintOutputs is the most deposits one sideblock mints. Deposits due
// beyond it are minted by the next blocks, in order, so that a burst of
// deposits cannot make a block too big to be valid.
const MaxMintOutputs = 1000

// Deposit is a mainchain deposit the sidechain must mint: its position in
// mint order, and the value and script of the output that mints it.
type Deposit struct {
	Seq      uint64
	Value    int64
	PkScript []byte
}

// Deposits tells the chain which mainchain deposits are due. The pegbox
// package's index implements it over the same store, and its state is
// always at the mainchain block being connected, a block after every
// lottery height the chain asks about.
type Deposits interface {
	// MaturedBy returns how many deposits a block at lotteryHeight must
	// have minted, counting its ancestors'.
	MaturedBy(r store.Reader, lotteryHeight int32) (uint64, error)

	// DepositAt returns deposit seq.
	DepositAt(r store.Reader, seq uint64) (Deposit, error)
}

// IsMintTx reports whether tx is a mint transaction: exactly one input,
// whose previous output has a zero hash and index MintIndex.
func IsMintTx(tx *wire.MsgTx) bool {
	return len(tx.TxIn) == 1 && isMintInput(tx.TxIn[0])
}

func isMintInput(in *wire.TxIn) bool {
	op := in.PreviousOutPoint
	return op.Index == MintIndex && op.Hash == (chainhash.Hash{})
}

// createsCoins reports whether transaction i of a block spends nothing:
// the coinbase, and the mint transaction in position 1.
func createsCoins(i int, tx *wire.MsgTx) bool {
	return i == 0 || (i == 1 && IsMintTx(tx))
}

// NewMintTx returns the mint transaction of deposits, which must be
// consecutive in mint order: its input's signature script pushes the first
// deposit's sequence number (8 bytes, big-endian), which makes every mint
// transaction's id unique, and output i pays deposit i.
func NewMintTx(deposits []Deposit) (*wire.MsgTx, error) {
	if len(deposits) == 0 {
		return nil, fmt.Errorf("sideblock: a mint transaction needs deposits")
	}
	sigScript, err := txscript.NewScriptBuilder().
		AddData(binary.BigEndian.AppendUint64(nil, deposits[0].Seq)).Script()
	if err != nil {
		return nil, err
	}
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Index: MintIndex}, sigScript, nil))
	for i, d := range deposits {
		if d.Seq != deposits[0].Seq+uint64(i) {
			return nil, fmt.Errorf("sideblock: deposit %d follows %d in a "+
				"mint transaction", d.Seq, deposits[0].Seq)
		}
		tx.AddTxOut(wire.NewTxOut(d.Value, d.PkScript))
	}
	return tx, nil
}

// MintFirstSeq returns the first deposit a mint transaction mints.
func MintFirstSeq(tx *wire.MsgTx) (uint64, error) {
	if !IsMintTx(tx) {
		return 0, ruleError(ErrMisplacedMint, "not a mint transaction")
	}
	push, err := txscript.PushedData(tx.TxIn[0].SignatureScript)
	if err != nil || len(push) != 1 || len(push[0]) != 8 ||
		len(tx.TxIn[0].SignatureScript) != 9 {
		return 0, ruleErrorf(ErrBadMint, "mint signature script %x is not "+
			"one push of an 8-byte sequence number", tx.TxIn[0].SignatureScript)
	}
	return binary.BigEndian.Uint64(push[0]), nil
}

// checkMintPlacement is CheckBlockSanity's part: a mint input only as the
// one input of transaction 1.
func checkMintPlacement(txs []*wire.MsgTx) error {
	for i, tx := range txs {
		for j, in := range tx.TxIn {
			if !isMintInput(in) {
				continue
			}
			if i != 1 || len(tx.TxIn) != 1 {
				return ruleErrorf(ErrMisplacedMint, "input %d of transaction "+
					"%d is a mint input; only the one input of transaction "+
					"1 may be", j, i)
			}
		}
	}
	return nil
}

// DueDeposits returns the deposits a block at lotteryHeight must mint when
// its parent's branch has minted minted of them: the ones matured by then,
// at most MaxMintOutputs.
func DueDeposits(r store.Reader, src Deposits, minted uint64, lotteryHeight int32) ([]Deposit, error) {
	if src == nil {
		return nil, nil
	}
	n, err := src.MaturedBy(r, lotteryHeight)
	if err != nil {
		return nil, err
	}
	if n <= minted {
		return nil, nil
	}
	end := min(n, minted+MaxMintOutputs)
	out := make([]Deposit, 0, end-minted)
	for seq := minted; seq < end; seq++ {
		d, err := src.DepositAt(r, seq)
		if err != nil {
			return nil, err
		}
		d.Seq = seq
		out = append(out, d)
	}
	return out, nil
}

// CheckMint checks that block mints exactly due (DueDeposits): when due is
// empty, no mint transaction; otherwise transaction 1 mints due in order,
// each output paying the deposit's value to its script. It returns nil or
// a RuleError with ErrBadMint.
func CheckMint(block *Block, due []Deposit) error {
	txs := block.Transactions
	has := len(txs) > 1 && IsMintTx(txs[1])
	switch {
	case len(due) == 0 && has:
		return ruleError(ErrBadMint, "block mints, but no deposit is due")
	case len(due) == 0:
		return nil
	case !has:
		return ruleErrorf(ErrBadMint, "block must mint deposits %d to %d "+
			"in transaction 1", due[0].Seq, due[len(due)-1].Seq)
	}
	mint := txs[1]
	first, err := MintFirstSeq(mint)
	if err != nil {
		return err
	}
	if first != due[0].Seq {
		return ruleErrorf(ErrBadMint, "block mints from deposit %d; deposit "+
			"%d is next", first, due[0].Seq)
	}
	if len(mint.TxOut) != len(due) {
		return ruleErrorf(ErrBadMint, "block mints %d deposits; %d are due",
			len(mint.TxOut), len(due))
	}
	for i, out := range mint.TxOut {
		d := due[i]
		if out.Value != d.Value || !bytes.Equal(out.PkScript, d.PkScript) {
			return ruleErrorf(ErrBadMint, "mint output %d pays %d sat to %x; "+
				"deposit %d is %d sat to %x", i, out.Value, out.PkScript,
				d.Seq, d.Value, d.PkScript)
		}
	}
	return nil
}

// mintedBy returns how many deposits block mints.
func mintedBy(block *Block) uint64 {
	if txs := block.Transactions; len(txs) > 1 && IsMintTx(txs[1]) {
		return uint64(len(txs[1].TxOut))
	}
	return 0
}
