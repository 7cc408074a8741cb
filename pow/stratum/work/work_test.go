package work_test

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"math/big"
	"math/bits"
	"math/rand"
	"testing"
	"time"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/pow/headerchain"
	"github.com/mainstake/sidenode/pow/stratum/work"
	"github.com/mainstake/sidenode/sideblock"
)

// TestRealBlock rebuilds Bitcoin mainnet block 277647, mined over Stratum
// by the BTC Guild pool, from a job of this package: its coinbase's
// signature script ends with one 8-byte extranonce push, so a template of
// the block whose script lacks that push gives the real coinbase back. An
// independent miner works from the notify params alone, submits the
// block's ntime and nonce as a Stratum miner does, and Check, Block and
// the miner must all reach the real block hash.
func TestRealBlock(t *testing.T) {
	blk := block277647(t)
	want := blk.BlockHash()
	if want.String() != "0000000000000000054a714e580b16c583701712ab91060e92dbde6eb1e052a8" {
		t.Fatalf("testdata is block %v", want)
	}
	cb := blk.Transactions[0].Copy()
	script := cb.TxIn[0].SignatureScript
	if script[len(script)-9] != 8 {
		t.Fatalf("coinbase script %x does not end with an 8-byte push", script)
	}
	en1, en2 := script[len(script)-8:len(script)-4], script[len(script)-4:]
	cb.TxIn[0].SignatureScript = script[:len(script)-9]

	ts := blk.Header.Timestamp
	tmpl := &work.Template{
		Height:   277647,
		Header:   blk.Header,
		MinTime:  ts.Add(-time.Hour),
		MaxTime:  ts.Add(time.Hour),
		Coinbase: cb,
		Txs:      blk.Transactions[1:],
		SHA256d:  true,
	}
	tmpl.Header.Nonce, tmpl.Header.MerkleRoot = 0, chainhash.Hash{}
	job, err := work.NewJob("bf", tmpl, 4)
	if err != nil {
		t.Fatal(err)
	}

	// The notify params in the byte orders miners expect.
	p := job.Notify(true)
	if p[0] != "bf" || p[8] != true {
		t.Fatalf("notify id/clean %v %v", p[0], p[8])
	}
	// The previous block 00000000000000000e2ed5f0... in display order is,
	// word by word, reversed in internal order.
	prev := blk.Header.PrevBlock
	if got := p[1].(string); got[56:] != "00000000" || len(got) != 64 {
		t.Fatalf("prevhash %s of %v: the zero word must come last", got, prev)
	}
	if p[5] != "00000002" || p[6] != "1903a30c" || p[7] != "52c0ccfe" {
		t.Fatalf("version/nbits/ntime %v %v %v", p[5], p[6], p[7])
	}
	if len(job.Branch) != 8 { // 213 transactions: 8 levels
		t.Fatalf("branch of %d hashes", len(job.Branch))
	}

	m := newMiner(t, p, en1, 4)
	copy(m.extranonce2, en2)
	m.merkle()
	m.words[19] = bits.ReverseBytes32(blk.Header.Nonce) // the nonce word as hashed
	if got := m.blockHash(); got != want {
		t.Fatalf("the independent miner hashed %v, want %v", got, want)
	}
	params := m.submit(t, "guild.worker", false, 0)

	worker, jobID, share, err := work.ParseSubmit(params)
	if err != nil || worker != "guild.worker" || jobID != "bf" {
		t.Fatalf("ParseSubmit: %q %q %v", worker, jobID, err)
	}
	share.Extranonce1 = en1
	res, err := job.Check(share, 0, work.TargetFromDifficulty(1))
	if err != nil {
		t.Fatal(err)
	}
	if res.Hash != want || !res.Block {
		t.Fatalf("Check: hash %v block %v, want %v", res.Hash, res.Block, want)
	}
	got, err := job.Block(share, 0)
	if err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	if err := blk.Serialize(&a); err != nil {
		t.Fatal(err)
	}
	mb := wire.MsgBlock{Header: got.Header, Transactions: got.Transactions}
	if err := mb.Serialize(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("Block does not give the real block back")
	}
}

