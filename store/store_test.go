package store_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/dgraph-io/badger/v4"
	"github.com/mainstake/sidenode/store"
)

// chain builds n blocks starting at genesis; block i has hash testHash(tag, i).
func chain(tag string, n int) []store.BlockID {
	ids := make([]store.BlockID, n)
	for i := range ids {
		ids[i] = store.BlockID{Height: int32(i), Hash: testHash(tag, i)}
	}
	ids[0].Hash = regtestGenesis
	return ids
}

// connectAll connects ids in order; block i sets key "h" to i and key
// "b<i>" to the block hash.
func connectAll(t *testing.T, db *store.DB, ids []store.BlockID) {
	t.Helper()
	for _, id := range ids {
		var prev chainhash.Hash
		if id.Height > 0 {
			tip, err := db.Tip()
			if err != nil {
				t.Fatal(err)
			}
			prev = tip.Hash
		}
		err := db.ConnectBlock(id, prev, func(w *store.Writer) error {
			if w.Block() != id {
				return fmt.Errorf("Block() = %v", w.Block())
			}
			if err := w.Set(appKey("h"), be32(uint32(id.Height))); err != nil {
				return err
			}
			return w.Set(appKey(fmt.Sprint("b", id.Height)), id.Hash[:])
		})
		if err != nil {
			t.Fatalf("connect %v: %v", id, err)
		}
	}
}

