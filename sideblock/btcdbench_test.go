package sideblock_test

import (
	"os"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/database"
	_ "github.com/btcsuite/btcd/database/ffldb" // btcd's block database
	"github.com/btcsuite/btcd/mempool"
	"github.com/btcsuite/btcd/mining"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/sideblock"
)

// The benchmarks below compare the sidechain with btcd's own blockchain and
// mempool packages on the same P2WPKH spends. Both sides get the same
// funding transaction: the coinbase of sidechain block c0 is also the
// coinbase of btcd's block 1, and a fan-out transaction spending it after
// 100 blocks (btcd's and the sidechain's coinbase maturity) makes
// benchSpends outputs, each spent by one 1-in-1-out P2WPKH transaction.
const benchSpends = 10_000

// benchFixture is built once per process.
type benchFixture struct {
	k         *kit
	c0        *sideblock.Block
	fanTxs    []*wire.MsgTx      // the fan-outs, in btcd's block 101
	fanBlocks []*sideblock.Block // the fan-outs' sideblocks, at lottery heights 100 and 101
	spends    []*wire.MsgTx      // benchSpends spends of the fan-out outputs

	// btcd's chain: a network whose segwit deployment activates after
	// a short window, and the blocks up to the fan-out.
	params      chaincfg.Params
	btcdBlocks  []*btcutil.Block
	btcdBig     *btcutil.Block // a full 4,000,000 WU block of spends
	sideBig     *sideblock.Block
	bigSpends   int
	bigWeight   int64
	sideFanView *sideblock.MemUtxoView
}

var (
	benchOnce sync.Once
	benchFix  *benchFixture
)

func getBenchFixture(b *testing.B) *benchFixture {
	benchOnce.Do(func() { benchFix = newBenchFixture(b) })
	if benchFix == nil {
		b.Fatal("no fixture")
	}
	return benchFix
}

func newBenchFixture(b *testing.B) *benchFixture {
	k := newKit(b)
	f := &benchFixture{k: k}
	// c0's coinbase pays two outputs, each fanned out into half the
	// spends in a block of its own: the store bounds one mainchain
	// block's undo record, which one fan-out of benchSpends exceeds.
	half := k.params.SideSubsidy / 2
	cbTx, err := sideblock.NewCoinbaseTx(0, []byte("btcd bench"),
		wire.NewTxOut(half, k.script), wire.NewTxOut(half, k.script))
	if err != nil {
		b.Fatal(err)
	}
	f.c0 = sideblock.NewBlock(chainhash.Hash{}, []*wire.MsgTx{cbTx})
	cbOuts := outputs(cbTx)
	prevBlock := f.c0
	f.sideFanView = sideblock.NewMemUtxoView()
	for i, cb := range cbOuts {
		fan := k.spend([]spendable{cb}, 100_000, benchSpends/len(cbOuts))
		f.fanTxs = append(f.fanTxs, fan)
		prevBlock = k.child(prevBlock, int32(100+i), fee([]spendable{cb}, fan), fan)
		f.fanBlocks = append(f.fanBlocks, prevBlock)
		for _, s := range outputs(fan) {
			f.sideFanView.AddUtxo(s.op, &sideblock.Utxo{Value: s.out.Value, PkScript: s.out.PkScript})
			f.spends = append(f.spends, k.spend([]spendable{s}, 1000, 1))
		}
	}

	// btcd's regtest with a BIP9 window of 10 blocks, so that segwit
	// (and CSV) are active well before the fan-out at height 101.
	f.params = chaincfg.RegressionNetParams
	f.params.MinerConfirmationWindow = 10
	f.params.RuleChangeActivationThreshold = 8
	f.params.Checkpoints = nil

	prev := f.params.GenesisBlock
	target := blockchain.CompactToBig(f.params.PowLimitBits)
	mine := func(height int32, txs []*wire.MsgTx) *btcutil.Block {
		var cbTx *wire.MsgTx
		if height == 1 {
			cbTx = f.c0.Transactions[0].Copy()
		} else {
			script, err := txscript.NewScriptBuilder().AddInt64(int64(height)).
				AddData([]byte("btcd bench")).Script()
			if err != nil {
				b.Fatal(err)
			}
			cbTx = wire.NewMsgTx(1)
			cbTx.AddTxIn(wire.NewTxIn(wire.NewOutPoint(&chainhash.Hash{}, wire.MaxPrevOutIndex), script, nil))
			cbTx.AddTxOut(wire.NewTxOut(0, []byte{txscript.OP_TRUE}))
		}
		utxs := []*btcutil.Tx{btcutil.NewTx(cbTx)}
		for _, tx := range txs {
			utxs = append(utxs, btcutil.NewTx(tx))
		}
		if len(txs) > 0 {
			mining.AddWitnessCommitment(utxs[0], utxs)
		}
		msg := &wire.MsgBlock{Header: wire.BlockHeader{
			Version:    0x20000000 | 1<<0 | 1<<1 | 1<<2,
			PrevBlock:  prev.BlockHash(),
			MerkleRoot: blockchain.CalcMerkleRoot(utxs, false),
			// After BIP16's switch time, so that btcd checks P2SH and
			// witness programs.
			Timestamp: time.Unix(1_600_000_000+int64(height), 0),
			Bits:      f.params.PowLimitBits,
		}}
		for _, tx := range utxs {
			msg.Transactions = append(msg.Transactions, tx.MsgTx())
		}
		for {
			h := msg.Header.BlockHash()
			if blockchain.HashToBig(&h).Cmp(target) <= 0 {
				break
			}
			msg.Header.Nonce++
		}
		prev = msg
		return btcutil.NewBlock(msg)
	}
	for h := int32(1); h <= 100; h++ {
		f.btcdBlocks = append(f.btcdBlocks, mine(h, nil))
	}
	f.btcdBlocks = append(f.btcdBlocks, mine(101, f.fanTxs))

	// The full block: as many spends as fit in 4,000,000 WU with the
	// header, the coinbase and the varint count.
	weight := int64(80+5)*blockchain.WitnessScaleFactor + 2000 // header, count, coinbase
	n := 0
	for _, tx := range f.spends {
		w := blockchain.GetTransactionWeight(btcutil.NewTx(tx))
		if weight+w > blockchain.MaxBlockWeight {
			break
		}
		weight += w
		n++
	}
	f.bigSpends = n
	f.btcdBig = mine(102, f.spends[:n])
	f.bigWeight = blockchain.GetBlockWeight(f.btcdBig)
	if f.bigWeight > blockchain.MaxBlockWeight {
		b.Fatalf("block weight %d", f.bigWeight)
	}
	f.sideBig = k.block(chainhash.Hash{}, 102, int64(n)*1000, f.spends[:n]...)
	return f
}

