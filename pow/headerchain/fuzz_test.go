package headerchain_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/wire"

	hc "github.com/mainstake/sidenode/pow/headerchain"
	"github.com/mainstake/sidenode/pow/headerchain/blocktests"
)

// seedBlocks returns the encodings of the block tree's blocks.
func seedBlocks(f *testing.F) [][]byte {
	tests, err := blocktests.Generate()
	if err != nil {
		f.Fatal(err)
	}
	var out [][]byte
	for _, step := range tests {
		var b *hc.Block
		switch s := step.(type) {
		case blocktests.AcceptedBlock:
			b = s.Block
		case blocktests.RejectedBlock:
			b = s.Block
		case blocktests.OrphanBlock:
			b = s.Block
		default:
			continue
		}
		if hc.BaseSize(b) > 10_000 {
			continue // keep the seeds small
		}
		raw, err := b.Bytes()
		if err != nil {
			f.Fatal(err)
		}
		out = append(out, raw)
	}
	return out
}

// FuzzProcessBlock decodes arbitrary bytes as a block and processes it on
// an index holding the start of the block tree. It must never panic; a
// decoded block must re-encode to its bytes; and a block the index takes
// must meet its target and carry the bits the difficulty requires.
func FuzzProcessBlock(f *testing.F) {
	for _, raw := range seedBlocks(f) {
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		b, err := hc.DecodeBlock(raw)
		if err != nil {
			if _, ok := hc.ErrorCodeOf(err); !ok {
				t.Fatalf("decode error is no rule error: %v", err)
			}
			return
		}
		again, err := b.Bytes()
		if err != nil || !bytes.Equal(again, raw) {
			t.Fatalf("decoded block does not re-encode to its bytes")
		}
		ix, err := hc.New(blocktests.Config())
		if err != nil {
			t.Fatal(err)
		}
		res, err := ix.ProcessBlock(b)
		if err != nil {
			if _, ok := hc.ErrorCodeOf(err); !ok {
				t.Fatalf("error is no rule error: %v", err)
			}
			if n := ix.Lookup(b.BlockHash()); n != nil && !ix.IsInvalid(n) {
				t.Fatal("a refused block is stored as valid")
			}
			return
		}
		if res.Orphan {
			return
		}
		hash := b.BlockHash()
		target := blockchain.CompactToBig(b.Header.Bits)
		if b.Header.Bits != blocktests.Bits ||
			blockchain.HashToBig(&hash).Cmp(target) > 0 {
			t.Fatal("accepted a block with wrong bits or too little work")
		}
	})
}

// TestDecodeBlockShort checks that a truncated header is refused as an
// encoding error.
func TestDecodeBlockShort(t *testing.T) {
	_, err := hc.DecodeBlock(make([]byte, hc.HeaderSize-1))
	if !errors.Is(err, hc.ErrBadBody) {
		t.Fatalf("short block: %v", err)
	}
}

// seedHeaderBatches returns header batches from the block tree: its
// accepted blocks' headers in order (they all connect), that batch
// twice over (duplicates), and each rejected block's header after the
// accepted ones before it.
func seedHeaderBatches(f *testing.F) [][]byte {
	tests, err := blocktests.Generate()
	if err != nil {
		f.Fatal(err)
	}
	var accepted bytes.Buffer
	var out [][]byte
	for _, step := range tests {
		switch s := step.(type) {
		case blocktests.AcceptedBlock:
			if err := s.Block.Header.Serialize(&accepted); err != nil {
				f.Fatal(err)
			}
		case blocktests.RejectedBlock:
			batch := bytes.NewBuffer(append([]byte(nil), accepted.Bytes()...))
			if err := s.Block.Header.Serialize(batch); err != nil {
				f.Fatal(err)
			}
			out = append(out, batch.Bytes())
		}
	}
	all := accepted.Bytes()
	return append(out, all, append(append([]byte(nil), all...), all...))
}

// FuzzProcessHeaders decodes arbitrary bytes as a batch of 80-byte
// headers (a trailing partial header is dropped) and gives it to
// ProcessHeaders on a genesis-only index. It must never panic; it must
// report a count within the batch, an error exactly when it stopped short,
// a rule error when it did; and the index must hold every header before
// that point, as valid, and none after it that only the batch brought.
func FuzzProcessHeaders(f *testing.F) {
	for _, raw := range seedHeaderBatches(f) {
		f.Add(raw)
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		var headers []wire.BlockHeader
		r := bytes.NewReader(raw)
		for r.Len() >= hc.HeaderSize && len(headers) < 512 {
			var h wire.BlockHeader
			if err := h.Deserialize(r); err != nil {
				t.Fatal(err)
			}
			headers = append(headers, h)
		}
		ix, err := hc.New(blocktests.Config())
		if err != nil {
			t.Fatal(err)
		}
		n, err := ix.ProcessHeaders(headers)
		if n < 0 || n > len(headers) || (err == nil) != (n == len(headers)) {
			t.Fatalf("%d of %d headers, error %v", n, len(headers), err)
		}
		if err != nil {
			if _, ok := hc.ErrorCodeOf(err); !ok {
				t.Fatalf("error is no rule error: %v", err)
			}
		}
		for i := range headers[:n] {
			node := ix.Lookup(headers[i].BlockHash())
			if node == nil || ix.IsInvalid(node) {
				t.Fatalf("header %d of the %d taken is not held as valid", i, n)
			}
		}
		if n < len(headers) {
			failed := headers[n].BlockHash()
			known := false
			for i := range headers[:n] {
				known = known || headers[i].BlockHash() == failed
			}
			if !known && ix.Lookup(failed) != nil {
				t.Fatal("the failing header was stored")
			}
		}
	})
}