// TestRoundTrip has an independent miner find shares on a job of a node
// template, with and without version rolling; Check accepts them and
// Block makes a block that encodes, decodes, has the right merkle root
// and keeps the main reference.
func TestRoundTrip(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	for _, ntxs := range []int{0, 1, 2, 5, 16} {
		for _, rolling := range []bool{false, true} {
			tmpl := sideTemplate(t, rng, ntxs, 0x207fffff)
			job, err := work.NewJob("j1", tmpl, 8)
			if err != nil {
				t.Fatal(err)
			}
			en1 := []byte{0xde, 0xad, 0xbe, 0xef}
			m := newMiner(t, job.Notify(false), en1, 8)
			rng.Read(m.extranonce2)
			m.merkle()
			const mask = 0x1fffe000
			if rolling {
				m.roll(mask, 0x0badc000)
			}
			m.setNTime(m.ntime() + 7) // a later ntime, within the window
			diff := 1.0 / (1 << 20)
			if !m.search(t, rng.Uint32(), work.TargetFromDifficulty(diff)) {
				t.Fatal("no share found")
			}
			_, _, share, err := work.ParseSubmit(m.submit(t, "w", rolling, mask))
			if err != nil {
				t.Fatal(err)
			}
			share.Extranonce1 = en1
			res, err := job.Check(share, mask, work.TargetFromDifficulty(diff))
			if err != nil {
				t.Fatalf("%d txs, rolling %v: %v", ntxs, rolling, err)
			}
			if res.Hash != m.blockHash() {
				t.Fatalf("Check hashed %v, the miner %v", res.Hash, m.blockHash())
			}
			if uint32(res.Header.Version) != m.versionRolled {
				t.Fatalf("version %08x, the miner rolled %08x", res.Header.Version, m.versionRolled)
			}
			wantBlock := blockchain.HashToBig(&res.Hash).Cmp(blockchain.CompactToBig(0x207fffff)) <= 0
			if res.Block != wantBlock {
				t.Fatalf("Block %v, want %v", res.Block, wantBlock)
			}

			blk, err := job.Block(share, mask)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := blk.Bytes()
			if err != nil {
				t.Fatal(err)
			}
			dec, err := headerchain.DecodeBlock(raw)
			if err != nil {
				t.Fatal(err)
			}
			if dec.BlockHash() != res.Hash || dec.Header != res.Header {
				t.Fatalf("decoded block %v, share %v", dec.BlockHash(), res.Hash)
			}
			txs := make([]*btcutil.Tx, len(dec.Transactions))
			for i, tx := range dec.Transactions {
				txs[i] = btcutil.NewTx(tx)
			}
			if root := blockchain.CalcMerkleRoot(txs, false); root != dec.Header.MerkleRoot {
				t.Fatalf("merkle root %v, computed %v", dec.Header.MerkleRoot, root)
			}
			if len(dec.Transactions) != 1+ntxs {
				t.Fatalf("%d transactions", len(dec.Transactions))
			}
			if _, err := sideblock.ExtractMainRef(dec.Transactions[0]); err != nil {
				t.Fatal(err)
			}
			if h, err := sideblock.ExtractCoinbaseHeight(dec.Transactions[0]); err != nil || h != tmpl.Height {
				t.Fatalf("height %d %v", h, err)
			}
			if !dec.Transactions[0].HasWitness() {
				t.Fatal("the coinbase lost its witness")
			}
			// coinb1 | extranonce | coinb2 is the coinbase without witness.
			var nw bytes.Buffer
			if err := dec.Transactions[0].SerializeNoWitness(&nw); err != nil {
				t.Fatal(err)
			}
			cat := append(append(append(append([]byte(nil), job.Coinb1...), en1...),
				share.Extranonce2...), job.Coinb2...)
			if !bytes.Equal(nw.Bytes(), cat) {
				t.Fatal("coinb1|extranonce|coinb2 is not the block's coinbase")
			}
		}
	}
}

