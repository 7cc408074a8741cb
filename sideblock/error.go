package sideblock

import (
	"errors"
	"fmt"
)

// ErrorCode identifies a kind of rule violation. Each consensus rule this
// package checks has its own code; tests and callers compare codes, never
// message text:
//
//	if sideblock.IsErrorCode(err, sideblock.ErrImmatureSpend) { ... }
//
// or errors.Is(err, sideblock.ErrImmatureSpend).
type ErrorCode int

// These constants are used to identify a specific RuleError. The comment of
// each names the function that reports it. Codes marked (body) are not proof
// that the header is invalid; see ErrorCode.MarksHeaderInvalid.
// ErrBadUndoData and ErrBadWithdrawalProof are not block rules, and the codes
// after them belong to the chain state (chain.go), body staging and the
// mempool; none of those marks a header invalid either.
const (
	// ErrBadEncoding indicates header or body bytes that do not decode:
	// a header that is not exactly HeaderSize bytes, a transaction that
	// wire cannot read, a transaction count above MaxBlockTxs or above
	// what the remaining bytes can hold, trailing bytes, or a
	// non-canonical transaction encoding (such as a witness marker with
	// no witness data). It is also used for a nil transaction in a Block.
	// Reported by ParseHeader, DecodeBody, DecodeBlock and
	// CheckBlockSanity. (body)
	ErrBadEncoding ErrorCode = iota

	// ErrNoTransactions indicates a block without transactions; every
	// block has at least a coinbase. CheckBlockSanity. (body)
	ErrNoTransactions

	// ErrBlockTooBig indicates a body whose serialization (transaction
	// count and every transaction with its witness) is larger than
	// MaxBlockSize. CheckBlockSanity and DecodeBody. (body)
	ErrBlockTooBig

	// ErrBadMerkleRoot indicates that the header's hashMerkleRoot is not
	// SHA256d(txRoot ‖ withdrawalRoot) of the body. CheckBlockSanity.
	// (body)
	ErrBadMerkleRoot

	// ErrDuplicateTx indicates two transactions with the same txid in one
	// block. Because a Bitcoin merkle tree duplicates the last node of an
	// odd level, a body with its last transactions repeated has the same
	// txRoot as the original (CVE-2012-2459); such a body is rejected with
	// this code. CheckBlockSanity. (body)
	ErrDuplicateTx

	// ErrFirstTxNotCoinbase indicates that the first transaction is not a
	// coinbase (exactly one input, with the null previous outpoint).
	// CheckBlockSanity.
	ErrFirstTxNotCoinbase

	// ErrMultipleCoinbases indicates a coinbase anywhere after the first
	// transaction. CheckBlockSanity.
	ErrMultipleCoinbases

	// ErrNoTxInputs indicates a transaction without inputs.
	// CheckBlockSanity (blockchain.CheckTransactionSanity).
	ErrNoTxInputs

	// ErrNoTxOutputs indicates a transaction without outputs.
	// CheckBlockSanity (blockchain.CheckTransactionSanity).
	ErrNoTxOutputs

	// ErrBadTxOutValue indicates an output value below zero or above
	// btcutil.MaxSatoshi, or outputs of one transaction that sum above
	// MaxSatoshi (the sum cannot overflow: it is checked at every step).
	// CheckBlockSanity (blockchain.CheckTransactionSanity).
	ErrBadTxOutValue

	// ErrDuplicateTxInputs indicates a transaction that spends the same
	// outpoint twice. CheckBlockSanity
	// (blockchain.CheckTransactionSanity).
	ErrDuplicateTxInputs

	// ErrBadCoinbaseScriptLen indicates a coinbase signature script
	// shorter than 2 or longer than 100 bytes. CheckBlockSanity
	// (blockchain.CheckTransactionSanity).
	ErrBadCoinbaseScriptLen

	// ErrBadTxInput indicates a transaction other than the coinbase with
	// an input that spends the null outpoint. CheckBlockSanity
	// (blockchain.CheckTransactionSanity).
	ErrBadTxInput

	// ErrBadTransaction indicates any other failure of
	// blockchain.CheckTransactionSanity: a code this package does not
	// know yet, from a later btcd. CheckBlockSanity.
	ErrBadTransaction

	// ErrMissingCoinbaseHeight indicates a coinbase signature script that
	// does not begin with a lottery height in the form
	// txscript.ScriptBuilder.AddInt64 produces (OP_0, OP_1..OP_16, or a
	// minimal push of a minimal script number of at most 4 bytes), or
	// begins with a negative one. CheckBlockSanity.
	ErrMissingCoinbaseHeight

	// ErrTooManySigOps indicates a block whose signature operation cost
	// is above MaxBlockSigOpsCost: legacy sigops only in
	// CheckBlockSanity, legacy, P2SH and witness sigops in
	// CheckConnectBlock. (body: witness sigops are not committed)
	ErrTooManySigOps

	// ErrBadWithdrawalScript indicates an output tagged as a withdrawal
	// (OP_RETURN whose first push begins with "PMSw") that is not in the
	// exact form WithdrawalScript builds: a non-minimal push, further
	// opcodes after the push, a payload too short to hold the fee, an
	// empty destination, or a fee above btcutil.MaxSatoshi.
	// CheckBlockSanity.
	ErrBadWithdrawalScript

	// ErrBadWithdrawalDestination indicates a withdrawal whose mainchain
	// scriptPubKey is not P2PKH, P2SH, P2WPKH, P2WSH or P2TR: the
	// federation could not pay it in a standard mainchain transaction.
	// CheckBlockSanity.
	ErrBadWithdrawalDestination

	// ErrWithdrawalBelowDust indicates a withdrawal whose value less its
	// fee budget is below the network's DustLimit, or whose fee budget is
	// above its value. CheckBlockSanity.
	ErrWithdrawalBelowDust

	// ErrCoinbaseWithdrawal indicates a withdrawal output in the coinbase.
	// Coinbase value may move only after SideCoinbaseMaturity, and a
	// withdrawal would move it at once. CheckBlockSanity.
	ErrCoinbaseWithdrawal

	// ErrBadCoinbaseHeight indicates a coinbase whose height is not the
	// lottery height the block is connected at. CheckConnectBlock.
	ErrBadCoinbaseHeight

	// ErrMissingTxOut indicates an input whose previous output is not in
	// the view: it never existed, it was spent by an ancestor block, or
	// it is an unspendable output created earlier in the same block.
	// CheckConnectBlock and ApplyBlock.
	ErrMissingTxOut

	// ErrDoubleSpend indicates an input that spends an output already
	// spent by an earlier input of the same block. CheckConnectBlock.
	ErrDoubleSpend

	// ErrImmatureSpend indicates a spend of a sidechain coinbase output
	// fewer than SideCoinbaseMaturity lottery heights after the block
	// that created it. CheckConnectBlock.
	ErrImmatureSpend

	// ErrBadTxInValue indicates a previous output value outside
	// [0, MaxSatoshi], or inputs of one transaction that sum above
	// MaxSatoshi. CheckConnectBlock.
	ErrBadTxInValue

	// ErrSpendTooHigh indicates a transaction whose outputs are worth more
	// than its inputs. CheckConnectBlock.
	ErrSpendTooHigh

	// ErrBadFees indicates fees of the block that sum above MaxSatoshi.
	// CheckConnectBlock.
	ErrBadFees

	// ErrBadCoinbaseValue indicates a coinbase that pays more than the
	// block's fees plus the network's SideSubsidy. CheckConnectBlock.
	ErrBadCoinbaseValue

	// ErrUnfinalizedTx indicates a transaction whose nLockTime has not
	// passed: a height lock at or above the lottery height, or any time
	// lock (the sidechain has no clock), unless every input has the final
	// sequence number. CheckConnectBlock.
	ErrUnfinalizedTx

	// ErrSequenceLock indicates a version ≥ 2 transaction with a BIP68
	// relative lock that is not met: a height lock of n on an input
	// created at lottery height c is met from lottery height c + n; a
	// time lock is never met. CheckConnectBlock.
	ErrSequenceLock

	// ErrScriptValidation indicates an input whose scripts do not verify
	// under txscript.StandardVerifyFlags, or for which txscript cannot
	// build an engine. CheckConnectBlock. (body: witnesses are not
	// committed)
	ErrScriptValidation

	// ErrMisplacedMint indicates a mint input anywhere but in the one
	// input of transaction 1, or a mint transaction with other inputs.
	// CheckBlockSanity.
	ErrMisplacedMint

	// ErrBadMint indicates a block that does not mint exactly the
	// deposits due at its lottery height: a mint transaction that is
	// missing, extra, or whose first sequence number, values or scripts
	// differ from the deposits its branch has not minted yet.
	// CheckMint.
	ErrBadMint

	// ErrBadUndoData indicates undo data that does not fit the block
	// being undone (wrong number of spent outputs), or a coinbase that
	// ApplyBlock cannot read the height from. ApplyBlock and UndoBlock.
	ErrBadUndoData

	// ErrBadWithdrawalProof indicates a withdrawal proof that does not
	// verify against the given roots. VerifyWithdrawal.
	ErrBadWithdrawalProof

	// The codes below are not rules of a single block. None marks a
	// header invalid.

	// ErrUnknownParent indicates a publication whose hashPrevBlock is
	// neither zero nor a header published earlier. The publication is
	// ignored (Result.Ignored). Chain.ConnectMainBlock.
	ErrUnknownParent

	// ErrDuplicatePublication indicates a publication of a header that
	// is already published; the first publication counts and this one is
	// ignored (Result.Ignored). Chain.ConnectMainBlock.
	ErrDuplicatePublication

	// ErrBlockNotFound indicates a block that the chain state has
	// neither published nor staged. Chain.Block.
	ErrBlockNotFound

	// ErrBodyKnown indicates a body that is already staged: the same
	// header already has a copy that is not known to be bad.
	// Chain.StageBody.
	ErrBodyKnown

	// ErrBodyKnownBad indicates a copy of a body that already failed a
	// check that does not condemn its header (a witness changed on the
	// way, say). Chain.StageBody.
	ErrBodyKnownBad

	// ErrKnownInvalid indicates a body whose header is already known to
	// be invalid, or to extend an invalid header. Chain.StageBody.
	ErrKnownInvalid

	// ErrBodyOutOfWindow indicates a body of a header that is not
	// published yet and whose lottery height is outside the window
	// around the mainchain tip in which unpublished bodies are accepted
	// (StageWindowBefore, StageWindowAfter). Chain.StageBody.
	ErrBodyOutOfWindow

	// ErrTooManyStagedBodies indicates a body of a header that is not
	// published yet at a lottery height that already has
	// MaxStagedPerHeight staged bodies. Chain.StageBody.
	ErrTooManyStagedBodies

	// ErrMempoolDuplicate indicates a transaction that is already in
	// the mempool. Mempool.Add.
	ErrMempoolDuplicate

	// ErrMempoolConflict indicates a transaction that spends an output
	// that a transaction in the mempool already spends; the mempool does
	// not replace transactions. Mempool.Add.
	ErrMempoolConflict

	// ErrMempoolCoinbase indicates a coinbase or a mint transaction
	// offered as a loose transaction. Mempool.Add.
	ErrMempoolCoinbase

	// ErrTxTooLarge indicates a transaction larger than the mempool's
	// MaxTxSize. Mempool.Add.
	ErrTxTooLarge

	// ErrMempoolLowFee indicates a fee rate below the mempool's
	// MinFeeRate. Mempool.Add.
	ErrMempoolLowFee

	// ErrMempoolFull indicates a transaction whose fee rate is too low
	// for a full mempool: it would be the first to be evicted.
	// Mempool.Add.
	ErrMempoolFull

	// ErrBadMainRef indicates, under an engine with a clock of its own
	// (docs/protocol.md §9.0), a coinbase whose main reference is
	// missing or malformed, or lower than its parent's.
	ErrBadMainRef

	// numErrorCodes is the number of error codes defined above; tests use
	// it to keep errorCodeStrings complete.
	numErrorCodes
)

