package bls

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// The vectors in testdata are cases of the Ethereum BLS test suite; see
// testdata/README. A case whose key or signature does not decode counts as
// a failed verification (output false) or an error (output null), as the
// suite expects.

func loadCases(t *testing.T, handler string, into func(name string, raw []byte)) {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", handler, "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no %s vectors: %v", handler, err)
	}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		into(strings.TrimSuffix(filepath.Base(f), ".yaml"), raw)
	}
}

func unhex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.TrimPrefix(s, "0x"))
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return b
}

func TestSignVectors(t *testing.T) {
	loadCases(t, "sign", func(name string, raw []byte) {
		var c struct {
			Input struct {
				Privkey string `yaml:"privkey"`
				Message string `yaml:"message"`
			} `yaml:"input"`
			Output *string `yaml:"output"`
		}
		if err := yaml.Unmarshal(raw, &c); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		sk, err := SecretKeyFromBytes(unhex(t, c.Input.Privkey))
		if c.Output == nil {
			if !IsErrorCode(err, ErrBadSecretKey) {
				t.Errorf("%s: key accepted (%v), want ErrBadSecretKey", name, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		sig := sk.Sign(unhex(t, c.Input.Message))
		if got := sig.Bytes(); hex.EncodeToString(got[:]) != strings.TrimPrefix(*c.Output, "0x") {
			t.Errorf("%s: signature %x", name, got)
		}
		if !sig.Verify(sk.PublicKey(), unhex(t, c.Input.Message)) {
			t.Errorf("%s: own signature does not verify", name)
		}
	})
}

func TestVerifyVectors(t *testing.T) {
	loadCases(t, "verify", func(name string, raw []byte) {
		var c struct {
			Input struct {
				Pubkey    string `yaml:"pubkey"`
				Message   string `yaml:"message"`
				Signature string `yaml:"signature"`
			} `yaml:"input"`
			Output bool `yaml:"output"`
		}
		if err := yaml.Unmarshal(raw, &c); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := false
		pk, perr := PublicKeyFromBytes(unhex(t, c.Input.Pubkey))
		sig, serr := SignatureFromBytes(unhex(t, c.Input.Signature))
		if perr == nil && serr == nil {
			got = sig.Verify(pk, unhex(t, c.Input.Message))
		}
		if got != c.Output {
			t.Errorf("%s: verify %v (key %v, signature %v), want %v", name, got, perr, serr, c.Output)
		}
	})
}

func TestAggregateVectors(t *testing.T) {
	loadCases(t, "aggregate", func(name string, raw []byte) {
		var c struct {
			Input  []string `yaml:"input"`
			Output *string  `yaml:"output"`
		}
		if err := yaml.Unmarshal(raw, &c); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		var sigs []*Signature
		for _, s := range c.Input {
			sig, err := SignatureFromBytes(unhex(t, s))
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			sigs = append(sigs, sig)
		}
		agg, err := AggregateSignatures(sigs)
		if c.Output == nil {
			if err == nil {
				t.Errorf("%s: aggregated, want an error", name)
			}
			return
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got := agg.Bytes(); hex.EncodeToString(got[:]) != strings.TrimPrefix(*c.Output, "0x") {
			t.Errorf("%s: aggregate %x", name, got)
		}
	})
}

func TestFastAggregateVerifyVectors(t *testing.T) {
	loadCases(t, "fast_aggregate_verify", func(name string, raw []byte) {
		var c struct {
			Input struct {
				Pubkeys   []string `yaml:"pubkeys"`
				Message   string   `yaml:"message"`
				Signature string   `yaml:"signature"`
			} `yaml:"input"`
			Output bool `yaml:"output"`
		}
		if err := yaml.Unmarshal(raw, &c); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := true
		var pks []*PublicKey
		for _, s := range c.Input.Pubkeys {
			pk, err := PublicKeyFromBytes(unhex(t, s))
			if err != nil {
				got = false
				break
			}
			pks = append(pks, pk)
		}
		sig, err := SignatureFromBytes(unhex(t, c.Input.Signature))
		if err != nil {
			got = false
		}
		if got {
			got = sig.FastAggregateVerify(pks, unhex(t, c.Input.Message))
		}
		if got != c.Output {
			t.Errorf("%s: fast aggregate verify %v, want %v", name, got, c.Output)
		}
	})
}

func TestAggregateVerifyVectors(t *testing.T) {
	loadCases(t, "aggregate_verify", func(name string, raw []byte) {
		var c struct {
			Input struct {
				Pubkeys   []string `yaml:"pubkeys"`
				Messages  []string `yaml:"messages"`
				Signature string   `yaml:"signature"`
			} `yaml:"input"`
			Output bool `yaml:"output"`
		}
		if err := yaml.Unmarshal(raw, &c); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got := true
		var pks []*PublicKey
		for _, s := range c.Input.Pubkeys {
			pk, err := PublicKeyFromBytes(unhex(t, s))
			if err != nil {
				got = false
				break
			}
			pks = append(pks, pk)
		}
		var msgs [][]byte
		for _, m := range c.Input.Messages {
			msgs = append(msgs, unhex(t, m))
		}
		sig, err := SignatureFromBytes(unhex(t, c.Input.Signature))
		if err != nil {
			got = false
		}
		if got {
			got = sig.AggregateVerify(pks, msgs)
		}
		if got != c.Output {
			t.Errorf("%s: aggregate verify %v, want %v", name, got, c.Output)
		}
	})
}