func mustJob(t testing.TB, ntxs int, bits uint32) (*work.Job, *miner) {
	t.Helper()
	rng := rand.New(rand.NewSource(2))
	job, err := work.NewJob("j", sideTemplate(t, rng, ntxs, bits), 4)
	if err != nil {
		t.Fatal(err)
	}
	m := newMiner(t, job.Notify(true), []byte{1, 2, 3, 4}, 4)
	m.merkle()
	return job, m
}

// TestCheckRejects checks the code and cause of every refusal.
func TestCheckRejects(t *testing.T) {
	job, m := mustJob(t, 3, 0x1d00ffff)
	easy := work.TargetFromDifficulty(1.0 / (1 << 20))
	if !m.search(t, 0, easy) {
		t.Fatal("no share")
	}
	_, _, good, err := work.ParseSubmit(m.submit(t, "w", false, 0))
	if err != nil {
		t.Fatal(err)
	}
	good.Extranonce1 = m.extranonce1
	res, err := job.Check(good, 0, easy)
	if err != nil {
		t.Fatal(err)
	}
	hashDiff := work.DifficultyFromTarget(blockchain.HashToBig(&res.Hash))

	type tc struct {
		name   string
		edit   func(*work.Share)
		mask   uint32
		target *big.Int
		code   work.Code
		cause  error
	}
	cases := []tc{
		{"good", func(*work.Share) {}, 0, easy, 0, nil},
		{"en1 short", func(s *work.Share) { s.Extranonce1 = s.Extranonce1[:3] }, 0, easy,
			work.CodeOther, work.ErrExtranonce1Size},
		{"en2 long", func(s *work.Share) { s.Extranonce2 = append(s.Extranonce2, 0) }, 0, easy,
			work.CodeOther, work.ErrExtranonce2Size},
		{"en2 empty", func(s *work.Share) { s.Extranonce2 = nil }, 0, easy,
			work.CodeOther, work.ErrExtranonce2Size},
		{"ntime early", func(s *work.Share) { s.NTime = job.MinTime - 1 }, 0, easy,
			work.CodeOther, work.ErrNTime},
		{"ntime late", func(s *work.Share) { s.NTime = job.MaxTime + 1 }, 0, easy,
			work.CodeOther, work.ErrNTime},
		{"ntime zero", func(s *work.Share) { s.NTime = 0 }, 0, easy,
			work.CodeOther, work.ErrNTime},
		{"version bits without mask", func(s *work.Share) { s.HasVersion, s.VersionBits = true, 0x2000 }, 0, easy,
			work.CodeOther, work.ErrVersionBits},
		{"version bits outside mask", func(s *work.Share) { s.HasVersion, s.VersionBits = true, 0x20000000 },
			0x1fffe000, easy, work.CodeOther, work.ErrVersionBits},
		{"low difficulty", func(*work.Share) {}, 0, work.TargetFromDifficulty(hashDiff * 2),
			work.CodeLowDifficulty, work.ErrLowDifficulty},
		{"other nonce", func(s *work.Share) { s.Nonce ^= 1 << 31 }, 0, work.TargetFromDifficulty(1e9),
			work.CodeLowDifficulty, work.ErrLowDifficulty},
		{"no share target", func(*work.Share) {}, 0, nil, 0, nil},
	}
	for _, c := range cases {
		s := good
		s.Extranonce1 = append([]byte(nil), good.Extranonce1...)
		s.Extranonce2 = append([]byte(nil), good.Extranonce2...)
		c.edit(&s)
		_, err := job.Check(s, c.mask, c.target)
		if c.name == "no share target" {
			// Without a share target only a block is accepted.
			if res.Block && err != nil || !res.Block && work.CodeOf(err) != work.CodeLowDifficulty {
				t.Errorf("%s: %v", c.name, err)
			}
			continue
		}
		if work.CodeOf(err) != c.code || (c.cause != nil && !errors.Is(err, c.cause)) {
			t.Errorf("%s: err %v (code %d), want code %d cause %v", c.name, err,
				work.CodeOf(err), c.code, c.cause)
		}
		var re *work.RejectError
		if err != nil && (!errors.As(err, &re) || re.Stratum()[0] != int(c.code)) {
			t.Errorf("%s: %v is not a RejectError of code %d", c.name, err, c.code)
		}
		if c.code != 0 {
			if _, err := job.Block(s, c.mask); c.code == work.CodeOther && err == nil {
				t.Errorf("%s: Block accepts the share", c.name)
			}
		}
	}
	// The window's edges are in.
	for _, nt := range []uint32{job.MinTime, job.MaxTime} {
		s := good
		s.NTime = nt
		if _, err := job.Check(s, 0, work.TargetFromDifficulty(1e-12)); err != nil {
			t.Errorf("ntime %d: %v", nt, err)
		}
	}
}

