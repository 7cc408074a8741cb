package work

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/pow/headerchain"
)

// Template is what the node hands the pool for one job: plain data, no
// node types.
type Template struct {
	Height int32

	// Header carries Version, PrevBlock, Bits and, as Timestamp, the
	// job's first ntime (the node's clock, within [MinTime, MaxTime]).
	// MerkleRoot and Nonce are ignored.
	Header wire.BlockHeader

	// MinTime is the earliest time the block may carry (the median time
	// past plus one second); MaxTime the latest the node accepts (its
	// clock plus the largest drift into the future it allows).
	MinTime time.Time
	MaxTime time.Time

	// Coinbase has one input whose signature script holds the height
	// push and the main reference push, without any extranonce.
	Coinbase *wire.MsgTx

	// Txs follow the coinbase in block order; Fees are theirs (nil, or
	// one per transaction).
	Txs  []*wire.MsgTx
	Fees []int64

	// SHA256d says the block is mined with SHA-256d. NewJob refuses a
	// template without it (ErrAlgorithm).
	SHA256d bool

	// WithdrawalRoot is the sidechain block's withdrawal root (§6 of
	// docs/protocol.md), nil for a plain Bitcoin block. The header's
	// merkle root is then SHA256d(tx_root ‖ withdrawal_root): one more
	// step with the withdrawal root as the right sibling, which NewJob
	// appends to the branch, so that a miner folds it in like any other.
	// It does not depend on the coinbase's extranonce.
	WithdrawalRoot *chainhash.Hash
}

// Extranonce1Size is the size of the extranonce1 a server gives each
// connection.
const Extranonce1Size = 4

// The sizes of extranonce2 NewJob accepts.
const (
	MinExtranonce2Size = 4
	MaxExtranonce2Size = 16
)

// maxCoinbaseScript is the largest coinbase signature script Bitcoin's
// rules (and the sidechain's, docs/protocol.md §6) allow.
const maxCoinbaseScript = 100

// Job is one unit of Stratum work: a template with the coinbase split
// around the extranonce and the coinbase's merkle branch. A Job is
// immutable once made; any number of goroutines may use it at once.
type Job struct {
	ID       string
	Height   int32
	Template *Template

	// Extranonce2Size is the size of the extranonce2 a miner rolls.
	Extranonce2Size int

	// NetTarget is the network target, from Header.Bits.
	NetTarget *big.Int

	// CoinbaseValue is the sum of the coinbase's outputs: what a block
	// of this job earns.
	CoinbaseValue int64

	// Coinb1 and Coinb2 are the coinbase's serialization without
	// witness, before and after the extranonce (extranonce1 then
	// extranonce2).
	Coinb1, Coinb2 []byte

	// Branch is the merkle branch of the coinbase: the sibling hashes on
	// its path to the root, bottom up.
	Branch []chainhash.Hash

	// MinTime and MaxTime bound a share's ntime, in Unix seconds,
	// inclusive.
	MinTime, MaxTime uint32

	netTarget [32]byte // NetTarget, big-endian
	script    []byte   // the template's coinbase signature script
	notify    []any    // Notify's params, clean flag last
}

