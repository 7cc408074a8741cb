package nodeapi

import (
	"bytes"
	"context"
	"encoding/hex"
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
	"github.com/mainstake/sidenode/opreturn"
	"github.com/mainstake/sidenode/pegbox"
	"github.com/mainstake/sidenode/store"
)

// pegSim is an Adapter without a wallet over an in-memory store whose
// mainchain blocks are synthetic and run the pegbox index alone.
type pegSim struct {
	t       *testing.T
	p       *chainparams.Params
	b       *Adapter
	db      *store.DB
	x       *pegbox.Index
	hashes  []chainhash.Hash
	stakers []pegbox.Staker
	n       uint32 // spends a new fake outpoint per transaction
}

func newPegSim(t *testing.T) *pegSim {
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
	return &pegSim{t: t, p: p, db: db, x: x,
		b: New(Env{Params: p, DB: db, Pegbox: x})}
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

func wantAPICode(t *testing.T, what string, err error, code api.ErrorCode) {
	t.Helper()
	if !api.IsErrorCode(err, code) {
		t.Errorf("%s: %v, want %v", what, err, code)
	}
}

// TestPegAPI follows a pegbox through two elections, deposits accepted
// and refused, and the grace period, through the API backend.
func TestPegAPI(t *testing.T) {
	s := newPegSim(t)
	b, ctx := s.b, context.Background()
	L, grace := s.p.PegEpochLength, s.p.PegGraceBlocks
	side := append([]byte{0x00, 0x14}, bytes.Repeat([]byte{0x11}, 20)...)
	sideAddr := scriptAddress(side, s.p.Side)
	if !strings.HasPrefix(sideAddr, "sdrt1q") {
		t.Fatalf("side address %q", sideAddr)
	}

	// Before the first election: no federation, no deposit to build.
	s.to(L - 2)
	_, err := b.PegInfo(ctx)
	wantAPICode(t, "PegInfo before the first election", err, api.ErrFailedPrecondition)
	if err == nil || !strings.Contains(err.Error(), "the first is elected at height 49") {
		t.Errorf("error %v does not say when", err)
	}
	_, err = b.PegIn(ctx, api.PegInRequest{Amount: 100_000, SideAddress: sideAddr, PSBTOnly: true})
	wantAPICode(t, "PegIn before the first election", err, api.ErrFailedPrecondition)

	// Block L−1 elects epoch 1: three stakers, all three sign.
	privs := pegKeys(t, 6)
	s.stakers = stakersWeighing(privs[:3])
	s.connect()
	info, err := b.PegInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	fed := info.Federation
	if info.TipHeight != L-1 || info.Epoch != 1 || info.EpochStart != L || info.NextEpoch != 2*L ||
		fed.Epoch != 1 || len(fed.Keys) != 3 || fed.Threshold != 3 || info.Previous != nil ||
		!strings.HasPrefix(fed.Address, "bcrt1q") || info.Deposits != 0 || info.Coins != 0 ||
		info.DepositConfirmations != 2 || info.DustLimit != 546 {
		t.Fatalf("peg info %+v", info)
	}
	for i := 1; i < len(fed.Keys); i++ {
		if bytes.Compare(fed.Keys[i-1], fed.Keys[i]) >= 0 {
			t.Errorf("keys not in BIP67 order: %x", fed.Keys)
		}
	}
	var pkScript []byte
	_ = s.db.View(func(r store.Reader) error {
		f, _, err := pegbox.FederationAt(r, 1)
		if err == nil {
			pkScript, err = f.PkScript(s.p.Main)
		}
		return err
	})
	if !bytes.HasPrefix(pkScript, []byte{txscript.OP_0, txscript.OP_DATA_32}) || scriptAddress(pkScript, s.p.Main) != fed.Address {
		t.Fatalf("pegbox script %x, address %s", pkScript, fed.Address)
	}

	// The deposit PegIn builds is one the pegbox accepts.
	res, err := b.PegIn(ctx, api.PegInRequest{Amount: 150_000, SideAddress: sideAddr, PSBTOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.TxID != nil || res.PegboxAddress != fed.Address || res.Epoch != 1 ||
		res.AcceptedUntil != 2*L+grace-1 || !bytes.Equal(res.SideScript, side) || res.Vout != 0 {
		t.Errorf("peg-in %+v", res)
	}
	packet, err := psbt.NewFromRawBytes(strings.NewReader(res.PSBT), true)
	if err != nil {
		t.Fatal(err)
	}
	built := packet.UnsignedTx
	if len(built.TxIn) != 0 || len(built.TxOut) != 2 || built.TxOut[0].Value != 150_000 ||
		!bytes.Equal(built.TxOut[0].PkScript, pkScript) {
		t.Fatalf("PSBT transaction %+v", built)
	}
	if _, p, err := opreturn.FindInTx(built, s.p.SidechainID); err != nil ||
		p.(*opreturn.Deposit).Vout != 0 || !bytes.Equal(p.(*opreturn.Deposit).SideScript, side) {
		t.Fatalf("PSBT payload %v %v", p, err)
	}
	for _, tc := range []struct {
		req  api.PegInRequest
		code api.ErrorCode
	}{
		{api.PegInRequest{Amount: 545, SideAddress: sideAddr, PSBTOnly: true}, api.ErrInvalidArgument},
		{api.PegInRequest{Amount: 100_000, SideAddress: fed.Address, PSBTOnly: true}, api.ErrInvalidArgument},
		{api.PegInRequest{Amount: 100_000, SideAddress: "sms1qxyz", PSBTOnly: true}, api.ErrInvalidArgument},
		{api.PegInRequest{Amount: 100_000, SideAddress: sideAddr}, api.ErrNoWallet},
	} {
		_, err := b.PegIn(ctx, tc.req)
		wantAPICode(t, "PegIn "+tc.req.SideAddress, err, tc.code)
	}

	// Block L: the deposit, and five that are refused.
	other, _ := hex.DecodeString("0014" + strings.Repeat("22", 20))
	good := s.tx(built.TxOut...)
	dust := s.tx(wire.NewTxOut(400, pkScript), s.nullData(0, side))
	notPegbox := s.tx(wire.NewTxOut(60_000, pkScript), wire.NewTxOut(70_000, other), s.nullData(1, side))
	badVout := s.tx(wire.NewTxOut(80_000, pkScript), s.nullData(7, side))
	noPayload := s.tx(wire.NewTxOut(90_000, pkScript))
	badSide := s.tx(wire.NewTxOut(95_000, pkScript), s.nullData(0, []byte{txscript.OP_TRUE}))
	s.connect(good, dust, notPegbox, badVout, noPayload, badSide)

	deps, total, err := b.Deposits(ctx, api.Page{Limit: 10})
	if err != nil || total != 1 || len(deps) != 1 {
		t.Fatalf("deposits %+v %d %v", deps, total, err)
	}
	d := deps[0]
	if d.Seq != 0 || d.OutPoint != (wire.OutPoint{Hash: good.TxHash()}) || d.Value != 150_000 ||
		d.PegboxAddress != fed.Address || d.SideAddress != sideAddr || d.Height != L ||
		d.TxIndex != 1 || d.Confirmations != 1 || d.MatureHeight != L+1 ||
		d.Status != api.DepositConfirming {
		t.Errorf("deposit after one block %+v", d)
	}
	refused, total, err := b.RefusedDeposits(ctx, api.Page{Limit: 10})
	if err != nil || total != 5 {
		t.Fatalf("refused %+v %d %v", refused, total, err)
	}
	want := []struct {
		tx     *wire.MsgTx
		reason string
		vout   int  // the output shown
		coin   bool // no payload names it: the pegbox coin it made
	}{
		{dust, "ErrDepositDust", 0, false},
		{notPegbox, "ErrNotPegbox", 1, false},
		{badVout, "ErrBadDepositVout", 0, true},
		{noPayload, "ErrNoDeposit", 0, true},
		{badSide, "ErrBadSideScript", 0, false},
	}
	for i, w := range want {
		r := refused[i]
		if r.TxID != w.tx.TxHash() || r.Reason != w.reason || r.Height != L ||
			r.TxIndex != uint32(i+2) || r.Message == "" || r.Message == w.reason {
			t.Errorf("refusal %d: %+v, want %s", i, r, w.reason)
		}
		if !r.HasOutPoint || r.OutPoint.Index != uint32(w.vout) ||
			r.Value != w.tx.TxOut[w.vout].Value {
			t.Errorf("refusal %d outpoint: %+v", i, r)
		}
		// A refusal whose payload names no output still shows the
		// output that paid the pegbox, its value and address, in the
		// fields and in the message.
		if w.coin && (r.Address != fed.Address || r.SideScript != nil ||
			!strings.Contains(r.Message, r.OutPoint.String()) ||
			!strings.Contains(r.Message, fed.Address)) {
			t.Errorf("refusal %d without a named output: %+v", i, r)
		}
	}
	if refused[1].Address != scriptAddress(other, s.p.Main) || !strings.Contains(refused[1].Message, refused[1].Address) {
		t.Errorf("not-a-pegbox refusal %+v", refused[1])
	}
	if !strings.Contains(refused[0].Message, "400 sat") {
		t.Errorf("dust message %q", refused[0].Message)
	}
	page, _, err := b.RefusedDeposits(ctx, api.Page{Offset: 1, Limit: 2, Reversed: true})
	if err != nil || len(page) != 2 || page[0].TxID != noPayload.TxHash() || page[1].TxID != badVout.TxHash() {
		t.Errorf("reversed refusals %+v %v", page, err)
	}

	// Every output that pays the pegbox is a coin, refused deposits
	// included.
	info, err = b.PegInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Coins != 6 || info.Balance != 150_000+400+60_000+80_000+90_000+95_000 ||
		info.Deposits != 1 || info.Matured != 0 {
		t.Errorf("peg info after the deposits %+v", info)
	}
	// PegboxCoins lists them, oldest first, with their address and
	// depth; their sum is the balance.
	coins, total, err := b.PegboxCoins(ctx, api.Page{Limit: 100})
	if err != nil || total != 6 || len(coins) != 6 {
		t.Fatalf("pegbox coins %+v, total %d: %v", coins, total, err)
	}
	var sum int64
	for i, c := range coins {
		sum += c.Value
		if c.Address != fed.Address || c.Confirmations != info.TipHeight-c.Height+1 || c.Confirmations < 1 ||
			(i > 0 && c.Height < coins[i-1].Height) {
			t.Errorf("pegbox coin %d: %+v", i, c)
		}
	}
	if sum != info.Balance {
		t.Errorf("pegbox coins sum to %d, the balance is %d", sum, info.Balance)
	}
	last, _, err := b.PegboxCoins(ctx, api.Page{Limit: 1, Reversed: true})
	if err != nil || len(last) != 1 || last[0] != coins[5] {
		t.Errorf("the newest pegbox coin %+v: %v", last, err)
	}

	// Lookups by txid and outpoint.
	found, err := b.Deposit(ctx, api.DepositQuery{TxID: good.TxHash()})
	if err != nil || found.Accepted == nil || found.Accepted.Seq != 0 {
		t.Errorf("by txid: %+v %v", found, err)
	}
	op := wire.OutPoint{Hash: notPegbox.TxHash(), Index: 1}
	found, err = b.Deposit(ctx, api.DepositQuery{TxID: op.Hash, OutPoint: op, ByOutPoint: true})
	if err != nil || found.Refused == nil || found.Refused.Reason != "ErrNotPegbox" {
		t.Errorf("refused by outpoint: %+v %v", found, err)
	}
	op.Index = 0
	_, err = b.Deposit(ctx, api.DepositQuery{TxID: op.Hash, OutPoint: op, ByOutPoint: true})
	wantAPICode(t, "an outpoint the payload does not name", err, api.ErrNotFound)
	found, err = b.Deposit(ctx, api.DepositQuery{TxID: badVout.TxHash()})
	if err != nil || found.Refused == nil || found.Refused.Reason != "ErrBadDepositVout" {
		t.Errorf("refused by txid: %+v %v", found, err)
	}
	_, err = b.Deposit(ctx, api.DepositQuery{TxID: chainhash.Hash{1}})
	wantAPICode(t, "an unknown txid", err, api.ErrNotFound)

	// One more block: two confirmations, matured.
	second := s.tx(wire.NewTxOut(200_000, pkScript), s.nullData(0, side))
	s.connect(second)
	deps, total, err = b.Deposits(ctx, api.Page{Limit: 10, Reversed: true})
	if err != nil || total != 2 || deps[0].Seq != 1 || deps[0].Status != api.DepositConfirming ||
		deps[1].Seq != 0 || deps[1].Status != api.DepositMatured || deps[1].Confirmations != 2 {
		t.Fatalf("deposits after two blocks %+v %v", deps, err)
	}
	deps, _, err = b.Deposits(ctx, api.Page{Offset: 1, Limit: 5})
	if err != nil || len(deps) != 1 || deps[0].Seq != 1 {
		t.Errorf("offset 1: %+v %v", deps, err)
	}
	deps, _, err = b.Deposits(ctx, api.Page{Offset: 2, Limit: 5})
	if err != nil || len(deps) != 0 {
		t.Errorf("offset 2: %+v %v", deps, err)
	}

	// Epoch 2 elects other stakers: the previous address takes deposits
	// for PegGraceBlocks more blocks.
	s.stakers = stakersWeighing(privs[3:])
	s.to(2*L - 1)
	info, err = b.PegInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if info.Epoch != 2 || info.Federation.Address == fed.Address || info.Previous == nil ||
		info.Previous.Address != fed.Address || info.GraceEnd != 2*L+grace-1 ||
		info.Matured != 2 {
		t.Fatalf("peg info at the epoch boundary %+v", info)
	}
	late := s.tx(wire.NewTxOut(300_000, pkScript), s.nullData(0, side))
	s.to(2*L + grace - 3)
	s.connect(late) // block 2L+grace−2: still in the grace period
	if info, err = b.PegInfo(ctx); err != nil || info.Previous == nil {
		t.Fatalf("last grace block: %+v %v", info, err)
	}
	s.connect()
	if info, err = b.PegInfo(ctx); err != nil || info.Previous != nil || info.GraceEnd != 0 {
		t.Errorf("after the grace period: %+v %v", info, err)
	}
	found, err = b.Deposit(ctx, api.DepositQuery{TxID: late.TxHash()})
	if err != nil || found.Accepted == nil || found.Accepted.Seq != 2 {
		t.Errorf("grace-period deposit %+v %v", found, err)
	}
	tooLate := s.tx(wire.NewTxOut(300_000, pkScript), s.nullData(0, side))
	s.connect(tooLate)
	found, err = b.Deposit(ctx, api.DepositQuery{TxID: tooLate.TxHash()})
	if err != nil || found.Refused == nil || found.Refused.Reason != "ErrNotPegbox" {
		t.Errorf("deposit after the grace period %+v %v", found, err)
	}
}

func TestPageIndexes(t *testing.T) {
	all := []uint64{0, 1, 2, 3, 4, 5, 6}
	for _, p := range []api.Page{
		{Limit: 3}, {Offset: 5, Limit: 5}, {Offset: 7, Limit: 5}, {Offset: 1 << 62, Limit: 1},
		{Limit: 2, Reversed: true}, {Offset: 5, Limit: 5, Reversed: true}, {Limit: 0},
	} {
		got, want := pageIndexes(uint64(len(all)), p), api.Paginate(all, p)
		if len(got) != len(want) {
			t.Errorf("%+v: %v, want %v", p, got, want)
			continue
		}
		for i := range got {
			if got[i] != want[i] {
				t.Errorf("%+v: %v, want %v", p, got, want)
			}
		}
	}
}

// TestPegAuditUnexplained has the federation spend 11,000 sat of a
// deposit's coin to an outside address with the rest back to the pegbox:
// GetPegInfo's audit shows it as unexplained, not as a bump fee, lists it
// with its rule, and does not match.
func TestPegAuditUnexplained(t *testing.T) {
	s := newPegSim(t)
	ctx := context.Background()
	// Without an auditor every spend is unchecked; with one the theft,
	// which carries no payload, is unexplained whatever the sidechain.
	unaudited := s.b
	b := New(Env{Params: s.p, DB: s.db, Pegbox: s.x, PegAudit: pegbox.NewAuditor(s.x, nil)})
	L := s.p.PegEpochLength
	side := append([]byte{0x00, 0x14}, bytes.Repeat([]byte{0x11}, 20)...)
	s.stakers = stakersWeighing(pegKeys(t, 3))
	s.to(L - 1)
	var pkScript []byte
	err := s.db.View(func(r store.Reader) error {
		f, _, err := pegbox.FederationAt(r, 1)
		if err == nil {
			pkScript, err = f.PkScript(s.p.Main)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	dep := s.tx(wire.NewTxOut(100_000, pkScript), s.nullData(0, side))
	s.connect(dep)
	info, err := b.PegInfo(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, _, _, _, _, ok := info.Audit.Derived(); !ok {
		t.Fatalf("the honest audit does not match: %+v", info.Audit)
	}

	theft := wire.NewMsgTx(2)
	theft.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: dep.TxHash()}, nil, nil))
	theft.AddTxOut(wire.NewTxOut(11_000, side))
	theft.AddTxOut(wire.NewTxOut(89_000, pkScript))
	s.connect(theft)
	if info, err = unaudited.PegInfo(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, _, _, _, _, ok := info.Audit.Derived(); ok || info.Audit.UncheckedCount != 1 ||
		info.Audit.Unchecked != 11_000 {
		t.Fatalf("audit without an auditor: %+v", info.Audit)
	}
	if info, err = b.PegInfo(ctx); err != nil {
		t.Fatal(err)
	}
	a := info.Audit
	_, _, _, fees, bumps, _, ok := a.Derived()
	if ok || fees != 0 || bumps != 0 || a.Unexplained != 11_000 || len(a.UnexplainedSpends) != 1 {
		t.Fatalf("audit after the theft: %+v (fees %d, bumps %d, matches %v)", a, fees, bumps, ok)
	}
	if u := a.UnexplainedSpends[0]; u.TxID != theft.TxHash() || u.Code != "ErrSpendNoPayload" || u.Message == "" ||
		u.Spent != 100_000 || u.Out != 11_000 || u.Height != L+1 {
		t.Errorf("unexplained spend %+v", u)
	}

	// The federation spends the change into a deposit: refused, and said
	// why in the user's terms.
	fedDep := s.tx(wire.NewTxOut(89_000, pkScript), s.nullData(0, side))
	fedDep.TxIn[0].PreviousOutPoint = wire.OutPoint{Hash: theft.TxHash(), Index: 1}
	s.connect(fedDep)
	found, err := b.Deposit(ctx, api.DepositQuery{TxID: fedDep.TxHash()})
	if err != nil || found.Refused == nil || found.Refused.Reason != "ErrDepositSpendsPegbox" ||
		!strings.Contains(found.Refused.Message, "funded by pegbox coins") {
		t.Fatalf("the pegbox-funded deposit: %+v %v", found, err)
	}
	if info, err = b.PegInfo(ctx); err != nil {
		t.Fatal(err)
	}
	if a := info.Audit; len(a.UnexplainedSpends) != 2 || a.UnexplainedSpends[1].Code != "ErrDepositSpendsPegbox" ||
		a.Unexplained != 11_000 || info.Deposits != 1 {
		t.Errorf("audit after the pegbox-funded deposit: %+v, %d deposits", a, info.Deposits)
	}
}
