package loadtest

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"
)

// Job is the work of one mining.notify, as a miner reads it.
type Job struct {
	ID       string
	Prev     chainhash.Hash // in the header's byte order
	Coinb1   []byte
	Coinb2   []byte
	Branch   []chainhash.Hash // in the header's byte order
	Version  uint32
	Bits     uint32
	NTime    uint32
	Clean    bool
	Received time.Time
}

// ParseNotify reads the params of mining.notify: job_id, prevhash, coinb1,
// coinb2, merkle_branch, version, nbits, ntime, clean_jobs.
func ParseNotify(params json.RawMessage) (*Job, error) {
	var p []json.RawMessage
	if err := json.Unmarshal(params, &p); err != nil {
		return nil, fmt.Errorf("notify params: %w", err)
	}
	if len(p) < 9 {
		return nil, fmt.Errorf("notify has %d params, want 9", len(p))
	}
	var (
		j                                   Job
		prev, c1, c2, version, nbits, ntime string
		branch                              []string
	)
	for i, dst := range []any{&j.ID, &prev, &c1, &c2, &branch, &version, &nbits, &ntime, &j.Clean} {
		if err := json.Unmarshal(p[i], dst); err != nil {
			return nil, fmt.Errorf("notify param %d: %w", i, err)
		}
	}
	pb, err := hex.DecodeString(prev)
	if err != nil || len(pb) != 32 {
		return nil, fmt.Errorf("notify prevhash %q: not 32 bytes of hex", prev)
	}
	// Stratum sends the hash with each 4-byte word reversed.
	for i := 0; i < 32; i += 4 {
		pb[i], pb[i+1], pb[i+2], pb[i+3] = pb[i+3], pb[i+2], pb[i+1], pb[i]
	}
	copy(j.Prev[:], pb)
	if j.Coinb1, err = hex.DecodeString(c1); err != nil {
		return nil, fmt.Errorf("notify coinb1: %w", err)
	}
	if j.Coinb2, err = hex.DecodeString(c2); err != nil {
		return nil, fmt.Errorf("notify coinb2: %w", err)
	}
	for _, b := range branch {
		h, err := hex.DecodeString(b)
		if err != nil || len(h) != 32 {
			return nil, fmt.Errorf("notify merkle branch %q: not 32 bytes of hex", b)
		}
		var hh chainhash.Hash
		copy(hh[:], h)
		j.Branch = append(j.Branch, hh)
	}
	for _, f := range []struct {
		name string
		s    string
		dst  *uint32
	}{{"version", version, &j.Version}, {"nbits", nbits, &j.Bits}, {"ntime", ntime, &j.NTime}} {
		v, err := strconv.ParseUint(f.s, 16, 32)
		if err != nil || len(f.s) != 8 {
			return nil, fmt.Errorf("notify %s %q: not 8 hex digits", f.name, f.s)
		}
		*f.dst = uint32(v)
	}
	return &j, nil
}

// MerkleRoot returns the merkle root of the job's block with the coinbase
// coinb1 || extranonce1 || extranonce2 || coinb2.
func (j *Job) MerkleRoot(en1, en2 []byte) chainhash.Hash {
	cb := make([]byte, 0, len(j.Coinb1)+len(en1)+len(en2)+len(j.Coinb2))
	cb = append(append(append(append(cb, j.Coinb1...), en1...), en2...), j.Coinb2...)
	root := chainhash.DoubleHashH(cb)
	var buf [64]byte
	for _, b := range j.Branch {
		copy(buf[:32], root[:])
		copy(buf[32:], b[:])
		root = chainhash.DoubleHashH(buf[:])
	}
	return root
}

// Header returns the job's header with a merkle root, a time and a nonce.
func (j *Job) Header(root chainhash.Hash, ntime, nonce uint32) wire.BlockHeader {
	return wire.BlockHeader{
		Version:    int32(j.Version),
		PrevBlock:  j.Prev,
		MerkleRoot: root,
		Timestamp:  time.Unix(int64(ntime), 0),
		Bits:       j.Bits,
		Nonce:      nonce,
	}
}