// btcdChain returns a btcd chain with the fixture's blocks up to the
// fan-out, in a temporary ffldb database.
func (f *benchFixture) btcdChain(b *testing.B) *blockchain.BlockChain {
	dir, err := os.MkdirTemp("", "btcdbench")
	if err != nil {
		b.Fatal(err)
	}
	db, err := database.Create("ffldb", dir, f.params.Net)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		db.Close()
		os.RemoveAll(dir)
	})
	chain, err := blockchain.New(&blockchain.Config{
		DB:          db,
		ChainParams: &f.params,
		TimeSource:  blockchain.NewMedianTime(),
		// btcd's default --utxocachemaxsize: with none, its UTXO
		// cache degenerates into many tiny maps.
		UtxoCacheMaxSize: 250 * 1024 * 1024,
	})
	if err != nil {
		b.Fatal(err)
	}
	for _, blk := range f.btcdBlocks {
		if _, _, err := chain.ProcessBlock(blk, blockchain.BFNone); err != nil {
			b.Fatalf("btcd block %d: %v", blk.Height(), err)
		}
	}
	return chain
}

// BenchmarkBlockValidation validates a full block of P2WPKH spends: the
// sidechain's CheckBlockSanity, CheckConnectBlock and ApplyBlock on an
// in-memory view of the fan-out's outputs, and btcd's ProcessBlock on a
// chain whose tip is the fan-out block, with the same spends. The
// sidechain's body limit (MaxBlockSize, 1,000,000 bytes counting witnesses
// in full) is below this block's size: it is lifted for the benchmark.
// btcd's figure includes writing the block to its database; the
// sidechain's does not include its store.
func BenchmarkBlockValidation(b *testing.B) {
	f := getBenchFixture(b)
	b.Logf("%d spends, %d WU, %d bytes", f.bigSpends, f.bigWeight, f.btcdBig.MsgBlock().SerializeSize())

	side := func() sample {
		view := f.sideFanView.Clone()
		// The body is above MaxBlockSize: the sidechain's limit counts
		// witnesses in full.
		restore := sideblock.SetMaxBodySize(2 * sideblock.MaxBlockSize)
		defer restore()
		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime(b)
		if err := sideblock.CheckBlockSanity(f.sideBig, f.k.params); err != nil {
			b.Fatal(err)
		}
		if _, _, err := sideblock.CheckConnectBlock(f.sideBig, 102, view, f.k.params); err != nil {
			b.Fatal(err)
		}
		if _, err := sideblock.ApplyBlock(view, f.sideBig); err != nil {
			b.Fatal(err)
		}
		s := sample{time.Since(start), cpuTime(b) - cpu0}
		b.StopTimer()
		return s
	}
	btcd := func() sample {
		chain := f.btcdChain(b)
		// A fresh block value: btcd caches the serialized size and
		// hashes in it.
		blk := btcutil.NewBlock(f.btcdBig.MsgBlock())
		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime(b)
		isMain, _, err := chain.ProcessBlock(blk, blockchain.BFNone)
		if err != nil || !isMain {
			b.Fatalf("btcd: main chain %v, %v", isMain, err)
		}
		s := sample{time.Since(start), cpuTime(b) - cpu0}
		b.StopTimer()
		return s
	}
	alternate(b, side, btcd)
}

