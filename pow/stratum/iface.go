package stratum

import (
	"math/big"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/pow/headerchain"
	"github.com/mainstake/sidenode/pow/stratum/work"
)

// JobSource hands the server the work to give out: Template returns the
// current block template, and Changed fires (a value or a close is not
// required: a send) whenever Template would return a different one. The
// node adapts its pow engine to it.
type JobSource interface {
	Template() (*work.Template, error)
	Changed() <-chan struct{}
}

// BlockSink takes a block found by a share. The server calls it at once,
// before answering the share, from the connection's goroutine.
type BlockSink interface {
	SubmitBlock(b *headerchain.Block) error
}

// ShareSink takes every accepted share, before the miner gets its answer,
// from the connection's goroutine: it should be quick (it may batch). An
// error answers the share with code 20 and does not count it as accepted.
type ShareSink interface {
	AcceptShare(s *Share) error
}

// Share is one accepted share, as the pool accounts it.
type Share struct {
	// Worker is the full worker name the miner authorized with; Payout
	// is what the authorizer bound it to.
	Worker string
	Payout Payout

	// Difficulty is the share difficulty the share was accepted at (its
	// credit), and ShareTarget the same as a target. NetTarget is the
	// job's network target and NetDifficulty its difficulty.
	Difficulty    float64
	ShareTarget   *big.Int
	NetTarget     *big.Int
	NetDifficulty float64

	// Height is the job's block height, JobID the job's id, Time when
	// the server accepted the share, Hash the header hash.
	Height int32
	JobID  string
	Time   time.Time
	Hash   chainhash.Hash

	// Block is set when the share met the network target: the server
	// submitted the block (hash Hash) before crediting the share;
	// BlockErr is what the block sink answered.
	Block    bool
	BlockErr error

	// RemoteAddr is the miner's address.
	RemoteAddr string
}

// Payout is where a worker's earnings go on the sidechain.
type Payout struct {
	Address string // as the user typed it
	Script  []byte // the output script paying it
}

// Authorizer binds a worker name to a payout. Authorize returns an error
// when the worker may not mine (unknown, bad password, bad address); its
// text is sent to the miner.
type Authorizer interface {
	Authorize(worker, password string) (Payout, error)
}