// errorCodeStrings maps error codes to their names. A test checks that every
// code below numErrorCodes has an entry.
var errorCodeStrings = map[ErrorCode]string{
	ErrBadEncoding:              "ErrBadEncoding",
	ErrNoTransactions:           "ErrNoTransactions",
	ErrBlockTooBig:              "ErrBlockTooBig",
	ErrBadMerkleRoot:            "ErrBadMerkleRoot",
	ErrDuplicateTx:              "ErrDuplicateTx",
	ErrFirstTxNotCoinbase:       "ErrFirstTxNotCoinbase",
	ErrMultipleCoinbases:        "ErrMultipleCoinbases",
	ErrNoTxInputs:               "ErrNoTxInputs",
	ErrNoTxOutputs:              "ErrNoTxOutputs",
	ErrBadTxOutValue:            "ErrBadTxOutValue",
	ErrDuplicateTxInputs:        "ErrDuplicateTxInputs",
	ErrBadCoinbaseScriptLen:     "ErrBadCoinbaseScriptLen",
	ErrBadTxInput:               "ErrBadTxInput",
	ErrBadTransaction:           "ErrBadTransaction",
	ErrMissingCoinbaseHeight:    "ErrMissingCoinbaseHeight",
	ErrTooManySigOps:            "ErrTooManySigOps",
	ErrBadWithdrawalScript:      "ErrBadWithdrawalScript",
	ErrBadWithdrawalDestination: "ErrBadWithdrawalDestination",
	ErrWithdrawalBelowDust:      "ErrWithdrawalBelowDust",
	ErrCoinbaseWithdrawal:       "ErrCoinbaseWithdrawal",
	ErrBadCoinbaseHeight:        "ErrBadCoinbaseHeight",
	ErrMissingTxOut:             "ErrMissingTxOut",
	ErrDoubleSpend:              "ErrDoubleSpend",
	ErrImmatureSpend:            "ErrImmatureSpend",
	ErrBadTxInValue:             "ErrBadTxInValue",
	ErrSpendTooHigh:             "ErrSpendTooHigh",
	ErrBadFees:                  "ErrBadFees",
	ErrBadCoinbaseValue:         "ErrBadCoinbaseValue",
	ErrUnfinalizedTx:            "ErrUnfinalizedTx",
	ErrSequenceLock:             "ErrSequenceLock",
	ErrScriptValidation:         "ErrScriptValidation",
	ErrBadUndoData:              "ErrBadUndoData",
	ErrBadWithdrawalProof:       "ErrBadWithdrawalProof",
	ErrUnknownParent:            "ErrUnknownParent",
	ErrDuplicatePublication:     "ErrDuplicatePublication",
	ErrBlockNotFound:            "ErrBlockNotFound",
	ErrBodyKnown:                "ErrBodyKnown",
	ErrBodyKnownBad:             "ErrBodyKnownBad",
	ErrKnownInvalid:             "ErrKnownInvalid",
	ErrBodyOutOfWindow:          "ErrBodyOutOfWindow",
	ErrTooManyStagedBodies:      "ErrTooManyStagedBodies",
	ErrMempoolDuplicate:         "ErrMempoolDuplicate",
	ErrMempoolConflict:          "ErrMempoolConflict",
	ErrMempoolCoinbase:          "ErrMempoolCoinbase",
	ErrTxTooLarge:               "ErrTxTooLarge",
	ErrMempoolLowFee:            "ErrMempoolLowFee",
	ErrMempoolFull:              "ErrMempoolFull",
	ErrBadMainRef:               "ErrBadMainRef",
	ErrMisplacedMint:            "ErrMisplacedMint",
	ErrBadMint:                  "ErrBadMint",
}

