package federation

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/lottery"
	"github.com/mainstake/sidenode/mainstake"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/nodeapi"
	"github.com/mainstake/sidenode/opreturn"
	"github.com/mainstake/sidenode/pegbox"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
	"github.com/mainstake/sidenode/wallet"
)

// The synthetic mainchains of the federation's tests, as nodeapi's tests
// have them.

// pegSim is an in-memory store whose mainchain blocks are synthetic and
// run the pegbox index alone (as nodeapi's tests have it).
type pegSim struct {
	t       testing.TB
	p       *chainparams.Params
	db      *store.DB
	x       *pegbox.Index
	hashes  []chainhash.Hash
	stakers []pegbox.Staker
	n       uint32 // spends a new fake outpoint per transaction
}

func newPegSim(t testing.TB) *pegSim {
	t.Helper()
	p := &chainparams.Regtest
	db, err := store.Open("", store.Options{InMemory: true,
		Genesis: *p.Main.GenesisHash, Network: p.Name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	x, err := pegbox.NewIndex(db, p, mainwatch.NewWatchList())
	if err != nil {
		t.Fatal(err)
	}
	return &pegSim{t: t, p: p, db: db, x: x}
}

// connect connects the next mainchain block with txs.
func (s *pegSim) connect(txs ...*wire.MsgTx) {
	s.t.Helper()
	height := int32(len(s.hashes))
	hdr := s.p.Main.GenesisBlock.Header
	if height > 0 {
		hdr = wire.BlockHeader{PrevBlock: s.hashes[height-1], Nonce: uint32(height)}
	}
	b := &mainwatch.Block{Height: height, Hash: hdr.BlockHash(), Header: hdr}
	for i, tx := range txs {
		b.Txs = append(b.Txs, mainwatch.Tx{Index: i + 1, MsgTx: tx})
	}
	err := s.db.ConnectBlock(store.BlockID{Height: height, Hash: b.Hash}, hdr.PrevBlock,
		func(w *store.Writer) error {
			_, err := s.x.ConnectBlock(w, b, pegbox.StakerList(s.stakers))
			return err
		})
	if err != nil {
		s.t.Fatal(err)
	}
	s.hashes = append(s.hashes, b.Hash)
}

// to connects empty blocks up to height.
func (s *pegSim) to(height int32) {
	for int32(len(s.hashes)) <= height {
		s.connect()
	}
}

// tx returns a transaction with outs that spends a fake outpoint.
func (s *pegSim) tx(outs ...*wire.TxOut) *wire.MsgTx {
	s.n++
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: chainhash.Hash{0xfe}, Index: s.n}, nil, nil))
	for _, o := range outs {
		tx.AddTxOut(o)
	}
	return tx
}

// nullData returns the 'D' OP_RETURN naming vout and side.
func (s *pegSim) nullData(vout uint8, side []byte) *wire.TxOut {
	s.t.Helper()
	script, err := opreturn.Encode(s.p.SidechainID, &opreturn.Deposit{Vout: vout, SideScript: side})
	if err != nil {
		s.t.Fatal(err)
	}
	return wire.NewTxOut(0, script)
}

func pegKeys(t testing.TB, n int) []*btcec.PrivateKey {
	t.Helper()
	var out []*btcec.PrivateKey
	for i := 0; i < n; i++ {
		k, _ := btcec.PrivKeyFromBytes(bytes.Repeat([]byte{byte(i + 1)}, 32))
		out = append(out, k)
	}
	return out
}

func stakersWeighing(privs []*btcec.PrivateKey) []pegbox.Staker {
	var out []pegbox.Staker
	for i, k := range privs {
		out = append(out, pegbox.Staker{PubKey: k.PubKey(), Weight: lottery.Uint128{Lo: uint64(1000 - i)}})
	}
	return out
}

// sideSim is an API adapter (b) on an in-memory store, a sidechain whose
// mainchain blocks are synthetic (as sideblock's tests drive it), and a
// wallet whose sidechain key the coinbases pay. With peg set, every
// mainchain block also runs the pegbox index, on mainTxs and with stakers.
type sideSim struct {
	t       *testing.T
	b       *nodeapi.Adapter
	params  *chainparams.Params
	wallet  *wallet.Wallet
	db      *store.DB
	chain   *sideblock.Chain
	pool    *sideblock.Mempool
	own     []byte
	mainTip int32
	hashes  []chainhash.Hash

	peg     *pegbox.Index
	stakers []pegbox.Staker
	mainTxs []*wire.MsgTx // the next mainchain block's transactions
}

