package round

import (
	"bytes"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
	"github.com/mainstake/sidenode/chainparams"
)

func TestErrorCodesComplete(t *testing.T) {
	for c := ErrorCode(0); c < numErrorCodes; c++ {
		if errorCodeStrings[c] == "" {
			t.Errorf("code %d has no name", c)
		}
		if _, ok := banScores[c]; !ok {
			t.Errorf("%v has no ban score", c)
		}
	}
}

// sampleMessages returns one signed message of each kind, sent by dev
// notary 1 for the round of height 10.
func sampleMessages(t testing.TB) []*Message {
	params := testParams()
	id := RoundID{Season: 0, Height: 10, Block: chainhash.Hash{1, 2, 3}, Attempt: 2}
	op := wire.OutPoint{Hash: chainhash.Hash{9}, Index: 4}
	ms := []*Message{
		{Kind: KindAnnounce, Round: id, Sender: 1, OutPoint: op, Value: 50_000},
		{Kind: KindInputSet, Round: id, Sender: 1, FeeRate: 2, Inputs: []SetInput{
			{0, op, 50_000}, {1, wire.OutPoint{Index: 1}, 60_000}, {3, op, 1}}},
		{Kind: KindSignature, Round: id, Sender: 1, TxID: chainhash.Hash{7},
			TxSig: bytes.Repeat([]byte{0x30}, 71)},
		{Kind: KindAbort, Round: id, Sender: 1, Reason: AbortSpent, OutPoint: op},
	}
	for _, m := range ms {
		if err := m.Sign(chainparams.DevNotaryKey(1), params.SidechainID); err != nil {
			t.Fatal(err)
		}
	}
	return ms
}

// TestMessageRoundTrip: Decode gives back what Encode wrote, and the
// message verifies as notary 1's.
func TestMessageRoundTrip(t *testing.T) {
	params := testParams()
	for _, m := range sampleMessages(t) {
		raw := m.Encode()
		got, err := Decode(raw)
		if err != nil {
			t.Fatalf("%v: %v", m.Kind, err)
		}
		if !bytes.Equal(got.Encode(), raw) || !sameContent(got, m) {
			t.Fatalf("%v: round trip differs", m.Kind)
		}
		pub, err := got.Verify(params)
		if err != nil || pub != params.Notary.Seasons[0].Pubkeys[1] {
			t.Fatalf("%v: Verify: %v", m.Kind, err)
		}
	}
}

// TestDecodeStrict: every way bytes can fail to be a message has its code.
func TestDecodeStrict(t *testing.T) {
	ms := sampleMessages(t)
	ann, set, sig, abort := ms[0].Encode(), ms[1].Encode(), ms[2].Encode(), ms[3].Encode()
	edit := func(b []byte, f func([]byte) []byte) []byte {
		return f(append([]byte(nil), b...))
	}
	body := headerSize // where the body starts
	cases := []struct {
		name string
		raw  []byte
		code ErrorCode
	}{
		{"empty", nil, ErrMalformed},
		{"header only", ann[:headerSize+authSize-1], ErrMalformed},
		{"version 2", edit(ann, func(b []byte) []byte { b[0] = 2; return b }), ErrUnknownVersion},
		{"kind 0", edit(ann, func(b []byte) []byte { b[1] = 0; return b }), ErrMalformed},
		{"kind 5", edit(ann, func(b []byte) []byte { b[1] = 5; return b }), ErrMalformed},
		{"announce short", append(append([]byte(nil), ann[:len(ann)-authSize-1]...), ann[len(ann)-authSize:]...), ErrMalformed},
		{"announce trailing", append(append(append([]byte(nil), ann[:len(ann)-authSize]...), 0), ann[len(ann)-authSize:]...), ErrMalformed},
		{"announce zero value", edit(ann, func(b []byte) []byte {
			copy(b[body+outPointSize:], make([]byte, 8))
			return b
		}), ErrMalformed},
		{"announce value above 21M BTC", edit(ann, func(b []byte) []byte {
			copy(b[body+outPointSize:], bytes.Repeat([]byte{0xff}, 8))
			return b
		}), ErrMalformed},
		{"input set of 0", edit(set, func(b []byte) []byte { b[body+4] = 0; return b }), ErrMalformed},
		{"input set count too high", edit(set, func(b []byte) []byte { b[body+4] = 4; return b }), ErrMalformed},
		{"signature of 8 bytes", edit(sig, func(b []byte) []byte { b[body+32] = 8; return b }), ErrMalformed},
		{"signature of 74 bytes", edit(sig, func(b []byte) []byte { b[body+32] = 74; return b }), ErrMalformed},
		{"signature length beyond the end", edit(sig, func(b []byte) []byte { b[body+32] = 72; return b }), ErrMalformed},
		{"abort reason 2", edit(abort, func(b []byte) []byte { b[body] = 2; return b }), ErrMalformed},
	}
	for _, c := range cases {
		if _, err := Decode(c.raw); !IsErrorCode(err, c.code) {
			t.Errorf("%s: %v, want %v", c.name, err, c.code)
		}
	}
}

