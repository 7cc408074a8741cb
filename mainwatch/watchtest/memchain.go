package watchtest

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/mainwatch"
)

// MemChain is an in-memory mainwatch.Chain that records what it is given.
// It outlives Followers, so a test can stop one and start another on the
// same chain, as a node restart would.
//
// It takes previews too (mainwatch.Previewer), and refuses to connect a
// block whose matched transactions are not those of its preview, so that
// every test run on a backend that previews checks its previews.
type MemChain struct {
	mu          sync.Mutex
	hashes      []chainhash.Hash
	txs         map[chainhash.Hash][]mainwatch.Tx
	previews    map[chainhash.Hash][]chainhash.Hash
	Connects    int
	Disconnects int
	Previews    int // previews that their block matched

	// Depth, when set before use, keeps an undo window like the
	// store's: connecting block h drops what undoes block h-Depth, and
	// DisconnectBlock refuses a block below the window. 0 undoes
	// anything.
	Depth int32
	floor int32 // lowest height that can be undone
}

// NewMemChain returns an empty chain.
func NewMemChain() *MemChain {
	return &MemChain{
		txs:      make(map[chainhash.Hash][]mainwatch.Tx),
		previews: make(map[chainhash.Hash][]chainhash.Hash),
	}
}

func txids(txs []mainwatch.Tx) []chainhash.Hash {
	out := make([]chainhash.Hash, len(txs))
	for i, tx := range txs {
		out[i] = tx.MsgTx.TxHash()
	}
	return out
}

// PreviewBlock implements mainwatch.Previewer: it keeps the preview's
// transaction ids for the block's ConnectBlock.
func (m *MemChain) PreviewBlock(_ context.Context, b *mainwatch.Block) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.previews[b.Hash] = txids(b.Txs)
	return nil
}

// Tip implements mainwatch.Chain.
func (m *MemChain) Tip() (mainwatch.Cursor, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := len(m.hashes)
	if n == 0 {
		return mainwatch.Cursor{Height: -1}, nil
	}
	return mainwatch.Cursor{Height: int32(n - 1), Hash: m.hashes[n-1]}, nil
}

// HashAt implements mainwatch.Chain.
func (m *MemChain) HashAt(height int32) (chainhash.Hash, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if height < 0 || int(height) >= len(m.hashes) {
		return chainhash.Hash{}, fmt.Errorf("no block at %d", height)
	}
	return m.hashes[height], nil
}

// ConnectBlock implements mainwatch.Chain.
func (m *MemChain) ConnectBlock(_ context.Context, b *mainwatch.Block) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if int(b.Height) != len(m.hashes) {
		return fmt.Errorf("connect %d on tip %d", b.Height, len(m.hashes)-1)
	}
	if b.Height > 0 && b.Header.PrevBlock != m.hashes[b.Height-1] {
		return fmt.Errorf("block %v does not extend %v", b.Hash, m.hashes[b.Height-1])
	}
	if pv, ok := m.previews[b.Hash]; ok {
		delete(m.previews, b.Hash)
		if got := txids(b.Txs); !slices.Equal(pv, got) {
			return fmt.Errorf("block %v matches %v, its preview matched %v", b.Hash, got, pv)
		}
		m.Previews++
	}
	m.hashes = append(m.hashes, b.Hash)
	if m.Depth > 0 {
		m.floor = max(m.floor, b.Height-m.Depth+1)
	}
	m.txs[b.Hash] = b.Txs
	m.Connects++
	return nil
}

// DisconnectBlock implements mainwatch.Chain.
func (m *MemChain) DisconnectBlock(_ context.Context, tip mainwatch.Cursor) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := len(m.hashes)
	if n == 0 || int(tip.Height) != n-1 || m.hashes[n-1] != tip.Hash {
		return fmt.Errorf("disconnect %v: not the tip", tip)
	}
	if tip.Height < m.floor {
		return fmt.Errorf("disconnect %v: below the undo window", tip)
	}
	delete(m.txs, tip.Hash)
	m.hashes = m.hashes[:n-1]
	m.Disconnects++
	return nil
}

// UndoWindow implements mainwatch.Chain.
func (m *MemChain) UndoWindow() (mainwatch.UndoWindow, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return mainwatch.UndoWindow{
		Floor:  min(m.floor, int32(len(m.hashes))),
		Depth:  m.Depth,
		Advice: "Resync the chain.",
	}, nil
}

// Hashes returns a copy of the applied hashes by height.
func (m *MemChain) Hashes() []chainhash.Hash {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]chainhash.Hash(nil), m.hashes...)
}

// Txs returns the matched transactions delivered with block hash.
func (m *MemChain) Txs(hash chainhash.Hash) []mainwatch.Tx {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.txs[hash]
}

// Counts returns the number of connects and disconnects so far.
func (m *MemChain) Counts() (connects, disconnects int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.Connects, m.Disconnects
}
