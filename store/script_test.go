package store_test

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand"
	"sort"
	"testing"

	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/mainstake/sidenode/muhash"
	"github.com/mainstake/sidenode/store"
)

// This file holds the shared test machinery: a reference model of the
// store, a generator of random but deterministic connect/disconnect
// scripts, and helpers that compare a DB with the model.

var (
	regtestGenesis = *chaincfg.RegressionNetParams.GenesisHash
	simnetGenesis  = *chaincfg.SimNetParams.GenesisHash
)

// regtestOpts returns in-memory regtest options.
func regtestOpts(undoDepth int32) store.Options {
	return store.Options{
		Genesis:   regtestGenesis,
		Network:   "regtest",
		UndoDepth: undoDepth,
		InMemory:  true,
		// Keys starting with 0x13 are local: out of the state hash.
		LocalPrefixes: [][]byte{{0x13}},
	}
}

// requireCode fails the test unless err is an *store.Error with code.
func requireCode(t testing.TB, err error, code store.ErrorCode) {
	t.Helper()
	var serr *store.Error
	if !errors.As(err, &serr) {
		t.Fatalf("got error %v (%T), want *store.Error with code %v",
			err, err, code)
	}
	if serr.Code != code {
		t.Fatalf("got code %v (%v), want %v", serr.Code, err, code)
	}
}

// testHash derives a distinct hash from its arguments.
func testHash(parts ...interface{}) chainhash.Hash {
	return chainhash.Hash(sha256.Sum256([]byte(fmt.Sprint(parts...))))
}

// appKey builds an application key.
func appKey(s string) []byte { return append([]byte{0x10}, s...) }

type opKind int

const (
	opConnect          opKind = iota // connect; must succeed
	opConnectFail                    // apply writes, then returns errApply
	opDisconnect                     // disconnect the tip; must succeed
	opDisconnectPruned               // disconnect the tip; ErrUndoPruned
	opAmend                          // amend the tip (AmendTip); must succeed
	opAmendFail                      // amend: apply writes, then returns errApply
	opAmendPruned                    // amend a tip without undo record; ErrUndoPruned
)

// amendKey is where every amendment of the script writes its op index, so
// that a state names the last amendment it holds.
var amendKey = appKey("amend")

var errApply = errors.New("apply failed on purpose")

type scriptWrite struct {
	key, value []byte
	del        bool
}

type scriptOp struct {
	kind   opKind
	block  store.BlockID
	prev   chainhash.Hash
	writes []scriptWrite
}

// model is the reference implementation: a map, the chain, a snapshot of
// the state before every connected block, and which heights still have
// undo records.
type model struct {
	depth int32
	state map[string]string
	chain []store.BlockID
	snaps []map[string]string
	undo  map[int32]bool

	// replayed marks a model rebuilt up to a store's tip, which may have
	// been higher before: its undo map may hold more than the store.
	replayed bool
}

func newModel(depth int32) *model {
	return &model{
		depth: depth,
		state: map[string]string{},
		undo:  map[int32]bool{},
	}
}

func (m *model) tip() store.BlockID {
	if len(m.chain) == 0 {
		return store.BlockID{Height: -1}
	}
	return m.chain[len(m.chain)-1]
}

func copyState(s map[string]string) map[string]string {
	c := make(map[string]string, len(s))
	for k, v := range s {
		c[k] = v
	}
	return c
}

// apply runs op against the model.
func (m *model) apply(op scriptOp) {
	switch op.kind {
	case opConnect:
		m.snaps = append(m.snaps, copyState(m.state))
		for _, w := range op.writes {
			if w.del {
				delete(m.state, string(w.key))
			} else {
				m.state[string(w.key)] = string(w.value)
			}
		}
		m.chain = append(m.chain, op.block)
		m.undo[op.block.Height] = true
		delete(m.undo, op.block.Height-m.depth)
	case opAmend:
		// The state after the tip changes; the state before it, which
		// a disconnect goes back to, does not.
		for _, w := range op.writes {
			if w.del {
				delete(m.state, string(w.key))
			} else {
				m.state[string(w.key)] = string(w.value)
			}
		}
	case opDisconnect:
		h := int32(len(m.chain) - 1)
		m.state = m.snaps[h]
		m.snaps = m.snaps[:h]
		m.chain = m.chain[:h]
		delete(m.undo, h)
	}
}