// TestVerifyForged: a message that is not the named notary's is ErrForged,
// which bans.
func TestVerifyForged(t *testing.T) {
	params := testParams()
	m := sampleMessages(t)[0]
	forge := func(f func(*Message)) error {
		c := *m
		f(&c)
		d, err := Decode(c.Encode())
		if err != nil {
			t.Fatal(err)
		}
		_, err = d.Verify(params)
		return err
	}
	cases := map[string]func(*Message){
		"signature flipped":  func(c *Message) { c.Auth[5] ^= 1 },
		"content changed":    func(c *Message) { c.Value++ },
		"signed by notary 2": func(c *Message) { _ = c.Sign(chainparams.DevNotaryKey(2), params.SidechainID) },
		"sender 5 of 5":      func(c *Message) { c.Sender = 5; _ = c.Sign(chainparams.DevNotaryKey(5), params.SidechainID) },
		"season 1":           func(c *Message) { c.Round.Season = 1; _ = c.Sign(chainparams.DevNotaryKey(1), params.SidechainID) },
		"another sidechain":  func(c *Message) { _ = c.Sign(chainparams.DevNotaryKey(1), params.SidechainID+1) },
		"height above int32": func(c *Message) {
			c.Round.Height = 1 << 31
			_ = c.Sign(chainparams.DevNotaryKey(1), params.SidechainID)
		},
		"auth not a BIP340 value": func(c *Message) { copy(c.Auth[:32], bytes.Repeat([]byte{0xff}, 32)) },
	}
	for name, f := range cases {
		err := forge(f)
		if !IsErrorCode(err, ErrForged) || BanScore(err) != 100 {
			t.Errorf("%s: %v (ban score %d)", name, err, BanScore(err))
		}
	}
}

// FuzzDecode: Decode never panics, accepts only bytes it re-encodes
// exactly, and Verify never panics on what it accepts. Seeds: one message
// of each kind, and every message of a real round.
func FuzzDecode(f *testing.F) {
	for _, m := range sampleMessages(f) {
		f.Add(m.Encode())
	}
	for _, raw := range roundTranscript(f) {
		f.Add(raw)
	}
	f.Add([]byte{})
	f.Add([]byte{Version, byte(KindInputSet)})
	params := testParams()
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := Decode(raw)
		if err != nil {
			if _, ok := Code(err); !ok {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if !bytes.Equal(m.Encode(), raw) {
			t.Fatalf("accepted bytes that do not re-encode the same")
		}
		_, _ = m.Verify(params)
	})
}

// roundTranscript returns every message of a complete round of 5
// notaries.
func roundTranscript(tb testing.TB) [][]byte {
	net := newTestNet(tb, 5, 1)
	net.tip(testChain(12))
	var out [][]byte
	for len(net.queue) > 0 {
		out = append(out, net.queue[0].raw)
		net.step()
	}
	return out
}

// FuzzHandleSigned: any well-formed message, signed by the notary it names
// (so that it passes authentication and reaches the round's rules), never
// panics a notary in a round, and a refusal always carries a code.
func FuzzHandleSigned(f *testing.F) {
	// One seed per kind of a real round, and an abort: each seed runs a
	// whole round.
	kinds := map[Kind]bool{}
	for _, raw := range roundTranscript(f) {
		if m, err := Decode(raw); err == nil && !kinds[m.Kind] {
			kinds[m.Kind] = true
			f.Add(raw)
		}
	}
	f.Add(sampleMessages(f)[3].Encode())
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := Decode(raw)
		if err != nil {
			return
		}
		net := newTestNet(t, 5, 1)
		net.adversarial = true
		net.tip(testChain(12))
		m.Sender %= 5
		if err := m.Sign(chainparams.DevNotaryKey(int(m.Sender)), net.params.SidechainID); err != nil {
			t.Fatal(err)
		}
		for i := range net.notaries {
			if err := net.notaries[i].Handle(m.Encode()); err != nil {
				if _, ok := Code(err); !ok {
					t.Fatalf("untyped refusal %v", err)
				}
			}
		}
		net.settle()
	})
}
