package claims

import (
	"bytes"
	"testing"
)

// FuzzParseClaim: ParseClaim never panics, and what it accepts is the
// canonical script of the claim it returns. Seeds are signed claims.
func FuzzParseClaim(f *testing.F) {
	k := newKeyring(f, 2)
	f.Add(signed(k, 0, 0, 5, 60).Script())
	f.Add(signed(k, 1, 1<<40, 1<<40+100, 1<<50).Script())
	f.Add([]byte{0x6a})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ParseClaim(b)
		if err != nil {
			if _, ok := ErrorCodeOf(err); !ok {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if !bytes.Equal(c.Script(), b) {
			t.Fatal("accepted a non-canonical script")
		}
	})
}

// FuzzDecodeLedger: DecodeLedger never panics, and what it accepts encodes
// back to the same bytes.
func FuzzDecodeLedger(f *testing.F) {
	f.Add((&Ledger{}).Encode())
	f.Add((&Ledger{Accounts: []Account{{NextEpoch: 3, Claimed: 9}, {}, {NextEpoch: 1, Claimed: 1}}}).Encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := DecodeLedger(b)
		if err != nil {
			if _, ok := ErrorCodeOf(err); !ok {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if !bytes.Equal(l.Encode(), b) {
			t.Fatal("accepted encoding is not canonical")
		}
	})
}