// TestBlockMeetsNetTargetOnly: a share that makes a block is accepted even
// when the share target is harder than the network's.
func TestBlockMeetsNetTargetOnly(t *testing.T) {
	job, m := mustJob(t, 1, 0x207fffff)
	if !m.search(t, 0, job.NetTarget) {
		t.Fatal("no block")
	}
	_, _, s, err := work.ParseSubmit(m.submit(t, "w", false, 0))
	if err != nil {
		t.Fatal(err)
	}
	s.Extranonce1 = m.extranonce1
	res, err := job.Check(s, 0, big.NewInt(1))
	if err != nil || !res.Block {
		t.Fatalf("block refused: %v %v", res.Block, err)
	}
}

// TestVersionRolling checks BIP310's version: the job's version outside
// the mask, the share's bits inside.
func TestVersionRolling(t *testing.T) {
	job, _ := mustJob(t, 0, 0x207fffff)
	s := work.Share{Extranonce1: make([]byte, 4), Extranonce2: make([]byte, 4),
		NTime: job.MinTime, HasVersion: true, VersionBits: 0x1fffe000}
	res, err := job.Check(s, 0x1fffe000, work.TargetFromDifficulty(1e-30))
	if err != nil {
		t.Fatal(err)
	}
	if uint32(res.Header.Version) != 0x3fffe000 {
		t.Fatalf("version %08x", uint32(res.Header.Version))
	}
	// Bits of the job's version inside the mask are replaced: a zero
	// share clears them.
	s.VersionBits = 0
	res, err = job.Check(s, 0xffffffff, work.TargetFromDifficulty(1e-30))
	if err != nil || res.Header.Version != 0 {
		t.Fatalf("version %08x %v", uint32(res.Header.Version), err)
	}
	// A share without version bits keeps the job's version whatever the mask.
	s.HasVersion = false
	res, err = job.Check(s, 0x1fffe000, work.TargetFromDifficulty(1e-30))
	if err != nil || res.Header.Version != 0x20000000 {
		t.Fatalf("version %08x %v", uint32(res.Header.Version), err)
	}
}