// headerInvalidCodes are the codes that follow from data the header commits
// to. See MarksHeaderInvalid. A code missing here never marks a header
// invalid, which is the safe default for a new code.
var headerInvalidCodes = map[ErrorCode]bool{
	ErrFirstTxNotCoinbase:       true,
	ErrMultipleCoinbases:        true,
	ErrNoTxInputs:               true,
	ErrNoTxOutputs:              true,
	ErrBadTxOutValue:            true,
	ErrDuplicateTxInputs:        true,
	ErrBadCoinbaseScriptLen:     true,
	ErrBadTxInput:               true,
	ErrBadTransaction:           true,
	ErrMissingCoinbaseHeight:    true,
	ErrBadWithdrawalScript:      true,
	ErrBadWithdrawalDestination: true,
	ErrWithdrawalBelowDust:      true,
	ErrCoinbaseWithdrawal:       true,
	ErrBadCoinbaseHeight:        true,
	ErrMissingTxOut:             true,
	ErrDoubleSpend:              true,
	ErrImmatureSpend:            true,
	ErrBadTxInValue:             true,
	ErrSpendTooHigh:             true,
	ErrBadFees:                  true,
	ErrBadCoinbaseValue:         true,
	ErrUnfinalizedTx:            true,
	ErrSequenceLock:             true,
	ErrMisplacedMint:            true,
	ErrBadMint:                  true,
	ErrBadMainRef:               true,
}

