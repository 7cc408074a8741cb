package api

import (
	"context"
	"math/big"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// Backend is what the server needs from the node: one small interface per
// service. The node implements all six; a method that cannot be served
// yet returns an *Error with ErrUnimplemented, and a wallet method on a
// node without a wallet returns ErrNoWallet.
//
// Every method may be called concurrently from several requests. Errors
// that are *Error values map to gRPC codes (see ErrorCode); any other error
// is reported as Internal.
type Backend interface {
	NodeBackend
	MainchainBackend
	SidechainBackend
	WalletBackend
	SubscriptionBackend
	PegBackend
	PeerBackend
	OperatorBackend
	DepositStreamBackend
	WalletStreamBackend
	WithdrawalStreamBackend
	ConfirmationsBackend
	AlarmBackend
	MiningBackend
	PoolBackend
}

// PeerBackend serves NodeService's ban methods: the peer protocol's bans
// and discouragements. A node without a peer server answers
// ErrUnimplemented.
type PeerBackend interface {
	// Bans returns the operator's bans, then the discouraged
	// addresses, each kind ordered by target.
	Bans(ctx context.Context) ([]PeerBan, error)

	// BanPeer bans target for d (0: the node's default) and closes the
	// sessions it covers. ErrInvalidArgument for a target that is no
	// IP, subnet or host name (with an optional port), or a duration or
	// reason out of range.
	BanPeer(ctx context.Context, target string, d time.Duration, reason string) (PeerBan, error)

	// UnbanPeer lifts the ban and the discouragement of target and
	// returns what it lifted; ErrNotFound if there was neither.
	UnbanPeer(ctx context.Context, target string) ([]PeerBan, error)
}

// PeerBanKind says why an address is held back from the peer protocol.
type PeerBanKind int

// The kinds of PeerBan.
const (
	// PeerBanned: the operator banned it.
	PeerBanned PeerBanKind = iota + 1

	// PeerDiscouraged: a session from it misbehaved.
	PeerDiscouraged
)

// PeerBan is an address held back from the peer protocol.
type PeerBan struct {
	// Target is the canonical address: an IP, subnet or host name, with
	// or without a port.
	Target  string
	Kind    PeerBanKind
	Created time.Time
	Until   time.Time
	Reason  string
}

// NodeBackend serves NodeService.
type NodeBackend interface {
	// Info returns the node's state. It must not wait for the mainchain
	// backend to sync.
	Info(ctx context.Context) (*Info, error)

	// StateHash returns the hash of the mainchain block at height and the
	// state hash after it, or an ErrNotFound error, in the user's terms,
	// for a height the node holds no state hash for (above its tip, or
	// below the blocks it can still undo).
	StateHash(ctx context.Context, height int32) (chainhash.Hash, chainhash.Hash, error)
}

// MainchainBackend serves MainchainService.
type MainchainBackend interface {
	// Tickets returns one page of the ticket index in chain order
	// (reversed with page.Reversed) and the number of tickets in all.
	// Paginate does the slicing for a backend that has the whole list.
	Tickets(ctx context.Context, page Page) ([]Ticket, uint64, error)

	// Winner returns the draw after the mainchain block at height, or an
	// ErrNotFound error when there was none (no ticket weighed anything,
	// or the node has not connected that block).
	Winner(ctx context.Context, height int32) (*Winner, error)

	// Publication returns the header publication in the mainchain block
	// at height, or an ErrNotFound error.
	Publication(ctx context.Context, height int32) (*Publication, error)

	// ListPublications returns one page of the publications that
	// counted, in height order (reversed with page.Reversed), and their
	// number. It must not scan every height: a page costs the same at
	// any offset. ErrFailedPrecondition when the node has no index of
	// them.
	ListPublications(ctx context.Context, page Page) ([]Publication, uint64, error)

	// ListMissedSlots returns one page of the missed slots in height order
	// (reversed with page.Reversed), and their number: the heights h
	// whose draw had a winner while the node's block h+1 holds no
	// publication that counted. Same cost and errors as
	// ListPublications.
	ListMissedSlots(ctx context.Context, page Page) ([]MissedSlot, uint64, error)

	// MainTransaction returns a mainchain transaction: the wallet's own,
	// or one the mainchain backend knows (btcd's mempool, or its blocks
	// with --txindex). ErrNotFound, saying what the node looked in, when
	// none has it.
	MainTransaction(ctx context.Context, txid chainhash.Hash) (*MainTx, error)
}

// MainTx is a mainchain transaction MainTransaction found.
type MainTx struct {
	Tx *wire.MsgTx
	// BlockHash is the block that holds it; nil in the mempool.
	BlockHash *chainhash.Hash
	// Confirmations is 0 in the mempool.
	Confirmations int32
	// Source is "wallet" or "btcd".
	Source string
}

// SidechainBackend serves SidechainService. Addresses are sidechain
// addresses as the client gave them: the backend decodes them for its
// network (sideblock.DecodeSideAddress), ErrInvalidArgument if it cannot.
type SidechainBackend interface {
	// SideBlock returns a block: published or only staged, by hash, or
	// the best chain's block at a height. ErrNotFound if there is none.
	// It returns every transaction id; the server pages through them.
	SideBlock(ctx context.Context, req SideBlockRequest) (*SideBlock, error)

	// SideTransaction returns a transaction of the best chain or of the
	// mempool, or an ErrNotFound error.
	SideTransaction(ctx context.Context, txid chainhash.Hash) (*SideTx, error)

	// SideUnspent returns one page of the best chain's unspent outputs
	// that pay to address, by lottery height then outpoint (reversed
	// with page.Reversed), and their number.
	SideUnspent(ctx context.Context, address string, page Page) ([]SideUtxo, uint64, error)

	// SideAddressBalance sums the best chain's unspent outputs that pay
	// to address. Pending is zero: the mempool is not looked at.
	SideAddressBalance(ctx context.Context, address string) (*SideBalance, error)

	// SideAddressHistory returns one page of the transactions that pay
	// address or spend its outputs in the newest blocks sideblocks of the
	// best chain (the server has bounded blocks), in chain order, their
	// number, the address and the heights read. The address is checked
	// as for SideUnspent.
	SideAddressHistory(ctx context.Context, address string, blocks uint32, page Page) (*SideHistory, error)

	// SendSideTransaction adds a signed transaction to the mempool and
	// relays it. A refusal is ErrInvalidArgument when the transaction can
	// never enter and ErrFailedPrecondition when it cannot enter now,
	// with the sidechain rule's name first in the description
	// ("ErrMempoolLowFee: ...").
	SendSideTransaction(ctx context.Context, tx *wire.MsgTx) (chainhash.Hash, error)

	// SideFeeEstimate returns the mempool's fee rate estimate.
	SideFeeEstimate(ctx context.Context) (*SideFeeEstimate, error)
}

// WalletBackend serves WalletService.
type WalletBackend interface {
	// NewAddress issues a new receive address, encoded for the mainchain
	// network.
	NewAddress(ctx context.Context) (string, error)

	// Balance returns the wallet's balance, counting as confirmed the
	// coins with at least minConf (≥ 0) confirmations.
	Balance(ctx context.Context, minConf int32) (*Balance, error)

	// CreateStake registers a stake: it funds, signs and broadcasts the
	// registration, or with req.PSBTOnly returns its outputs as an
	// unfunded PSBT.
	CreateStake(ctx context.Context, req StakeRequest) (*StakeResult, error)

	// ListStakes returns one page of the tickets whose stake key belongs
	// to the wallet, in chain order, and their number.
	ListStakes(ctx context.Context, page Page) ([]Ticket, uint64, error)

	// WithdrawStake spends a ticket's stake output and returns the
	// broadcast transaction's id.
	WithdrawStake(ctx context.Context, req WithdrawRequest) (*WithdrawResult, error)

	// RenewStake spends a matured stake straight into a new registration
	// of the same keys: signed and broadcast for a stake of the node's
	// key; for a cold-owner stake, returned as a PSBT, or, given
	// req.SignedPSBT, checked and broadcast.
	RenewStake(ctx context.Context, req RenewRequest) (*RenewResult, error)

	// TopUpStake records amount sat for the next header transaction of
	// ticket to add to its publisher output, from the wallet's coins.
	TopUpStake(ctx context.Context, ticket uint64, amount int64) (*TopUpResult, error)

	// SideAddress returns the node's sidechain address, where its
	// sideblock coinbases pay, encoded for the sidechain network.
	SideAddress(ctx context.Context) (string, error)

	// SideBalance returns the balance of the node's sidechain address,
	// Pending included.
	SideBalance(ctx context.Context) (*SideBalance, error)

	// SendSide pays amount satoshis to the sidechain address to from the
	// node's sidechain coins, at feeRate sat/kB (0: the node's estimate),
	// and returns the transaction's id once it is in the mempool. The
	// server has checked that amount is positive and at most 21e14 and
	// feeRate is not negative. Coins that do not cover amount and fee are
	// ErrFailedPrecondition; a bad address is ErrInvalidArgument.
	SendSide(ctx context.Context, to string, amount, feeRate int64) (chainhash.Hash, error)

	// PegIn builds a deposit to the current epoch's pegbox for the
	// sidechain address req.SideAddress: it funds, signs and broadcasts
	// it, or with req.PSBTOnly returns it as an unfunded PSBT (which needs
	// no wallet). The server has checked that Amount is positive and at
	// most 21e14, the address is not empty and FeeRate is not negative.
	// An amount below the dust limit or an address that does not decode
	// for the network is ErrInvalidArgument; no federation yet, or coins
	// that do not cover amount and fee, ErrFailedPrecondition.
	PegIn(ctx context.Context, req PegInRequest) (*PegInResult, error)

	// PegOut pays a withdrawal to the mainchain from the node's sidechain
	// coins, as SendSide pays, and returns it once it is in the mempool.
	// The server has checked that Amount is positive, Fee and FeeRate
	// are not negative, Amount + Fee is at most 21e14, and the address is
	// not empty. A destination that is not a withdrawal destination of
	// the node's mainchain network, an amount below the dust limit or a
	// fee budget below the node's minimum is ErrInvalidArgument; coins
	// that do not cover the burn and the fee, ErrFailedPrecondition.
	PegOut(ctx context.Context, req PegOutRequest) (*PegOutResult, error)

	// SendMain pays amount satoshis to the mainchain address to from the
	// wallet's confirmed coins at feeRate sat/vB (0: the node's default),
	// checks and broadcasts the transaction. The server has checked that
	// amount is positive and at most 21e14, to is not empty and feeRate is
	// not negative. An address of another network or an amount below the
	// dust limit is ErrInvalidArgument; coins that do not cover amount and
	// fee, ErrFailedPrecondition.
	SendMain(ctx context.Context, to string, amount, feeRate int64) (*SendResult, error)

	// WalletCoins returns one page of the wallet's unspent mainchain
	// outputs with at least minConf (≥ 0) confirmations, oldest first,
	// and their number.
	WalletCoins(ctx context.Context, minConf int32, page Page) ([]WalletCoin, uint64, error)

	// WalletTransactions returns one page of the wallet's mainchain
	// transactions, in chain order then the unconfirmed ones, and their
	// number.
	WalletTransactions(ctx context.Context, page Page) ([]WalletTx, uint64, error)

	// WalletTransaction returns a transaction of the wallet, its raw
	// transaction included; ErrNotFound when the wallet has none.
	WalletTransaction(ctx context.Context, txid chainhash.Hash) (*WalletTx, error)

	// BumpFee replaces the wallet's unconfirmed transaction txid with one
	// paying feeRate sat/vB (> 0), checked and broadcast. ErrNotFound for
	// a transaction not the wallet's, ErrFailedPrecondition for one
	// confirmed or without change, ErrInvalidArgument for a rate too low.
	BumpFee(ctx context.Context, txid chainhash.Hash, feeRate int64) (*BumpResult, error)

	// ChangePassphrase seals the wallet's seed under next, given the
	// current passphrase (ErrInvalidArgument when it is wrong), and
	// returns the seed file's path and the password file's (or "").
	ChangePassphrase(ctx context.Context, current, next []byte) (seedFile, passwordFile string, err error)

	// BackupSeed returns the wallet's seed, given its passphrase
	// (ErrInvalidArgument when it is wrong).
	BackupSeed(ctx context.Context, passphrase []byte) (*SeedBackup, error)

	// CreateWallet creates the wallet of a node that waits for one, sealed
	// under passphrase (not empty): a new seed, or with mnemonic the seed
	// of those words (a restore). It returns the seed file and the seed's
	// backup. ErrInvalidArgument for a mnemonic that is not a wallet's
	// backup (nothing written); ErrFailedPrecondition when a wallet exists
	// or the node does not wait.
	CreateWallet(ctx context.Context, passphrase []byte, mnemonic []string) (seedFile string, seed *SeedBackup, err error)

	// UnlockWallet unlocks the wallet of a node that waits for it.
	// ErrInvalidArgument for a wrong passphrase; ErrFailedPrecondition
	// when there is no wallet or the node does not wait.
	UnlockWallet(ctx context.Context, passphrase []byte) (seedFile string, err error)

	// SideTransactions returns one page of the transactions of the node's
	// sidechain address in the newest blocks sideblocks of the best chain
	// (the server has bounded blocks), in chain order, their number, the
	// address and the heights read.
	SideTransactions(ctx context.Context, blocks uint32, page Page) (*SideHistory, error)
}

// SideHistory is a page of the sidechain transactions of an address: the
// node's (SideTransactions) or any (SideAddressHistory).
type SideHistory struct {
	Address         string
	Txs             []SideWalletTx
	Total           uint64
	FromHeight, Tip int32
}

// SideWalletTx is a sidechain transaction of an address: what its outputs
// pay the address (Received) and the value of the address's outputs it
// spends (Sent).
type SideWalletTx struct {
	TxID           chainhash.Hash
	Height         int32
	Confirmations  uint64
	Received, Sent int64
	Coinbase       bool
}

// SendResult is a mainchain payment broadcast.
type SendResult struct {
	TxID  chainhash.Hash
	Fee   int64
	VSize int64
}

// WalletCoin is an unspent output of the wallet. Height is 0 and
// Confirmations 0 for an output of an unconfirmed transaction.
type WalletCoin struct {
	OutPoint      wire.OutPoint
	Value         int64
	Address       string
	Height        int32
	Confirmations uint64
	Change        bool
}

// WalletTx is a mainchain transaction of the wallet. Fee is -1 when some
// input is not the wallet's; Height and Confirmations are 0 while it is
// unconfirmed. Raw is only filled by WalletTransaction.
type WalletTx struct {
	TxID           chainhash.Hash
	Confirmed      bool
	Height         int32
	Confirmations  uint64
	Received, Sent int64
	Fee            int64
	Replaceable    bool
	Raw            *wire.MsgTx
}

// BumpResult is a fee bump broadcast.
type BumpResult struct {
	TxID, Replaced chainhash.Hash
	OldFee, Fee    int64
}

// SeedBackup is the wallet's seed and how its keys derive.
type SeedBackup struct {
	// Seed is the BIP32 seed.
	Seed []byte
	// Mnemonic is the seed's 24 BIP39 words, the backup; nil for a
	// legacy seed, whose backup is Seed.
	Mnemonic   []string
	Legacy     bool
	MasterXprv string
	Derivation []string
}

// PegBackend serves PegService. Every answer is one consistent snapshot of
// the node's state at its mainchain tip.
type PegBackend interface {
	// PegInfo returns the pegbox of the next mainchain block's epoch.
	// ErrFailedPrecondition while that epoch has no federation.
	PegInfo(ctx context.Context) (*PegInfo, error)

	// Deposits returns one page of the accepted deposits in mint order
	// (reversed with page.Reversed) and their number. A page costs the
	// same at any offset.
	Deposits(ctx context.Context, page Page) ([]Deposit, uint64, error)

	// RefusedDeposits returns one page of the refused deposits in
	// mainchain order (reversed with page.Reversed) and their number.
	RefusedDeposits(ctx context.Context, page Page) ([]RefusedDeposit, uint64, error)

	// Deposit returns the deposit, accepted or refused, of a transaction
	// or at an outpoint; ErrNotFound when there is none.
	Deposit(ctx context.Context, q DepositQuery) (*DepositLookup, error)

	// Withdrawal returns a withdrawal of the sidechain mempool or of the
	// best sidechain and its stage: at an outpoint, or the first
	// withdrawal output of a transaction. ErrNotFound when there is none.
	Withdrawal(ctx context.Context, q WithdrawalQuery) (*WithdrawalStatus, error)

	// VerifyPayout checks a payout: q.Tx, or the payout the node saw
	// mined with txid q.TxID. A payout that does not verify is a
	// PayoutCheck with Valid false, never an error. ErrNotFound when
	// q.Tx is nil and the node saw no such payout; ErrFailedPrecondition
	// when it cannot check (no body of the sideblock named).
	VerifyPayout(ctx context.Context, q PayoutQuery) (*PayoutCheck, error)

	// PegboxCoins returns one page of the pegbox's coins, oldest first
	// (reversed with page.Reversed: pegbox.SortCoins' order), and their
	// number.
	PegboxCoins(ctx context.Context, page Page) ([]PegboxCoin, uint64, error)
}

// PegboxCoin is a mainchain output the pegbox holds.
type PegboxCoin struct {
	OutPoint wire.OutPoint
	Value    int64
	// Address is the pegbox address the output pays.
	Address string
	// Height is the block that confirmed it; Confirmations that block's
	// confirmations at the node's mainchain tip.
	Height        int32
	Confirmations int32
}

// SubscriptionBackend serves SubscriptionService. The server runs each
// stream as a loop over these reads: it reads a page from the stream's
// own position, sends it, and when it has caught up waits for Changed.
// Each read is one consistent snapshot of the node's state, and none
// waits for anything.
type SubscriptionBackend interface {
	// SideTip returns the best sidechain's tip; {Height: -1} with the
	// zero hash while the chain is empty.
	SideTip(ctx context.Context) (SideRef, error)

	// SideBlocksAfter reads the best sidechain from cursor, the last
	// block a client saw ({Height: -1} and the zero hash: none yet). If
	// the cursor's block is on the best chain, Connected holds the best
	// chain's next blocks, oldest first, at most limit of them. If it is
	// not, Disconnected is that block (its parent is the next cursor)
	// and Connected is empty. A cursor block the node does not know is
	// ErrNotFound; one the node knows at another height is
	// ErrInvalidArgument.
	SideBlocksAfter(ctx context.Context, cursor SideRef, limit int) (*SideRead, error)

	// MainTip returns the node's mainchain tip; {Height: -1} before the
	// genesis block.
	MainTip(ctx context.Context) (MainRef, error)

	// DrawsAfter reads the node's mainchain from cursor as SideBlocksAfter
	// reads the sidechain: the draws after the best chain's next blocks,
	// or the cursor's block when it is no longer on the best chain.
	// ErrNotFound for a block that is neither on the best chain nor one
	// the node has undone since it started.
	DrawsAfter(ctx context.Context, cursor MainRef, limit int) (*DrawRead, error)

	// Changed returns a channel that is closed at the next change of the
	// node's chains: a mainchain block connected or undone, and with it
	// the sidechain's best chain. Take it before reading, so that a
	// change that lands during the read is not missed.
	Changed() <-chan struct{}
}

// Page selects part of a list. The server checks it before it reaches the
// backend: 1 ≤ Limit ≤ the configured maximum page size.
type Page struct {
	// Offset is the number of items to skip, from the start of the list,
	// or from its end when Reversed.
	Offset uint64

	// Limit is the largest number of items to return.
	Limit uint32

	// Reversed lists from the end (the newest first).
	Reversed bool
}

// Paginate returns the page of all that p selects, a new slice in the
// order p asks for.
func Paginate[T any](all []T, p Page) []T {
	n := uint64(len(all))
	if p.Offset >= n || p.Limit == 0 {
		return []T{}
	}
	count := min(n-p.Offset, uint64(p.Limit))
	out := make([]T, 0, count)
	for i := uint64(0); i < count; i++ {
		j := p.Offset + i
		if p.Reversed {
			j = n - 1 - j
		}
		out = append(out, all[j])
	}
	return out
}

// Weight is a 128-bit unsigned lottery weight (lottery.Uint128 has the
// same fields).
type Weight struct {
	Hi, Lo uint64
}

// String formats w in decimal.
func (w Weight) String() string {
	v := new(big.Int).SetUint64(w.Hi)
	v.Lsh(v, 64)
	v.Or(v, new(big.Int).SetUint64(w.Lo))
	return v.String()
}

// Info is the node's state, for NodeService.GetInfo.
type Info struct {
	Version     string
	Network     string
	SidechainID uint32

	Mainchain MainchainState
	Sidechain SidechainState

	// NumTickets is the number of tickets in the index, live or not.
	NumTickets uint64

	// OwnTickets are the ids of the tickets whose stake key belongs to
	// the wallet, in chain order; nil without a wallet. GetInfo shows the
	// first maxInfoTickets of them and their number.
	OwnTickets []uint64

	// Wins, Publications and Misses count this node's lottery wins, its
	// headers that counted, and its wins without such a header.
	Wins, Publications, Misses uint64

	// HeadersBroadcast counts the header transactions broadcast for wins,
	// and MissReasons the misses by reason.
	HeadersBroadcast uint64
	MissReasons      map[string]uint64

	// StateHash is the state hash after the mainchain tip: the commitment
	// to all the node's mainchain-derived state (NodeBackend.StateHash).
	StateHash chainhash.Hash

	// SidechainPeers is the number of sidenode peers connected over the
	// peer protocol.
	SidechainPeers int

	// Notarization is the health of dPoW notarization; nil on a network
	// without notaries.
	Notarization *NotarizationStatus
}

// NotarizationStatus is how dPoW notarization stands (docs/protocol.md
// §13): the last notarization that counts (nil before the first), the
// sideblocks above its height (LagBlocks) and its age by the node's
// clock, the health that age gives against the network's alarm ages, the
// interval and the next height to notarize, and whether confirmations
// count dPoW-style.
type NotarizationStatus struct {
	Last                      *Notarization
	LagBlocks                 int32
	Age                       time.Duration
	Health                    string
	IrregularAge, InactiveAge time.Duration
	Interval                  int32
	NextHeight                int32
	DpowCounting              bool
}

// SyncProgress returns how far a node at tip has followed a backend at
// backendHeight: tip / backendHeight clamped to [0, 1]; 1 once tip has
// reached a backend at the genesis block, 0 before the node applied any
// block.
func SyncProgress(tip, backendHeight int32) float64 {
	switch {
	case tip < 0:
		return 0
	case tip >= backendHeight:
		return 1
	}
	return float64(tip) / float64(backendHeight)
}

// MainchainState is the node's view of the mainchain.
type MainchainState struct {
	// TipHeight and TipHash are the last block the node applied; the
	// height is -1 before the genesis block.
	TipHeight int32
	TipHash   chainhash.Hash

	// Backend names the backend, "btcd" or "neutrino"; Connected and
	// BackendHeight are its own state, and BackendHash its best block's
	// hash (zero while it has reported none).
	Backend       string
	Connected     bool
	BackendHeight int32
	BackendHash   chainhash.Hash

	// FilterHeight is the light client's filter-header tip (for btcd,
	// BackendHeight); HeaderHeight the backend's block-header tip.
	FilterHeight int32
	HeaderHeight int32

	// BackendPeers is the backend's number of Bitcoin peers: neutrino's
	// peers, or 1 for a connected btcd.
	BackendPeers int32

	// Progress is TipHeight / BackendHeight clamped to [0, 1] (see
	// SyncProgress).
	Progress float64

	// Synced reports whether the node has caught up with the backend.
	Synced bool

	// LastError is the last error of the backend or the follower.
	LastError string
}

// SidechainState is the node's view of the sidechain.
type SidechainState struct {
	// TipHeight and TipHash are the best sidechain block; TipHash is nil
	// while there is none.
	TipHeight uint64
	TipHash   *chainhash.Hash
}

// Ticket is one stake registration.
type Ticket struct {
	ID         uint64
	TxID       chainhash.Hash
	Stake      wire.OutPoint
	Value      int64
	LockHeight uint32
	ConfHeight int32

	// PubKey is the ticket's publisher key, compressed (33 bytes): it
	// signs headers and pegbox spends (the federation key); in the plain
	// form it owns the stake too.
	PubKey []byte

	// OwnerKeyHash is HASH160 of the cold owner key (cold-owner form);
	// nil in the plain form.
	OwnerKeyHash []byte

	// EndHeight is the height whose block ended the publisher chain, or
	// -1 while it is live.
	EndHeight int32

	// Publisher is the outpoint the ticket's next header must spend.
	Publisher wire.OutPoint

	// Weight is the ticket's lottery weight at the mainchain tip.
	Weight Weight

	// State is where the ticket stands at the mainchain tip: one of the
	// TicketState words.
	State TicketState

	// StakeState, Withdrawal and WithdrawnHeight are set by ListStakes
	// only: the Ticket message's stake_state, withdrawal_txid and
	// withdrawn_height.
	StakeState      string
	Withdrawal      *chainhash.Hash
	WithdrawnHeight int32
}

// TicketState is where a ticket stands at the mainchain tip, as the word
// the API and the README use.
type TicketState string

// The ticket states.
const (
	// TicketMaturing: registered, not yet old enough to be drawn.
	TicketMaturing TicketState = "maturing"

	// TicketLive: drawn in the lottery.
	TicketLive TicketState = "live"

	// TicketEnded: its publisher chain ended; it weighs nothing, and its
	// stake stays locked until the lock height.
	TicketEnded TicketState = "ended"

	// TicketExpired: the lock height is reached; it weighs nothing, and
	// its stake can be withdrawn.
	TicketExpired TicketState = "expired"
)

// Winner is the draw after one mainchain block.
type Winner struct {
	Height      int32
	BlockHash   chainhash.Hash
	Ticket      uint64
	TotalWeight Weight

	// SidechainID enters the draw's seed.
	SidechainID uint32

	// R, Start and End complete the proof of the draw
	// (lottery.DrawProof): the seed mod TotalWeight and the winner's
	// range [Start, End). HasProof is false for a draw recorded by a
	// node too old to keep them; the three are then zero.
	R, Start, End Weight
	HasProof      bool

	// Own tells whether the winning ticket's stake key belongs to the
	// node's wallet.
	Own bool
}

// MissedSlot is a draw whose winner published no header that counted in
// the next mainchain block.
type MissedSlot struct {
	Height    int32
	BlockHash chainhash.Hash
	Ticket    uint64

	// Own tells whether the ticket's stake key belongs to the node's
	// wallet.
	Own bool

	// Reason is the label of why the node's own ticket missed the slot
	// (producer.MissReason); empty for another's ticket, or a draw
	// decided before the node last started.
	Reason string
}

// SideRef names a sidechain block by height and hash. {Height: -1} with
// the zero hash is the position before the first block.
type SideRef struct {
	Height int32
	Hash   chainhash.Hash
}

// SideEvent is a block that joined or left the best sidechain.
type SideEvent struct {
	Hash       chainhash.Hash
	PrevBlock  chainhash.Hash
	MerkleRoot chainhash.Hash
	Height     int32

	LotteryHeight int32
	PubHeight     int32
	PubTxID       chainhash.Hash

	// Partial tells that only Hash, PrevBlock and Height are known: a
	// block that left the best chain and whose index entry is gone.
	Partial bool
}

// Ref returns the block's SideRef.
func (e *SideEvent) Ref() SideRef { return SideRef{Height: e.Height, Hash: e.Hash} }

// SideRead is one read of SideBlocksAfter: Disconnected, or Connected.
type SideRead struct {
	Disconnected *SideEvent
	Connected    []SideEvent
}

// MainRef names a mainchain block by height and hash.
type MainRef struct {
	Height int32
	Hash   chainhash.Hash
}

// Draw is the draw after one mainchain block, or a block undone.
type Draw struct {
	Height    int32
	BlockHash chainhash.Hash

	// PrevBlock is the parent's hash: the position after the block is
	// undone.
	PrevBlock chainhash.Hash

	// Winner is the draw's result; nil when no ticket weighed anything,
	// and for a block undone.
	Winner *Winner
}

// Ref returns the block's MainRef.
func (d *Draw) Ref() MainRef { return MainRef{Height: d.Height, Hash: d.BlockHash} }

// DrawRead is one read of DrawsAfter: Disconnected, or Connected.
type DrawRead struct {
	Disconnected *Draw
	Connected    []Draw
}

// Publication is the header transaction that counts in one mainchain
// block.
type Publication struct {
	Height  int32
	Ticket  uint64
	TxIndex uint32
	TxID    chainhash.Hash

	// PrevBlock and MerkleRoot are the sidechain header; BlockHash is its
	// hash (sideblock.Header.BlockHash).
	PrevBlock  chainhash.Hash
	MerkleRoot chainhash.Hash
	BlockHash  chainhash.Hash
}

// Balance is the wallet's balance in satoshis.
type Balance struct {
	// Total is the value of every coin; Spendable that of the coins with
	// the confirmations asked for (at least 1).
	Total     int64
	Spendable int64
	// Confirmed, Incoming and Unconfirmed are the parts of Total
	// (GetBalanceResponse describes them); SpentUnconfirmed is the value
	// of the coins the wallet's unconfirmed transactions spend, counted in
	// none.
	Confirmed, Incoming, Unconfirmed, SpentUnconfirmed int64

	// MempoolWatched says that Incoming counts the mainchain's mempool
	// (the btcd backend); neutrino sees none.
	MempoolWatched bool
}

// StakeRequest describes a stake to register. The server has checked that
// Amount and LockBlocks are positive and FeeRate is not negative; the
// backend checks them against the network's parameters.
type StakeRequest struct {
	// Amount is the stake in satoshis.
	Amount int64

	// LockBlocks is the lock, counted from the block after the mainchain
	// tip.
	LockBlocks uint32

	// FeeRate is in sat/vB; 0 means the node's default.
	FeeRate int64

	// PSBTOnly asks for the unfunded PSBT instead of a broadcast.
	PSBTOnly bool

	// OwnerPubKey, when set (33 bytes compressed, checked by the server),
	// asks for the cold-owner form: the stake locked to this key.
	OwnerPubKey []byte
}

// TopUpResult is a top-up TopUpStake recorded.
type TopUpResult struct {
	// Pending is the ticket's whole pending top-up, sat.
	Pending int64
	// PublisherValue is the ticket's publisher output's value, sat.
	PublisherValue int64
	// Confirmed is the wallet's confirmed balance, sat.
	Confirmed int64
}

// StakeResult is a registration created by CreateStake.
type StakeResult struct {
	// TxID is the broadcast registration's id; nil with PSBTOnly.
	TxID *chainhash.Hash

	// PSBT is the unfunded registration, base64; only with PSBTOnly.
	PSBT string

	// LockHeight is the stake's CLTV lock height.
	LockHeight uint32

	// PubKey is the stake key (33 bytes compressed).
	PubKey []byte

	// OwnerKeyHash is HASH160 of OwnerPubKey; nil in the plain form.
	OwnerKeyHash []byte
}

// WithdrawRequest names a stake to withdraw: by its ticket id, or, with
// ByOutPoint, by its stake outpoint.
type WithdrawRequest struct {
	TicketID   uint64
	Stake      wire.OutPoint
	ByOutPoint bool

	// Destination is the address that receives the stake, as the client
	// gave it (the backend decodes it for its network, ErrInvalidArgument
	// if it cannot); empty means a new address of the wallet.
	Destination string

	// FeeRate is in sat/vB; 0 means the node's default.
	FeeRate int64

	// PSBTOnly asks for the unsigned withdrawal as a PSBT.
	PSBTOnly bool
}

// WithdrawResult is a withdrawal: broadcast (TxID), or a PSBT.
type WithdrawResult struct {
	TxID *chainhash.Hash
	PSBT string
}

// RenewRequest names a stake to renew, as WithdrawRequest does.
type RenewRequest struct {
	TicketID   uint64
	Stake      wire.OutPoint
	ByOutPoint bool

	// LockBlocks is the new lock, counted from the block after the
	// mainchain tip; the server has checked that it is positive.
	LockBlocks uint32

	// FeeRate is in sat/vB; 0 means the node's default.
	FeeRate int64

	// SignedPSBT is a renewal PSBT signed by the cold owner's wallet,
	// base64; empty to build the renewal.
	SignedPSBT string
}

// RenewResult is a renewal: broadcast (TxID), or a PSBT for the owner.
type RenewResult struct {
	TxID       *chainhash.Hash
	PSBT       string
	LockHeight uint32
	Amount     int64
}

// SideBlockStatus is what the node knows about a sidechain block
// (sideblock.BlockStatus, and SideUnpublished for a body whose header is
// not published).
type SideBlockStatus int

// The statuses of a sidechain block.
const (
	// SideUnpublished: the body is staged; the header is not published.
	SideUnpublished SideBlockStatus = iota + 1

	// SideBodyMissing: published, no usable body.
	SideBodyMissing

	// SideBodyStaged: published, body staged and not validated yet.
	SideBodyStaged

	// SideValid: the block passed every check.
	SideValid

	// SideInvalid: the block broke a rule its header commits to.
	SideInvalid

	// SideInvalidAncestor: an ancestor is invalid.
	SideInvalidAncestor
)

// SideBlockRequest names a sidechain block: by hash, or, with ByHeight,
// the best chain's block at Height (the server has checked that it fits
// an int32). Raw asks for the serialized block.
type SideBlockRequest struct {
	Hash     chainhash.Hash
	Height   uint64
	ByHeight bool
	Raw      bool
}

// SideBlock is a sidechain block as the node knows it.
type SideBlock struct {
	Hash       chainhash.Hash
	PrevBlock  chainhash.Hash
	MerkleRoot chainhash.Hash
	Status     SideBlockStatus

	// Published tells whether the header is published; Height,
	// LotteryHeight, PubHeight and PubTxID are zero when it is not.
	Published     bool
	Height        uint64
	LotteryHeight int32
	PubHeight     int32
	PubTxID       chainhash.Hash

	// OnBestChain tells whether the block is on the best chain, and
	// Confirmations counts from the tip (1) down to it; 0 off it.
	OnBestChain   bool
	Confirmations uint64

	// HasBody tells whether the body is staged; TxIDs, Size and Raw are
	// empty when it is not.
	HasBody bool

	// TxIDs are the ids of all the block's transactions, in block order.
	TxIDs []chainhash.Hash

	// Size is the serialized body's size in bytes.
	Size int

	// Raw is the serialized block (header and body); only when asked.
	Raw []byte
}

// SideTx is a sidechain transaction and where it is.
type SideTx struct {
	Tx *wire.MsgTx

	// InMempool tells whether it waits in the mempool.
	InMempool bool

	// Confirmed tells whether a best-chain block holds it: the block's
	// hash, sidechain height and lottery height, the transaction's
	// position in it, and the confirmations (1 in the tip).
	Confirmed     bool
	BlockHash     chainhash.Hash
	BlockHeight   uint64
	LotteryHeight int32
	Index         uint32
	Confirmations uint64

	// Notarized: a notarization that counts covers its block.
	// DpowCounting: the node counts confirmations dPoW-style.
	Notarized    bool
	DpowCounting bool
}

// SideUtxo is an unspent sidechain output.
type SideUtxo struct {
	OutPoint wire.OutPoint
	Value    int64
	PkScript []byte

	// LotteryHeight is the lottery height of the block that created it.
	LotteryHeight int32
	Coinbase      bool

	// Spendable tells whether a transaction sent now may spend it (not
	// an immature coinbase output at the next lottery height).
	Spendable bool
}

// SideBalance is the balance of a sidechain address on the best chain, in
// satoshis: Total = Spendable + Immature + Pending.
type SideBalance struct {
	Address string

	Total     int64
	Spendable int64

	// Immature is the value of coinbase outputs not mature at
	// SpendHeight.
	Immature int64

	// Pending is the value of mature outputs that mempool transactions
	// spend; zero for SideAddressBalance, which does not look at the
	// mempool.
	Pending int64

	// Count is the number of unspent outputs.
	Count uint64

	// SpendHeight is the lottery height a transaction sent now is checked
	// at, which maturity is computed for.
	SpendHeight int32

	// Incoming is what mempool transactions that spend none of the
	// address's outputs pay it, not in Total; zero for
	// SideAddressBalance.
	Incoming int64
}

// SideFeeEstimate is the mempool's fee rate estimate, in sat/kB (see
// sideblock.FeeEstimate).
type SideFeeEstimate struct {
	FeeRate    int64
	MinFeeRate int64

	MempoolTxs   uint64
	MempoolBytes uint64
	MempoolFull  bool
}

// PegFederation is the pegbox of one epoch.
type PegFederation struct {
	Epoch uint32

	// Keys are the members' compressed public keys (33 bytes each), in
	// the witness script's order (BIP67).
	Keys [][]byte

	// Threshold is the number of signatures a spend needs.
	Threshold int

	// Address is the P2WSH address, encoded for the mainchain network,
	// and WitnessScript the script it commits to.
	Address       string
	WitnessScript []byte
}

// PegInfo is the state of the pegbox at the node's mainchain tip.
type PegInfo struct {
	TipHeight int32

	// Epoch is the pegbox epoch of block TipHeight+1; it runs from
	// EpochStart to NextEpoch−1.
	Epoch      uint32
	EpochStart int32
	NextEpoch  int32

	// Federation is the epoch's federation.
	Federation PegFederation

	// Previous is the previous epoch's federation while its address still
	// accepts deposits and is not Federation's, up to block GraceEnd;
	// nil otherwise.
	Previous *PegFederation
	GraceEnd int32

	// Balance and Coins are the value and number of the pegbox's coins;
	// CurrentBalance is what Federation's address holds of Balance, the
	// rest waiting for a rotation.
	Balance        int64
	Coins          uint64
	CurrentBalance int64

	// LastRotation is the newest rotation, nil before the first, and
	// Rotations their number.
	LastRotation *PegRotation
	Rotations    uint64

	// Deposits is the number of accepted deposits, Matured the number of
	// them old enough to mint (the first Matured in mint order).
	Deposits uint64
	Matured  uint64

	// DepositConfirmations and DustLimit are the network's parameters.
	DepositConfirmations int32
	DustLimit            int64

	// Audit compares the pegbox with the sidechain.
	Audit PegAudit
}

// PegRotation is a rotation on the mainchain (apiv1.PegRotation).
type PegRotation struct {
	TxID         chainhash.Hash
	Height       int32
	Epoch        uint32
	Spent, Moved int64
}

// PegAudit is the peg's supply audit, in satoshis (apiv1.PegAudit).
type PegAudit struct {
	PegboxBalance, Accepted, Unbacked, Outflow int64
	Minted, Burned, Paid                       int64
	RotationFees                               int64

	// The sidechain side: the best chain's blocks, the subsidy they
	// could issue, and the value of its unspent outputs.
	SideBlocks, SideSubsidy, SideUtxoValue int64

	// Unexplained is what spends of pegbox coins that no rule allows
	// took out of the pegbox, a part of Outflow; UnexplainedSpends lists
	// them. Unchecked is what payouts this node cannot check yet (it
	// lacks a body) took, also a part of Outflow; UncheckedCount counts
	// them.
	Unexplained       int64
	UnexplainedSpends []PegUnexplained
	Unchecked         int64
	UncheckedCount    uint64
}

// PegUnexplained is a spend of pegbox coins that no rule allows
// (apiv1.UnexplainedSpend); Code names the rule it broke
// (pegbox.ErrorCode), Message says how.
type PegUnexplained struct {
	TxID       chainhash.Hash
	Height     int32
	TxIndex    uint32
	Code       string
	Message    string
	Spent, Out int64
}

// Derived returns the audit's derived figures and whether it matches. An
// unexplained spend never matches: no rule let the coins leave; nor does
// a payout the node cannot check yet.
//
// destroyed is what the sidechain's unspent outputs lack of its issued
// subsidy plus its pegged coins: fees no coinbase claimed and value sent to
// OP_RETURN outputs that are not withdrawals. It is never negative: the
// sidechain holds no coin that was neither issued nor pegged in.
func (a PegAudit) Derived() (pegged, pendingMint, unpaid, pegboxFees, bumpFees, destroyed int64, matches bool) {
	pegged, pendingMint, unpaid = a.Minted-a.Burned, a.Accepted-a.Minted, a.Burned-a.Paid
	pegboxFees = a.Outflow - a.Paid - a.Unexplained - a.Unchecked
	bumpFees = pegboxFees - a.RotationFees
	destroyed = a.SideSubsidy + pegged - a.SideUtxoValue
	matches = a.PegboxBalance == pegged+pendingMint+unpaid+a.Unbacked-pegboxFees-
		a.Unexplained-a.Unchecked &&
		pendingMint >= 0 && unpaid >= 0 && a.RotationFees >= 0 && bumpFees >= 0 &&
		destroyed >= 0 && len(a.UnexplainedSpends) == 0 && a.UncheckedCount == 0
	return
}

// DepositStatus is where an accepted deposit stands.
type DepositStatus int

// The statuses of an accepted deposit.
const (
	// DepositConfirming: fewer confirmations than DepositConfirmations.
	DepositConfirming DepositStatus = iota + 1

	// DepositMatured: deep enough that the sideblock built on the
	// lottery of the tip must mint it, unless more than
	// sideblock.MaxMintOutputs matured deposits come first; the best
	// sidechain has not minted it yet.
	DepositMatured

	// DepositMinted: the best sidechain has minted it (its seq is below
	// sideblock.Chain.Minted).
	DepositMinted
)

// Deposit is an accepted deposit.
type Deposit struct {
	Seq      uint64
	OutPoint wire.OutPoint
	Value    int64

	// PegboxAddress is the pegbox address the output pays.
	PegboxAddress string

	// SideScript receives the deposit; SideAddress is its sidechain
	// address, empty if it has none.
	SideScript  []byte
	SideAddress string

	// Height and TxIndex place the transaction on the mainchain;
	// Confirmations counts from the tip (1) down to Height.
	Height        int32
	TxIndex       uint32
	Confirmations int32

	// MatureHeight is the first tip height at which the deposit is
	// matured.
	MatureHeight int32
	Status       DepositStatus

	// MintedBy is the best-chain sideblock that minted the deposit, once
	// its status is DepositMinted (in GetDeposit and ListDeposits; the
	// deposit stream leaves it nil); nil otherwise.
	MintedBy *SideRef
}

// RefusedDeposit is a deposit the pegbox refused.
type RefusedDeposit struct {
	TxID chainhash.Hash

	// OutPoint is the output the 'D' payload names, or, for a payload
	// that names none, the first output that paid a pegbox (the first of
	// PegboxOutputs), when HasOutPoint;
	// Value, Address (mainchain, empty if its script has none),
	// SideScript and SideAddress are zero without it.
	OutPoint    wire.OutPoint
	HasOutPoint bool
	Value       int64
	Address     string
	SideScript  []byte
	SideAddress string

	Height        int32
	TxIndex       uint32
	Confirmations int32

	// Reason is the pegbox rule's name ("ErrNotPegbox"), Message a
	// sentence about it.
	Reason  string
	Message string

	// PegboxOutputs are the transaction's outputs that paid a pegbox of
	// its block, in output order, as the block confirmed them: also after
	// the federation spent them.
	PegboxOutputs []PegboxOutput
}

// PegboxOutput is a mainchain output that paid a pegbox.
type PegboxOutput struct {
	OutPoint wire.OutPoint
	Value    int64
	Address  string // the pegbox address it paid
}

// DepositQuery names a deposit: by transaction id, or, with ByOutPoint,
// by its outpoint.
type DepositQuery struct {
	TxID       chainhash.Hash
	OutPoint   wire.OutPoint
	ByOutPoint bool
}

// DepositLookup is a deposit found by Deposit: Accepted or Refused.
type DepositLookup struct {
	Accepted *Deposit
	Refused  *RefusedDeposit
}

// PegInRequest describes a deposit to build.
type PegInRequest struct {
	// Amount is the deposit in satoshis.
	Amount int64

	// SideAddress receives it, as the client gave it.
	SideAddress string

	// FeeRate is in sat/vB; 0 means the node's default.
	FeeRate int64

	// PSBTOnly asks for the unfunded PSBT instead of a broadcast.
	PSBTOnly bool
}

// PegInResult is a deposit built by PegIn.
type PegInResult struct {
	// TxID is the broadcast deposit's id; nil with PSBTOnly.
	TxID *chainhash.Hash

	// PSBT is the unfunded deposit, base64; only with PSBTOnly.
	PSBT string

	// Vout is the deposit output's index.
	Vout uint32

	// PegboxAddress is the address paid, the pegbox of Epoch, accepted
	// up to block AcceptedUntil at least.
	PegboxAddress string
	Epoch         uint32
	AcceptedUntil int32

	// SideScript is the sidechain script the payload names.
	SideScript []byte
}

// PegOutRequest describes a withdrawal to build.
type PegOutRequest struct {
	// Amount is what the mainchain destination receives, in satoshis.
	Amount int64

	// Destination is the mainchain address, as the client gave it.
	Destination string

	// Fee is the mainchain fee budget; 0 means the node's default.
	Fee int64

	// FeeRate is the sidechain fee rate in sat/kB; 0 means the node's
	// estimate.
	FeeRate int64
}

// PegOutResult is a withdrawal sent by PegOut.
type PegOutResult struct {
	// TxID and Vout are the sidechain withdrawal output.
	TxID chainhash.Hash
	Vout uint32

	// Burned is the output's value: the amount plus the fee budget.
	Burned int64
}

// WithdrawalStage is where a withdrawal stands.
type WithdrawalStage int

// The stages of a withdrawal.
const (
	// WithdrawalPending: in the sidechain mempool.
	WithdrawalPending WithdrawalStage = iota + 1

	// WithdrawalIncluded: in a best-chain sideblock that is not yet deep
	// enough on both chains to be paid.
	WithdrawalIncluded

	// WithdrawalPayable: deep enough on both chains; the federation may
	// pay it, in sideblock order and within the rate limit.
	WithdrawalPayable

	// WithdrawalPaid: the sideblock's payout is mined.
	WithdrawalPaid
)

// WithdrawalQuery names a withdrawal: the first withdrawal output of
// transaction TxID, or, with ByOutPoint, the output at OutPoint.
type WithdrawalQuery struct {
	TxID       chainhash.Hash
	OutPoint   wire.OutPoint
	ByOutPoint bool
}

// Withdrawal is a sidechain withdrawal output.
type Withdrawal struct {
	OutPoint wire.OutPoint

	// Value is what the sidechain burns, Fee the mainchain fee budget;
	// the payout pays Value − Fee.
	Value int64
	Fee   int64

	// PkScript is the mainchain destination; Address is its address on
	// the node's mainchain network.
	PkScript []byte
	Address  string
}

// Amount returns what the payout pays: Value − Fee.
func (w *Withdrawal) Amount() int64 { return w.Value - w.Fee }

// WithdrawalStatus is a withdrawal and where it stands.
type WithdrawalStatus struct {
	Withdrawal
	Stage WithdrawalStage

	// From WithdrawalIncluded on: the best-chain sideblock that holds
	// it, its sidechain height and depth (1 at the tip), the mainchain
	// block that published it and that block's confirmations.
	SideBlock        chainhash.Hash
	SideHeight       int32
	SideDepth        int32
	PubHeight        int32
	PubConfirmations int32

	// Index and Count place it among the sideblock's withdrawals;
	// Branch, TxRoot and MerkleRoot prove it against the header.
	Index      uint32
	Count      uint32
	Branch     []chainhash.Hash
	TxRoot     chainhash.Hash
	MerkleRoot chainhash.Hash

	// WithdrawalPaid: the payout and its confirmations.
	PayoutTxID          chainhash.Hash
	PayoutHeight        int32
	PayoutConfirmations int32

	// RequiredSideDepth and RequiredConfirmations are the network's
	// SideWithdrawalDepth and WithdrawalConfirmations.
	RequiredSideDepth     int32
	RequiredConfirmations int32
}

// PayoutQuery names a payout to check: Tx when not nil, else the payout
// the node saw mined with id TxID.
type PayoutQuery struct {
	TxID chainhash.Hash
	Tx   *wire.MsgTx
}

// PayoutCheck is what VerifyPayout found.
type PayoutCheck struct {
	TxID chainhash.Hash

	// Valid tells whether the payout verifies; otherwise Code is the
	// rule's name (withdraw.ErrorCode) and Message says why.
	Valid   bool
	Code    string
	Message string

	// SideBlock is the sideblock the 'W' payload names, nil without one;
	// OnBestChain tells whether it is on the best sidechain, and
	// Withdrawals are its withdrawals, in order.
	SideBlock   *chainhash.Hash
	OnBestChain bool
	Withdrawals []Withdrawal

	// Seen tells whether the node saw the transaction mined as the
	// sideblock's payout, at Height, with Confirmations.
	Seen          bool
	Height        int32
	Confirmations int32
}