func openMem(t *testing.T, depth int32) *store.DB {
	t.Helper()
	db, err := store.Open("", regtestOpts(depth))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func diskOpts(depth int32) store.Options {
	o := regtestOpts(depth)
	o.InMemory = false
	return o
}

func TestEmptyTip(t *testing.T) {
	db := openMem(t, 0)
	tip, err := db.Tip()
	if err != nil || tip != (store.BlockID{Height: -1}) {
		t.Fatalf("tip = %v, %v; want -1 and zero hash", tip, err)
	}
	_, err = db.HashAt(0)
	requireCode(t, err, store.ErrNotFound)
	_, err = db.HashAt(-1)
	requireCode(t, err, store.ErrNotFound)
}

func TestConnectDisconnectOrder(t *testing.T) {
	db := openMem(t, 0)
	ids := chain("a", 3)

	// Nothing connected: only the genesis block at height 0 fits.
	requireCode(t, db.ConnectBlock(ids[1], ids[0].Hash, nil), store.ErrNotTip)
	requireCode(t, db.ConnectBlock(store.BlockID{Height: 0,
		Hash: testHash("other genesis")}, chainhash.Hash{}, nil),
		store.ErrWrongNetwork)
	_, err := db.DisconnectBlock(ids[0])
	requireCode(t, err, store.ErrNotTip)

	connectAll(t, db, ids[:2])

	// Gap, wrong parent, same height again.
	requireCode(t, db.ConnectBlock(store.BlockID{Height: 3,
		Hash: testHash("x")}, ids[1].Hash, nil), store.ErrNotTip)
	requireCode(t, db.ConnectBlock(ids[2], testHash("wrong parent"), nil),
		store.ErrNotTip)
	requireCode(t, db.ConnectBlock(store.BlockID{Height: 1,
		Hash: testHash("sibling")}, ids[0].Hash, nil), store.ErrNotTip)

	// Disconnect something that is not the tip.
	_, err = db.DisconnectBlock(ids[0])
	requireCode(t, err, store.ErrNotTip)
	_, err = db.DisconnectBlock(store.BlockID{Height: 1,
		Hash: testHash("sibling")})
	requireCode(t, err, store.ErrNotTip)

	tip, err := db.DisconnectBlock(ids[1])
	if err != nil || tip != ids[0] {
		t.Fatalf("disconnect: %v, %v", tip, err)
	}
	tip, err = db.DisconnectBlock(ids[0])
	if err != nil || tip != (store.BlockID{Height: -1}) {
		t.Fatalf("disconnect genesis: %v, %v", tip, err)
	}
	if got := dump(t, db); len(got) != 0 {
		t.Fatalf("state after disconnecting all: %s", fmtState(got))
	}
	connectAll(t, db, ids)
}

func TestApplyFailureWritesNothing(t *testing.T) {
	db := openMem(t, 0)
	ids := chain("a", 2)
	connectAll(t, db, ids[:1])
	before := dump(t, db)

	// apply returns an error after writing.
	err := db.ConnectBlock(ids[1], ids[0].Hash, func(w *store.Writer) error {
		if err := w.Set(appKey("new"), []byte("v")); err != nil {
			return err
		}
		if err := w.Delete(appKey("h")); err != nil {
			return err
		}
		return errApply
	})
	if !errors.Is(err, errApply) {
		t.Fatalf("got %v, want errApply unchanged", err)
	}

	// apply swallows a failed write and returns nil: still refused.
	err = db.ConnectBlock(ids[1], ids[0].Hash, func(w *store.Writer) error {
		_ = w.Set(appKey("new"), []byte("v"))
		_ = w.Set([]byte{0x01}, []byte("cursor!"))
		return nil
	})
	requireCode(t, err, store.ErrReservedKey)

	if tip, _ := db.Tip(); tip != ids[0] {
		t.Fatalf("tip moved to %v", tip)
	}
	if got := dump(t, db); fmtState(got) != fmtState(before) {
		t.Fatalf("state changed:\n%s\n%s", fmtState(got), fmtState(before))
	}
	connectAll(t, db, ids[1:])
}

func TestWriterRefusesInternalKeys(t *testing.T) {
	db := openMem(t, 0)
	ids := chain("a", 2)
	connectAll(t, db, ids[:1])

	bad := [][]byte{
		nil,
		{},
		{0x00, 'v'},        // metadata
		{0x01},             // cursor
		{0x02, 0, 0, 0, 0}, // height index
		{0x03},             // undo
		{0x0f, 'x'},        // reserved
		[]byte("!badger!head"),
		append([]byte{0x10}, make([]byte, store.MaxKeySize)...),
	}
	wantCode := func(k []byte) store.ErrorCode {
		if len(k) > store.MaxKeySize {
			return store.ErrTooBig
		}
		return store.ErrReservedKey
	}
	check := func(w interface {
		store.Reader
		Set(k, v []byte) error
		Delete(k []byte) error
	}) error {
		for _, k := range bad {
			requireCode(t, w.Set(k, []byte("x")), wantCode(k))
			requireCode(t, w.Delete(k), wantCode(k))
			_, err := w.Get(k)
			requireCode(t, err, wantCode(k))
		}
		for _, p := range [][]byte{{0x00}, {0x01}, {0x03, 0}} {
			err := w.Iterate(p, func(k, v []byte) error { return nil })
			requireCode(t, err, store.ErrReservedKey)
		}
		return nil
	}
	err := db.ConnectBlock(ids[1], ids[0].Hash, func(w *store.Writer) error {
		return check(w)
	})
	requireCode(t, err, store.ErrReservedKey)
	requireCode(t, db.Update(func(w *store.PlainWriter) error {
		return check(w)
	}), store.ErrReservedKey)

	// The store's own records are intact and usable.
	if tip, err := db.Tip(); err != nil || tip != ids[0] {
		t.Fatalf("tip %v, %v", tip, err)
	}
	connectAll(t, db, ids[1:])
	if _, err := db.DisconnectBlock(ids[1]); err != nil {
		t.Fatal(err)
	}
}

func TestWriterReadsAndIterates(t *testing.T) {
	db := openMem(t, 0)
	ids := chain("a", 2)
	connectAll(t, db, ids[:1])
	err := db.ConnectBlock(ids[1], ids[0].Hash, func(w *store.Writer) error {
		tip, err := w.Tip()
		if err != nil || tip != ids[0] {
			return fmt.Errorf("Tip() inside apply = %v, %v", tip, err)
		}
		for _, k := range []string{"p/3", "p/1", "q/1", "p/2"} {
			if err := w.Set(appKey(k), []byte(k)); err != nil {
				return err
			}
		}
		if err := w.Delete(appKey("p/2")); err != nil {
			return err
		}
		var got []string
		err = w.Iterate(appKey("p/"), func(k, v []byte) error {
			if !bytes.Equal(k[1:], v) {
				return fmt.Errorf("value %q for key %q", v, k)
			}
			got = append(got, string(v))
			if len(got) == 2 {
				return store.ErrStopIteration
			}
			return nil
		})
		if err != nil {
			return err
		}
		if fmt.Sprint(got) != "[p/1 p/3]" {
			return fmt.Errorf("iterated %v", got)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	// Errors from the callback pass through Iterate and View unchanged.
	err = db.View(func(r store.Reader) error {
		return r.Iterate(nil, func(k, v []byte) error { return errApply })
	})
	if !errors.Is(err, errApply) {
		t.Fatalf("got %v", err)
	}
}

func TestPlainUpdateSurvivesReorg(t *testing.T) {
	db := openMem(t, 0)
	ids := chain("a", 3)
	connectAll(t, db, ids)

	wallet := []byte{0x80, 'w'}
	if err := db.Update(func(w *store.PlainWriter) error {
		return w.Set(wallet, []byte("keys"))
	}); err != nil {
		t.Fatal(err)
	}
	// A failing Update writes nothing.
	err := db.Update(func(w *store.PlainWriter) error {
		if err := w.Set([]byte{0x80, 'x'}, []byte("no")); err != nil {
			return err
		}
		return errApply
	})
	if !errors.Is(err, errApply) {
		t.Fatalf("got %v", err)
	}
	for i := len(ids) - 1; i >= 0; i-- {
		if _, err := db.DisconnectBlock(ids[i]); err != nil {
			t.Fatal(err)
		}
	}
	got := dump(t, db)
	if len(got) != 1 || got[string(wallet)] != "keys" {
		t.Fatalf("state after full reorg: %s", fmtState(got))
	}
}

func TestPruningAndUndoPruned(t *testing.T) {
	const depth = 3
	db := openMem(t, depth)
	ids := chain("a", 10)
	connectAll(t, db, ids)

	// The last depth blocks can be disconnected...
	for i := 9; i > 9-depth; i-- {
		if _, err := db.DisconnectBlock(ids[i]); err != nil {
			t.Fatalf("disconnect %d: %v", i, err)
		}
	}
	// ...the next one is beyond the undo window.
	before := dump(t, db)
	_, err := db.DisconnectBlock(ids[9-depth])
	requireCode(t, err, store.ErrUndoPruned)
	if tip, _ := db.Tip(); tip != ids[9-depth] {
		t.Fatalf("tip moved to %v", tip)
	}
	if fmtState(dump(t, db)) != fmtState(before) {
		t.Fatal("state changed by a failed disconnect")
	}

	// A new branch gets fresh undo records.
	alt := chain("b", 12)
	copy(alt, ids[:10-depth])
	connectAll(t, db, alt[10-depth:])
	for i := 11; i > 11-depth; i-- {
		if _, err := db.DisconnectBlock(alt[i]); err != nil {
			t.Fatalf("disconnect alt %d: %v", i, err)
		}
	}
	_, err = db.DisconnectBlock(alt[11-depth])
	requireCode(t, err, store.ErrUndoPruned)
}

func TestUndoDepthShrinksOnReopen(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(dir, diskOpts(10))
	if err != nil {
		t.Fatal(err)
	}
	ids := chain("a", 21)
	connectAll(t, db, ids)
	db.Close()

	db, err = store.Open(dir, diskOpts(3))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for i := 20; i > 17; i-- {
		if _, err := db.DisconnectBlock(ids[i]); err != nil {
			t.Fatalf("disconnect %d: %v", i, err)
		}
	}
	_, err = db.DisconnectBlock(ids[17])
	requireCode(t, err, store.ErrUndoPruned)
}

func TestReopenPersists(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "missing", "datadir")
	db, err := store.Open(dir, diskOpts(0))
	if err != nil {
		t.Fatal(err)
	}
	ids := chain("a", 5)
	connectAll(t, db, ids)
	if err := db.Update(func(w *store.PlainWriter) error {
		return w.Set([]byte{0x80}, []byte("peer"))
	}); err != nil {
		t.Fatal(err)
	}
	want := dump(t, db)
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}

	db, err = store.Open(dir, diskOpts(0))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if tip, err := db.Tip(); err != nil || tip != ids[4] {
		t.Fatalf("tip %v, %v", tip, err)
	}
	for _, id := range ids {
		if h, err := db.HashAt(id.Height); err != nil || h != id.Hash {
			t.Fatalf("HashAt(%d) = %v, %v", id.Height, h, err)
		}
	}
	if got := dump(t, db); fmtState(got) != fmtState(want) {
		t.Fatalf("state\n got %s\nwant %s", fmtState(got), fmtState(want))
	}
	// Undo records persisted too.
	if tip, err := db.DisconnectBlock(ids[4]); err != nil || tip != ids[3] {
		t.Fatalf("disconnect after reopen: %v, %v", tip, err)
	}
}

func TestNetworkMismatch(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(dir, diskOpts(0))
	if err != nil {
		t.Fatal(err)
	}
	connectAll(t, db, chain("a", 2))
	db.Close()

	simnet := diskOpts(0)
	simnet.Network, simnet.Genesis = "simnet", simnetGenesis
	_, err = store.Open(dir, simnet)
	requireCode(t, err, store.ErrWrongNetwork)

	sameName := diskOpts(0)
	sameName.Genesis = simnetGenesis
	_, err = store.Open(dir, sameName)
	requireCode(t, err, store.ErrWrongNetwork)

	sameGenesis := diskOpts(0)
	sameGenesis.Network = "testnet"
	_, err = store.Open(dir, sameGenesis)
	requireCode(t, err, store.ErrWrongNetwork)

	// The refused opens changed nothing.
	db, err = store.Open(dir, diskOpts(0))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if tip, _ := db.Tip(); tip.Height != 1 {
		t.Fatalf("tip %v", tip)
	}
}

// snapshotDir returns name -> content of the regular files in dir.
func snapshotDir(t *testing.T, dir string) map[string]string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(b)
	}
	return out
}

