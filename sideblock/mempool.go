package sideblock

import (
	"container/heap"
	"sort"
	"sync"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/store"
)

// Mempool defaults; see MempoolConfig.
const (
	DefaultMempoolBytes = 32_000_000
	DefaultMaxTxSize    = 100_000
	DefaultMinFeeRate   = 1000
)

// MempoolConfig bounds a Mempool. A zero field takes its default.
type MempoolConfig struct {
	// MaxBytes bounds the serialized size of all transactions in the
	// pool. Above it, the transaction with the lowest fee rate is
	// evicted with its descendants, until the pool fits.
	MaxBytes int

	// MaxTxSize is the largest transaction accepted, in bytes,
	// witnesses included. A block is at most MaxBlockSize.
	MaxTxSize int

	// MinFeeRate is the lowest fee rate accepted, in satoshis per 1000
	// bytes (witnesses count in full, as in MaxBlockSize).
	MinFeeRate int64

	// Added, if set, is called after each transaction Add takes, outside
	// the pool's lock: block templates may pay more now.
	Added func(tx *wire.MsgTx)
}

func (c MempoolConfig) withDefaults() MempoolConfig {
	if c.MaxBytes <= 0 {
		c.MaxBytes = DefaultMempoolBytes
	}
	if c.MaxTxSize <= 0 {
		c.MaxTxSize = DefaultMaxTxSize
	}
	if c.MinFeeRate <= 0 {
		c.MinFeeRate = DefaultMinFeeRate
	}
	return c
}

// poolTx is a transaction in the pool.
type poolTx struct {
	tx   *wire.MsgTx
	txid chainhash.Hash
	size int
	fee  int64
	rate int64 // satoshis per 1000 bytes
	seq  uint64
}

// Mempool holds loose sidechain transactions, valid on the best tip, for
// block templates. It lives in memory only.
//
// A transaction enters if it is not a coinbase, is at most MaxTxSize
// bytes, pays at least MinFeeRate, spends no output that a pool
// transaction spends (no replacement), and passes the block rules as the
// only transaction of a block on the best tip at the next lottery height
// (the mainchain tip's height): CheckBlockSanity and CheckConnectBlock,
// scripts included under ScriptFlags, with the outputs of pool
// transactions available to it. Errors are RuleErrors: the block rule's
// code, or ErrMempoolDuplicate, ErrMempoolConflict, ErrMempoolCoinbase,
// ErrTxTooLarge, ErrMempoolLowFee, ErrMempoolFull.
//
// It is safe for concurrent use. Its methods read the chain state with
// DB.View: never call them from inside a store callback.
type Mempool struct {
	chain  *Chain
	params *chainparams.Params
	cfg    MempoolConfig

	mu     sync.Mutex
	pool   map[chainhash.Hash]*poolTx
	spends map[wire.OutPoint]chainhash.Hash // outpoint → pool tx spending it
	bytes  int
	seq    uint64
}

// NewMempool returns an empty mempool on chain's best tip.
func NewMempool(chain *Chain, params *chainparams.Params, cfg MempoolConfig) *Mempool {
	return &Mempool{
		chain:  chain,
		params: params,
		cfg:    cfg.withDefaults(),
		pool:   make(map[chainhash.Hash]*poolTx),
		spends: make(map[wire.OutPoint]chainhash.Hash),
	}
}

// Add validates tx against the best tip and the pool and adds it.
func (m *Mempool) Add(tx *wire.MsgTx) error {
	m.mu.Lock()
	err := m.add(tx)
	added := m.cfg.Added
	m.mu.Unlock()
	if err == nil && added != nil {
		added(tx)
	}
	return err
}

