package node

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/btctest"
	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/mainstake"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/opreturn"
	"github.com/mainstake/sidenode/pegbox"
	"github.com/mainstake/sidenode/store"
)

// diffNode is the node's chain (store, ticket and pegbox indexes, sidechain)
// following btcd in this process through one backend, without a wallet,
// the API or peers: what the differential test compares.
type diffNode struct {
	t    *testing.T
	name string
	cfg  Config

	db       *store.DB
	src      source
	chain    *storeChain
	follower *mainwatch.Follower
	cancel   context.CancelFunc
	done     chan error
}

func newDiffNode(t *testing.T, h *btctest.Harness, name, backend string) *diffNode {
	cfg := DefaultConfig()
	cfg.Network = "regtest"
	cfg.DataDir = t.TempDir()
	cfg.MainWatch.Backend = backend
	cfg.Btcd.RPCHost = h.RPCAddr
	cfg.Btcd.RPCUser = h.RPCUser
	cfg.Btcd.RPCPass = h.RPCPass
	cfg.Btcd.RPCCert = h.CertPath
	cfg.Neutrino.Connect = []string{h.P2PAddr}
	n := &diffNode{t: t, name: name, cfg: cfg}
	t.Cleanup(n.stop)
	return n
}

func (n *diffNode) start() {
	n.t.Helper()
	db, err := OpenStore(&n.cfg)
	if err != nil {
		n.t.Fatal(err)
	}
	src, err := newSource(&n.cfg)
	if err != nil {
		n.t.Fatal(err)
	}
	if err := src.Start(); err != nil {
		n.t.Fatal(err)
	}
	watch := mainwatch.NewWatchList()
	params, err := chainparams.ByName(n.cfg.Network)
	if err != nil {
		n.t.Fatal(err)
	}
	chain, err := newStoreChain(params, db, watch, nil, false)
	if err != nil {
		n.t.Fatal(err)
	}
	n.db, n.src, n.chain = db, src, chain
	n.follower = mainwatch.NewFollower(src, chain, watch, chain)
	ctx, cancel := context.WithCancel(context.Background())
	n.cancel, n.done = cancel, make(chan error, 1)
	go func() { n.done <- n.follower.Run(ctx) }()
}

func (n *diffNode) stop() {
	if n.cancel == nil {
		return
	}
	n.cancel()
	<-n.done
	_ = n.src.Stop()
	if err := n.db.Close(); err != nil {
		n.t.Errorf("%s: close store: %v", n.name, err)
	}
	n.cancel = nil
}