// String returns the ErrorCode as a human-readable name.
func (e ErrorCode) String() string {
	if s := errorCodeStrings[e]; s != "" {
		return s
	}
	return fmt.Sprintf("Unknown ErrorCode (%d)", int(e))
}

// Error makes ErrorCode usable as an errors.Is target: errors.Is(err,
// sideblock.ErrDoubleSpend) reports whether err is, or wraps, a RuleError
// with that code.
func (e ErrorCode) Error() string {
	return e.String()
}

// MarksHeaderInvalid reports whether a block that fails with this code proves
// its header invalid, so that a chain state may remember the header as
// invalid for good and never ask for its body again.
//
// The header commits to the transactions' txids, which cover everything but
// witnesses, and to the withdrawals. A failure that follows from committed
// data alone (a bad coinbase, a missing input, an overspend) fails for every
// body that matches the header. A failure marked (body) in the list of codes
// may come from one bad copy of the body: a body that does not match the
// header (ErrBadMerkleRoot, ErrDuplicateTx), a body whose witnesses were
// altered on the way (ErrScriptValidation, ErrTooManySigOps, ErrBlockTooBig),
// or bytes that do not decode. For those, drop the body and ask another peer.
// CheckBlockSanity checks the merkle root and duplicates before every
// committed rule, so a committed code is only ever reported for a body that
// matches its header.
func (e ErrorCode) MarksHeaderInvalid() bool {
	return headerInvalidCodes[e]
}

