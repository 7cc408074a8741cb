package work

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// Share is a miner's answer to a job: its extranonces, the header's ntime
// and nonce, and the rolled version bits if it sent any (BIP310).
type Share struct {
	// Extranonce1 is the connection's, filled in by the server.
	Extranonce1 []byte
	Extranonce2 []byte
	NTime       uint32
	Nonce       uint32
	VersionBits uint32
	HasVersion  bool
}

// Limits of ParseSubmit.
const (
	// MaxWorkerLen is the longest worker name, in bytes.
	MaxWorkerLen = 256

	// MaxJobIDLen is the longest job id, in bytes.
	MaxJobIDLen = 64
)

// ParseSubmit decodes the params of mining.submit: worker name, job id,
// extranonce2 (hex), ntime and nonce (8 hex digits each, the numbers
// big-endian), and optionally the rolled version bits (8 hex digits,
// BIP310). The share's Extranonce1 is left for the caller. Anything else
// is a RejectError of CodeOther wrapping ErrMalformed; whether the sizes
// suit a job is Check's concern, except that an extranonce2 longer than
// MaxExtranonce2Size is refused here.
func ParseSubmit(params []json.RawMessage) (worker, jobID string, s Share, err error) {
	if len(params) != 5 && len(params) != 6 {
		return "", "", Share{}, malformed("mining.submit takes 5 or 6 params, not %d", len(params))
	}
	if worker, err = parseString(params[0], "worker name", MaxWorkerLen); err != nil {
		return "", "", Share{}, err
	}
	if jobID, err = parseString(params[1], "job id", MaxJobIDLen); err != nil {
		return "", "", Share{}, err
	}
	en2, err := parseString(params[2], "extranonce2", 2*MaxExtranonce2Size)
	if err != nil {
		return "", "", Share{}, err
	}
	if len(en2) == 0 || len(en2)%2 != 0 {
		return "", "", Share{}, malformed("extranonce2 %q is not whole bytes of hex", en2)
	}
	if s.Extranonce2, err = hex.DecodeString(en2); err != nil {
		return "", "", Share{}, malformed("extranonce2 %q is not hex", en2)
	}
	if s.NTime, err = parseHex32(params[3], "ntime"); err != nil {
		return "", "", Share{}, err
	}
	if s.Nonce, err = parseHex32(params[4], "nonce"); err != nil {
		return "", "", Share{}, err
	}
	if len(params) == 6 {
		if s.VersionBits, err = parseHex32(params[5], "version bits"); err != nil {
			return "", "", Share{}, err
		}
		s.HasVersion = true
	}
	return worker, jobID, s, nil
}

func malformed(format string, args ...any) *RejectError {
	return Reject(CodeOther, ErrMalformed, format, args...)
}

// parseString decodes a JSON string of at most max bytes.
func parseString(raw json.RawMessage, what string, max int) (string, error) {
	// A JSON string of max bytes takes at most 6 bytes per byte
	// escaped, plus its quotes: refuse longer text before decoding it.
	if len(raw) > 6*max+2 {
		return "", malformed("%s is longer than %d bytes", what, max)
	}
	var s string
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '"' {
		return "", malformed("%s is not a string", what)
	}
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", malformed("%s is not a string", what)
	}
	if len(s) > max {
		return "", malformed("%s is longer than %d bytes", what, max)
	}
	return s, nil
}

// parseHex32 decodes a JSON string of 8 hex digits as a big-endian
// number.
func parseHex32(raw json.RawMessage, what string) (uint32, error) {
	s, err := parseString(raw, what, 8)
	if err != nil {
		return 0, err
	}
	var b [4]byte
	if len(s) != 8 {
		return 0, malformed("%s %q is not 8 hex digits", what, s)
	}
	if _, err := hex.Decode(b[:], []byte(s)); err != nil {
		return 0, malformed("%s %q is not 8 hex digits", what, s)
	}
	return binary.BigEndian.Uint32(b[:]), nil
}