func TestCorruptDir(t *testing.T) {
	garbage := bytes.Repeat([]byte("not a database "), 100)

	t.Run("foreign files", func(t *testing.T) {
		dir := t.TempDir()
		for _, n := range []string{"notes.txt", "000001.vlog"} {
			if err := os.WriteFile(filepath.Join(dir, n), garbage, 0600); err != nil {
				t.Fatal(err)
			}
		}
		before := snapshotDir(t, dir)
		_, err := store.Open(dir, diskOpts(0))
		requireCode(t, err, store.ErrCorrupt)
		if fmt.Sprint(snapshotDir(t, dir)) != fmt.Sprint(before) {
			t.Fatal("Open modified a foreign dir")
		}
	})

	t.Run("garbage badger files", func(t *testing.T) {
		dir := t.TempDir()
		for _, n := range []string{"MANIFEST", "KEYREGISTRY",
			"000001.vlog", "00001.mem", "000001.sst", "DISCARD"} {
			if err := os.WriteFile(filepath.Join(dir, n), garbage, 0600); err != nil {
				t.Fatal(err)
			}
		}
		_, err := store.Open(dir, diskOpts(0))
		requireCode(t, err, store.ErrCorrupt)
		b, err := os.ReadFile(filepath.Join(dir, "MANIFEST"))
		if err != nil || !bytes.Equal(b, garbage) {
			t.Fatal("Open rewrote the MANIFEST")
		}
	})

	t.Run("store files overwritten", func(t *testing.T) {
		dir := t.TempDir()
		db, err := store.Open(dir, diskOpts(0))
		if err != nil {
			t.Fatal(err)
		}
		connectAll(t, db, chain("a", 3))
		db.Close()
		for name := range snapshotDir(t, dir) {
			err := os.WriteFile(filepath.Join(dir, name), garbage, 0600)
			if err != nil {
				t.Fatal(err)
			}
		}
		_, err = store.Open(dir, diskOpts(0))
		requireCode(t, err, store.ErrCorrupt)
	})

	// damage creates a store with some blocks, closes it (which flushes
	// the memtable into a table file) and applies fn to the files whose
	// names end in suffix.
	damage := func(t *testing.T, suffix string, fn func([]byte) []byte) string {
		dir := t.TempDir()
		db, err := store.Open(dir, diskOpts(0))
		if err != nil {
			t.Fatal(err)
		}
		connectAll(t, db, chain("a", 60))
		db.Close()
		hit := false
		for name, content := range snapshotDir(t, dir) {
			if !strings.HasSuffix(name, suffix) {
				continue
			}
			hit = true
			err := os.WriteFile(filepath.Join(dir, name),
				fn([]byte(content)), 0600)
			if err != nil {
				t.Fatal(err)
			}
		}
		if !hit {
			t.Fatalf("no %s file in %v", suffix, snapshotDir(t, dir))
		}
		return dir
	}

	// Badger panics in a background goroutine on these; the preflight
	// check must catch them first.
	t.Run("table garbage", func(t *testing.T) {
		dir := damage(t, ".sst", func([]byte) []byte { return garbage })
		_, err := store.Open(dir, diskOpts(0))
		requireCode(t, err, store.ErrCorrupt)
	})
	t.Run("table truncated", func(t *testing.T) {
		dir := damage(t, ".sst", func(b []byte) []byte {
			return b[:len(b)/2]
		})
		_, err := store.Open(dir, diskOpts(0))
		requireCode(t, err, store.ErrCorrupt)
	})

	// Badger reports keys in a damaged block as absent; the preflight
	// check verifies every block.
	t.Run("table bit flips", func(t *testing.T) {
		for _, at := range []int{10, 3, 2} {
			dir := damage(t, ".sst", func(b []byte) []byte {
				for i := len(b) / at; i < len(b)/at+8; i++ {
					b[i] ^= 0x55
				}
				return b
			})
			_, err := store.Open(dir, diskOpts(0))
			requireCode(t, err, store.ErrCorrupt)
		}
	})

	// A MANIFEST cut in half no longer references the tables; badger
	// then opens an empty database, which must not be taken for a new
	// one.
	t.Run("manifest truncated", func(t *testing.T) {
		dir := damage(t, "MANIFEST", func(b []byte) []byte {
			return b[:len(b)/2]
		})
		_, err := store.Open(dir, diskOpts(0))
		requireCode(t, err, store.ErrCorrupt)
		_, err = store.Open(dir, diskOpts(0))
		requireCode(t, err, store.ErrCorrupt)
	})

	t.Run("badger db without metadata", func(t *testing.T) {
		dir := t.TempDir()
		bdb, err := badger.Open(badger.DefaultOptions(dir).
			WithLogger(nil))
		if err != nil {
			t.Fatal(err)
		}
		if err := bdb.Update(func(txn *badger.Txn) error {
			return txn.Set([]byte("someone else's"), []byte("data"))
		}); err != nil {
			t.Fatal(err)
		}
		bdb.Close()
		_, err = store.Open(dir, diskOpts(0))
		requireCode(t, err, store.ErrCorrupt)
	})

	t.Run("path is a file", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "file")
		if err := os.WriteFile(path, garbage, 0600); err != nil {
			t.Fatal(err)
		}
		_, err := store.Open(path, diskOpts(0))
		requireCode(t, err, store.ErrCorrupt)
	})
}

