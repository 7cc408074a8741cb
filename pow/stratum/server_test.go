package stratum

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/blockchain"
	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/pow/stratum/work"
)

// TestHandshake: subscribe answers the session, extranonce1 (4 bytes) and
// the extranonce2 size; authorize is followed by set_difficulty and a
// clean notify.
func TestHandshake(t *testing.T) {
	h := newHarness(t, func(c *Config) { c.Extranonce2Size = 6 })
	c := h.dial()
	c.subscribe("")
	if len(c.en1) != 4 || c.en2Size != 6 || len(c.session) != 16 {
		t.Fatalf("en1 %x en2 size %d session %q", c.en1, c.en2Size, c.session)
	}
	c.authorize("sa1miner.rig", "x")
	if c.diff != testDiff {
		t.Fatalf("difficulty %v, want %v", c.diff, testDiff)
	}
	var clean bool
	_ = json.Unmarshal(c.job[8], &clean)
	if len(c.job) != 9 || !clean {
		t.Fatalf("notify %v", c.job)
	}
	if c.notes[0].Method != "mining.set_difficulty" {
		t.Fatalf("first notification %s, want set_difficulty", c.notes[0].Method)
	}
}

// TestShareAccepted: a share at the difficulty is accepted and handed to
// the share sink with the worker's payout.
func TestShareAccepted(t *testing.T) {
	h := newHarness(t, nil)
	c := h.dial().handshake()
	s := c.goodShare(0)
	if m := c.submit("sa1miner.rig", s); string(m.Result) != "true" {
		t.Fatalf("submit: %s %s", m.Result, m.Error)
	}
	got := h.shares.all()
	if len(got) != 1 {
		t.Fatalf("%d shares recorded", len(got))
	}
	sh := got[0]
	if sh.Worker != "sa1miner.rig" || sh.Payout.Address != "sa1miner" || string(sh.Payout.Script) != "script:sa1miner" ||
		sh.Difficulty != testDiff || sh.Height != 10 || sh.Block || !sh.Time.Equal(baseTime) {
		t.Fatalf("share %+v", sh)
	}
	snap := h.srv.Snapshot()
	if snap.Accepted != 1 || snap.AcceptedDifficulty != testDiff || len(snap.Workers) != 1 ||
		snap.Workers[0].Accepted != 1 || snap.Workers[0].Hashrate <= 0 || snap.Connections != 1 {
		t.Fatalf("snapshot %+v", snap)
	}
}

