package node

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/lottery"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/opreturn"
	"github.com/mainstake/sidenode/p2p"
	"github.com/mainstake/sidenode/pegbox"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
)

// TestFederationReceive gives a member signature packets from peers while
// it signs a payout: it keeps and relays good ones, counts their
// signatures, and refuses, with a ban score for the sender, packets that do
// not parse, signatures by a key outside the federation, forged ones and
// ones replayed from another payout; a member that signed another
// transaction changes nothing; a packet that spends no pegbox coin is
// neither kept nor relayed. In every case the pegbox's coins stay as they
// are, and only the threshold of good signatures completes the payout.
func TestFederationReceive(t *testing.T) {
	s := newPegSim(t)
	L := s.p.PegEpochLength
	privs := pegKeys(t, 5)
	s.stakers = stakersWeighing(privs[:4]) // 3 of 4
	s.to(L - 1)
	var fed *pegbox.Federation
	var pkScript []byte
	err := s.db.View(func(r store.Reader) error {
		var err error
		fed, _, err = pegbox.FederationAt(r, 1)
		if err != nil || fed == nil {
			t.Fatalf("no federation: %v", err)
		}
		pkScript, err = fed.PkScript(s.p.Main)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	_, dest := mainAddress(t, "payee")
	s.connect(s.tx(wire.NewTxOut(900_000, pkScript), s.nullData(0, dest)))
	var coins []pegbox.Coin
	s.db.View(func(r store.Reader) error {
		coins, err = pegbox.Coins(r)
		return err
	})
	if len(coins) != 1 {
		t.Fatalf("coins %+v", coins)
	}

	ws := []sideblock.Withdrawal{{Value: 300_000, Fee: 5_000, PkScript: dest, Count: 1}}
	build := func(side chainhash.Hash, ws []sideblock.Withdrawal) *wire.MsgTx {
		tx, err := pegbox.BuildPayout(side, ws, coins, pkScript, s.p.SidechainID, s.p.DustLimit, 0)
		if err != nil {
			t.Fatal(err)
		}
		return tx
	}
	payout := build(chainhash.Hash{1}, ws)
	signing, err := pegbox.NewSigning(payout, coins, fed, s.p.Main)
	if err != nil {
		t.Fatal(err)
	}
	f := newFederation(s.p, s.db, nil, s.x, nil)
	f.job = &payoutJob{what: "payout test", txid: payout.TxHash(),
		inputs: []wire.OutPoint{coins[0].OutPoint}, signing: signing}

	// packetOf returns a member's signatures of tx, as bytes.
	packetOf := func(tx *wire.MsgTx, key *btcec.PrivateKey, f *pegbox.Federation) *psbt.Packet {
		t.Helper()
		sg, err := pegbox.NewSigning(tx, coins, f, s.p.Main)
		if err != nil {
			t.Fatal(err)
		}
		p, err := sg.Sign(key)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	raw := func(p *psbt.Packet) []byte {
		var buf bytes.Buffer
		if err := p.Serialize(&buf); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	misbehaves := func(what string, b []byte) {
		t.Helper()
		var mis *p2p.MisbehaviorError
		if err := f.receive(b); !errors.As(err, &mis) || mis.Score <= 0 {
			t.Errorf("%s: %v, want a misbehavior", what, err)
		}
		if f.have(chainhash.DoubleHashH(b)) {
			t.Errorf("%s: kept to relay", what)
		}
	}
	signers := func(want int) {
		t.Helper()
		if got := signing.Signers(); got != want {
			t.Fatalf("%d signers, want %d", got, want)
		}
	}

	misbehaves("garbage", []byte("not a psbt"))

	// A member's good signatures are kept, relayed and counted.
	good := raw(packetOf(payout, privs[0], fed))
	if err := f.receive(good); err != nil {
		t.Fatal(err)
	}
	if !f.have(chainhash.DoubleHashH(good)) {
		t.Error("a good packet is not kept to relay")
	}
	signers(1)

	// A key outside the federation signs the payout, validly.
	outsider := packetOf(payout, privs[1], fed)
	script, err := fed.WitnessScript(s.p.Main)
	if err != nil {
		t.Fatal(err)
	}
	fetcher := txscript.NewCannedPrevOutputFetcher(pkScript, coins[0].Value)
	osig, err := txscript.RawTxInWitnessSignature(payout, txscript.NewTxSigHashes(payout, fetcher),
		0, coins[0].Value, script, txscript.SigHashAll, privs[4])
	if err != nil {
		t.Fatal(err)
	}
	outsider.Inputs[0].PartialSigs = []*psbt.PartialSig{{
		PubKey: privs[4].PubKey().SerializeCompressed(), Signature: osig}}
	misbehaves("outsider", raw(outsider))

	// A forged signature: member 1's signature with a byte changed.
	forged := packetOf(payout, privs[1], fed)
	sig := forged.Inputs[0].PartialSigs[0].Signature
	sig[len(sig)/2] ^= 0x01
	misbehaves("forged", raw(forged))

	// Member 2's signatures of another payout, replayed on this one.
	other := packetOf(build(chainhash.Hash{2}, ws), privs[2], fed)
	replayed := packetOf(payout, privs[2], fed)
	for i := range replayed.Inputs {
		replayed.Inputs[i].PartialSigs = other.Inputs[i].PartialSigs
	}
	misbehaves("replayed", raw(replayed))
	signers(1)

	// A member that signs a transaction paying the withdrawal more: not
	// this payout, so its signatures count for nothing here.
	more := []sideblock.Withdrawal{{Value: 300_000, Fee: 1_000, PkScript: dest, Count: 1}}
	if err := f.receive(raw(packetOf(build(chainhash.Hash{1}, more), privs[3], fed))); err != nil {
		t.Errorf("another payout: %v", err)
	}
	signers(1)
	if _, ok, err := signing.Complete(); ok || err != nil {
		t.Fatalf("complete with one signer: %v %v", ok, err)
	}

	// A packet that spends no pegbox coin is none of the federation's.
	stranger := payout.Copy()
	stranger.TxIn[0].PreviousOutPoint.Index = 7
	p, err := psbt.NewFromUnsignedTx(stranger)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.receive(raw(p)); err != nil || f.have(chainhash.DoubleHashH(raw(p))) {
		t.Errorf("stranger: %v, kept %v", err, f.have(chainhash.DoubleHashH(raw(p))))
	}

	// Two more members complete it; the coin is untouched throughout.
	for _, k := range privs[1:3] {
		if err := f.receive(raw(packetOf(payout, k, fed))); err != nil {
			t.Fatal(err)
		}
	}
	signers(3)
	tx, ok, err := signing.Complete()
	if err != nil || !ok || tx.TxHash() != payout.TxHash() {
		t.Fatalf("complete: %v %v", ok, err)
	}
	s.db.View(func(r store.Reader) error {
		if c, ok, err := pegbox.CoinAt(r, coins[0].OutPoint); err != nil || !ok || c.Value != 900_000 {
			t.Fatalf("the coin after all that: %+v %v %v", c, ok, err)
		}
		return nil
	})
}

// TestFederationPlansPayouts runs the member's planning over a synthetic
// mainchain where the node's own stake key is the whole federation: the
// payout of a payable sideblock is planned, bumped levels add their fee
// from the change, and a second payout waits out the rate limit, then
// goes.
func TestFederationPlansPayouts(t *testing.T) {
	s := newSideSim(t)
	b, ctx := s.b, context.Background()
	p := b.params
	p.PegRateLimit = 15_000_000 // this simulation's own parameters
	x, err := pegbox.NewIndex(s.db, p, mainwatch.NewWatchList())
	if err != nil {
		t.Fatal(err)
	}
	s.peg, b.proto.pegbox = x, x
	s.chain.SetDeposits(x.MintSource())
	ref, err := b.wallet.StakeKey(0)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := b.wallet.Keys().PubKey(ref)
	if err != nil {
		t.Fatal(err)
	}
	s.stakers = []pegbox.Staker{{PubKey: pub, Weight: lottery.Uint128{Lo: 1}}}
	f := newFederation(p, s.db, s.chain, x, b.wallet)
	plan := func(level int) *plan {
		t.Helper()
		pl, err := f.plan(func(string) int { return level })
		if err != nil {
			t.Fatal(err)
		}
		return pl
	}

	s.produce()
	s.produce()
	for s.mainTip < 100 {
		s.next(nil)
	}
	var pegScript []byte
	s.db.View(func(r store.Reader) error {
		fed, ok, err := pegbox.FederationAt(r, 2)
		if err != nil || !ok {
			t.Fatalf("no federation: %v", err)
		}
		pegScript, err = fed.PkScript(p.Main)
		return err
	})
	nullData, err := opreturn.Encode(p.SidechainID, &opreturn.Deposit{Vout: 0, SideScript: s.own})
	if err != nil {
		t.Fatal(err)
	}
	deposit := wire.NewMsgTx(2)
	deposit.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: chainhash.Hash{0xfe}}, nil, nil))
	deposit.AddTxOut(wire.NewTxOut(100_000_000, pegScript))
	deposit.AddTxOut(wire.NewTxOut(0, nullData))
	s.mainTxs = []*wire.MsgTx{deposit}
	s.next(nil)
	s.next(nil)
	s.produce() // mints it
	if pl := plan(0); pl != nil {
		t.Fatalf("a plan with nothing to pay: %s", pl.what)
	}

	toAddr, _ := mainAddress(t, "payee")
	withdraw := func() *sideblock.Block {
		t.Helper()
		if _, err := b.PegOut(ctx, api.PegOutRequest{Amount: 10_000_000, Destination: toAddr}); err != nil {
			t.Fatal(err)
		}
		block := s.produce() // included
		if pl := plan(0); pl != nil {
			t.Fatalf("a payout one sideblock deep: %s", pl.what)
		}
		s.produce() // two deep on both chains
		return block
	}
	first := withdraw()
	pl := plan(0)
	if pl == nil || pl.what != fmt.Sprintf("payout of sideblock %v", first.BlockHash()) || pl.level != 0 {
		t.Fatalf("plan %+v", pl)
	}
	change := func(tx *wire.MsgTx) int64 { return tx.TxOut[len(tx.TxOut)-1].Value }
	vsize, err := pegbox.SpendVSize(pl.tx, pl.fed, p.Main)
	if err != nil {
		t.Fatal(err)
	}
	if bumped := plan(2); bumped.level != 2 || bumped.tx.TxIn[0].PreviousOutPoint != pl.tx.TxIn[0].PreviousOutPoint ||
		change(pl.tx)-change(bumped.tx) != pegbox.BumpFee(p, 2, pegOutDefaultFee, vsize) {
		t.Fatalf("level 2: change %d, then %d", change(pl.tx), change(bumped.tx))
	}
	s.mainTxs = []*wire.MsgTx{pl.tx}
	paidAt := s.mainTip + 1
	s.next(nil)

	// 0.1 BTC paid in the period; 0.1 more would pass 0.15: the second
	// waits until the first leaves the period, PegRatePeriod blocks on.
	second := withdraw()
	for s.mainTip < paidAt+p.PegRatePeriod {
		if pl := plan(0); pl != nil {
			t.Fatalf("payout %s at %d, %d blocks after the last", pl.what, s.mainTip, s.mainTip-paidAt)
		}
		s.next(nil)
	}
	if pl := plan(0); pl == nil || pl.what != fmt.Sprintf("payout of sideblock %v", second.BlockHash()) {
		t.Fatalf("after the rate period: %+v", pl)
	}
}
