package miner

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"math/big"
	"sync"
	"sync/atomic"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/pow/headerchain"
	"github.com/mainstake/sidenode/sideblock"
)

// Template is a block to mine: the header fields the chain fixes, and the
// body. The miner sets the merkle root, the time and the nonce.
type Template struct {
	// Header carries Version, PrevBlock and Bits; its Timestamp is the
	// earliest time the block may carry (after the median time past).
	Header wire.BlockHeader

	// Coinbase pays the payout script. The miner appends an 8-byte
	// extranonce push to its signature script, which must leave room
	// for it (9 bytes under the 100-byte limit).
	Coinbase *wire.MsgTx

	// Transactions follow the coinbase.
	Transactions []*wire.MsgTx

	// PowValue, when set, is the proof-of-work value of a header of the
	// template for an algorithm other than SHA-256d (RandomX, Ethash at
	// the template's height): the miner then hashes each nonce with it,
	// without the midstate. Nil means SHA-256d.
	PowValue func(*wire.BlockHeader) (*big.Int, error)
}

// TemplateSource builds templates. The node's block template code
// provides it.
type TemplateSource interface {
	// BlockTemplate returns a template on the current best tip whose
	// coinbase pays payout.
	BlockTemplate(payout []byte) (*Template, error)
}

// Config configures a Miner.
type Config struct {
	// Threads is the number of mining goroutines; 0 means 1.
	Threads int

	// PayoutScript is the output script the coinbase pays.
	PayoutScript []byte

	// Source builds the templates.
	Source TemplateSource

	// Found is called with every block found, from a mining goroutine;
	// that goroutine asks for a new template when Found returns.
	Found func(*headerchain.Block)

	// Now is the clock for block times; nil means time.Now.
	Now func() time.Time

	// RetryDelay is how long a goroutine waits after the source failed
	// before it asks again (or until NewWork); 0 means one second.
	RetryDelay time.Duration
}

// chunk is how many nonces a goroutine tries between looks at the quit
// channel and the work generation.
const chunk = 1 << 16

// Miner is a CPU miner of SHA-256d blocks, using the SHA-256 midstate. It
// is safe for concurrent use.
type Miner struct {
	cfg Config

	mu      sync.Mutex
	quit    chan struct{}
	newWork chan struct{} // closed and replaced by NewWork
	wg      sync.WaitGroup

	gen    atomic.Uint64 // work generation, bumped by NewWork
	hashes atomic.Uint64
}

// New returns a miner; Start starts it.
func New(cfg Config) (*Miner, error) {
	if cfg.Source == nil || cfg.Found == nil {
		return nil, errors.New("miner: Source and Found are required")
	}
	if len(cfg.PayoutScript) == 0 {
		return nil, errors.New("miner: a payout script is required")
	}
	if cfg.Threads < 0 || cfg.Threads > 1<<15 {
		return nil, fmt.Errorf("miner: threads is %d, want 0 to %d",
			cfg.Threads, 1<<15)
	}
	if cfg.Threads == 0 {
		cfg.Threads = 1
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.RetryDelay == 0 {
		cfg.RetryDelay = time.Second
	}
	return &Miner{cfg: cfg, newWork: make(chan struct{})}, nil
}

// Start starts the mining goroutines; it does nothing if they run.
func (m *Miner) Start() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.quit != nil {
		return
	}
	m.quit = make(chan struct{})
	for i := 0; i < m.cfg.Threads; i++ {
		m.wg.Add(1)
		go m.work(uint16(i), m.quit)
	}
}

// Stop stops the mining goroutines and waits for them to return.
func (m *Miner) Stop() {
	m.mu.Lock()
	if m.quit == nil {
		m.mu.Unlock()
		return
	}
	close(m.quit)
	m.quit = nil
	m.mu.Unlock()
	m.wg.Wait()
}

// NewWork tells the miner that a better template exists (a new tip, or a
// mempool that pays more): every goroutine drops its work within one chunk
// of nonces and asks the source again.
func (m *Miner) NewWork() {
	m.mu.Lock()
	m.gen.Add(1)
	close(m.newWork)
	m.newWork = make(chan struct{})
	m.mu.Unlock()
}

// Hashes returns the number of nonces tried so far.
func (m *Miner) Hashes() uint64 {
	return m.hashes.Load()
}

func (m *Miner) workSignal() <-chan struct{} {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.newWork
}

