package protection

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/store"
	"github.com/mainstake/sidenode/wallet"
)

// TestErrorCodeStrings keeps errorCodeStrings complete.
func TestErrorCodeStrings(t *testing.T) {
	for c := ErrorCode(0); c < numErrorCodes; c++ {
		if errorCodeStrings[c] == "" {
			t.Errorf("code %d has no name", c)
		}
	}
	if len(errorCodeStrings) != int(numErrorCodes) {
		t.Errorf("%d names for %d codes", len(errorCodeStrings), numErrorCodes)
	}
}

// TestKeyPrefixIsWallet: the records live in the wallet's local keyspace.
func TestKeyPrefixIsWallet(t *testing.T) {
	if KeyPrefix[0] != wallet.KeyByte {
		t.Fatalf("key prefix %x is not in the wallet's keyspace %x", KeyPrefix, wallet.KeyByte)
	}
}

func storeOpts() store.Options {
	return store.Options{Network: "test", Genesis: chainhash.Hash{1},
		LocalPrefixes: [][]byte{{wallet.KeyByte}}}
}

func openMem(t *testing.T, gvr Root) *DB {
	t.Helper()
	o := storeOpts()
	o.InMemory = true
	st, err := store.Open("", o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	d, err := Open(st, gvr)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func wantCode(t *testing.T, err error, c ErrorCode) {
	t.Helper()
	if !IsErrorCode(err, c) {
		t.Fatalf("got %v, want %v", err, c)
	}
}

func ok(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

var pk1, pk2 = PublicKey{1}, PublicKey{2}

func TestBlocks(t *testing.T) {
	d := openMem(t, Root{})
	ok(t, d.SignBlock(pk1, 10, Root{1}))
	wantCode(t, d.SignBlock(pk1, 10, Root{1}), ErrAlreadySigned)
	wantCode(t, d.SignBlock(pk1, 10, Root{2}), ErrDoubleProposal)
	wantCode(t, d.SignBlock(pk1, 9, Root{3}), ErrBelowWatermark)
	// An unknown root matches nothing.
	ok(t, d.SignBlock(pk1, 11, Root{}))
	wantCode(t, d.SignBlock(pk1, 11, Root{}), ErrDoubleProposal)
	ok(t, d.SignBlock(pk1, 12, Root{4}))
	// Per key.
	ok(t, d.SignBlock(pk2, 1, Root{4}))
}

func TestAttestations(t *testing.T) {
	d := openMem(t, Root{})
	wantCode(t, d.SignAttestation(pk1, 3, 2, Root{1}), ErrSourceAfterTarget)
	ok(t, d.SignAttestation(pk1, 0, 0, Root{1}))
	ok(t, d.SignAttestation(pk1, 2, 3, Root{1}))
	wantCode(t, d.SignAttestation(pk1, 2, 3, Root{1}), ErrAlreadySigned)
	wantCode(t, d.SignAttestation(pk1, 2, 3, Root{2}), ErrDoubleVote)
	wantCode(t, d.SignAttestation(pk1, 1, 3, Root{2}), ErrDoubleVote)
	// Surrounds (2, 3).
	wantCode(t, d.SignAttestation(pk1, 1, 5, Root{2}), ErrSurroundVote)
	ok(t, d.SignAttestation(pk1, 3, 10, Root{1}))
	// Surrounded by (3, 10).
	wantCode(t, d.SignAttestation(pk1, 4, 6, Root{2}), ErrSurroundVote)
	// Below the target watermark, no conflict: (0, 2) vs (0,0),(2,3),(3,10).
	wantCode(t, d.SignAttestation(pk1, 3, 4, Root{2}), ErrBelowWatermark)
	// Source below the highest source, later target: surrounds (3, 10).
	wantCode(t, d.SignAttestation(pk1, 2, 11, Root{2}), ErrSurroundVote)
	ok(t, d.SignAttestation(pk1, 3, 11, Root{2}))
	ok(t, d.SignAttestation(pk2, 0, 1, Root{2}))
}

// TestPersisted: the records survive a restart, and another network's
// root is refused.
func TestPersisted(t *testing.T) {
	dir := t.TempDir()
	st, err := store.Open(dir, storeOpts())
	ok(t, err)
	d, err := Open(st, Root{7})
	ok(t, err)
	ok(t, d.SignBlock(pk1, 5, Root{1}))
	ok(t, d.SignAttestation(pk1, 1, 2, Root{1}))
	ok(t, st.Close())

	st, err = store.Open(dir, storeOpts())
	ok(t, err)
	defer st.Close()
	_, err = Open(st, Root{8})
	wantCode(t, err, ErrWrongGenesis)
	d, err = Open(st, Root{7})
	ok(t, err)
	wantCode(t, d.SignBlock(pk1, 5, Root{2}), ErrDoubleProposal)
	wantCode(t, d.SignAttestation(pk1, 1, 2, Root{2}), ErrDoubleVote)
	ok(t, d.SignBlock(pk1, 6, Root{2}))
}

func TestImportErrors(t *testing.T) {
	d := openMem(t, Root{})
	zero := "0x" + string(bytes.Repeat([]byte("00"), 32))
	pk := "0x" + string(bytes.Repeat([]byte("ab"), 48))
	for name, doc := range map[string]string{
		"not json":         `{`,
		"no metadata":      `{"data": []}`,
		"version 4":        `{"metadata": {"interchange_format_version": "4", "genesis_validators_root": "` + zero + `"}, "data": []}`,
		"unquoted version": `{"metadata": {"interchange_format_version": 5, "genesis_validators_root": "` + zero + `"}, "data": []}`,
		"short root":       `{"metadata": {"interchange_format_version": "5", "genesis_validators_root": "0x00"}, "data": []}`,
		"no 0x":            `{"metadata": {"interchange_format_version": "5", "genesis_validators_root": "` + zero[2:] + `"}, "data": []}`,
		"bad pubkey":       `{"metadata": {"interchange_format_version": "5", "genesis_validators_root": "` + zero + `"}, "data": [{"pubkey": "0x12", "signed_blocks": [], "signed_attestations": []}]}`,
		"unquoted slot":    `{"metadata": {"interchange_format_version": "5", "genesis_validators_root": "` + zero + `"}, "data": [{"pubkey": "` + pk + `", "signed_blocks": [{"slot": 1}], "signed_attestations": []}]}`,
		"negative slot":    `{"metadata": {"interchange_format_version": "5", "genesis_validators_root": "` + zero + `"}, "data": [{"pubkey": "` + pk + `", "signed_blocks": [{"slot": "-1"}], "signed_attestations": []}]}`,
		"null source":      `{"metadata": {"interchange_format_version": "5", "genesis_validators_root": "` + zero + `"}, "data": [{"pubkey": "` + pk + `", "signed_blocks": [], "signed_attestations": [{"source_epoch": null, "target_epoch": "2"}]}]}`,
		"no target":        `{"metadata": {"interchange_format_version": "5", "genesis_validators_root": "` + zero + `"}, "data": [{"pubkey": "` + pk + `", "signed_blocks": [], "signed_attestations": [{"source_epoch": "1"}]}]}`,
		"huge slot":        `{"metadata": {"interchange_format_version": "5", "genesis_validators_root": "` + zero + `"}, "data": [{"pubkey": "` + pk + `", "signed_blocks": [{"slot": "18446744073709551616"}], "signed_attestations": []}]}`,
		"bad signing root": `{"metadata": {"interchange_format_version": "5", "genesis_validators_root": "` + zero + `"}, "data": [{"pubkey": "` + pk + `", "signed_blocks": [{"slot": "1", "signing_root": "0x1"}], "signed_attestations": []}]}`,
	} {
		if err := d.Import([]byte(doc)); !IsErrorCode(err, ErrBadInterchange) {
			t.Errorf("%s: %v", name, err)
		}
	}
	other := `{"metadata": {"interchange_format_version": "5", "genesis_validators_root": "0x` +
		string(bytes.Repeat([]byte("11"), 32)) + `"}, "data": []}`
	wantCode(t, d.Import([]byte(other)), ErrWrongGenesis)
	// A refused file writes nothing, even its valid first key.
	partial := `{"metadata": {"interchange_format_version": "5", "genesis_validators_root": "` + zero + `"}, "data": [` +
		`{"pubkey": "` + pk + `", "signed_blocks": [{"slot": "100"}], "signed_attestations": []},` +
		`{"pubkey": "0x12", "signed_blocks": [], "signed_attestations": []}]}`
	wantCode(t, d.Import([]byte(partial)), ErrBadInterchange)
	var k PublicKey
	copy(k[:], bytes.Repeat([]byte{0xab}, 48))
	ok(t, d.SignBlock(k, 1, Root{1}))
}

// TestExportImport: a complete export imported into a new database
// protects the same messages, and so does a minimal one; exports are
// stable.
func TestExportImport(t *testing.T) {
	d := openMem(t, Root{5})
	ok(t, d.SignBlock(pk1, 10, Root{1}))
	ok(t, d.SignBlock(pk1, 12, Root{}))
	ok(t, d.SignAttestation(pk1, 1, 2, Root{1}))
	ok(t, d.SignAttestation(pk1, 2, 5, Root{2}))
	ok(t, d.SignAttestation(pk2, 0, 3, Root{3}))
	for _, form := range []Form{Complete, Minimal} {
		exp, err := d.Export(form)
		ok(t, err)
		var parsed interchange
		ok(t, json.Unmarshal(exp, &parsed))
		if len(parsed.Data) != 2 {
			t.Fatalf("form %d: %d keys exported", form, len(parsed.Data))
		}
		d2 := openMem(t, Root{5})
		ok(t, d2.Import(exp))
		exp2, err := d2.Export(form)
		ok(t, err)
		if !bytes.Equal(exp, exp2) {
			t.Errorf("form %d: re-export differs:\n%s\n%s", form, exp, exp2)
		}
		wantCode(t, d2.SignBlock(pk1, 12, Root{9}), ErrDoubleProposal)
		wantCode(t, d2.SignBlock(pk1, 11, Root{9}), ErrBelowWatermark)
		if form == Complete {
			wantCode(t, d2.SignBlock(pk1, 10, Root{1}), ErrAlreadySigned)
			wantCode(t, d2.SignAttestation(pk1, 1, 2, Root{1}), ErrAlreadySigned)
		}
		wantCode(t, d2.SignAttestation(pk1, 2, 5, Root{9}), ErrDoubleVote)
		wantCode(t, d2.SignAttestation(pk2, 0, 2, Root{9}), ErrBelowWatermark)
		ok(t, d2.SignAttestation(pk1, 5, 6, Root{9}))
		ok(t, d2.SignBlock(pk1, 13, Root{9}))
	}
}

// TestExportCarriesWatermark: after merging minimal records whose highest
// source and target come from different records, the complete export
// still carries both.
func TestExportCarriesWatermark(t *testing.T) {
	d := openMem(t, Root{})
	ok(t, d.SignAttestation(pk1, 4, 5, Root{1}))
	zero := "0x" + string(bytes.Repeat([]byte("00"), 32))
	min := `{"metadata": {"interchange_format_version": "5", "genesis_validators_root": "` + zero + `"}, "data": [` +
		`{"pubkey": "` + hexString(pk1[:]) + `", "signed_blocks": [], "signed_attestations": [{"source_epoch": "1", "target_epoch": "9"}, {"source_epoch": "6", "target_epoch": "5"}]}]}`
	ok(t, d.Import([]byte(min)))
	exp, err := d.Export(Complete)
	ok(t, err)
	d2 := openMem(t, Root{})
	ok(t, d2.Import(exp))
	wantCode(t, d2.SignAttestation(pk1, 5, 10, Root{2}), ErrBelowWatermark)
	ok(t, d2.SignAttestation(pk1, 6, 10, Root{2}))
}

// TestConcurrentSigning: of many goroutines asking to sign conflicting
// messages at once, exactly one is allowed per slot and per target.
func TestConcurrentSigning(t *testing.T) {
	d := openMem(t, Root{})
	const n = 16
	errs := make(chan error, 2*n)
	for i := range n {
		go func() { errs <- d.SignBlock(pk1, 7, Root{byte(i + 1)}) }()
		go func() { errs <- d.SignAttestation(pk1, 1, 2, Root{byte(i + 1)}) }()
	}
	okCount := 0
	for range 2 * n {
		err := <-errs
		switch {
		case err == nil:
			okCount++
		case IsErrorCode(err, ErrDoubleProposal), IsErrorCode(err, ErrDoubleVote):
		default:
			t.Fatalf("unexpected %v", err)
		}
	}
	if okCount != 2 {
		t.Fatalf("%d signings allowed, want one block and one attestation", okCount)
	}
}