// RuleError identifies a rule violation. It is used to indicate that
// processing of a block or transaction failed due to one of the many
// validation rules. The caller can use type assertions, errors.As or
// IsErrorCode to find the specific reason.
type RuleError struct {
	ErrorCode   ErrorCode // Describes the kind of error
	Description string    // Human readable description of the issue
}

// Error satisfies the error interface and prints human-readable errors.
func (e RuleError) Error() string {
	return e.Description
}

// Is reports whether target is an ErrorCode equal to e.ErrorCode, or a
// RuleError with the same code.
func (e RuleError) Is(target error) bool {
	switch t := target.(type) {
	case ErrorCode:
		return e.ErrorCode == t
	case RuleError:
		return e.ErrorCode == t.ErrorCode
	}
	return false
}

// ruleError creates a RuleError given a set of arguments.
func ruleError(c ErrorCode, desc string) RuleError {
	return RuleError{ErrorCode: c, Description: desc}
}

// ruleErrorf creates a RuleError with a formatted description.
func ruleErrorf(c ErrorCode, format string, args ...interface{}) RuleError {
	return RuleError{ErrorCode: c, Description: fmt.Sprintf(format, args...)}
}

// IsErrorCode reports whether err is, or wraps, a RuleError with code c.
func IsErrorCode(err error, c ErrorCode) bool {
	return errors.Is(err, c)
}

// ErrorCodeOf returns the code of the RuleError that err is or wraps, and
// false if there is none.
func ErrorCodeOf(err error) (ErrorCode, bool) {
	var rerr RuleError
	if errors.As(err, &rerr) {
		return rerr.ErrorCode, true
	}
	return 0, false
}