// TestInterruptedFirstOpen: a kill during the very first Open can leave an
// empty badger database, or only badger's LOCK file; both count as empty.
func TestInterruptedFirstOpen(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "LOCK"), []byte("123\n"), 0600); err != nil {
		t.Fatal(err)
	}
	db, err := store.Open(dir, diskOpts(0))
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	dir = t.TempDir()
	bdb, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	bdb.Close()
	db, err = store.Open(dir, diskOpts(0))
	if err != nil {
		t.Fatal(err)
	}
	db.Close()
}

func TestVersionMismatch(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(dir, diskOpts(0))
	if err != nil {
		t.Fatal(err)
	}
	db.Close()

	bdb, err := badger.Open(badger.DefaultOptions(dir).WithLogger(nil))
	if err != nil {
		t.Fatal(err)
	}
	if err := bdb.Update(func(txn *badger.Txn) error {
		return txn.Set([]byte{0x00, 'v'}, be32(99))
	}); err != nil {
		t.Fatal(err)
	}
	bdb.Close()
	_, err = store.Open(dir, diskOpts(0))
	requireCode(t, err, store.ErrVersion)
}

func TestLocked(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(dir, diskOpts(0))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = store.Open(dir, diskOpts(0))
	requireCode(t, err, store.ErrLocked)
}