// Share is a solution to a job: what mining.submit carries.
type Share struct {
	JobID       string
	Extranonce2 []byte
	NTime       uint32
	Nonce       uint32
	Hash        chainhash.Hash
}

// SubmitParams are the share's mining.submit params for a worker.
func (s *Share) SubmitParams(worker string) []any {
	return []any{worker, s.JobID, hex.EncodeToString(s.Extranonce2),
		fmt.Sprintf("%08x", s.NTime), fmt.Sprintf("%08x", s.Nonce)}
}

// Solver searches a job for shares of one connection: extranonce2 counts
// up from a start, and for each the nonces from 0.
type Solver struct {
	Job    *Job
	En1    []byte
	En2    []byte // the current extranonce2; its length is the server's size
	Target *big.Int

	root  chainhash.Hash
	nonce uint64 // next nonce; 1<<32 means "next extranonce2"
	hdr   [80]byte
	ready bool
}

// NewSolver starts a search at extranonce2 start (big-endian in size bytes).
func NewSolver(j *Job, en1 []byte, en2Size int, start uint64, target *big.Int) *Solver {
	en2 := make([]byte, en2Size)
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], start)
	if en2Size >= 8 {
		copy(en2[en2Size-8:], b[:])
	} else {
		copy(en2, b[8-en2Size:])
	}
	return &Solver{Job: j, En1: en1, En2: en2, Target: target}
}

func (s *Solver) nextEn2() {
	for i := len(s.En2) - 1; i >= 0; i-- {
		s.En2[i]++
		if s.En2[i] != 0 {
			break
		}
	}
	s.ready = false
	s.nonce = 0
}

// Next returns the next share, trying at most maxTries headers; ok is
// false if none of them met the target.
func (s *Solver) Next(maxTries int) (sh Share, tries int, ok bool) {
	for tries < maxTries {
		if s.nonce > 0xffffffff {
			s.nextEn2()
		}
		if !s.ready {
			s.root = s.Job.MerkleRoot(s.En1, s.En2)
			h := s.Job.Header(s.root, s.Job.NTime, 0)
			var buf bytes.Buffer
			buf.Grow(80)
			if err := h.Serialize(&buf); err != nil {
				panic(err) // a bytes.Buffer does not fail
			}
			copy(s.hdr[:], buf.Bytes())
			s.ready = true
		}
		nonce := uint32(s.nonce)
		s.nonce++
		tries++
		binary.LittleEndian.PutUint32(s.hdr[76:], nonce)
		hash := chainhash.DoubleHashH(s.hdr[:])
		if blockchain.HashToBig(&hash).Cmp(s.Target) <= 0 {
			return Share{JobID: s.Job.ID, Extranonce2: append([]byte(nil), s.En2...),
				NTime: s.Job.NTime, Nonce: nonce, Hash: hash}, tries, true
		}
	}
	return Share{}, tries, false
}

// diff1 is the target of Stratum difficulty 1 for SHA-256d, as cpuminer
// and cgminer read it: 0xffff × 2^208.
var diff1 = new(big.Int).Lsh(big.NewInt(0xffff), 208)

// maxTarget is the largest 256-bit number.
var maxTarget = new(big.Int).Sub(new(big.Int).Lsh(big.NewInt(1), 256), big.NewInt(1))

// TargetFromDifficulty is the share target of a Stratum difficulty: diff1
// divided by the difficulty, at most 2^256 − 1.
func TargetFromDifficulty(d float64) *big.Int {
	if d <= 0 {
		return new(big.Int).Set(maxTarget)
	}
	// diff1 / d with d as a rational, exactly enough for a load generator.
	r := new(big.Rat).SetInt(diff1)
	r.Quo(r, new(big.Rat).SetFloat64(d))
	t := new(big.Int).Quo(r.Num(), r.Denom())
	if t.Cmp(maxTarget) > 0 {
		t.Set(maxTarget)
	}
	return t
}

// ExpectedTries is how many headers a share at this target takes on
// average.
func ExpectedTries(target *big.Int) float64 {
	f, _ := new(big.Rat).SetFrac(new(big.Int).Lsh(big.NewInt(1), 256), new(big.Int).Add(target, big.NewInt(1))).Float64()
	return f
}
