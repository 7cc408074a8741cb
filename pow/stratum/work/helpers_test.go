package work_test

import (
	"bytes"
	"compress/bzip2"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"math/big"
	"math/rand"
	"os"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/pow/stratum/work"
	"github.com/mainstake/sidenode/sideblock"
)

// block277647 returns Bitcoin mainnet block 277647 from testdata.
func block277647(t testing.TB) *wire.MsgBlock {
	t.Helper()
	f, err := os.Open("testdata/277647.dat.bz2")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var raw bytes.Buffer
	if _, err := raw.ReadFrom(bzip2.NewReader(f)); err != nil {
		t.Fatal(err)
	}
	// The network magic and the length come first.
	var b wire.MsgBlock
	if err := b.Deserialize(bytes.NewReader(raw.Bytes()[8:])); err != nil {
		t.Fatal(err)
	}
	return &b
}

// sideTemplate returns a template shaped as the node builds it: the
// coinbase's signature script holds the height and a main reference,
// ntxs transactions follow, bits are regtest-easy.
func sideTemplate(t testing.TB, rng *rand.Rand, ntxs int, bits uint32) *work.Template {
	t.Helper()
	const height = 1234
	var ref sideblock.MainRef
	ref.Height = 870000
	rng.Read(ref.Hash[:])
	script, err := sideblock.OwnClockCoinbaseScript(height, ref, nil)
	if err != nil {
		t.Fatal(err)
	}
	cb := wire.NewMsgTx(2)
	cb.AddTxIn(&wire.TxIn{
		PreviousOutPoint: wire.OutPoint{Index: wire.MaxPrevOutIndex},
		SignatureScript:  script,
		Sequence:         wire.MaxTxInSequenceNum,
	})
	// A witness reserved value, as a segwit coinbase carries.
	cb.TxIn[0].Witness = wire.TxWitness{make([]byte, 32)}
	cb.AddTxOut(wire.NewTxOut(5000000000, []byte{0x51}))
	cb.AddTxOut(wire.NewTxOut(0, append([]byte{0x6a, 0x24, 0xaa, 0x21, 0xa9, 0xed}, make([]byte, 32)...)))
	tmpl := &work.Template{
		Height:   height,
		Coinbase: cb,
		SHA256d:  true,
	}
	tmpl.Header.Version = 0x20000000
	rng.Read(tmpl.Header.PrevBlock[:])
	tmpl.Header.Bits = bits
	now := time.Unix(1765000000, 0)
	tmpl.Header.Timestamp = now
	tmpl.MinTime = now.Add(-30 * time.Minute)
	tmpl.MaxTime = now.Add(2 * time.Hour)
	for i := 0; i < ntxs; i++ {
		tx := wire.NewMsgTx(2)
		var op wire.OutPoint
		rng.Read(op.Hash[:])
		tx.AddTxIn(wire.NewTxIn(&op, []byte{byte(i), 0x51}, nil))
		tx.AddTxOut(wire.NewTxOut(int64(1000+i), []byte{0x51}))
		tmpl.Txs = append(tmpl.Txs, tx)
		tmpl.Fees = append(tmpl.Fees, 100)
	}
	return tmpl
}

// miner is an independent Stratum V1 client's view of a job, built from
// the mining.notify params alone, as cpuminer does it: the header is 20
// 32-bit words, each written big-endian into the 80 bytes that are hashed.
type miner struct {
	jobID         string
	coinb1        []byte
	coinb2        []byte
	branch        [][]byte
	words         [20]uint32
	extranonce1   []byte
	extranonce2   []byte
	version       uint32 // as the notify's number
	versionRolled uint32
}

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// newMiner reads the notify params through JSON, as they go on the wire.
func newMiner(t testing.TB, notify []any, extranonce1 []byte, en2Size int) *miner {
	t.Helper()
	line, err := json.Marshal(notify)
	if err != nil {
		t.Fatal(err)
	}
	var p []json.RawMessage
	if err := json.Unmarshal(line, &p); err != nil || len(p) != 9 {
		t.Fatalf("notify params %s", line)
	}
	str := func(i int) string {
		var s string
		if err := json.Unmarshal(p[i], &s); err != nil {
			t.Fatalf("notify param %d: %v", i, err)
		}
		return s
	}
	m := &miner{jobID: str(0), extranonce1: extranonce1, extranonce2: make([]byte, en2Size)}
	prev := unhex(t, str(1))
	m.coinb1, m.coinb2 = unhex(t, str(2)), unhex(t, str(3))
	var branch []string
	if err := json.Unmarshal(p[4], &branch); err != nil {
		t.Fatal(err)
	}
	for _, b := range branch {
		m.branch = append(m.branch, unhex(t, b))
	}
	version, nbits, ntime := unhex(t, str(5)), unhex(t, str(6)), unhex(t, str(7))
	m.version = binary.BigEndian.Uint32(version)
	m.versionRolled = m.version
	m.words[0] = binary.LittleEndian.Uint32(version)
	for i := 0; i < 8; i++ {
		m.words[1+i] = binary.LittleEndian.Uint32(prev[4*i:])
	}
	m.words[17] = binary.LittleEndian.Uint32(ntime)
	m.words[18] = binary.LittleEndian.Uint32(nbits)
	return m
}

