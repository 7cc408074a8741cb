package miner

import (
	"errors"
	"math/big"
	"math/rand"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/pow/headerchain"
	"github.com/mainstake/sidenode/pow/headerchain/blocktests"
	"github.com/mainstake/sidenode/sideblock"
)

// TestMidstateMatchesBlockHash checks the midstate hash against
// header.BlockHash() for random headers, times and nonces.
func TestMidstateMatchesBlockHash(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for i := 0; i < 200; i++ {
		h := wire.BlockHeader{
			Version:   rng.Int31(),
			Timestamp: time.Unix(int64(rng.Uint32()), 0),
			Bits:      rng.Uint32(),
		}
		rng.Read(h.PrevBlock[:])
		rng.Read(h.MerkleRoot[:])
		ms, err := newMidstate(&h)
		if err != nil {
			t.Fatal(err)
		}
		for j := 0; j < 5; j++ {
			if j == 3 {
				h.Timestamp = time.Unix(int64(rng.Uint32()), 0)
				ms.setTime(uint32(h.Timestamp.Unix()))
			}
			h.Nonce = rng.Uint32()
			if got, want := ms.hash(h.Nonce), h.BlockHash(); got != want {
				t.Fatalf("header %d nonce %d: midstate %v, want %v",
					i, h.Nonce, got, want)
			}
		}
	}
}

// TestHashTarget checks the byte comparison against btcd's big-number one.
func TestHashTarget(t *testing.T) {
	rng := rand.New(rand.NewSource(2))
	for i := 0; i < 2000; i++ {
		var h chainhash.Hash
		rng.Read(h[:])
		// Targets near the hash, equal to it, and random.
		tb := blockchain.HashToBig(&h)
		switch i % 4 {
		case 0:
			tb.Add(tb, big.NewInt(1))
		case 1:
			if tb.Sign() > 0 {
				tb.Sub(tb, big.NewInt(1))
			}
		case 2:
		case 3:
			var r chainhash.Hash
			rng.Read(r[:])
			tb = blockchain.HashToBig(&r)
		}
		want := blockchain.HashToBig(&h).Cmp(tb) <= 0
		if got := newHashTarget(tb).met(&h); got != want {
			t.Fatalf("hash %v target %x: met %v, want %v", h, tb, got, want)
		}
	}
}

// indexSource builds templates on an index's best tip.
type indexSource struct {
	ix *headerchain.Index
}

func (s indexSource) BlockTemplate(payout []byte) (*Template, error) {
	tip := s.ix.Best()
	cb, err := sideblock.NewCoinbaseTx(tip.Height()+1, nil,
		wire.NewTxOut(0, payout))
	if err != nil {
		return nil, err
	}
	return &Template{
		Header: wire.BlockHeader{
			Version:   1,
			PrevBlock: tip.Hash(),
			Timestamp: tip.MedianTimePast().Add(time.Second),
			Bits:      blocktests.Bits,
		},
		Coinbase: cb,
	}, nil
}

// TestMinerFindsValidBlocks mines blocks with two goroutines and feeds
// them to an index, which must accept every one.
func TestMinerFindsValidBlocks(t *testing.T) {
	ix, err := headerchain.New(blocktests.Config())
	if err != nil {
		t.Fatal(err)
	}
	payout := []byte{txscript.OP_TRUE}
	found := make(chan error, 64)
	var m *Miner
	m, err = New(Config{
		Threads:      2,
		PayoutScript: payout,
		Source:       indexSource{ix},
		Now:          func() time.Time { return blocktests.Now },
		Found: func(b *headerchain.Block) {
			_, err := ix.ProcessBlock(b)
			if err == nil && string(b.Transactions[0].TxOut[0].PkScript) != string(payout) {
				err = errors.New("coinbase does not pay the payout script")
			}
			m.NewWork()
			select {
			case found <- err:
			default:
			}
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	m.Start()
	// Both threads can solve the same template before NewWork reaches
	// them: the second block is valid too, beside the tip, so mine until
	// the tip is 5 high, every block accepted.
	for i := 0; ix.Best().Height() < 5; i++ {
		if i == 50 {
			m.Stop()
			t.Fatalf("tip at height %d after %d blocks", ix.Best().Height(), i)
		}
		if err := <-found; err != nil {
			m.Stop()
			t.Fatalf("block %d: %v", i, err)
		}
	}
	m.Stop()
	if m.Hashes() == 0 {
		t.Fatal("no hashes counted")
	}
}

// stuckSource hands out a template no nonce can solve and reports each
// call; its first calls can fail.
type stuckSource struct {
	mu    sync.Mutex
	fails int
	calls chan struct{}
}

func (s *stuckSource) BlockTemplate(payout []byte) (*Template, error) {
	s.calls <- struct{}{}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.fails > 0 {
		s.fails--
		return nil, errors.New("no template yet")
	}
	cb, err := sideblock.NewCoinbaseTx(1, []byte("stuck"), wire.NewTxOut(0, payout))
	if err != nil {
		return nil, err
	}
	return &Template{
		Header:   wire.BlockHeader{Version: 1, Bits: 0x01010000}, // target 1
		Coinbase: cb,
	}, nil
}

// TestMinerNewWorkAndStop checks that a failed template is asked for again
// on NewWork (not after the retry delay, which is an hour), that NewWork
// makes a mining goroutine drop its work and ask again, and that nothing is
// hashed after Stop returns.
func TestMinerNewWorkAndStop(t *testing.T) {
	src := &stuckSource{fails: 1, calls: make(chan struct{}, 16)}
	m, err := New(Config{
		PayoutScript: []byte{txscript.OP_TRUE},
		Source:       src,
		Found:        func(*headerchain.Block) { t.Error("found a block") },
		RetryDelay:   time.Hour,
	})
	if err != nil {
		t.Fatal(err)
	}
	m.Start()
	<-src.calls // fails
	m.NewWork()
	<-src.calls // mining
	m.NewWork()
	<-src.calls // dropped the old work, mining again
	m.Stop()
	after := m.Hashes()
	m.Stop() // a second Stop is harmless
	if m.Hashes() != after {
		t.Fatal("hashing went on after Stop")
	}
	select {
	case <-src.calls:
		t.Fatal("a template was asked for after Stop")
	default:
	}
}

func TestNewValidatesConfig(t *testing.T) {
	src := &stuckSource{calls: make(chan struct{}, 1)}
	found := func(*headerchain.Block) {}
	bad := []Config{
		{Source: src, Found: found},
		{PayoutScript: []byte{1}, Found: found},
		{PayoutScript: []byte{1}, Source: src},
		{PayoutScript: []byte{1}, Source: src, Found: found, Threads: -1},
	}
	for i, c := range bad {
		if _, err := New(c); err == nil {
			t.Errorf("config %d accepted", i)
		}
	}
}
