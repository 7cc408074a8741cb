package store_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"testing"

	"github.com/mainstake/sidenode/store"
)

const noSyncDirEnv = "STORE_NOSYNC_CHILD_DIR"

// noSyncOpts are the options of a NoSync store on disk whose 0x13 keys
// are local.
func noSyncOpts() store.Options {
	o := diskOpts(8)
	o.NoSync = true
	o.MemTableSize = 4 << 20 // flushes while the child runs
	return o
}

// noSyncKey is the i-th key the child writes.
func noSyncKey(i int) []byte {
	k := []byte{0x13, 'k', 0, 0, 0, 0}
	binary.BigEndian.PutUint32(k[2:], uint32(i))
	return k
}

// TestNoSyncChild is the helper process of TestNoSyncKill9: it commits
// one local key at a time to a NoSync store and prints the index of each
// commit once it returned, until it is killed.
func TestNoSyncChild(t *testing.T) {
	dir := os.Getenv(noSyncDirEnv)
	if dir == "" {
		t.Skip("helper process for TestNoSyncKill9")
	}
	db, err := store.Open(dir, noSyncOpts())
	if err != nil {
		t.Fatal(err)
	}
	out := bufio.NewWriter(os.Stdout)
	value := bytes.Repeat([]byte{7}, 2048)
	for i := 0; ; i++ {
		err := db.UpdateLocal(func(w *store.PlainWriter) error {
			return w.Set(noSyncKey(i), value)
		})
		if err != nil {
			t.Fatal(err)
		}
		fmt.Fprintf(out, "%d\n", i)
		out.Flush()
	}
}

// TestNoSyncKill9: a NoSync store killed with SIGKILL keeps every commit
// that returned (the writes reached the OS), though none was synced on
// purpose; the parent kills the child after it acknowledged a number of
// commits, not after a time.
func TestNoSyncKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	for round, acks := range []int{50, 3000} {
		dir := t.TempDir()
		cmd := exec.Command(os.Args[0], "-test.run=^TestNoSyncChild$", "-test.count=1")
		cmd.Env = append(os.Environ(), noSyncDirEnv+"="+dir)
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		lines := bufio.NewScanner(stdout)
		last := -1
		for last+1 < acks && lines.Scan() {
			if n, err := strconv.Atoi(lines.Text()); err == nil {
				last = n
			}
		}
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		go func() {
			for lines.Scan() {
			}
		}()
		_ = cmd.Wait()
		if last+1 < acks {
			t.Fatalf("round %d: the child acknowledged %d commits: %s", round, last+1, stderr.String())
		}
		db, err := store.Open(dir, noSyncOpts())
		if err != nil {
			t.Fatalf("reopen after kill: %v", err)
		}
		err = db.View(func(r store.Reader) error {
			for i := 0; i <= last; i++ {
				if _, err := r.Get(noSyncKey(i)); err != nil {
					return fmt.Errorf("acknowledged commit %d of %d: %w", i, last+1, err)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestNoSyncSyncAndClose: Sync answers on an open NoSync store and
// ErrClosed after Close; a second Close is a no-op; what was committed is
// there after reopening.
func TestNoSyncSyncAndClose(t *testing.T) {
	dir := t.TempDir()
	for _, every := range []int64{0, -1} {
		o := noSyncOpts()
		o.SyncInterval = 0
		if every < 0 {
			o.SyncInterval = -1
		}
		db, err := store.Open(dir, o)
		if err != nil {
			t.Fatal(err)
		}
		err = db.UpdateLocal(func(w *store.PlainWriter) error {
			return w.Set(noSyncKey(int(every+5)), []byte{1})
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.Sync(); err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
		if err := db.Close(); err != nil {
			t.Fatalf("second Close: %v", err)
		}
		requireCode(t, db.Sync(), store.ErrClosed)
	}
	db, err := store.Open(dir, noSyncOpts())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	err = db.View(func(r store.Reader) error {
		for _, i := range []int{5, 4} {
			if _, err := r.Get(noSyncKey(i)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