func (m *Mempool) add(tx *wire.MsgTx) error {
	txid := tx.TxHash()
	if _, ok := m.pool[txid]; ok {
		return ruleErrorf(ErrMempoolDuplicate, "transaction %v is "+
			"already in the mempool", txid)
	}
	if IsCoinbase(tx) || IsMintTx(tx) {
		return ruleErrorf(ErrMempoolCoinbase, "transaction %v is a "+
			"coinbase or a mint transaction", txid)
	}
	size := tx.SerializeSize()
	if size > m.cfg.MaxTxSize {
		return ruleErrorf(ErrTxTooLarge, "transaction %v is %d bytes, "+
			"max %d", txid, size, m.cfg.MaxTxSize)
	}
	for _, in := range tx.TxIn {
		if other, ok := m.spends[in.PreviousOutPoint]; ok {
			return ruleErrorf(ErrMempoolConflict, "transaction %v "+
				"spends %v, which %v in the mempool spends",
				txid, in.PreviousOutPoint, other)
		}
	}

	var fee int64
	err := m.chain.db.View(func(r store.Reader) error {
		var err error
		fee, err = m.check(r, tx)
		return err
	})
	if err != nil {
		return err
	}
	rate := fee * 1000 / int64(size)
	if rate < m.cfg.MinFeeRate {
		return ruleErrorf(ErrMempoolLowFee, "transaction %v pays %d "+
			"sat/kB, min %d", txid, rate, m.cfg.MinFeeRate)
	}

	m.seq++
	p := &poolTx{tx: tx, txid: txid, size: size, fee: fee, rate: rate, seq: m.seq}
	m.pool[txid] = p
	for _, in := range tx.TxIn {
		m.spends[in.PreviousOutPoint] = txid
	}
	m.bytes += size

	for m.bytes > m.cfg.MaxBytes {
		victim := m.lowest()
		m.removeWithDescendants(victim)
		if victim == txid {
			return ruleErrorf(ErrMempoolFull, "transaction %v pays "+
				"%d sat/kB, too little for a full mempool", txid, rate)
		}
		log.Debugf("Mempool full: evicted %v", victim)
	}
	log.Tracef("Mempool accepted %v (%d bytes, fee %d)", txid, size, fee)
	return nil
}

// check runs the block rules on tx alone in a block on the best tip, with
// the pool's outputs, and returns its fee.
func (m *Mempool) check(r store.Reader, tx *wire.MsgTx) (int64, error) {
	main, err := r.Tip()
	if err != nil {
		return 0, err
	}
	tip, err := readTip(r)
	if err != nil {
		return 0, err
	}
	height := main.Height
	if height <= tip.lotteryHeight {
		height = tip.lotteryHeight + 1
	}
	base := &storeView{r: r}
	view := &poolView{base: base, m: m, height: height}
	cb, err := NewCoinbaseTx(height, []byte("mempool"),
		wire.NewTxOut(0, []byte{txscript.OP_TRUE}))
	if err != nil {
		return 0, err
	}
	// The probe has no merkle root: nothing publishes its header, and
	// the root would match its body by construction.
	probe := &Block{
		Header:       Header{PrevBlock: tip.hash},
		Transactions: []*wire.MsgTx{cb, tx},
	}
	if err := checkBlockSanity(probe, m.params, false); err != nil {
		return 0, err
	}
	fee, _, err := CheckConnectBlock(probe, height, view, m.params)
	if base.err != nil {
		return 0, base.err
	}
	return fee, err
}

// poolView adds the outputs of pool transactions to the tip's view, as if
// they were confirmed at the next lottery height.
type poolView struct {
	base   UtxoView
	m      *Mempool
	height int32
}

func (v *poolView) FetchUtxo(op wire.OutPoint) (*Utxo, bool) {
	if p, ok := v.m.pool[op.Hash]; ok {
		if int(op.Index) >= len(p.tx.TxOut) {
			return nil, false
		}
		out := p.tx.TxOut[op.Index]
		if isUnspendable(out.PkScript) {
			return nil, false
		}
		return &Utxo{Value: out.Value, PkScript: out.PkScript, Height: v.height}, true
	}
	return v.base.FetchUtxo(op)
}

