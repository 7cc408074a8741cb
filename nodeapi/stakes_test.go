package nodeapi

import (
	"context"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/mainstake"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/store"
	"github.com/mainstake/sidenode/wallet"
)

// stakeSim is a store with a ticket index, a wallet and an Adapter whose
// follower counts broadcasts.
type stakeSim struct {
	t      *testing.T
	p      *chainparams.Params
	db     *store.DB
	x      *mainstake.Index
	w      *wallet.Wallet
	b      *Adapter
	f      *countingFollower
	hashes []chainhash.Hash
}

func newStakeSim(t *testing.T) *stakeSim {
	t.Helper()
	p := &chainparams.Regtest
	db, err := store.Open("", store.Options{InMemory: true,
		Genesis: *p.Main.GenesisHash, Network: p.Name})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	x, err := mainstake.NewIndex(db, p, mainwatch.NewWatchList())
	if err != nil {
		t.Fatal(err)
	}
	keys, err := wallet.NewKeyring(make([]byte, 32), p.Main)
	if err != nil {
		t.Fatal(err)
	}
	w, err := wallet.New(keys, db, mainwatch.NewWatchList(), p.Main)
	if err != nil {
		t.Fatal(err)
	}
	f := new(countingFollower)
	s := &stakeSim{t: t, p: p, db: db, x: x, w: w, f: f,
		b: New(Env{Params: p, DB: db, Tickets: x, Wallet: w, Follower: f})}
	s.connect()
	return s
}

func (s *stakeSim) connect(txs ...*wire.MsgTx) {
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
			_, err := s.x.ConnectBlock(w, b)
			return err
		})
	if err != nil {
		s.t.Fatal(err)
	}
	s.hashes = append(s.hashes, b.Hash)
}

func (s *stakeSim) to(height int32) {
	for int32(len(s.hashes)) <= height {
		s.connect()
	}
}

// register confirms the registration psbt64 describes, with a fake input.
func (s *stakeSim) register(psbt64 string) *mainstake.Ticket {
	s.t.Helper()
	p, err := psbt.NewFromRawBytes(strings.NewReader(psbt64), true)
	if err != nil {
		s.t.Fatal(err)
	}
	tx := p.UnsignedTx
	tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Hash: chainhash.Hash{0xfe}}, nil, nil))
	s.connect(tx)
	var tk *mainstake.Ticket
	err = s.db.View(func(r store.Reader) error {
		ts, err := mainstake.Tickets(r)
		for _, t := range ts {
			if t.TxHash == tx.TxHash() {
				tk = t
			}
		}
		return err
	})
	if err != nil || tk == nil {
		s.t.Fatalf("no ticket for the registration (%v)", err)
	}
	return tk
}