func sha256d(b []byte) []byte {
	h := sha256.Sum256(b)
	h = sha256.Sum256(h[:])
	return h[:]
}

// merkle fills the merkle root words from the coinbase the miner builds.
func (m *miner) merkle() {
	cb := append(append(append(append([]byte(nil), m.coinb1...), m.extranonce1...),
		m.extranonce2...), m.coinb2...)
	root := sha256d(cb)
	for _, b := range m.branch {
		root = sha256d(append(root, b...))
	}
	for i := 0; i < 8; i++ {
		m.words[9+i] = binary.BigEndian.Uint32(root[4*i:])
	}
}

// roll sets the version bits the miner rolls (BIP310).
func (m *miner) roll(mask, bits uint32) {
	m.versionRolled = m.version&^mask | bits&mask
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], m.versionRolled)
	m.words[0] = binary.LittleEndian.Uint32(b[:])
}

// ntime returns the ntime the miner's header carries, as a number.
func (m *miner) ntime() uint32 {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], m.words[17])
	return binary.LittleEndian.Uint32(b[:])
}

// setNTime sets the header's ntime.
func (m *miner) setNTime(v uint32) {
	var b [4]byte
	binary.LittleEndian.PutUint32(b[:], v)
	m.words[17] = binary.BigEndian.Uint32(b[:])
}

// header returns the 80 bytes the miner hashes.
func (m *miner) header() []byte {
	h := make([]byte, 80)
	for i, w := range m.words {
		binary.BigEndian.PutUint32(h[4*i:], w)
	}
	return h
}

// hashInt returns the header's hash as the number compared with targets.
func hashInt(h []byte) *big.Int {
	r := make([]byte, len(h))
	for i := range h {
		r[len(h)-1-i] = h[i]
	}
	return new(big.Int).SetBytes(r)
}

// search tries nonces from start until the hash meets target.
func (m *miner) search(t testing.TB, start uint32, target *big.Int) bool {
	for n := start; n < start+1<<20; n++ {
		m.words[19] = n
		if hashInt(sha256d(m.header())).Cmp(target) <= 0 {
			return true
		}
	}
	return false
}

// submit returns the mining.submit params of the miner's current work as
// it would send them: ntime and nonce written little-endian from their
// words, the version bits as a big-endian number.
func (m *miner) submit(t testing.TB, worker string, withVersion bool, mask uint32) []json.RawMessage {
	t.Helper()
	var nt, nn [4]byte
	binary.LittleEndian.PutUint32(nt[:], m.words[17])
	binary.LittleEndian.PutUint32(nn[:], m.words[19])
	params := []any{worker, m.jobID, hex.EncodeToString(m.extranonce2),
		hex.EncodeToString(nt[:]), hex.EncodeToString(nn[:])}
	if withVersion {
		var vb [4]byte
		binary.BigEndian.PutUint32(vb[:], m.versionRolled&mask)
		params = append(params, hex.EncodeToString(vb[:]))
	}
	line, err := json.Marshal(params)
	if err != nil {
		t.Fatal(err)
	}
	var raw []json.RawMessage
	if err := json.Unmarshal(line, &raw); err != nil {
		t.Fatal(err)
	}
	return raw
}

// blockHash returns the miner's header hash as a chainhash.
func (m *miner) blockHash() chainhash.Hash {
	var h chainhash.Hash
	copy(h[:], sha256d(m.header()))
	return h
}