// work is one mining goroutine. Its extranonces begin with its index, so
// no two goroutines try the same header.
func (m *Miner) work(thread uint16, quit <-chan struct{}) {
	defer m.wg.Done()
	for {
		select {
		case <-quit:
			return
		default:
		}
		gen := m.gen.Load()
		signal := m.workSignal()
		tmpl, err := m.cfg.Source.BlockTemplate(m.cfg.PayoutScript)
		if err != nil {
			select {
			case <-quit:
				return
			case <-signal:
			case <-time.After(m.cfg.RetryDelay):
			}
			continue
		}
		m.mine(tmpl, thread, gen, quit)
	}
}

// mine searches a template until a block is found, the work changes or
// the miner stops.
func (m *Miner) mine(tmpl *Template, thread uint16, gen uint64, quit <-chan struct{}) {
	if tmpl.PowValue != nil {
		m.mineSlow(tmpl, thread, gen, quit)
		return
	}
	target := newHashTarget(blockchain.CompactToBig(tmpl.Header.Bits))
	for extra := uint64(thread) << 48; ; extra++ {
		block, err := m.assembleNow(tmpl, extra)
		if err != nil {
			return // a template the miner cannot use: ask again
		}
		ms, err := newMidstate(&block.Header)
		if err != nil {
			return
		}
		for start := uint64(0); start <= math.MaxUint32; start += chunk {
			select {
			case <-quit:
				return
			default:
			}
			if m.gen.Load() != gen {
				return
			}
			nonce, ok := ms.search(target, uint32(start), uint32(start+chunk-1))
			if ok {
				m.hashes.Add(uint64(nonce) - start + 1)
				block.Header.Nonce = nonce
				m.cfg.Found(block)
				return
			}
			m.hashes.Add(chunk)
		}
	}
}

// slowChunk is how many nonces mineSlow tries between looks at the quit
// channel and the work generation: a RandomX or Ethash hash takes
// milliseconds.
const slowChunk = 4

// mineSlow searches a template whose algorithm is not SHA-256d, one
// PowValue per nonce.
func (m *Miner) mineSlow(tmpl *Template, thread uint16, gen uint64, quit <-chan struct{}) {
	target := blockchain.CompactToBig(tmpl.Header.Bits)
	for extra := uint64(thread) << 48; ; extra++ {
		block, err := m.assembleNow(tmpl, extra)
		if err != nil {
			return
		}
		for nonce := uint64(0); nonce <= math.MaxUint32; nonce++ {
			if nonce%slowChunk == 0 {
				select {
				case <-quit:
					return
				default:
				}
				if m.gen.Load() != gen {
					return
				}
			}
			block.Header.Nonce = uint32(nonce)
			v, err := tmpl.PowValue(&block.Header)
			m.hashes.Add(1)
			if err != nil {
				return
			}
			if v.Cmp(target) <= 0 {
				m.cfg.Found(block)
				return
			}
		}
	}
}

// errTimeRange is assembleNow's refusal of a time past 2106.
var errTimeRange = errors.New("miner: block time out of the header's range")

// assembleNow assembles the template's block with an extranonce and the
// time now, or the template's earliest time if that is later.
func (m *Miner) assembleNow(tmpl *Template, extra uint64) (*headerchain.Block, error) {
	block, err := assemble(tmpl, extra)
	if err != nil {
		return nil, err
	}
	t := m.cfg.Now().Unix()
	if min := tmpl.Header.Timestamp.Unix(); t < min {
		t = min
	}
	if t > math.MaxUint32 {
		return nil, errTimeRange
	}
	block.Header.Timestamp = time.Unix(t, 0)
	return block, nil
}

// assemble builds the block of a template with an extranonce: a copy of
// the coinbase whose signature script ends with the extranonce pushed as
// 8 bytes, and the merkle root of §6 over the body.
func assemble(tmpl *Template, extra uint64) (*headerchain.Block, error) {
	if tmpl.Coinbase == nil || len(tmpl.Coinbase.TxIn) != 1 {
		return nil, errors.New("template without a coinbase")
	}
	var en [8]byte
	binary.LittleEndian.PutUint64(en[:], extra)
	push, err := txscript.NewScriptBuilder().AddData(en[:]).Script()
	if err != nil {
		return nil, err
	}
	cb := tmpl.Coinbase.Copy()
	cb.TxIn[0].SignatureScript = append(cb.TxIn[0].SignatureScript, push...)
	txs := make([]*wire.MsgTx, 0, 1+len(tmpl.Transactions))
	txs = append(txs, cb)
	txs = append(txs, tmpl.Transactions...)
	b := &headerchain.Block{Header: tmpl.Header, Transactions: txs}
	b.Header.MerkleRoot = sideblock.CalcBlockMerkleRoot(txs)
	b.Header.Nonce = 0
	return b, nil
}