func TestInvalidOptions(t *testing.T) {
	for name, mod := range map[string]func(*store.Options){
		"no network":     func(o *store.Options) { o.Network = "" },
		"no genesis":     func(o *store.Options) { o.Genesis = chainhash.Hash{} },
		"negative depth": func(o *store.Options) { o.UndoDepth = -1 },
		"huge depth":     func(o *store.Options) { o.UndoDepth = store.MaxUndoDepth + 1 },
		"tiny memtable":  func(o *store.Options) { o.MemTableSize = 1024 },
	} {
		o := regtestOpts(0)
		mod(&o)
		_, err := store.Open("", o)
		if err == nil {
			t.Fatalf("%s: no error", name)
		}
		requireCode(t, err, store.ErrInvalidArgument)
	}
	_, err := store.Open("", diskOpts(0))
	requireCode(t, err, store.ErrInvalidArgument)
}

func TestTooBig(t *testing.T) {
	o := regtestOpts(0)
	o.MemTableSize = 4 << 20 // about 600 KB per transaction
	db, err := store.Open("", o)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ids := chain("a", 2)
	connectAll(t, db, ids[:1])
	before := dump(t, db)

	value := bytes.Repeat([]byte{1}, 400)
	err = db.ConnectBlock(ids[1], ids[0].Hash, func(w *store.Writer) error {
		for i := 0; i < 2000; i++ {
			if err := w.Set(appKey(fmt.Sprint(i)), value); err != nil {
				return err
			}
		}
		return nil
	})
	requireCode(t, err, store.ErrTooBig)

	err = db.ConnectBlock(ids[1], ids[0].Hash, func(w *store.Writer) error {
		return w.Set(appKey("huge"), make([]byte, 2<<20))
	})
	requireCode(t, err, store.ErrTooBig)

	if fmtState(dump(t, db)) != fmtState(before) {
		t.Fatal("state changed")
	}
	connectAll(t, db, ids[1:])
}