// BenchmarkMempoolAccept adds benchSpends P2WPKH spends to an empty mempool
// on a tip with the fan-out's outputs: the sidechain's Mempool on its
// store-backed chain, and btcd's mempool on btcd's chain.
func BenchmarkMempoolAccept(b *testing.B) {
	f := getBenchFixture(b)

	ms := newMainSim(b)
	ms.stageNext(f.c0)
	ms.advanceTo(100)
	for _, blk := range f.fanBlocks {
		if res := ms.stageNext(blk); len(res.Connected) != 1 {
			b.Fatalf("fan-out not connected: %+v", res)
		}
	}
	side := func() sample {
		pool := sideblock.NewMempool(ms.chain, ms.params, sideblock.MempoolConfig{})
		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime(b)
		for _, tx := range f.spends {
			if err := pool.Add(tx); err != nil {
				b.Fatal(err)
			}
		}
		s := sample{time.Since(start), cpuTime(b) - cpu0}
		b.StopTimer()
		return s
	}
	chain := f.btcdChain(b)
	btcd := func() sample {
		pool := mempool.New(&mempool.Config{
			Policy: mempool.Policy{
				MaxTxVersion:      2,
				MaxOrphanTxs:      100,
				MaxOrphanTxSize:   100_000,
				MaxSigOpCostPerTx: blockchain.MaxBlockSigOpsCost / 4,
				MinRelayTxFee:     1000,
				FreeTxRelayLimit:  15,
			},
			ChainParams:    &f.params,
			FetchUtxoView:  chain.FetchUtxoView,
			BestHeight:     func() int32 { return chain.BestSnapshot().Height },
			MedianTimePast: func() time.Time { return chain.BestSnapshot().MedianTime },
			CalcSequenceLock: func(tx *btcutil.Tx, view *blockchain.UtxoViewpoint) (*blockchain.SequenceLock, error) {
				return chain.CalcSequenceLock(tx, view, true)
			},
			IsDeploymentActive: chain.IsDeploymentActive,
			// Fresh caches, as btcd's server makes them: no
			// signature is in them when a spend arrives.
			SigCache:  txscript.NewSigCache(100_000),
			HashCache: txscript.NewHashCache(100_000),
		})
		txs := make([]*btcutil.Tx, len(f.spends))
		for j, tx := range f.spends {
			txs[j] = btcutil.NewTx(tx)
		}
		b.StartTimer()
		start, cpu0 := time.Now(), cpuTime(b)
		for _, tx := range txs {
			if _, err := pool.ProcessTransaction(tx, false, false, 0); err != nil {
				b.Fatal(err)
			}
		}
		s := sample{time.Since(start), cpuTime(b) - cpu0}
		b.StopTimer()
		return s
	}
	alternate(b, side, btcd)
}

// sample is one side's measured part: its wall-clock time and the CPU
// time (user and system, all threads) the process spent meanwhile. On a
// machine shared with other work, the CPU time is the steadier figure;
// the wall-clock time shows the use of both cores.
type sample struct {
	wall, cpu time.Duration
}

// cpuTime returns the CPU time the process has used.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// alternate runs side and btcd b.N times each, alternating which goes
// first, and reports per run each side's wall-clock and CPU time and
// their ratios, btcd/side: above 1 the sidechain is faster. Each function
// measures its own part, with the benchmark's timer running only there;
// its set-up is not measured. ns/op is the wall-clock sum of both sides.
func alternate(b *testing.B, side, btcd func() sample) {
	b.ResetTimer() // not the fixture
	b.StopTimer()
	var sideT, btcdT sample
	add := func(t *sample, s sample) {
		t.wall += s.wall
		t.cpu += s.cpu
	}
	for i := 0; i < b.N; i++ {
		if i%2 == 0 {
			add(&sideT, side())
			add(&btcdT, btcd())
		} else {
			add(&btcdT, btcd())
			add(&sideT, side())
		}
	}
	n := float64(b.N)
	b.ReportMetric(float64(sideT.wall.Nanoseconds())/n, "side-ns/op")
	b.ReportMetric(float64(btcdT.wall.Nanoseconds())/n, "btcd-ns/op")
	b.ReportMetric(float64(btcdT.wall)/float64(sideT.wall), "btcd/side")
	b.ReportMetric(float64(sideT.cpu.Nanoseconds())/n, "side-cpu-ns/op")
	b.ReportMetric(float64(btcdT.cpu.Nanoseconds())/n, "btcd-cpu-ns/op")
	b.ReportMetric(float64(btcdT.cpu)/float64(sideT.cpu), "btcd/side-cpu")
}
