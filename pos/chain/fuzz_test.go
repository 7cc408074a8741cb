package chain

import (
	"bytes"
	"testing"
)

// seedBlocks returns encodings of real blocks: one with votes and one
// with a coinbase only.
func seedBlocks(t testing.TB) [][]byte {
	s := newSim(t, []bool{true, true, true, true})
	var out [][]byte
	for i := 0; i < 10; i++ {
		s.step()
	}
	head, _ := s.nodes[0].Head()
	b, _ := s.nodes[0].Block(head)
	e, err := b.Encode()
	if err != nil {
		t.Fatal(err)
	}
	out = append(out, e)
	if p, ok := s.nodes[0].Block(b.Header.Message.ParentRoot); ok {
		e, _ := p.Encode()
		out = append(out, e)
	}
	return out
}

// FuzzDecodeBlock: DecodeBlock never panics, and what it accepts encodes
// back to the same bytes.
func FuzzDecodeBlock(f *testing.F) {
	for _, s := range seedBlocks(f) {
		f.Add(s)
	}
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, in []byte) {
		b, err := DecodeBlock(in)
		if err != nil {
			if !IsErrorCode(err, ErrMalformed) {
				t.Fatalf("error without ErrMalformed: %v", err)
			}
			return
		}
		out, err := b.Encode()
		if err != nil || !bytes.Equal(out, in) {
			t.Fatalf("round trip: %v", err)
		}
	})
}

// FuzzDecodeAttestation: the same for attestations.
func FuzzDecodeAttestation(f *testing.F) {
	s := newSim(f, []bool{true, true, true, true})
	for i := 0; i < 3; i++ {
		s.step()
	}
	for _, a := range s.pool {
		f.Add(a.AppendEncode(nil))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		a, err := DecodeAttestation(in)
		if err != nil {
			if !IsErrorCode(err, ErrMalformed) {
				t.Fatalf("error without ErrMalformed: %v", err)
			}
			return
		}
		if out := a.AppendEncode(nil); !bytes.Equal(out, in) {
			t.Fatal("round trip")
		}
	})
}