func TestClosed(t *testing.T) {
	db, err := store.Open("", regtestOpts(0))
	if err != nil {
		t.Fatal(err)
	}
	ids := chain("a", 2)
	var kept *store.Writer
	if err := db.ConnectBlock(ids[0], chainhash.Hash{}, func(w *store.Writer) error {
		kept = w
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	requireCode(t, kept.Set(appKey("late"), nil), store.ErrClosed)

	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	_, err = db.Tip()
	requireCode(t, err, store.ErrClosed)
	requireCode(t, db.ConnectBlock(ids[1], ids[0].Hash, nil), store.ErrClosed)
	_, err = db.DisconnectBlock(ids[0])
	requireCode(t, err, store.ErrClosed)
	requireCode(t, db.Update(func(*store.PlainWriter) error { return nil }),
		store.ErrClosed)
}

// TestEmptyLogAfterCrash: a kill right after badger creates a log file
// leaves it empty, which badger itself cannot open (badger issue #2207).
func TestEmptyLogAfterCrash(t *testing.T) {
	dir := t.TempDir()
	db, err := store.Open(dir, diskOpts(0))
	if err != nil {
		t.Fatal(err)
	}
	ids := chain("a", 5)
	connectAll(t, db, ids)
	want := dump(t, db)
	db.Close()
	for _, name := range []string{"00009.mem", "000009.vlog"} {
		if err := os.WriteFile(filepath.Join(dir, name), nil, 0600); err != nil {
			t.Fatal(err)
		}
	}
	db, err = store.Open(dir, diskOpts(0))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if tip, _ := db.Tip(); tip != ids[4] {
		t.Fatalf("tip %v", tip)
	}
	if got := dump(t, db); fmtState(got) != fmtState(want) {
		t.Fatal("state changed")
	}
}

// TestViewSnapshot: readers running during connects and disconnects always
// see the derived state of exactly the block their cursor names.
func TestViewSnapshot(t *testing.T) {
	db := openMem(t, 0)
	ids := chain("a", 120)
	connectAll(t, db, ids[:1])

	done := make(chan struct{})
	errs := make(chan error, 4)
	for g := 0; g < 4; g++ {
		go func() {
			for {
				select {
				case <-done:
					errs <- nil
					return
				default:
				}
				err := db.View(func(r store.Reader) error {
					tip, err := r.Tip()
					if err != nil {
						return err
					}
					v, err := r.Get(appKey("h"))
					if err != nil {
						return err
					}
					if !bytes.Equal(v, be32(uint32(tip.Height))) {
						return fmt.Errorf("tip %v but h=%x",
							tip, v)
					}
					return nil
				})
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	connectAll(t, db, ids[1:])
	for i := len(ids) - 1; i > 0; i-- {
		if _, err := db.DisconnectBlock(ids[i]); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	for g := 0; g < 4; g++ {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}