// NewJob builds job id from t with extranonce2s of extranonce2Size bytes:
// it appends one push of Extranonce1Size+extranonce2Size bytes to the
// coinbase's signature script, splits the coinbase's serialization
// without witness around that push's data, and computes the coinbase's
// merkle branch. The template must not change afterwards.
func NewJob(id string, t *Template, extranonce2Size int) (*Job, error) {
	if t == nil {
		return nil, errors.New("no template")
	}
	if !t.SHA256d {
		return nil, ErrAlgorithm
	}
	if extranonce2Size < MinExtranonce2Size || extranonce2Size > MaxExtranonce2Size {
		return nil, fmt.Errorf("extranonce2 size %d bytes: must be %d to %d",
			extranonce2Size, MinExtranonce2Size, MaxExtranonce2Size)
	}
	if t.Coinbase == nil || len(t.Coinbase.TxIn) != 1 {
		return nil, errors.New("the template's coinbase does not have one input")
	}
	if len(t.Fees) != 0 && len(t.Fees) != len(t.Txs) {
		return nil, fmt.Errorf("the template has %d fees for %d transactions",
			len(t.Fees), len(t.Txs))
	}
	minT, maxT := t.MinTime.Unix(), t.MaxTime.Unix()
	ts := t.Header.Timestamp.Unix()
	if minT < 0 || maxT > 1<<32-1 || minT > maxT {
		return nil, fmt.Errorf("the template's time window [%d, %d] is "+
			"empty or beyond 32 bits", minT, maxT)
	}
	if ts < minT || ts > maxT {
		return nil, fmt.Errorf("the template's time %d is outside its window [%d, %d]",
			ts, minT, maxT)
	}

	script := t.Coinbase.TxIn[0].SignatureScript
	n := Extranonce1Size + extranonce2Size
	push, err := txscript.NewScriptBuilder().AddData(make([]byte, n)).Script()
	if err != nil {
		return nil, err
	}
	if len(script)+len(push) > maxCoinbaseScript {
		return nil, fmt.Errorf("the coinbase signature script is %d bytes: "+
			"no room for a %d-byte extranonce push within %d bytes",
			len(script), len(push), maxCoinbaseScript)
	}

	j := &Job{
		ID:              id,
		Height:          t.Height,
		Template:        t,
		Extranonce2Size: extranonce2Size,
		NetTarget:       blockchain.CompactToBig(t.Header.Bits),
		MinTime:         uint32(minT),
		MaxTime:         uint32(maxT),
		script:          script,
	}
	if j.NetTarget.Sign() <= 0 {
		return nil, fmt.Errorf("the template's bits %08x are not a positive target",
			t.Header.Bits)
	}
	j.netTarget = targetBytes(j.NetTarget)
	for _, out := range t.Coinbase.TxOut {
		j.CoinbaseValue += out.Value
	}

	cb := j.coinbase(make([]byte, n))
	var buf bytes.Buffer
	buf.Grow(cb.SerializeSizeStripped())
	if err := cb.SerializeNoWitness(&buf); err != nil {
		return nil, err
	}
	ser := buf.Bytes()
	// The extranonce is the last n bytes of the only input's signature
	// script: the serialization's version, input count, outpoint and
	// script length come before the script.
	end := 4 + wire.VarIntSerializeSize(1) + 36 +
		wire.VarIntSerializeSize(uint64(len(cb.TxIn[0].SignatureScript))) +
		len(cb.TxIn[0].SignatureScript)
	j.Coinb1 = append([]byte(nil), ser[:end-n]...)
	j.Coinb2 = append([]byte(nil), ser[end:]...)

	ids := make([]chainhash.Hash, 1, 1+len(t.Txs))
	for i, tx := range t.Txs {
		if tx == nil {
			return nil, fmt.Errorf("the template has no transaction at %d", i+1)
		}
		ids = append(ids, tx.TxHash())
	}
	j.Branch = merkleBranch(ids)
	if t.WithdrawalRoot != nil {
		j.Branch = append(j.Branch, *t.WithdrawalRoot)
	}

	branch := make([]string, len(j.Branch))
	for i := range j.Branch {
		branch[i] = hex.EncodeToString(j.Branch[i][:])
	}
	j.notify = []any{
		id,
		hex.EncodeToString(stratumPrevHash(&t.Header.PrevBlock)),
		hex.EncodeToString(j.Coinb1),
		hex.EncodeToString(j.Coinb2),
		branch,
		hex32(uint32(t.Header.Version)),
		hex32(t.Header.Bits),
		hex32(uint32(ts)),
		false,
	}
	return j, nil
}

// coinbase returns the template's coinbase with extranonce (extranonce1
// then extranonce2) pushed at the end of its signature script; its
// witness is the template's.
func (j *Job) coinbase(extranonce []byte) *wire.MsgTx {
	cb := j.Template.Coinbase.Copy()
	s := make([]byte, 0, len(j.script)+2+len(extranonce))
	s = append(s, j.script...)
	push, _ := txscript.NewScriptBuilder().AddData(extranonce).Script()
	cb.TxIn[0].SignatureScript = append(s, push...)
	return cb
}

