package federation

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/lottery"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/nodeapi"
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
	f := New(Env{Params: s.p, DB: s.db, Pegbox: s.x})
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
		if err := f.ReceivePegSignatures(0, b); !errors.As(err, &mis) || mis.Score <= 0 {
			t.Errorf("%s: %v, want a misbehavior", what, err)
		}
		if f.HavePegSignatures(chainhash.DoubleHashH(b)) {
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
	if err := f.ReceivePegSignatures(0, good); err != nil {
		t.Fatal(err)
	}
	if !f.HavePegSignatures(chainhash.DoubleHashH(good)) {
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
	if err := f.ReceivePegSignatures(0, raw(packetOf(build(chainhash.Hash{1}, more), privs[3], fed))); err != nil {
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
	if err := f.ReceivePegSignatures(0, raw(p)); err != nil || f.HavePegSignatures(chainhash.DoubleHashH(raw(p))) {
		t.Errorf("stranger: %v, kept %v", err, f.HavePegSignatures(chainhash.DoubleHashH(raw(p))))
	}

	// Two more members complete it; the coin is untouched throughout.
	for _, k := range privs[1:3] {
		if err := f.ReceivePegSignatures(0, raw(packetOf(payout, k, fed))); err != nil {
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

// memberSim is a synthetic mainchain whose federation holds this node's
// stake key, besides others' keys, with a deposit of 1 BTC minted.
type memberSim struct {
	*sideSim
	f    *Signer
	p    *chainparams.Params
	fed  *pegbox.Federation
	plan func(level int) *plan
}

// newMemberSim sets the simulation up with others (keys of other members)
// and rateLimit as the network's PegRateLimit.
func newMemberSim(t *testing.T, others []*btcec.PrivateKey, rateLimit int64) *memberSim {
	t.Helper()
	s := newSideSim(t)
	p := s.params
	p.PegRateLimit = rateLimit // this simulation's own parameters
	x, err := pegbox.NewIndex(s.db, p, mainwatch.NewWatchList())
	if err != nil {
		t.Fatal(err)
	}
	s.peg = x
	s.b = nodeapi.New(nodeapi.Env{Params: p, DB: s.db, Wallet: s.wallet,
		Sidechain: s.chain, Mempool: s.pool, Pegbox: x})
	s.chain.SetDeposits(x.MintSource())
	ref, err := s.wallet.StakeKey(0)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := s.wallet.Keys().PubKey(ref)
	if err != nil {
		t.Fatal(err)
	}
	s.stakers = append([]pegbox.Staker{{PubKey: pub, Weight: lottery.Uint128{Lo: 2000}}},
		stakersWeighing(others)...)
	m := &memberSim{sideSim: s, p: p, f: New(Env{Params: p, DB: s.db, Chain: s.chain, Pegbox: x, Wallet: s.wallet})}
	m.plan = func(level int) *plan {
		t.Helper()
		pl, err := m.f.plan(func(string) int { return level })
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
		var ok bool
		m.fed, ok, err = pegbox.FederationAt(r, 2)
		if err != nil || !ok {
			t.Fatalf("no federation: %v", err)
		}
		pegScript, err = m.fed.PkScript(p.Main)
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
	if pl := m.plan(0); pl != nil {
		t.Fatalf("a plan with nothing to pay: %s", pl.what)
	}
	return m
}

// withdraw makes a withdrawal of 0.1 BTC and mines until it is payable.
func (m *memberSim) withdraw() *sideblock.Block {
	m.t.Helper()
	to, _ := mainAddress(m.t, "payee")
	if _, err := m.b.PegOut(context.Background(), api.PegOutRequest{Amount: 10_000_000,
		Destination: to}); err != nil {
		m.t.Fatal(err)
	}
	block := m.produce() // included
	if pl := m.plan(0); pl != nil {
		m.t.Fatalf("a payout one sideblock deep: %s", pl.what)
	}
	m.produce() // two deep on both chains
	return block
}

// TestFederationPlansPayouts runs the member's planning over a synthetic
// mainchain where the node's own stake key is the whole federation: the
// payout of a payable sideblock is planned, bumped levels add their fee
// from the change, and a second payout waits out the rate limit, then
// goes.
func TestFederationPlansPayouts(t *testing.T) {
	m := newMemberSim(t, nil, 15_000_000)
	p, plan := m.p, m.plan
	first := m.withdraw()
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
		change(pl.tx)-change(bumped.tx) != pegbox.BumpFee(p, 2, nodeapi.PegOutDefaultFee, vsize) {
		t.Fatalf("level 2: change %d, then %d", change(pl.tx), change(bumped.tx))
	}
	m.mainTxs = []*wire.MsgTx{pl.tx}
	paidAt := m.mainTip + 1
	m.next(nil)

	// 0.1 BTC paid in the period; 0.1 more would pass 0.15: the second
	// waits until the first leaves the period, PegRatePeriod blocks on.
	second := m.withdraw()
	for m.mainTip < paidAt+p.PegRatePeriod {
		if pl := plan(0); pl != nil {
			t.Fatalf("payout %s at %d, %d blocks after the last", pl.what, m.mainTip, m.mainTip-paidAt)
		}
		m.next(nil)
	}
	if pl := plan(0); pl == nil || pl.what != fmt.Sprintf("payout of sideblock %v", second.BlockHash()) {
		t.Fatalf("after the rate period: %+v", pl)
	}
}

// TestFederationAdopts has a member that restarted, at bump level 0, find
// the signatures the other members sent of the same payout at level 2: it
// signs that level once they carry Threshold−1 signatures, and not with
// fewer, nor for a transaction that is no level of its payout.
func TestFederationAdopts(t *testing.T) {
	others := pegKeys(t, 3)
	m := newMemberSim(t, others, 100_000_000_000)
	m.withdraw()
	p0 := m.plan(0)
	if p0 == nil || m.fed.Threshold != 3 {
		t.Fatalf("plan %v, federation %+v", p0, m.fed)
	}
	p2 := m.plan(2)
	sign := func(tx *wire.MsgTx, key *btcec.PrivateKey) {
		t.Helper()
		sg, err := pegbox.NewSigning(tx, p0.coins, m.fed, m.p.Main)
		if err != nil {
			t.Fatal(err)
		}
		pk, err := sg.Sign(key)
		if err != nil {
			t.Fatal(err)
		}
		if err := m.f.addPacket(pk); err != nil {
			t.Fatal(err)
		}
	}
	adopt := func() *plan {
		t.Helper()
		q, err := m.f.adopt(p0)
		if err != nil {
			t.Fatal(err)
		}
		return q
	}

	// A transaction that is no level of the payout, signed by two.
	odd := p2.tx.Copy()
	odd.TxOut[len(odd.TxOut)-1].Value--
	sign(odd, others[0])
	sign(odd, others[1])
	if q := adopt(); q != nil {
		t.Fatalf("adopted level %d for a stranger", q.level)
	}
	// Level 2 signed by one other member: not enough.
	sign(p2.tx, others[0])
	if q := adopt(); q != nil {
		t.Fatalf("adopted level %d on one signature", q.level)
	}
	// By two: this member's signature completes it.
	sign(p2.tx, others[1])
	q := adopt()
	if q == nil || q.level != 2 || q.tx.TxHash() != p2.tx.TxHash() {
		t.Fatalf("adopted %+v", q)
	}
}

// TestFederationOpenRound: the round this member signed reports the
// members whose signatures have not arrived, and the tip it was signed
// at, until one of them signs; with none open there is no round.
func TestFederationOpenRound(t *testing.T) {
	others := pegKeys(t, 3)
	m := newMemberSim(t, others, 100_000_000_000)
	if _, ok := m.f.OpenRound(); ok {
		t.Fatal("an open round before any payout")
	}
	m.withdraw()
	if err := m.f.round(context.Background()); err != nil {
		t.Fatal(err)
	}
	r, ok := m.f.OpenRound()
	if !ok || r.Since != m.mainTip || r.Threshold != 3 || r.Signers != 1 || len(r.Silent) != 3 ||
		!strings.HasPrefix(r.What, "payout of sideblock") {
		t.Fatalf("round %+v, %v", r, ok)
	}
	silent := make(map[string]bool)
	for _, k := range r.Silent {
		silent[string(k)] = true
	}
	for i, k := range others {
		if !silent[string(k.PubKey().SerializeCompressed())] {
			t.Errorf("member %d is not among the silent", i)
		}
	}
	// One of them signs the same spend: it is no longer silent.
	p0 := m.plan(0)
	sg, err := pegbox.NewSigning(p0.tx, p0.coins, m.fed, m.p.Main)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := sg.Sign(others[0])
	if err != nil {
		t.Fatal(err)
	}
	if err := m.f.addPacket(pk); err != nil {
		t.Fatal(err)
	}
	if r, ok := m.f.OpenRound(); !ok || r.Signers != 2 || len(r.Silent) != 2 {
		t.Fatalf("after a second signature: %+v, %v", r, ok)
	}
}
