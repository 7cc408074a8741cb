package pegbox

import (
	"bytes"
	"errors"
	"testing"

	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
)

// FuzzSignaturePacket feeds arbitrary bytes to what every node does with a
// peer's federation signature packet: parse it as a PSBT and check its
// signatures (Signing.Add). Nothing may panic; a refusal is a *RuleError
// and keeps nothing; and whatever Add keeps must be signatures btcd's
// script engine accepts: with every member's honest signatures added
// after it, the spend completes. The federation signs 4 of 4 here, so
// that Complete uses every signature kept. Seeds are real packets,
// honest and tampered with.
func FuzzSignaturePacket(f *testing.F) {
	s := newSigningSetup(f)
	all := *s.fed
	all.Threshold = len(all.Keys)
	s.fed = &all
	pk, err := all.PkScript(s.params)
	if err != nil {
		f.Fatal(err)
	}
	for i := range s.coins {
		s.coins[i].PkScript = pk
	}
	side := chainhash.Hash{0x77}
	var honest []*psbt.Packet
	for _, priv := range s.privs {
		p, err := s.member(f, side).Sign(priv)
		if err != nil {
			f.Fatal(err)
		}
		honest = append(honest, wirePacket(f, p))
	}
	raw := func(p *psbt.Packet) []byte {
		var buf bytes.Buffer
		if err := p.Serialize(&buf); err != nil {
			f.Fatal(err)
		}
		return buf.Bytes()
	}
	f.Add(raw(honest[0]))
	f.Add(raw(honest[3]))
	other, _ := s.member(f, chainhash.Hash{0x78}).Sign(s.privs[1])
	f.Add(raw(other))
	// A signature flipped to its high-S twin, one that still fits the
	// 72 bytes the PSBT parser allows (an R without padding).
	seeded := false
	for _, h := range honest {
		for i := range h.Inputs {
			flipped := wirePacket(f, h)
			ps := flipped.Inputs[i].PartialSigs[0]
			if seeded || ps.Signature[3] != 0x20 {
				continue
			}
			ps.Signature = highS(f, ps.Signature)
			f.Add(raw(flipped))
			seeded = true
		}
	}
	if !seeded {
		f.Fatal("no signature to flip: every R is padded")
	}
	forged := wirePacket(f, honest[2])
	forged.Inputs[1].PartialSigs[0].Signature[10] ^= 1
	f.Add(raw(forged))
	unsigned, err := s.member(f, side).s.Packet()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(raw(unsigned))
	f.Add([]byte("psbt\xff"))
	f.Add([]byte{})

	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := psbt.NewFromRawBytes(bytes.NewReader(data), false)
		if err != nil {
			return
		}
		a := s.member(t, side)
		n, err := a.Add(p)
		if err != nil {
			var re *RuleError
			if !errors.As(err, &re) {
				t.Fatalf("refusal %T %v is not a *RuleError", err, err)
			}
			if n != 0 || a.Signers() != 0 {
				t.Fatalf("a refused packet left %d new signatures, %d signers", n, a.Signers())
			}
			return
		}
		if n > len(s.coins)*len(s.privs) {
			t.Fatalf("%d new signatures", n)
		}
		for _, h := range honest {
			if _, err := a.Add(h); err != nil {
				t.Fatalf("an honest packet after an accepted one: %v", err)
			}
		}
		if _, ok, err := a.Complete(); !ok || err != nil {
			t.Fatalf("an accepted packet keeps the spend from completing: %v, %v", ok, err)
		}
	})
}