// merkleBranch returns the siblings of ids[0] on its path to Bitcoin's
// merkle root of ids, bottom up; ids[0] itself is not read. A level of
// odd length pairs its last hash with itself.
func merkleBranch(ids []chainhash.Hash) []chainhash.Hash {
	var branch []chainhash.Hash
	level := ids
	for len(level) > 1 {
		branch = append(branch, level[1])
		next := make([]chainhash.Hash, 0, (len(level)+1)/2)
		next = append(next, chainhash.Hash{}) // the coinbase's side: unused
		for i := 2; i < len(level); i += 2 {
			r := i + 1
			if r == len(level) {
				r = i
			}
			next = append(next, blockchain.HashMerkleBranches(&level[i], &level[r]))
		}
		level = next
	}
	return branch
}

// stratumPrevHash returns the previous block's hash as Stratum V1 sends
// it: its bytes in internal order with each 4-byte word reversed.
func stratumPrevHash(h *chainhash.Hash) []byte {
	b := make([]byte, chainhash.HashSize)
	for i := 0; i < chainhash.HashSize; i += 4 {
		binary.BigEndian.PutUint32(b[i:], binary.LittleEndian.Uint32(h[i:]))
	}
	return b
}

// hex32 returns v as 8 hex digits, big-endian, as Stratum V1 sends
// version, nbits and ntime.
func hex32(v uint32) string {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], v)
	return hex.EncodeToString(b[:])
}

// Notify returns the params of mining.notify for the job: job id,
// previous hash, coinb1, coinb2, merkle branch, version, nbits, ntime and
// clean. The slice is the caller's; its strings are shared.
func (j *Job) Notify(clean bool) []any {
	p := make([]any, len(j.notify))
	copy(p, j.notify)
	p[len(p)-1] = clean
	return p
}

// Block returns the full block a share of the job makes, for
// SubmitBlock: the coinbase with the share's extranonce, the template's
// transactions, the header with the share's version, ntime and nonce. It
// checks the share's form as Check does, not its hash.
func (j *Job) Block(s Share, versionMask uint32) (*headerchain.Block, error) {
	version, err := j.checkForm(s, versionMask)
	if err != nil {
		return nil, err
	}
	en := make([]byte, 0, Extranonce1Size+j.Extranonce2Size)
	en = append(append(en, s.Extranonce1...), s.Extranonce2...)
	cb := j.coinbase(en)
	txs := make([]*wire.MsgTx, 0, 1+len(j.Template.Txs))
	txs = append(append(txs, cb), j.Template.Txs...)
	h := j.Template.Header
	h.Version = int32(version)
	h.Timestamp = time.Unix(int64(s.NTime), 0)
	h.Nonce = s.Nonce
	h.MerkleRoot = j.merkleRoot(cb.TxHash())
	return &headerchain.Block{Header: h, Transactions: txs}, nil
}

// merkleRoot returns the merkle root for a coinbase txid: the txid hashed
// up the branch, each step the SHA-256d of the left hash then the right,
// as blockchain.HashMerkleBranches does (which allocates on every call;
// this is the share check's hot path).
func (j *Job) merkleRoot(cbid chainhash.Hash) chainhash.Hash {
	var pair [2 * chainhash.HashSize]byte
	root := cbid
	for i := range j.Branch {
		copy(pair[:chainhash.HashSize], root[:])
		copy(pair[chainhash.HashSize:], j.Branch[i][:])
		root = chainhash.DoubleHashH(pair[:])
	}
	return root
}

// targetBytes returns t as 32 big-endian bytes: 2^256-1 for a target
// beyond 256 bits, zero for nil or a negative one.
func targetBytes(t *big.Int) [32]byte {
	var b [32]byte
	switch {
	case t == nil || t.Sign() < 0:
	case t.BitLen() > 256:
		for i := range b {
			b[i] = 0xff
		}
	default:
		t.FillBytes(b[:])
	}
	return b
}

// meets says whether hash, read as Bitcoin reads it (a little-endian
// number), is at most target.
func meets(hash *chainhash.Hash, target *[32]byte) bool {
	for i := 0; i < chainhash.HashSize; i++ {
		if h := hash[chainhash.HashSize-1-i]; h != target[i] {
			return h < target[i]
		}
	}
	return true
}