// genScript generates n ops from seed for a store with the given undo
// depth. Every connect gets a unique hash, except the genesis block, whose
// writes are fixed, so a tip always identifies exactly one state.
func genScript(seed int64, n int, depth int32) []scriptOp {
	rng := rand.New(rand.NewSource(seed))
	m := newModel(depth)
	ops := make([]scriptOp, 0, n)
	reorg := 0 // disconnects left in the current reorg
	for i := 0; i < n; i++ {
		tip := m.tip()
		var op scriptOp
		r := rng.Intn(100)
		if reorg == 0 && r < 12 {
			// Start a reorg of random depth, sometimes deeper
			// than the undo window.
			reorg = 1 + rng.Intn(int(depth)+3)
		}
		switch {
		case tip.Height >= 0 && reorg == 0 && r >= 76 && r < 90:
			op = scriptOp{kind: opAmend, block: tip}
			if r < 79 {
				op.kind = opAmendFail
			}
			for j, nw := 0, rng.Intn(8); j < nw; j++ {
				op.writes = append(op.writes, randWrite(rng))
			}
			op.writes = append(op.writes, scriptWrite{key: amendKey,
				value: []byte(fmt.Sprint(i))})
			if !m.undo[tip.Height] {
				// A reorg went down to the oldest block kept.
				op.kind = opAmendPruned
			}
		case tip.Height >= 0 && reorg > 0:
			reorg--
			op = scriptOp{kind: opDisconnect, block: tip}
			if !m.undo[tip.Height] {
				op.kind = opDisconnectPruned
				reorg = 0
			}
		default:
			reorg = 0
			op = scriptOp{
				kind:  opConnect,
				block: store.BlockID{Height: tip.Height + 1},
				prev:  tip.Hash,
			}
			if r >= 90 {
				op.kind = opConnectFail
			}
			if op.block.Height == 0 {
				op.block.Hash = regtestGenesis
				op.writes = []scriptWrite{{
					key: appKey("genesis"), value: []byte("g"),
				}}
				break
			}
			op.block.Hash = testHash("block", seed, i)
			for j, nw := 0, rng.Intn(12); j < nw; j++ {
				op.writes = append(op.writes, randWrite(rng))
			}
		}
		m.apply(op)
		ops = append(ops, op)
	}
	return ops
}

// randWrite picks a write over a small keyspace so blocks overlap.
func randWrite(rng *rand.Rand) scriptWrite {
	key := []byte{byte(0x10 + rng.Intn(4)), byte(rng.Intn(10))}
	if rng.Intn(4) == 0 {
		key = append(key, "-long-suffix"...)
	}
	if rng.Intn(3) == 0 {
		return scriptWrite{key: key, del: true}
	}
	v := make([]byte, rng.Intn(24))
	rng.Read(v)
	return scriptWrite{key: key, value: v}
}