// Result is what Check finds in a share that it accepts.
type Result struct {
	// Hash is the header's SHA-256d, the block hash.
	Hash chainhash.Hash

	// Header is the header the share makes.
	Header wire.BlockHeader

	// Block says the hash meets the network target: the share makes a
	// block (see Job.Block).
	Block bool
}

// version returns the header version a share makes under versionMask
// (BIP310): the job's version with the bits of the mask replaced by the
// share's; a share without version bits keeps the job's version.
func (j *Job) version(s Share, versionMask uint32) (uint32, error) {
	v := uint32(j.Template.Header.Version)
	if !s.HasVersion {
		return v, nil
	}
	if s.VersionBits&^versionMask != 0 {
		return 0, Reject(CodeOther, ErrVersionBits, "version bits %08x outside "+
			"the mask %08x", s.VersionBits, versionMask)
	}
	return v&^versionMask | s.VersionBits&versionMask, nil
}

// checkForm checks what a share must be before its hash is worth
// computing and returns the header's version.
func (j *Job) checkForm(s Share, versionMask uint32) (uint32, error) {
	if len(s.Extranonce1) != Extranonce1Size {
		return 0, Reject(CodeOther, ErrExtranonce1Size, "extranonce1 is %d bytes, "+
			"not %d", len(s.Extranonce1), Extranonce1Size)
	}
	if len(s.Extranonce2) != j.Extranonce2Size {
		return 0, Reject(CodeOther, ErrExtranonce2Size, "extranonce2 is %d bytes, "+
			"not %d", len(s.Extranonce2), j.Extranonce2Size)
	}
	if s.NTime < j.MinTime || s.NTime > j.MaxTime {
		return 0, Reject(CodeOther, ErrNTime, "ntime %08x outside [%08x, %08x]",
			s.NTime, j.MinTime, j.MaxTime)
	}
	return j.version(s, versionMask)
}

// Check rebuilds the share's coinbase, merkle root and header, hashes the
// header with SHA-256d and compares the hash with shareTarget and the
// network target. A hash that meets either is accepted; Result.Block
// tells whether it meets the network target. Refusals are RejectErrors:
// ErrExtranonce1Size, ErrExtranonce2Size, ErrNTime (ntime outside
// [MinTime, MaxTime]), ErrVersionBits (CodeOther all) and
// ErrLowDifficulty (CodeLowDifficulty). Check does not look for
// duplicates: that is Seen's job, after Check.
func (j *Job) Check(s Share, versionMask uint32, shareTarget *big.Int) (Result, error) {
	version, err := j.checkForm(s, versionMask)
	if err != nil {
		return Result{}, err
	}
	n := len(j.Coinb1) + Extranonce1Size + j.Extranonce2Size + len(j.Coinb2)
	var stack [512]byte
	cb := stack[:0]
	if n > len(stack) {
		cb = make([]byte, 0, n)
	}
	cb = append(cb, j.Coinb1...)
	cb = append(cb, s.Extranonce1...)
	cb = append(cb, s.Extranonce2...)
	cb = append(cb, j.Coinb2...)

	r := Result{Header: j.Template.Header}
	r.Header.Version = int32(version)
	r.Header.Timestamp = time.Unix(int64(s.NTime), 0)
	r.Header.Nonce = s.Nonce
	r.Header.MerkleRoot = j.merkleRoot(chainhash.DoubleHashH(cb))
	r.Hash = r.Header.BlockHash()

	r.Block = meets(&r.Hash, &j.netTarget)
	if !r.Block {
		st := targetBytes(shareTarget)
		if !meets(&r.Hash, &st) {
			return Result{}, Reject(CodeLowDifficulty, ErrLowDifficulty,
				"low difficulty share: %.6g below %.6g",
				DifficultyFromTarget(blockchain.HashToBig(&r.Hash)),
				DifficultyFromTarget(shareTarget))
		}
	}
	return r, nil
}
