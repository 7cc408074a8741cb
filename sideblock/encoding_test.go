package sideblock_test

import (
	"bytes"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/sideblock/blocktests"
)

// TestHeaderRoundTrip checks the 64-byte header encoding and hash.
func TestHeaderRoundTrip(t *testing.T) {
	h := sideblock.Header{
		PrevBlock:  chainhash.DoubleHashH([]byte("prev")),
		MerkleRoot: chainhash.DoubleHashH([]byte("root")),
	}
	raw := h.Bytes()
	if !bytes.Equal(raw[:32], h.PrevBlock[:]) || !bytes.Equal(raw[32:], h.MerkleRoot[:]) {
		t.Fatal("header bytes are not prev ‖ root in internal order")
	}
	if h.BlockHash() != chainhash.DoubleHashH(raw[:]) {
		t.Fatal("block hash is not SHA256d of the header")
	}

	var buf bytes.Buffer
	if err := h.Serialize(&buf); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(buf.Bytes(), raw[:]) {
		t.Fatal("Serialize differs from Bytes")
	}
	var got sideblock.Header
	if err := got.Deserialize(bytes.NewReader(buf.Bytes())); err != nil || got != h {
		t.Fatalf("Deserialize: %v, %v", got, err)
	}
	parsed, err := sideblock.ParseHeader(raw[:])
	if err != nil || parsed != h {
		t.Fatalf("ParseHeader: %v, %v", parsed, err)
	}

	for _, n := range []int{0, 1, 63, 65, 128} {
		_, err := sideblock.ParseHeader(make([]byte, n))
		if !sideblock.IsErrorCode(err, sideblock.ErrBadEncoding) {
			t.Errorf("ParseHeader of %d bytes: %v", n, err)
		}
	}
	err = got.Deserialize(bytes.NewReader(raw[:63]))
	if !sideblock.IsErrorCode(err, sideblock.ErrBadEncoding) {
		t.Errorf("Deserialize of 63 bytes: %v", err)
	}

	// The first block's header has a zero hashPrevBlock.
	var zero sideblock.Header
	if zero.BlockHash() != chainhash.DoubleHashH(make([]byte, 64)) {
		t.Error("hash of the zero header")
	}
}

// smallBlocks returns some generated accepted blocks of modest size.
func smallBlocks(t testing.TB) []*sideblock.Block {
	tests, err := blocktests.Generate()
	if err != nil {
		t.Fatal(err)
	}
	var blocks []*sideblock.Block
	for _, inst := range tests {
		if a, ok := inst.(blocktests.AcceptedBlock); ok &&
			a.Block.BodySize() < 20_000 {
			blocks = append(blocks, a.Block)
		}
	}
	return blocks
}

// TestBodyRoundTrip encodes and decodes bodies of the generated blocks.
func TestBodyRoundTrip(t *testing.T) {
	for _, b := range smallBlocks(t) {
		body, err := b.BodyBytes()
		if err != nil {
			t.Fatal(err)
		}
		if len(body) != b.BodySize() {
			t.Fatalf("BodySize %d, encoded %d", b.BodySize(), len(body))
		}
		txs, err := sideblock.DecodeBody(body)
		if err != nil {
			t.Fatal(err)
		}
		again := &sideblock.Block{Header: b.Header, Transactions: txs}
		body2, _ := again.BodyBytes()
		if !bytes.Equal(body, body2) {
			t.Fatal("body does not round-trip")
		}
		for i := range txs {
			if txs[i].WitnessHash() != b.Transactions[i].WitnessHash() {
				t.Fatalf("transaction %d differs (witness included)", i)
			}
		}
	}
}

// TestDecodeBodyErrors checks that bad bodies fail with the right codes.
func TestDecodeBodyErrors(t *testing.T) {
	b := smallBlocks(t)[0]
	good, _ := b.BodyBytes()

	// A segwit transaction whose witnesses are all empty: it would
	// serialize without the marker, so it is not canonical (btcd's wire
	// refuses it too; DecodeBody also compares sizes).
	tx := wire.NewMsgTx(2)
	tx.AddTxIn(wire.NewTxIn(&wire.OutPoint{Index: 1}, nil, nil))
	tx.AddTxOut(wire.NewTxOut(1, []byte{0x51}))
	var legacy bytes.Buffer
	_ = tx.Serialize(&legacy)
	l := legacy.Bytes()
	marked := append(append(append([]byte{}, l[:4]...), 0x00, 0x01), l[4:len(l)-4]...)
	marked = append(marked, 0x00) // empty witness for the one input
	marked = append(marked, l[len(l)-4:]...)

	cases := []struct {
		name string
		body []byte
		code sideblock.ErrorCode
	}{
		{"empty", nil, sideblock.ErrBadEncoding},
		{"count only", []byte{0x01}, sideblock.ErrBadEncoding},
		{"zero count", []byte{0x00}, -1},
		{"non-canonical count", append([]byte{0xfd, 0x01, 0x00}, good[1:]...), sideblock.ErrBadEncoding},
		{"count above max", append([]byte{0xfe, 0xff, 0xff, 0x00, 0x00}, good[1:]...), sideblock.ErrBadEncoding},
		{"count above bytes", append([]byte{0x10}, good[1:]...), sideblock.ErrBadEncoding},
		{"truncated", good[:len(good)-1], sideblock.ErrBadEncoding},
		{"trailing byte", append(append([]byte{}, good...), 0x00), sideblock.ErrBadEncoding},
		{"superfluous witness marker", append([]byte{0x01}, marked...), sideblock.ErrBadEncoding},
		{"too big", make([]byte, sideblock.MaxBlockSize+1), sideblock.ErrBlockTooBig},
	}
	for _, c := range cases {
		txs, err := sideblock.DecodeBody(c.body)
		if c.code < 0 {
			if err != nil || len(txs) != 0 {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if !sideblock.IsErrorCode(err, c.code) {
			t.Errorf("%s: want %v, got %v", c.name, c.code, err)
		}
	}

	if _, err := sideblock.DecodeBlock(make([]byte, 63)); !sideblock.IsErrorCode(err, sideblock.ErrBadEncoding) {
		t.Errorf("short block: %v", err)
	}
}

// FuzzDecodeBlock decodes arbitrary bytes as a block. Decoding must not
// panic, must fail only with ErrBadEncoding or ErrBlockTooBig, and a block
// that decodes must encode back to the same bytes. Validation of a decoded
// block must not panic either.
func FuzzDecodeBlock(f *testing.F) {
	for _, b := range smallBlocks(f) {
		raw, err := b.Bytes()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(raw)
	}
	f.Add([]byte{})
	f.Add(make([]byte, sideblock.HeaderSize))
	f.Add(append(make([]byte, sideblock.HeaderSize), 0x01))

	params := blocktests.Params()
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := sideblock.DecodeBlock(data)
		if err != nil {
			code, ok := sideblock.ErrorCodeOf(err)
			if !ok || (code != sideblock.ErrBadEncoding &&
				code != sideblock.ErrBlockTooBig) {
				t.Fatalf("unexpected error %v", err)
			}
			return
		}
		raw, err := b.Bytes()
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(raw, data) {
			t.Fatalf("decoded block does not re-encode to its bytes")
		}
		if err := sideblock.CheckBlockSanity(b, params); err == nil {
			view := sideblock.NewMemUtxoView()
			_, _, _ = sideblock.CheckConnectBlock(b, 1, view, params)
		}
	})
}