// runOp runs op against db and checks the outcome the script expects.
func runOp(t testing.TB, db *store.DB, op scriptOp) {
	t.Helper()
	switch op.kind {
	case opConnect, opConnectFail:
		err := db.ConnectBlock(op.block, op.prev, func(w *store.Writer) error {
			// Mirror the writes in a local overlay and check that
			// the Writer reads its own writes.
			overlay := map[string]*string{}
			for _, sw := range op.writes {
				var err error
				if sw.del {
					err = w.Delete(sw.key)
					overlay[string(sw.key)] = nil
				} else {
					err = w.Set(sw.key, sw.value)
					v := string(sw.value)
					overlay[string(sw.key)] = &v
				}
				if err != nil {
					return err
				}
			}
			for k, v := range overlay {
				got, err := w.Get([]byte(k))
				switch {
				case v == nil && !store.IsErrorCode(err, store.ErrNotFound):
					return fmt.Errorf("get deleted %x: %v", k, err)
				case v != nil && (err != nil || string(got) != *v):
					return fmt.Errorf("get %x = %x, %v; want %x",
						k, got, err, *v)
				}
			}
			if op.kind == opConnectFail {
				return errApply
			}
			return nil
		})
		if op.kind == opConnectFail {
			if !errors.Is(err, errApply) {
				t.Fatalf("connect %v: got %v, want errApply",
					op.block, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("connect %v: %v", op.block, err)
		}
	case opAmend, opAmendFail, opAmendPruned:
		err := db.AmendTip(op.block, func(w *store.Writer) error {
			for _, sw := range op.writes {
				var err error
				if sw.del {
					err = w.Delete(sw.key)
				} else {
					err = w.Set(sw.key, sw.value)
				}
				if err != nil {
					return err
				}
			}
			if op.kind == opAmendFail {
				return errApply
			}
			return nil
		})
		if op.kind == opAmendPruned {
			requireCode(t, err, store.ErrUndoPruned)
			return
		}
		if op.kind == opAmendFail {
			if !errors.Is(err, errApply) {
				t.Fatalf("amend %v: got %v, want errApply", op.block, err)
			}
			return
		}
		if err != nil {
			t.Fatalf("amend %v: %v", op.block, err)
		}
	case opDisconnect:
		if _, err := db.DisconnectBlock(op.block); err != nil {
			t.Fatalf("disconnect %v: %v", op.block, err)
		}
	case opDisconnectPruned:
		_, err := db.DisconnectBlock(op.block)
		requireCode(t, err, store.ErrUndoPruned)
	}
}

// dump returns the whole application keyspace of db.
func dump(t testing.TB, db *store.DB) map[string]string {
	t.Helper()
	got := map[string]string{}
	err := db.View(func(r store.Reader) error {
		return r.Iterate(nil, func(k, v []byte) error {
			got[string(k)] = string(v)
			return nil
		})
	})
	if err != nil {
		t.Fatalf("dump: %v", err)
	}
	return got
}

// checkModel compares db's state, tip and height index with m.
func checkModel(t testing.TB, db *store.DB, m *model) {
	t.Helper()
	got := dump(t, db)
	if len(got) != len(m.state) {
		t.Fatalf("state has %d keys, model %d\n got: %s\nwant: %s",
			len(got), len(m.state), fmtState(got), fmtState(m.state))
	}
	for k, v := range m.state {
		if gv, ok := got[k]; !ok || gv != v {
			t.Fatalf("key %x: got %x (present %v), want %x\n got: "+
				"%s\nwant: %s", k, gv, ok, v, fmtState(got),
				fmtState(m.state))
		}
	}
	tip, err := db.Tip()
	if err != nil {
		t.Fatalf("tip: %v", err)
	}
	if tip != m.tip() {
		t.Fatalf("tip %v, model %v", tip, m.tip())
	}
	for h, id := range m.chain {
		hash, err := db.HashAt(int32(h))
		if err != nil || hash != id.Hash {
			t.Fatalf("HashAt(%d) = %v, %v; want %v", h, hash, err,
				id.Hash)
		}
	}
	_, err = db.HashAt(tip.Height + 1)
	requireCode(t, err, store.ErrNotFound)
	checkStateHashes(t, db, m)
}

// checkStateHashes compares the state hash at every height the store must
// hold (the tip and every height it can disconnect to) with the model's,
// and the
// tip's with the store's own full scan.
func checkStateHashes(t testing.TB, db *store.DB, m *model) {
	t.Helper()
	tip := m.tip()
	if tip.Height < 0 {
		_, _, err := db.StateHash(0)
		requireCode(t, err, store.ErrNotFound)
		return
	}
	if err := db.VerifyStateHash(); err != nil {
		t.Fatalf("verify: %v", err)
	}
	// The store can go back to height h when it holds the undo record
	// of h+1; the state hash is held for exactly those heights.
	low := tip.Height
	for low > 0 && m.undo[low] {
		low--
	}
	for h := tip.Height; h >= low; h-- {
		state := m.state
		if int(h+1) < len(m.snaps) {
			state = m.snaps[h+1]
		}
		want := modelStateHash(m.chain[h], state, 0x13)
		id, got, err := db.StateHash(h)
		if m.replayed && h < tip.Height &&
			store.IsErrorCode(err, store.ErrNotFound) {
			// The store went higher before and pruned more
			// than this model knows of.
			return
		}
		if err != nil || id != m.chain[h] || got != want {
			t.Fatalf("StateHash(%d) = %v, %v, %v; want %v, %v", h,
				id, got, err, m.chain[h], want)
		}
	}
	_, _, err := db.StateHash(tip.Height + 1)
	requireCode(t, err, store.ErrNotFound)
	if low > 0 {
		_, _, err := db.StateHash(low - 1)
		requireCode(t, err, store.ErrNotFound)
	}
}

// modelStateHash computes the state hash of a model state from its
// definition (docs/protocol.md), independently of the store's code:
// SHA256(height BE32 ‖ block hash ‖ MuHash({len BE32 ‖ key ‖ len BE32 ‖
// value})) over the keys whose first byte is not local.
func modelStateHash(id store.BlockID, state map[string]string, local byte) chainhash.Hash {
	set := muhash.New()
	for k, v := range state {
		if k[0] == local {
			continue
		}
		var e []byte
		e = binary.BigEndian.AppendUint32(e, uint32(len(k)))
		e = append(e, k...)
		e = binary.BigEndian.AppendUint32(e, uint32(len(v)))
		e = append(e, v...)
		set.Insert(e)
	}
	d := set.Finalize()
	var b []byte
	b = binary.BigEndian.AppendUint32(b, uint32(id.Height))
	b = append(b, id.Hash[:]...)
	b = append(b, d[:]...)
	return sha256.Sum256(b)
}

func fmtState(s map[string]string) string {
	keys := make([]string, 0, len(s))
	for k := range s {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	out := ""
	for _, k := range keys {
		out += fmt.Sprintf("%x=%x ", k, s[k])
	}
	return out
}

// be32 encodes v big-endian, for keys that sort by number.
func be32(v uint32) []byte {
	return binary.BigEndian.AppendUint32(nil, v)
}