// lowest returns the transaction with the lowest fee rate, the newest
// among equals.
func (m *Mempool) lowest() chainhash.Hash {
	var low *poolTx
	for _, p := range m.pool {
		if low == nil || p.rate < low.rate ||
			(p.rate == low.rate && p.seq > low.seq) {
			low = p
		}
	}
	return low.txid
}

// remove takes one transaction out of the pool.
func (m *Mempool) remove(txid chainhash.Hash) {
	p, ok := m.pool[txid]
	if !ok {
		return
	}
	delete(m.pool, txid)
	for _, in := range p.tx.TxIn {
		if m.spends[in.PreviousOutPoint] == txid {
			delete(m.spends, in.PreviousOutPoint)
		}
	}
	m.bytes -= p.size
}

// children returns the pool transactions that spend outputs of p.
func (m *Mempool) children(p *poolTx) []chainhash.Hash {
	var out []chainhash.Hash
	seen := make(map[chainhash.Hash]bool)
	for i := range p.tx.TxOut {
		c, ok := m.spends[wire.OutPoint{Hash: p.txid, Index: uint32(i)}]
		if ok && !seen[c] {
			seen[c] = true
			out = append(out, c)
		}
	}
	return out
}

// removeWithDescendants takes a transaction and everything that spends
// its outputs, directly or not, out of the pool.
func (m *Mempool) removeWithDescendants(txid chainhash.Hash) {
	stack := []chainhash.Hash{txid}
	for len(stack) > 0 {
		h := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		p, ok := m.pool[h]
		if !ok {
			continue
		}
		stack = append(stack, m.children(p)...)
		m.remove(h)
	}
}

// Have reports whether a transaction is in the pool.
func (m *Mempool) Have(txid chainhash.Hash) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	_, ok := m.pool[txid]
	return ok
}

// Get returns a transaction of the pool.
func (m *Mempool) Get(txid chainhash.Hash) (*wire.MsgTx, bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, ok := m.pool[txid]
	if !ok {
		return nil, false
	}
	return p.tx, true
}

// Count returns the number of transactions in the pool, and Bytes their
// total size.
func (m *Mempool) Count() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.pool)
}

// Bytes returns the total serialized size of the pool's transactions.
func (m *Mempool) Bytes() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.bytes
}

// selectHeap orders ready transactions by fee rate, the oldest first among
// equals.
type selectHeap []*poolTx

func (h selectHeap) Len() int { return len(h) }
func (h selectHeap) Less(i, j int) bool {
	if h[i].rate != h[j].rate {
		return h[i].rate > h[j].rate
	}
	return h[i].seq < h[j].seq
}
func (h selectHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *selectHeap) Push(x any)   { *h = append(*h, x.(*poolTx)) }
func (h *selectHeap) Pop() any {
	old := *h
	p := old[len(old)-1]
	*h = old[:len(old)-1]
	return p
}

// Select returns transactions for a block template, at most maxBytes in
// total: by fee rate, highest first, every transaction after the pool
// transactions it spends. A transaction that does not fit is skipped with
// its descendants. (The order is by each transaction's own fee rate; a
// child does not pay for its parent.)
func (m *Mempool) Select(maxBytes int) []*wire.MsgTx {
	m.mu.Lock()
	defer m.mu.Unlock()

	waiting := make(map[chainhash.Hash]int) // in-pool parents not selected
	var ready selectHeap
	for _, p := range m.pool {
		parents := make(map[chainhash.Hash]bool)
		for _, in := range p.tx.TxIn {
			if _, ok := m.pool[in.PreviousOutPoint.Hash]; ok {
				parents[in.PreviousOutPoint.Hash] = true
			}
		}
		if len(parents) == 0 {
			ready = append(ready, p)
		} else {
			waiting[p.txid] = len(parents)
		}
	}
	heap.Init(&ready)

	var (
		out   []*wire.MsgTx
		total int
	)
	for ready.Len() > 0 {
		p := heap.Pop(&ready).(*poolTx)
		if total+p.size > maxBytes {
			continue
		}
		out = append(out, p.tx)
		total += p.size
		for _, c := range m.children(p) {
			waiting[c]--
			if waiting[c] == 0 {
				heap.Push(&ready, m.pool[c])
			}
		}
	}
	return out
}