// waitTip waits until the node has applied btcd's best block.
func (n *diffNode) waitTip(h *btctest.Harness) {
	n.t.Helper()
	height, hash, err := h.Tip()
	if err != nil {
		n.t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	for {
		tip, err := n.chain.Tip()
		if err != nil {
			n.t.Fatal(err)
		}
		if tip.Height == height && tip.Hash == hash {
			return
		}
		select {
		case err := <-n.done:
			n.t.Fatalf("%s: follower stopped: %v", n.name, err)
		case <-ctx.Done():
			n.t.Fatalf("%s: at %v, btcd at %d:%v", n.name, tip, height, hash)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// diffKey is a staker's key with its publisher script.
type diffKey struct {
	priv   *btcec.PrivateKey
	script []byte
}

func newDiffKey(t *testing.T) diffKey {
	priv, err := btcec.NewPrivateKey()
	if err != nil {
		t.Fatal(err)
	}
	script, err := mainstake.PublisherScript(priv.PubKey())
	if err != nil {
		t.Fatal(err)
	}
	return diffKey{priv: priv, script: script}
}

// spend signs a transaction spending op, an output of value paying the
// key's script, to the outputs outs (the fee is what they leave).
func (k diffKey) spend(t *testing.T, op wire.OutPoint, value int64, outs ...*wire.TxOut) *wire.MsgTx {
	t.Helper()
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(&op, nil, nil))
	for _, o := range outs {
		tx.AddTxOut(o)
	}
	fetcher := txscript.NewCannedPrevOutputFetcher(k.script, value)
	wit, err := txscript.WitnessSignature(tx, txscript.NewTxSigHashes(tx, fetcher),
		0, value, k.script, txscript.SigHashAll, k.priv, true)
	if err != nil {
		t.Fatal(err)
	}
	tx.TxIn[0].Witness = wit
	return tx
}

// differential runs the scenario of TestDeliveryDifferential.
type differential struct {
	t      *testing.T
	h      *btctest.Harness
	params *chainparams.Params

	live, restarted, light *diffNode
	steps                  int

	k1 diffKey // the staker that stays live throughout
}

const diffPublisherValue = 100_000

// register returns a funded, signed stake registration of key.
func (d *differential) register(k diffKey, value int64) *wire.MsgTx {
	d.t.Helper()
	height, _, err := d.h.Tip()
	if err != nil {
		d.t.Fatal(err)
	}
	reg, err := mainstake.BuildRegistration(d.params, value, uint32(height+1000),
		k.priv.PubKey(), diffPublisherValue)
	if err != nil {
		d.t.Fatal(err)
	}
	tx, err := d.h.Fund(reg.TxOut, 2)
	if err != nil {
		d.t.Fatal(err)
	}
	return tx
}

// header returns a header transaction of key spending op, a publisher
// output worth value.
func (d *differential) header(k diffKey, op wire.OutPoint, value int64, tag byte) *wire.MsgTx {
	d.t.Helper()
	ticket := &mainstake.Ticket{Current: op, CurrentValue: value}
	ticket.PubKey = k.priv.PubKey()
	tx, err := mainstake.BuildHeaderTx(ticket, &opreturn.Header{PrevBlock: chainhash.Hash{tag}},
		d.params.SidechainID, 2, k.priv)
	if err != nil {
		d.t.Fatal(err)
	}
	return tx
}

// mine mines a block of exactly txs.
func (d *differential) mine(txs ...*wire.MsgTx) {
	d.t.Helper()
	if _, err := d.h.MineBlock(txs); err != nil {
		d.t.Fatal(err)
	}
}

// check brings every node to btcd's tip, the restarted one through a
// stop and a start, and compares their state hashes.
func (d *differential) check(step string) {
	d.t.Helper()
	d.steps++
	d.restarted.stop()
	d.restarted.start()
	nodes := []*diffNode{d.live, d.restarted, d.light}
	d.compare(step, nodes)
}

// compare checks that nodes hold the same state hash at every height of
// the chain, and that each node's hash at its tip is what a full scan of
// its store gives.
func (d *differential) compare(step string, nodes []*diffNode) {
	d.t.Helper()
	var tip store.BlockID
	for i, n := range nodes {
		n.waitTip(d.h)
		id, _, err := StateHash(n.db)
		if err != nil {
			d.t.Fatal(err)
		}
		// What the store kept block by block is what a full scan gives.
		if err := n.db.VerifyStateHash(); err != nil {
			d.t.Fatalf("%s: %s: %v", step, n.name, err)
		}
		if i > 0 && id != tip {
			d.t.Fatalf("%s: %s is at %v, %s at %v", step, n.name, id, nodes[0].name, tip)
		}
		tip = id
	}
	for height := tip.Height; height >= 0; height-- {
		var want chainhash.Hash
		for i, n := range nodes {
			id, hash, err := n.db.StateHash(height)
			if err != nil {
				d.t.Fatalf("%s: %s: state hash at %d: %v", step, n.name, height, err)
			}
			if i == 0 {
				want = hash
				continue
			}
			if hash != want {
				d.t.Fatalf("%s: %s has state hash %v at %v, %s has %v",
					step, n.name, hash, id, nodes[0].name, want)
			}
		}
	}
}

// ticket returns the ticket registered by the transaction regTxID.
func (d *differential) ticket(n *diffNode, regTxID chainhash.Hash) *mainstake.Ticket {
	d.t.Helper()
	var found *mainstake.Ticket
	err := n.db.View(func(r store.Reader) error {
		tickets, err := mainstake.Tickets(r)
		if err != nil {
			return err
		}
		for _, t := range tickets {
			if t.Registration.TxHash == regTxID {
				found = t
			}
		}
		return nil
	})
	if err != nil {
		d.t.Fatal(err)
	}
	if found == nil {
		d.t.Fatalf("%s: no ticket registered by %v", n.name, regTxID)
	}
	return found
}

// TestDeliveryDifferential follows one mainchain, built from named blocks
// of same-block spends, with a node that runs throughout, a node
// restarted between every step, and a neutrino node, and at the end a
// node synced fresh from the final chain; after every step their state
// hashes must agree at every height of the chain (docs/protocol.md §1.3).
func TestDeliveryDifferential(t *testing.T) {
	h := btctest.NewForTest(t, btctest.Options{})
	if _, err := h.Generate(120); err != nil {
		t.Fatal(err)
	}
	d := &differential{t: t, h: h, params: &chainparams.Regtest}
	d.live = newDiffNode(t, h, "live", BackendBtcd)
	d.restarted = newDiffNode(t, h, "restarted", BackendBtcd)
	d.light = newDiffNode(t, h, "neutrino", BackendNeutrino)
	for _, n := range []*diffNode{d.live, d.restarted, d.light} {
		n.start()
	}
	d.check("start")

	other := newDiffKey(t)
	pay := func(v int64) *wire.TxOut { return wire.NewTxOut(v, other.script) }

	// A new ticket's publisher output spent in its own block by a header
	// transaction: the ticket's chain moves on to the header's output.
	k1 := newDiffKey(t)
	d.k1 = k1
	reg1 := d.register(k1, 1_000_000)
	hdr1 := d.header(k1, wire.OutPoint{Hash: reg1.TxHash(), Index: 2}, diffPublisherValue, 1)
	// And the header's new publisher output spent again by a second one.
	hdr1b := d.header(k1, wire.OutPoint{Hash: hdr1.TxHash(), Index: 1}, hdr1.TxOut[1].Value, 2)
	k5 := newDiffKey(t)
	reg5 := d.register(k5, 1_200_000)
	d.mine(reg1, hdr1, hdr1b, reg5)
	d.check("publisher output spent by headers in its own block")
	if tk := d.ticket(d.live, reg1.TxHash()); tk.Current != (wire.OutPoint{Hash: hdr1b.TxHash(), Index: 1}) || !tk.Live() {
		t.Fatalf("ticket 1 is at %v (live %v), want the second header's output", tk.Current, tk.Live())
	}

	// A new ticket's publisher output spent in its own block by a plain
	// spend: the chain ends there, and the ticket no longer weighs.
	k2 := newDiffKey(t)
	reg2 := d.register(k2, 2_000_000)
	plain2 := k2.spend(t, wire.OutPoint{Hash: reg2.TxHash(), Index: 2}, diffPublisherValue,
		pay(diffPublisherValue-1_000))
	d.mine(reg2, plain2)
	d.check("publisher output spent by a plain spend in its own block")
	if tk := d.ticket(d.live, reg2.TxHash()); tk.Live() {
		t.Fatalf("ticket 2 is still live at %v", tk.Current)
	}

	// The same key registers again, after its first chain ended, with a
	// same-block spend; a payment to the key's script alone, later, is
	// no protocol transaction.
	reg3 := d.register(k2, 1_500_000)
	hdr3 := d.header(k2, wire.OutPoint{Hash: reg3.TxHash(), Index: 2}, diffPublisherValue, 3)
	plain3 := k2.spend(t, wire.OutPoint{Hash: hdr3.TxHash(), Index: 1}, hdr3.TxOut[1].Value,
		pay(hdr3.TxOut[1].Value-1_000))
	d.mine(reg3, hdr3, plain3)
	d.check("a reused key's new ticket spent in its own block")
	if tk := d.ticket(d.live, reg3.TxHash()); tk.Live() {
		t.Fatalf("ticket 3 is still live at %v", tk.Current)
	}
	toKey, err := h.Fund([]*wire.TxOut{wire.NewTxOut(50_000, k2.script)}, 2)
	if err != nil {
		t.Fatal(err)
	}
	d.mine(toKey)
	d.check("a payment to a reused key's script")

	// A block with same-block spends is reorganized away and replaced by
	// one with other same-block spends of the same registration.
	k4 := newDiffKey(t)
	reg4 := d.register(k4, 3_000_000)
	plain4 := k4.spend(t, wire.OutPoint{Hash: reg4.TxHash(), Index: 2}, diffPublisherValue,
		pay(diffPublisherValue-1_000))
	d.mine(reg4, plain4)
	d.check("a block with a plain same-block spend")
	if err := h.Client().InvalidateBlock(mustTipHash(t, h)); err != nil {
		t.Fatal(err)
	}
	hdr4 := d.header(k4, wire.OutPoint{Hash: reg4.TxHash(), Index: 2}, diffPublisherValue, 4)
	d.mine(reg4, hdr4)
	d.mine()
	d.check("replaced by a block with a header same-block spend")
	if tk := d.ticket(d.live, reg4.TxHash()); !tk.Live() ||
		tk.Current != (wire.OutPoint{Hash: hdr4.TxHash(), Index: 1}) {
		t.Fatalf("ticket 4 is at %v (live %v), want the header's output", tk.Current, tk.Live())
	}

	// A reorg below the restarted node's start: the restart rebuilt its
	// watch list from the state after the first header of ticket 4, and
	// the undo must put ticket 4's registration output back on it.
	if err := h.Client().InvalidateBlock(mustHashAt(t, h, -1)); err != nil {
		t.Fatal(err)
	}
	plain4b := k4.spend(t, wire.OutPoint{Hash: reg4.TxHash(), Index: 2}, diffPublisherValue,
		pay(diffPublisherValue-2_000))
	d.mine(reg4)
	d.mine(plain4b)
	d.mine()
	d.check("replaced again: registration, then a spend in the next block")
	if tk := d.ticket(d.live, reg4.TxHash()); tk.Live() {
		t.Fatalf("ticket 4 is still live at %v", tk.Current)
	}

	// A ticket's header in a block that a reorg replaces with a block
	// spending the publisher output the header spent: the restarted
	// node rebuilt its watch list after the header, and the undo must
	// put the older output back on it.
	hdr5 := d.header(k5, wire.OutPoint{Hash: reg5.TxHash(), Index: 2}, diffPublisherValue, 5)
	d.mine(hdr5)
	d.check("a header of ticket 5")
	if err := h.Client().InvalidateBlock(mustTipHash(t, h)); err != nil {
		t.Fatal(err)
	}
	plain5 := k5.spend(t, wire.OutPoint{Hash: reg5.TxHash(), Index: 2}, diffPublisherValue,
		pay(diffPublisherValue-3_000))
	d.mine(plain5)
	d.mine()
	d.check("the header replaced by a plain spend of the same output")
	if tk := d.ticket(d.live, reg5.TxHash()); tk.Live() {
		t.Fatalf("ticket 5 is still live at %v", tk.Current)
	}

	// A pegbox election block reorganized away so that another
	// federation wins, then a deposit to the first federation's pegbox.
	d.pegboxElectionReorg()

	// A node synced fresh from the final chain agrees with all of them.
	fresh := newDiffNode(t, h, "fresh", BackendBtcd)
	fresh.start()
	d.compare("fresh sync", []*diffNode{d.live, d.restarted, d.light, fresh})
}

// pegboxElectionReorg mines to the last block of a pegbox epoch, keeps
// the federation it elects, reorganizes the election away with a branch
// in which a larger stake registered first, and then pays the first
// federation's pegbox with a deposit payload.
func (d *differential) pegboxElectionReorg() {
	t, h := d.t, d.h
	L := d.params.PegEpochLength
	height, _, err := h.Tip()
	if err != nil {
		t.Fatal(err)
	}
	// Two blocks before the election, so that the other branch can
	// register its stake before the election block.
	last := (height/L+1)*L - 1
	if last-height < 3 {
		last += L
	}
	if _, err := h.Generate(uint32(last - 2 - height)); err != nil {
		t.Fatal(err)
	}
	d.mine()
	d.mine()
	d.check("the election block")
	epoch := uint32(last/L) + 1
	first := d.federation(epoch)

	if err := h.Client().InvalidateBlock(mustHashAt(t, h, -1)); err != nil {
		t.Fatal(err)
	}
	big := newDiffKey(t)
	d.mine(d.register(big, 50_000_000))
	d.mine()
	d.mine()
	d.check("the election reorganized away")
	second := d.federation(epoch)
	if fmt.Sprint(first.Keys) == fmt.Sprint(second.Keys) {
		t.Fatal("the other branch elected the same federation")
	}

	script, err := first.PkScript(d.params.Main)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := opreturn.Encode(d.params.SidechainID, &opreturn.Deposit{Vout: 1, SideScript: other(t)})
	if err != nil {
		t.Fatal(err)
	}
	dep, err := h.Fund([]*wire.TxOut{wire.NewTxOut(0, payload), wire.NewTxOut(100_000, script)}, 2)
	if err != nil {
		t.Fatal(err)
	}
	d.mine(dep)
	d.check("a deposit to the reorganized federation's pegbox")
	for _, n := range []*diffNode{d.live, d.restarted, d.light} {
		var refused int
		err := n.db.View(func(r store.Reader) error {
			list, err := pegbox.RefusedDeposits(r)
			refused = len(list)
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		if refused != 0 {
			t.Fatalf("%s lists %d refused deposits, want none", n.name, refused)
		}
	}

	// The federation the chain kept is this test's keys: a deposit to
	// its pegbox, the federation's spend of that coin with change back
	// to the pegbox, and a spend of the change, all in one block.
	d.pegboxChain(second, []diffKey{d.k1, big})
}

// pegboxChain mines a block with a deposit to fed's pegbox, fed's spend of
// the deposited coin with change to the pegbox, and fed's spend of the
// change, signed with keys.
func (d *differential) pegboxChain(fed *pegbox.Federation, keys []diffKey) {
	t, h := d.t, d.h
	script, err := fed.PkScript(d.params.Main)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := opreturn.Encode(d.params.SidechainID, &opreturn.Deposit{Vout: 1, SideScript: other(t)})
	if err != nil {
		t.Fatal(err)
	}
	dep, err := h.Fund([]*wire.TxOut{wire.NewTxOut(0, payload), wire.NewTxOut(200_000, script)}, 2)
	if err != nil {
		t.Fatal(err)
	}
	coin := pegbox.Coin{OutPoint: wire.OutPoint{Hash: dep.TxHash(), Index: 1}, Value: 200_000, PkScript: script}
	spend := d.fedSign(fed, keys, coin, wire.NewTxOut(150_000, script), wire.NewTxOut(45_000, other(t)))
	change := pegbox.Coin{OutPoint: wire.OutPoint{Hash: spend.TxHash(), Index: 0}, Value: 150_000, PkScript: script}
	spend2 := d.fedSign(fed, keys, change, wire.NewTxOut(145_000, other(t)))
	d.mine(dep, spend, spend2)
	d.check("a pegbox coin and its change spent in their own block")
	err = d.live.db.View(func(r store.Reader) error {
		for _, c := range []pegbox.Coin{coin, change} {
			if _, ok, err := pegbox.CoinAt(r, c.OutPoint); err != nil || ok {
				return fmt.Errorf("pegbox coin %v: still held %v, %v", c.OutPoint, ok, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// fedSign returns coin's spend to outs, signed by every key of keys as a
// member of fed.
func (d *differential) fedSign(fed *pegbox.Federation, keys []diffKey, coin pegbox.Coin,
	outs ...*wire.TxOut) *wire.MsgTx {

	d.t.Helper()
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(&coin.OutPoint, nil, nil))
	for _, o := range outs {
		tx.AddTxOut(o)
	}
	sig, err := pegbox.NewSigning(tx, []pegbox.Coin{coin}, fed, d.params.Main)
	if err != nil {
		d.t.Fatal(err)
	}
	for _, k := range keys {
		p, err := sig.Sign(k.priv)
		if err != nil {
			d.t.Fatal(err)
		}
		if _, err := sig.Add(p); err != nil {
			d.t.Fatal(err)
		}
	}
	signed, ok, err := sig.Complete()
	if err != nil || !ok {
		d.t.Fatalf("federation spend: complete %v, %v", ok, err)
	}
	return signed
}

// federation returns the live node's federation of epoch.
func (d *differential) federation(epoch uint32) *pegbox.Federation {
	d.t.Helper()
	var fed *pegbox.Federation
	err := d.live.db.View(func(r store.Reader) error {
		f, ok, err := pegbox.FederationAt(r, epoch)
		if err == nil && !ok {
			err = fmt.Errorf("no federation of epoch %d", epoch)
		}
		fed = f
		return err
	})
	if err != nil {
		d.t.Fatal(err)
	}
	return fed
}

func other(t *testing.T) []byte { return newDiffKey(t).script }

func mustTipHash(t *testing.T, h *btctest.Harness) *chainhash.Hash {
	t.Helper()
	_, hash, err := h.Tip()
	if err != nil {
		t.Fatal(err)
	}
	return &hash
}

// mustHashAt returns the hash of the block back blocks below btcd's tip
// (back ≤ 0).
func mustHashAt(t *testing.T, h *btctest.Harness, back int32) *chainhash.Hash {
	t.Helper()
	height, _, err := h.Tip()
	if err != nil {
		t.Fatal(err)
	}
	hash, err := h.Client().GetBlockHash(int64(height + back))
	if err != nil {
		t.Fatal(err)
	}
	return hash
}
