package federation

import (
	"bytes"
	"errors"
	"math/big"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/p2p"
	"github.com/mainstake/sidenode/pegbox"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
)

// FuzzReceivePegSignatures feeds a peer's signature packet to a member
// signing a payout, through ReceivePegSignatures, over a real store that
// holds a federation of 3 of 4 and two pegbox coins. Nothing may panic;
// the only errors are misbehaviours, and a packet that earns one is
// neither kept nor relayed nor counted; no packet changes the store (its
// state hash is what a full scan gives, and the same as before); and
// after any packet, the honest signatures of three members still
// complete the payout, which btcd's script engine accepts. Seeds are real
// packets: honest ones, one flipped to its high-S twin, forged, signed by
// an outsider, replayed from another payout, a member's signatures of
// another payout, one spending no pegbox coin, unsigned, and garbage.
func FuzzReceivePegSignatures(f *testing.F) {
	s := newPegSim(f)
	L := s.p.PegEpochLength
	privs := pegKeys(f, 5)
	s.stakers = stakersWeighing(privs[:4]) // 3 of 4
	s.to(L - 1)
	var fed *pegbox.Federation
	var pkScript []byte
	err := s.db.View(func(r store.Reader) error {
		var err error
		fed, _, err = pegbox.FederationAt(r, 1)
		if err == nil && fed == nil {
			err = errors.New("no federation")
		}
		if err == nil {
			pkScript, err = fed.PkScript(s.p.Main)
		}
		return err
	})
	if err != nil {
		f.Fatal(err)
	}
	_, dest := mainAddress(f, "payee")
	s.connect(s.tx(wire.NewTxOut(400_000, pkScript), s.nullData(0, dest)),
		s.tx(wire.NewTxOut(500_000, pkScript), s.nullData(0, dest)))
	var coins []pegbox.Coin
	if err := s.db.View(func(r store.Reader) error {
		coins, err = pegbox.Coins(r)
		return err
	}); err != nil || len(coins) != 2 {
		f.Fatalf("coins %+v, %v", coins, err)
	}
	tip, err := s.db.Tip()
	if err != nil {
		f.Fatal(err)
	}
	_, stateHash, err := s.db.StateHash(tip.Height)
	if err != nil {
		f.Fatal(err)
	}

	// The payout every member builds, one of another sideblock, and the
	// members' packets.
	ws := []sideblock.Withdrawal{{Value: 600_000, Fee: 5_000, PkScript: dest, Count: 1}}
	build := func(side chainhash.Hash) *wire.MsgTx {
		tx, err := pegbox.BuildPayout(side, ws, coins, pkScript, s.p.SidechainID, s.p.DustLimit, 0)
		if err != nil {
			f.Fatal(err)
		}
		return tx
	}
	payout, otherPayout := build(chainhash.Hash{1}), build(chainhash.Hash{2})
	packetOf := func(tx *wire.MsgTx, key *btcec.PrivateKey) *psbt.Packet {
		sg, err := pegbox.NewSigning(tx, coins, fed, s.p.Main)
		if err != nil {
			f.Fatal(err)
		}
		p, err := sg.Sign(key)
		if err != nil {
			f.Fatal(err)
		}
		return reparse(f, p)
	}
	raw := func(p *psbt.Packet) []byte {
		var buf bytes.Buffer
		if err := p.Serialize(&buf); err != nil {
			f.Fatal(err)
		}
		return buf.Bytes()
	}
	var honest [][]byte
	for _, k := range privs[:4] {
		honest = append(honest, raw(packetOf(payout, k)))
		f.Add(honest[len(honest)-1])
	}
	// A member's valid signatures of another payout: relayed, counted
	// for nothing here.
	f.Add(raw(packetOf(otherPayout, privs[3])))
	// Signatures of another payout replayed on this one.
	replayed := packetOf(payout, privs[2])
	other := packetOf(otherPayout, privs[2])
	for i := range replayed.Inputs {
		replayed.Inputs[i].PartialSigs = other.Inputs[i].PartialSigs
	}
	f.Add(raw(replayed))
	// A forged signature.
	forged := packetOf(payout, privs[1])
	forged.Inputs[1].PartialSigs[0].Signature[10] ^= 1
	f.Add(raw(forged))
	// A valid signature by a key outside the federation.
	outsider := packetOf(payout, privs[0])
	script, err := fed.WitnessScript(s.p.Main)
	if err != nil {
		f.Fatal(err)
	}
	fetcher := txscript.NewMultiPrevOutFetcher(nil)
	for _, c := range coins {
		fetcher.AddPrevOut(c.OutPoint, wire.NewTxOut(c.Value, c.PkScript))
	}
	hashes := txscript.NewTxSigHashes(payout, fetcher)
	for i := range payout.TxIn {
		sig, err := txscript.RawTxInWitnessSignature(payout, hashes, i, coins[i].Value,
			script, txscript.SigHashAll, privs[4])
		if err != nil {
			f.Fatal(err)
		}
		outsider.Inputs[i].PartialSigs = []*psbt.PartialSig{{
			PubKey: privs[4].PubKey().SerializeCompressed(), Signature: sig}}
	}
	f.Add(raw(outsider))
	// A member's signature flipped to its high-S twin, which verifies
	// but no standard node relays; one whose R needs no padding, so that
	// the twin fits the 72 bytes the PSBT parser allows.
	flippedOne := false
	for _, h := range honest {
		p, err := psbt.NewFromRawBytes(bytes.NewReader(h), false)
		if err != nil {
			f.Fatal(err)
		}
		for i := range p.Inputs {
			ps := p.Inputs[i].PartialSigs[0]
			if !flippedOne && ps.Signature[3] == 0x20 {
				ps.Signature = highS(ps.Signature)
				f.Add(raw(p))
				flippedOne = true
			}
		}
	}
	if !flippedOne {
		f.Fatal("no signature to flip: every R is padded")
	}
	// A packet that spends no pegbox coin, and an unsigned one.
	stranger := payout.Copy()
	stranger.TxIn[0].PreviousOutPoint.Index = 7
	p, err := psbt.NewFromUnsignedTx(stranger)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw(p))
	unsigned, err := psbt.NewFromUnsignedTx(payout)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw(unsigned))
	f.Add([]byte("psbt\xff"))
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, data []byte) {
		signing, err := pegbox.NewSigning(payout, coins, fed, s.p.Main)
		if err != nil {
			t.Fatal(err)
		}
		m := New(Env{Params: s.p, DB: s.db, Pegbox: s.x})
		m.job = &payoutJob{what: "payout fuzz", txid: payout.TxHash(),
			inputs: []wire.OutPoint{coins[0].OutPoint, coins[1].OutPoint}, signing: signing}

		err = m.ReceivePegSignatures(0, data)
		var mis *p2p.MisbehaviorError
		switch {
		case errors.As(err, &mis):
			if mis.Score <= 0 {
				t.Fatalf("misbehaviour without a score: %v", mis)
			}
			if m.HavePegSignatures(chainhash.DoubleHashH(data)) || signing.Signers() != 0 ||
				len(m.early) != 0 {
				t.Fatalf("a packet that earned a misbehaviour was kept: %v", err)
			}
		case err != nil:
			t.Fatalf("an error that is no misbehaviour: %v", err)
		}

		// The store: nothing written.
		now, err := s.db.Tip()
		if err != nil || now != tip {
			t.Fatalf("the tip moved to %v, %v", now, err)
		}
		if _, h, err := s.db.StateHash(tip.Height); err != nil || h != stateHash {
			t.Fatalf("the state hash changed to %v, %v", h, err)
		}
		if err := s.db.VerifyStateHash(); err != nil {
			t.Fatalf("the store after the packet: %v", err)
		}

		// Three members' honest packets complete the payout.
		for _, h := range honest[:3] {
			if err := m.ReceivePegSignatures(0, h); err != nil {
				t.Fatalf("an honest packet after %x: %v", data, err)
			}
		}
		tx, ok, err := signing.Complete()
		if err != nil || !ok || tx.TxHash() != payout.TxHash() {
			t.Fatalf("the honest signatures no longer complete the payout after %x: %v, %v",
				data, ok, err)
		}
	})
}

// reparse returns p as a peer receives it: serialized and parsed.
func reparse(t testing.TB, p *psbt.Packet) *psbt.Packet {
	t.Helper()
	var buf bytes.Buffer
	if err := p.Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	out, err := psbt.NewFromRawBytes(&buf, false)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// highS returns the twin of a DER signature with its sighash byte whose S
// is N − S: it verifies as well, but is not in canonical low-S form.
func highS(sig []byte) []byte {
	der := sig[:len(sig)-1]
	rLen := int(der[3])
	r := der[4 : 4+rLen]
	s := new(big.Int).SetBytes(der[4+rLen+2:])
	s.Sub(btcec.S256().N, s)
	sb := s.Bytes()
	if sb[0]&0x80 != 0 {
		sb = append([]byte{0}, sb...)
	}
	out := []byte{0x30, byte(2 + len(r) + 2 + len(sb)), 0x02, byte(len(r))}
	out = append(append(out, r...), 0x02, byte(len(sb)))
	out = append(out, sb...)
	return append(out, sig[len(sig)-1])
}