// TestNewJobRefuses checks what NewJob refuses.
func TestNewJobRefuses(t *testing.T) {
	rng := rand.New(rand.NewSource(3))
	tmpl := sideTemplate(t, rng, 2, 0x207fffff)
	if _, err := work.NewJob("x", tmpl, 4); err != nil {
		t.Fatal(err)
	}
	bad := *tmpl
	bad.SHA256d = false
	if _, err := work.NewJob("x", &bad, 4); !errors.Is(err, work.ErrAlgorithm) {
		t.Errorf("not SHA-256d: %v", err)
	}
	for _, n := range []int{-1, 0, 3, 17} {
		if _, err := work.NewJob("x", tmpl, n); err == nil {
			t.Errorf("extranonce2 size %d accepted", n)
		}
	}
	// The script with the push must fit in 100 bytes: the template's 41
	// bytes leave room for 58 push data bytes, not 59.
	long := *tmpl
	long.Coinbase = tmpl.Coinbase.Copy()
	s := long.Coinbase.TxIn[0].SignatureScript
	long.Coinbase.TxIn[0].SignatureScript = append(append([]byte(nil), s...), make([]byte, 100-len(s)-1-4-16)...)
	if _, err := work.NewJob("x", &long, 16); err != nil {
		t.Errorf("a script of exactly 100 bytes: %v", err)
	}
	long.Coinbase.TxIn[0].SignatureScript = append(long.Coinbase.TxIn[0].SignatureScript, 0)
	if _, err := work.NewJob("x", &long, 16); err == nil {
		t.Error("a script of 101 bytes accepted")
	}
	for name, edit := range map[string]func(*work.Template){
		"no coinbase":   func(t *work.Template) { t.Coinbase = nil },
		"two inputs":    func(t *work.Template) { t.Coinbase = t.Coinbase.Copy(); t.Coinbase.AddTxIn(&wire.TxIn{}) },
		"nil tx":        func(t *work.Template) { t.Txs = []*wire.MsgTx{nil}; t.Fees = nil },
		"fees":          func(t *work.Template) { t.Fees = t.Fees[:1] },
		"time early":    func(t *work.Template) { t.Header.Timestamp = t.MinTime.Add(-time.Second) },
		"time late":     func(t *work.Template) { t.Header.Timestamp = t.MaxTime.Add(time.Second) },
		"empty window":  func(t *work.Template) { t.MaxTime = t.MinTime.Add(-time.Second) },
		"zero target":   func(t *work.Template) { t.Header.Bits = 0 },
		"window 32 bit": func(t *work.Template) { t.MaxTime = time.Unix(1<<32, 0) },
	} {
		c := *tmpl
		edit(&c)
		if _, err := work.NewJob("x", &c, 4); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, err := work.NewJob("x", nil, 4); err == nil {
		t.Error("nil template accepted")
	}
}

// TestNotifyEncoding pins the encodings of a made-up job field by field.
func TestNotifyEncoding(t *testing.T) {
	rng := rand.New(rand.NewSource(4))
	tmpl := sideTemplate(t, rng, 3, 0x1d00ffff)
	prev, _ := chainhash.NewHashFromStr("00000000000000000002a7c4c1e48d76c5a37902165a270156b7a8d72728a054")
	tmpl.Header.PrevBlock = *prev
	tmpl.Header.Version = 0x2000e000
	tmpl.Header.Timestamp = time.Unix(0x693f1c20, 0)
	tmpl.MinTime, tmpl.MaxTime = tmpl.Header.Timestamp, tmpl.Header.Timestamp.Add(time.Hour)
	job, err := work.NewJob("7", tmpl, 4)
	if err != nil {
		t.Fatal(err)
	}
	p := job.Notify(false)
	// Internal order 54a02827 d7a8b756 ...; each word reversed.
	// Stratum's prevhash is the display hash with its 4-byte words in
	// reverse order.
	if p[1] != "2728a05456b7a8d7165a2701c5a37902c1e48d760002a7c40000000000000000" {
		t.Errorf("prevhash %v", p[1])
	}
	if p[5] != "2000e000" || p[6] != "1d00ffff" || p[7] != "693f1c20" || p[8] != false {
		t.Errorf("version/nbits/ntime/clean %v %v %v %v", p[5], p[6], p[7], p[8])
	}
	ids := []chainhash.Hash{{}, tmpl.Txs[0].TxHash(), tmpl.Txs[1].TxHash(), tmpl.Txs[2].TxHash()}
	right := blockchain.HashMerkleBranches(&ids[2], &ids[3])
	br := p[4].([]string)
	if len(br) != 2 || br[0] != hex.EncodeToString(ids[1][:]) || br[1] != hex.EncodeToString(right[:]) {
		t.Errorf("branch %v", br)
	}
	// The notify params do not share the clean flag between calls.
	if q := job.Notify(true); q[8] != true || p[8] != false {
		t.Error("clean flag shared")
	}
	if _, err := json.Marshal(p); err != nil {
		t.Fatal(err)
	}
	if job.CoinbaseValue != 5000000000 {
		t.Errorf("coinbase value %d", job.CoinbaseValue)
	}
	if job.NetTarget.Cmp(blockchain.CompactToBig(0x1d00ffff)) != 0 {
		t.Error("net target")
	}
}
