package pegbox

import (
	"bytes"
	"math/big"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/sideblock"
)

// wirePacket sends a packet the way members do: serialized.
func wirePacket(t testing.TB, p *psbt.Packet) *psbt.Packet {
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

type signingSetup struct {
	params *chaincfg.Params
	privs  []*btcec.PrivateKey
	fed    *Federation
	coins  []Coin
	ws     []sideblock.Withdrawal
}

func newSigningSetup(t testing.TB) *signingSetup {
	params := &chaincfg.RegressionNetParams
	privs := keys(t, 4)
	fed, err := Elect(2, stakersOf(privs), 4)
	if err != nil {
		t.Fatal(err)
	}
	pk, err := fed.PkScript(params)
	if err != nil {
		t.Fatal(err)
	}
	return &signingSetup{
		params: params, privs: privs, fed: fed,
		coins: []Coin{
			{OutPoint: wire.OutPoint{Hash: chainhash.Hash{1}}, Value: 300_000, PkScript: pk, Height: 1},
			{OutPoint: wire.OutPoint{Hash: chainhash.Hash{2}, Index: 3}, Value: 500_000, PkScript: pk, Height: 2},
		},
		ws: []sideblock.Withdrawal{
			{Value: 400_000, Fee: 2_000, PkScript: otherScript, Index: 0, Count: 2},
			{Value: 300_000, Fee: 2_000, PkScript: sideScript, Index: 1, Count: 2},
		},
	}
}

// member builds the payout as every member does and starts signing it.
func (s *signingSetup) member(t testing.TB, side chainhash.Hash) *Signing {
	t.Helper()
	pk, _ := s.fed.PkScript(s.params)
	tx, err := BuildPayout(side, s.ws, s.coins, pk, testSidechain, 546, 0)
	if err != nil {
		t.Fatal(err)
	}
	sg, err := NewSigning(tx, s.coins, s.fed, s.params)
	if err != nil {
		t.Fatal(err)
	}
	return sg
}

func TestSigningReachesThreshold(t *testing.T) {
	s := newSigningSetup(t)
	side := chainhash.Hash{0x77}
	a, b, c := s.member(t, side), s.member(t, side), s.member(t, side)

	pa, err := a.Sign(s.privs[0])
	if err != nil {
		t.Fatal(err)
	}
	pb, _ := b.Sign(s.privs[1])
	pc, _ := c.Sign(s.privs[2])
	if _, ok, err := a.Complete(); ok || err != nil {
		t.Fatalf("complete with one signer: %v %v", ok, err)
	}
	if n, err := a.Add(wirePacket(t, pb)); err != nil || n != 2 {
		t.Fatalf("add b: %d %v", n, err)
	}
	if n, err := a.Add(wirePacket(t, pb)); err != nil || n != 0 {
		t.Fatalf("b again: %d new, %v", n, err)
	}
	if _, ok, _ := a.Complete(); ok {
		t.Fatal("complete with two of four")
	}
	if _, err := a.Add(wirePacket(t, pc)); err != nil {
		t.Fatal(err)
	}
	if a.Signers() != 3 {
		t.Fatalf("%d signers", a.Signers())
	}
	tx, ok, err := a.Complete()
	if err != nil || !ok {
		t.Fatalf("complete: %v %v", ok, err)
	}
	// c completes the same transaction from a's and b's signatures.
	if _, err := c.Add(wirePacket(t, pa)); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Add(wirePacket(t, pb)); err != nil {
		t.Fatal(err)
	}
	tx2, ok, err := c.Complete()
	if err != nil || !ok || tx2.TxHash() != tx.TxHash() {
		t.Fatalf("c's payout %v (%v, %v), a's %v", tx2.TxHash(), ok, err, tx.TxHash())
	}
}

func TestSigningRefuses(t *testing.T) {
	s := newSigningSetup(t)
	side := chainhash.Hash{0x77}
	a := s.member(t, side)

	// A member that built the payout of another sideblock.
	other := s.member(t, chainhash.Hash{0x78})
	po, err := other.Sign(s.privs[1])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Add(wirePacket(t, po)); !IsErrorCode(err, ErrOtherSpend) {
		t.Fatalf("another transaction: %v", err)
	}

	// Its signatures replayed into a packet of our transaction.
	b := s.member(t, side)
	pb, _ := b.Sign(s.privs[1])
	replay := wirePacket(t, pb)
	for i := range replay.Inputs {
		replay.Inputs[i].PartialSigs = po.Inputs[i].PartialSigs
	}
	if _, err := a.Add(replay); !IsErrorCode(err, ErrBadSignature) {
		t.Fatalf("replayed signatures: %v", err)
	}

	// A forged signature.
	forged := wirePacket(t, pb)
	sig := forged.Inputs[1].PartialSigs[0].Signature
	sig[10] ^= 1
	if _, err := a.Add(forged); !IsErrorCode(err, ErrBadSignature) {
		t.Fatalf("forged signature: %v", err)
	}

	// A key outside the federation, signing correctly.
	outsider := keys(t, 6)[5]
	if _, err := a.Sign(outsider); !IsErrorCode(err, ErrNotMember) {
		t.Fatalf("outsider signs: %v", err)
	}
	stranger := wirePacket(t, pb)
	stranger.Inputs[0].PartialSigs[0].PubKey = outsider.PubKey().SerializeCompressed()
	if _, err := a.Add(stranger); !IsErrorCode(err, ErrNotMember) {
		t.Fatalf("outsider's key: %v", err)
	}

	// None of it was kept.
	if a.Signers() != 0 {
		t.Fatalf("%d signers after refusals", a.Signers())
	}

	// A coin of another pegbox cannot be signed for.
	bad := append([]Coin(nil), s.coins...)
	bad[0].PkScript = otherScript
	tx, _ := BuildPayout(side, s.ws, s.coins, bad[1].PkScript, testSidechain, 546, 0)
	if _, err := NewSigning(tx, bad, s.fed, s.params); !IsErrorCode(err, ErrNotPegboxCoin) {
		t.Fatalf("foreign coin: %v", err)
	}
}

// highS returns sig (DER ‖ sighash byte) with S replaced by N − S: the
// same signature in its malleated, non-standard form (BIP146 LOW_S).
func highS(t testing.TB, sig []byte) []byte {
	t.Helper()
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

// TestSigningRefusesHighS: a relay that flips a member's signature to its
// high-S twin, which verifies but no standard relay takes, must not get it
// kept; it would stand in for the member's real signature and keep the
// spend from ever completing.
func TestSigningRefusesHighS(t *testing.T) {
	s := newSigningSetup(t)
	side := chainhash.Hash{0x77}
	a := s.member(t, side)
	pb, _ := s.member(t, side).Sign(s.privs[1])
	flipped := wirePacket(t, pb)
	for i := range flipped.Inputs {
		for _, ps := range flipped.Inputs[i].PartialSigs {
			ps.Signature = highS(t, ps.Signature)
		}
	}
	if _, err := a.Add(flipped); !IsErrorCode(err, ErrBadSignature) {
		t.Fatalf("high-S signatures: %v", err)
	}
	if a.Signers() != 0 {
		t.Fatalf("%d signers after the refusal", a.Signers())
	}
}

// TestSigningSilent: the members whose signature has not arrived are
// named until they sign.
func TestSigningSilent(t *testing.T) {
	s := newSigningSetup(t)
	side := chainhash.Hash{0x78}
	a, b := s.member(t, side), s.member(t, side)
	if got := len(a.Silent()); got != 4 || a.Threshold() != 3 {
		t.Fatalf("before any signature: %d silent, threshold %d", got, a.Threshold())
	}
	if _, err := a.Sign(s.privs[0]); err != nil {
		t.Fatal(err)
	}
	pb, _ := b.Sign(s.privs[1])
	if _, err := a.Add(wirePacket(t, pb)); err != nil {
		t.Fatal(err)
	}
	silent := a.Silent()
	if len(silent) != 2 {
		t.Fatalf("%d silent after two signed", len(silent))
	}
	signed := map[string]bool{string(s.privs[0].PubKey().SerializeCompressed()): true,
		string(s.privs[1].PubKey().SerializeCompressed()): true}
	for i, k := range silent {
		if signed[string(k)] {
			t.Errorf("silent %d: %x signed", i, k)
		}
	}
}