const simSubsidy = 50_000_000

func newSideSim(t *testing.T) *sideSim {
	t.Helper()
	params := chainparams.Regtest
	params.SideSubsidy = simSubsidy
	db, err := store.Open("", store.Options{InMemory: true,
		Genesis: *chaincfg.RegressionNetParams.GenesisHash, Network: "regtest"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	keys, err := wallet.NewKeyring(make([]byte, 32), params.Main)
	if err != nil {
		t.Fatal(err)
	}
	wlt, err := wallet.New(keys, db, mainwatch.NewWatchList(), params.Main)
	if err != nil {
		t.Fatal(err)
	}
	chain, err := sideblock.NewChain(db, &params)
	if err != nil {
		t.Fatal(err)
	}
	pool := sideblock.NewMempool(chain, &params, sideblock.MempoolConfig{})
	s := &sideSim{t: t, db: db, chain: chain, pool: pool, mainTip: -1,
		params: &params, wallet: wlt,
		b: nodeapi.New(nodeapi.Env{Params: &params, DB: db, Wallet: wlt, Sidechain: chain, Mempool: pool})}
	if _, _, s.own, err = wlt.SideKey(params.Side); err != nil {
		t.Fatal(err)
	}
	s.next(nil)
	return s
}

// next connects the next mainchain block, publishing block in it.
func (s *sideSim) next(block *sideblock.Block) {
	s.t.Helper()
	h := s.mainTip + 1
	hash := *chaincfg.RegressionNetParams.GenesisHash
	var prev chainhash.Hash
	if h > 0 {
		hash = chainhash.DoubleHashH([]byte(fmt.Sprintf("main/%d", h)))
		prev = s.hashes[h-1]
	}
	var pub *mainstake.Publication
	if block != nil {
		if err := s.chain.StageOwnBody(block); err != nil {
			s.t.Fatal(err)
		}
		pub = &mainstake.Publication{Height: h,
			TxID:   chainhash.DoubleHashH([]byte(fmt.Sprintf("pub/%d", h))),
			Header: opreturn.Header{PrevBlock: block.Header.PrevBlock, MerkleRoot: block.Header.MerkleRoot}}
	}
	var res *sideblock.Result
	mb := &mainwatch.Block{Height: h, Hash: hash}
	for i, tx := range s.mainTxs {
		mb.Txs = append(mb.Txs, mainwatch.Tx{Index: i + 1, MsgTx: tx})
	}
	s.mainTxs = nil
	err := s.db.ConnectBlock(store.BlockID{Height: h, Hash: hash}, prev, func(w *store.Writer) error {
		if s.peg != nil {
			_, err := s.peg.ConnectBlock(w, mb, pegbox.StakerList(s.stakers))
			if err != nil {
				return err
			}
		}
		var err error
		res, err = s.chain.ConnectMainBlock(w, h, pub)
		return err
	})
	if err != nil {
		s.t.Fatal(err)
	}
	if err := s.chain.Committed(); err != nil {
		s.t.Fatal(err)
	}
	if err := s.pool.ProcessResult(res); err != nil {
		s.t.Fatal(err)
	}
	s.mainTip = h
	s.hashes = append(s.hashes, hash)
}

// produce builds a block on the tip from the mempool, paying the node, and
// publishes it in the next mainchain block.
func (s *sideSim) produce() *sideblock.Block {
	s.t.Helper()
	var block *sideblock.Block
	err := s.db.View(func(r store.Reader) error {
		var err error
		block, err = s.chain.NewBlockTemplate(r, s.mainTip, s.own, s.pool.Select(sideblock.TemplateTxBytes))
		return err
	})
	if err != nil {
		s.t.Fatal(err)
	}
	s.next(block)
	if h, _, _ := s.chain.Tip(); h != block.BlockHash() {
		s.t.Fatalf("produced block %v did not connect", block.BlockHash())
	}
	return block
}

// mainAddress returns a regtest mainchain P2WPKH address and its script.
func mainAddress(t testing.TB, seed string) (string, []byte) {
	t.Helper()
	priv, _ := btcec.PrivKeyFromBytes(chainhash.DoubleHashB([]byte(seed)))
	addr, err := btcutil.NewAddressWitnessPubKeyHash(
		btcutil.Hash160(priv.PubKey().SerializeCompressed()), &chaincfg.RegressionNetParams)
	if err != nil {
		t.Fatal(err)
	}
	script, err := txscript.PayToAddrScript(addr)
	if err != nil {
		t.Fatal(err)
	}
	return addr.EncodeAddress(), script
}