// BlockConnected removes the block's transactions from the pool, and every
// pool transaction that spends an output the block spends (a conflict),
// with its descendants. Call it for each block that joined the best chain,
// oldest first, after the batch committed.
func (m *Mempool) BlockConnected(block *Block) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.blockConnected(block)
}

func (m *Mempool) blockConnected(block *Block) {
	for i, tx := range block.Transactions {
		if createsCoins(i, tx) {
			continue
		}
		txid := tx.TxHash()
		m.remove(txid)
		for _, in := range tx.TxIn {
			if other, ok := m.spends[in.PreviousOutPoint]; ok && other != txid {
				log.Debugf("Mempool: %v conflicts with %v of block %v",
					other, txid, block.BlockHash())
				m.removeWithDescendants(other)
			}
		}
	}
}

// BlocksDisconnected puts the transactions of blocks that left the best
// chain back into the pool, best effort, and checks the pool again: a pool
// transaction may spend an output that no longer exists. blocks are in the
// order they were disconnected (tip first). Call it after the batch
// committed and after BlockConnected for the blocks that joined: every
// transaction is checked against the best tip as the store has it now.
func (m *Mempool) BlocksDisconnected(blocks []*Block) {
	m.mu.Lock()
	defer m.mu.Unlock()

	var txs []*wire.MsgTx
	for i := len(blocks) - 1; i >= 0; i-- {
		if len(blocks[i].Transactions) > 1 {
			txs = append(txs, blocks[i].Transactions[1:]...)
		}
	}
	old := make([]*poolTx, 0, len(m.pool))
	for _, p := range m.pool {
		old = append(old, p)
	}
	sort.Slice(old, func(i, j int) bool { return old[i].seq < old[j].seq })
	for _, p := range old {
		txs = append(txs, p.tx)
	}

	m.pool = make(map[chainhash.Hash]*poolTx)
	m.spends = make(map[wire.OutPoint]chainhash.Hash)
	m.bytes = 0
	dropped := 0
	for _, tx := range txs {
		if err := m.add(tx); err != nil && !IsErrorCode(err, ErrMempoolDuplicate) {
			dropped++
			log.Debugf("Mempool: %v not re-added: %v", tx.TxHash(), err)
		}
	}
	log.Debugf("Mempool after a sidechain reorg: %d transactions, %d "+
		"dropped", len(m.pool), dropped)
}

// ProcessResult applies a mainchain block's Result to the pool:
// BlockConnected for each connected block, then BlocksDisconnected for the
// disconnected ones. Call it after Chain.Committed.
func (m *Mempool) ProcessResult(res *Result) error {
	if res == nil || (len(res.Connected) == 0 && len(res.Disconnected) == 0) {
		return nil
	}
	load := func(hashes []chainhash.Hash) ([]*Block, error) {
		var out []*Block
		err := m.chain.db.View(func(r store.Reader) error {
			for _, h := range hashes {
				s, ok, err := loadStaged(r, h)
				if err != nil {
					return err
				}
				if !ok {
					continue
				}
				b, err := s.block()
				if err != nil {
					continue
				}
				out = append(out, b)
			}
			return nil
		})
		return out, err
	}
	connected, err := load(res.Connected)
	if err != nil {
		return err
	}
	disconnected, err := load(res.Disconnected)
	if err != nil {
		return err
	}
	for _, b := range connected {
		m.BlockConnected(b)
	}
	if len(res.Disconnected) > 0 {
		// Even without their bodies, the pool is checked again.
		m.BlocksDisconnected(disconnected)
	}
	return nil
}