// TestRejectCodes: each standard code for its cause.
func TestRejectCodes(t *testing.T) {
	h := newHarness(t, nil)

	// 25: a submit before subscribing; 25 also for authorize.
	c0 := h.dial()
	if m := c0.call("mining.submit", "sa1miner.rig", "1", "00000000", "00000000", "00000000"); m.code() != 25 {
		t.Fatalf("unsubscribed submit: code %d", m.code())
	}
	if m := c0.call("mining.authorize", "sa1miner.rig", "x"); m.code() != 25 {
		t.Fatalf("unsubscribed authorize: code %d", m.code())
	}

	c := h.dial().handshake()
	s := c.goodShare(0)

	// 24: a worker not authorized on this connection; a refused worker.
	if m := c.submit("sa1other.rig", s); m.code() != 24 {
		t.Fatalf("unauthorized worker: code %d", m.code())
	}
	if m := c.call("mining.authorize", "notanaddress.rig", "x"); m.code() != 24 {
		t.Fatalf("bad address: code %d", m.code())
	}
	if m := c.call("mining.authorize", "locked.rig", "wrong"); m.code() != 24 {
		t.Fatalf("wrong password: code %d", m.code())
	}
	if m := c.call("mining.authorize", "locked.rig", "pw"); string(m.Result) != "true" {
		t.Fatalf("right password: %s", m.Error)
	}

	// 21: an unknown job.
	bad := s
	bad.jobID = "ffff"
	if m := c.submit("sa1miner.rig", bad); m.code() != 21 {
		t.Fatalf("unknown job: code %d", m.code())
	}

	// 23: a hash above the share target.
	low := c.find(0, 1, 0, work.TargetFromDifficulty(c.diff), false)
	if m := c.submit("sa1miner.rig", low); m.code() != 23 {
		t.Fatalf("low difficulty: code %d", m.code())
	}

	// 20: ntime out of range, malformed params.
	late := s
	late.ntime = uint32(baseTime.Unix()) + 3*3600
	if m := c.submit("sa1miner.rig", late); m.code() != 20 || !strings.Contains(string(m.Error), "ntime") {
		t.Fatalf("ntime out of range: %s", m.Error)
	}
	if m := c.call("mining.submit", "sa1miner.rig", s.jobID, "zz", "00", "00"); m.code() != 20 {
		t.Fatalf("malformed: code %d", m.code())
	}

	// Accepted once, then 22.
	if m := c.submit("sa1miner.rig", s); string(m.Result) != "true" {
		t.Fatalf("first: %s", m.Error)
	}
	if m := c.submit("sa1miner.rig", s); m.code() != 22 {
		t.Fatalf("duplicate: code %d", m.code())
	}

	// 21 after a new block: the old job is stale.
	h.newJob(template(t, 11, 2, hardBits))
	c.waitNote("mining.notify")
	s2 := s
	s2.nonce++
	if m := c.submit("sa1miner.rig", s2); m.code() != 21 {
		t.Fatalf("stale job: code %d", m.code())
	}

	snap := h.srv.Snapshot()
	for code, want := range map[int]uint64{20: 2, 21: 2, 22: 1, 23: 1, 24: 3, 25: 2} {
		if snap.Rejected[code] != want {
			t.Errorf("rejected[%d] = %d, want %d (%v)", code, snap.Rejected[code], want, snap.Rejected)
		}
	}
	// Of the two 20s, the ntime out of range is counted apart too, for
	// the server and for its worker.
	if snap.RejectedNTime != 1 {
		t.Errorf("rejected for their ntime: %d, want 1", snap.RejectedNTime)
	}
	for _, w := range snap.Workers {
		if w.Name == "sa1miner.rig" && (w.RejectedNTime != 1 || w.Rejected[20] != 1) {
			t.Errorf("worker %s: %d rejected for their ntime, %d with code 20; want 1 and 1 "+
				"(the malformed submit names no worker)", w.Name, w.RejectedNTime, w.Rejected[20])
		}
	}
}

// TestBlockFound: a share meeting the network target is submitted to the
// block sink before the answer, and recorded as a block.
func TestBlockFound(t *testing.T) {
	h := newHarness(t, nil)
	c := h.dial().handshake()
	e := h.newJob(template(t, 12, 3, easyBits))
	c.waitNote("mining.notify")
	s := c.find(0, 0, 0, blockchain.CompactToBig(easyBits), true)
	m := c.submit("sa1miner.rig", s)
	if string(m.Result) != "true" {
		t.Fatalf("submit: %s", m.Error)
	}
	// The block was handed over before the answer: it is there already.
	select {
	case b := <-h.blocks.blocks:
		if blockchain.HashToBig(&[]chainhash.Hash{b.BlockHash()}[0]).Cmp(s.hash) != 0 {
			t.Fatalf("block hash %v, share hash %x", b.BlockHash(), s.hash)
		}
		if len(b.Transactions) != 4 || b.Header.PrevBlock != e.job.Template.Header.PrevBlock {
			t.Fatalf("block %+v", b.Header)
		}
	default:
		t.Fatal("no block submitted before the answer")
	}
	sh := h.shares.all()
	if len(sh) != 1 || !sh[0].Block || sh[0].BlockErr != nil {
		t.Fatalf("share %+v", sh)
	}
	if snap := h.srv.Snapshot(); snap.Blocks != 1 {
		t.Fatalf("blocks %d", snap.Blocks)
	}
}