// TestColdStakeAPI: the API registers a cold-owner stake, refuses to
// withdraw it, hands out its withdrawal and renewal as PSBTs, and refuses
// a signed renewal that pays elsewhere, a garbage PSBT and one signed by
// the wrong key, broadcasting nothing; the owner's renewal is broadcast.
func TestColdStakeAPI(t *testing.T) {
	s := newStakeSim(t)
	ctx := context.Background()
	owner, _ := btcec.NewPrivateKey()
	hot, err := s.w.StakeKey(0)
	if err != nil {
		t.Fatal(err)
	}
	hotPub, _ := s.w.Keys().PubKey(hot)

	// A stake key of the node's own wallet cannot be the cold owner.
	_, err = s.b.CreateStake(ctx, api.StakeRequest{Amount: 1e8, LockBlocks: 20, PSBTOnly: true,
		OwnerPubKey: hotPub.SerializeCompressed()})
	wantAPICode(t, "own key as owner", err, api.ErrInvalidArgument)

	res, err := s.b.CreateStake(ctx, api.StakeRequest{Amount: 1e8, LockBlocks: 20, PSBTOnly: true,
		OwnerPubKey: owner.PubKey().SerializeCompressed()})
	if err != nil {
		t.Fatal(err)
	}
	tk := s.register(res.PSBT)
	if !tk.Cold || !tk.PubKey.IsEqual(hotPub) || !tk.OwnedBy(owner.PubKey()) {
		t.Fatalf("ticket %+v", tk)
	}
	list, _, err := s.b.ListStakes(ctx, api.Page{Limit: 10})
	if err != nil || len(list) != 1 || len(list[0].OwnerKeyHash) != 20 {
		t.Fatalf("ListStakes %+v %v", list, err)
	}

	byID := api.WithdrawRequest{TicketID: uint64(tk.ID)}
	_, err = s.b.WithdrawStake(ctx, byID)
	wantAPICode(t, "withdraw a cold stake", err, api.ErrFailedPrecondition)
	if err == nil || !strings.Contains(err.Error(), "cold owner key") {
		t.Fatalf("withdraw a cold stake: %v", err)
	}
	byID.PSBTOnly = true
	wd, err := s.b.WithdrawStake(ctx, byID)
	if err != nil || wd.PSBT == "" || wd.TxID != nil {
		t.Fatalf("withdrawal PSBT: %+v %v", wd, err)
	}

	s.to(int32(tk.LockHeight))
	rr := api.RenewRequest{TicketID: uint64(tk.ID), LockBlocks: 30}
	renew, err := s.b.RenewStake(ctx, rr)
	if err != nil || renew.PSBT == "" || renew.TxID != nil {
		t.Fatalf("cold renewal: %+v %v", renew, err)
	}
	sign := func(b64 string, key *btcec.PrivateKey, tamper func(*wire.MsgTx)) string {
		p, err := psbt.NewFromRawBytes(strings.NewReader(b64), true)
		if err != nil {
			t.Fatal(err)
		}
		if tamper != nil {
			tamper(p.UnsignedTx)
			for len(p.Outputs) < len(p.UnsignedTx.TxOut) {
				p.Outputs = append(p.Outputs, psbt.POutput{})
			}
		}
		in := p.Inputs[0]
		fetcher := txscript.NewCannedPrevOutputFetcher(in.WitnessUtxo.PkScript, in.WitnessUtxo.Value)
		sig, err := txscript.RawTxInWitnessSignature(p.UnsignedTx, txscript.NewTxSigHashes(p.UnsignedTx, fetcher),
			0, in.WitnessUtxo.Value, in.WitnessScript, txscript.SigHashAll, key)
		if err != nil {
			t.Fatal(err)
		}
		p.Inputs[0].PartialSigs = []*psbt.PartialSig{{PubKey: key.PubKey().SerializeCompressed(), Signature: sig}}
		out, err := p.B64Encode()
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	thief, _ := btcec.NewPrivateKey()
	thiefScript, _ := mainstake.PublisherScript(thief.PubKey())
	for _, tc := range []struct {
		name, psbt, says string
	}{
		{"garbage", "not a psbt", "not a base64 PSBT"},
		{"signed by the thief", sign(renew.PSBT, thief, nil), "no signature of the stake's owner key"},
		{"pays a thief", sign(renew.PSBT, owner, func(tx *wire.MsgTx) {
			tx.TxOut[mainstake.BuildStakeVout].Value -= 1_000_000
			tx.AddTxOut(wire.NewTxOut(1_000_000, thiefScript))
		}), "which is not the new stake"},
		{"feeds the miners", sign(renew.PSBT, owner, func(tx *wire.MsgTx) {
			tx.TxOut[mainstake.BuildStakeVout].Value -= 50_000_000
		}), "fee"},
		{"signature of another transaction", resigned(t, sign(renew.PSBT, owner, nil)), "valid signature"},
	} {
		rr.SignedPSBT = tc.psbt
		_, err := s.b.RenewStake(ctx, rr)
		wantAPICode(t, tc.name, err, api.ErrInvalidArgument)
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: %v does not say %q", tc.name, err, tc.says)
		}
	}
	if n := s.f.sent.Load(); n != 0 {
		t.Fatalf("%d transactions broadcast for refused renewals", n)
	}
	rr.SignedPSBT = sign(renew.PSBT, owner, nil)
	done, err := s.b.RenewStake(ctx, rr)
	if err != nil || done.TxID == nil {
		t.Fatalf("the owner's renewal: %+v %v", done, err)
	}
	if n := s.f.sent.Load(); n != 1 {
		t.Fatalf("%d transactions broadcast, want the renewal", n)
	}
}

// resigned returns the signed PSBT b64 with its stake output one satoshi
// smaller: a renewal that still passes CheckRenewal, under a signature of
// another transaction.
func resigned(t *testing.T, b64 string) string {
	t.Helper()
	p, err := psbt.NewFromRawBytes(strings.NewReader(b64), true)
	if err != nil {
		t.Fatal(err)
	}
	p.UnsignedTx.TxOut[mainstake.BuildStakeVout].Value--
	out, err := p.B64Encode()
	if err != nil {
		t.Fatal(err)
	}
	return out
}
