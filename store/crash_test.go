package store_test

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"math/rand"
	"os"
	"os/exec"
	"strconv"
	"testing"
	"time"

	"github.com/mainstake/sidenode/store"
)

const (
	crashDirEnv  = "STORE_CRASH_CHILD_DIR"
	crashSeedEnv = "STORE_CRASH_CHILD_SEED"
	crashDepth   = 8
	crashOps     = 1500
)

// crashOpts uses the smallest memtable so that the child flushes and
// compacts table files while it runs, and gets killed during those too.
func crashOpts() store.Options {
	o := diskOpts(crashDepth)
	o.MemTableSize = 4 << 20
	return o
}

// crashScript is genScript plus a 32 KiB ballast value per block, so the
// memtable fills up quickly.
func crashScript(seed int64) []scriptOp {
	ops := genScript(seed, crashOps, crashDepth)
	for i := range ops {
		op := &ops[i]
		if op.kind != opConnect && op.kind != opConnectFail {
			continue
		}
		seedBytes := sha256.Sum256(op.block.Hash[:])
		ballast := bytes.Repeat(seedBytes[:], 32<<10/32)
		key := append(appKey("ballast/"), byte(op.block.Height%16))
		op.writes = append(op.writes, scriptWrite{key: key, value: ballast})
	}
	return ops
}

// TestCrashChild is the helper process of TestKill9: it runs a script
// against a data dir until it is killed.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashDirEnv)
	if dir == "" {
		t.Skip("helper process for TestKill9")
	}
	seed, err := strconv.ParseInt(os.Getenv(crashSeedEnv), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	ops := crashScript(seed)
	db, err := store.Open(dir, crashOpts())
	if err != nil {
		t.Fatal(err)
	}
	os.Stdout.WriteString("ready\n")
	for _, op := range ops {
		runOp(t, db, op)
	}
	db.Close()
}

// TestKill9 runs a script in a child process, kills it with SIGKILL at a
// random moment, reopens the data dir and checks that the state is exactly
// the model's state at the block the cursor names; then it checks that the
// store still connects and disconnects blocks.
func TestKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	rng := rand.New(rand.NewSource(time.Now().UnixNano()))
	for i := 0; i < 4; i++ {
		dir := t.TempDir()
		seed := int64(1000 + i)
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$",
			"-test.count=1")
		cmd.Env = append(os.Environ(), crashDirEnv+"="+dir,
			crashSeedEnv+"="+strconv.FormatInt(seed, 10))
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
		ready := false
		for lines.Scan() {
			if lines.Text() == "ready" {
				ready = true
				break
			}
		}
		if !ready {
			cmd.Wait()
			t.Fatalf("child did not start: %s", stderr.String())
		}
		go func() {
			for lines.Scan() {
			}
		}()
		time.Sleep(time.Duration(50+rng.Intn(400)) * time.Millisecond)
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()

		var files []string
		for name := range snapshotDir(t, dir) {
			files = append(files, name)
		}
		db, err := store.Open(dir, crashOpts())
		if err != nil {
			t.Fatalf("reopen after kill: %v", err)
		}
		tip, err := db.Tip()
		if err != nil {
			t.Fatal(err)
		}

		// Find the state the cursor names. Every block hash is unique,
		// disconnects restore exactly and every amendment writes its own
		// op index under amendKey, so the pair (tip, amendKey value)
		// names one state of the model: the first step at which the
		// model holds both is the state the store must have. A tip can
		// be reached again after a reorg and amended again then, so the
		// search runs over the whole script.
		marker := func() string {
			var v []byte
			err := db.View(func(r store.Reader) error {
				var err error
				v, err = r.Get(amendKey)
				if store.IsErrorCode(err, store.ErrNotFound) {
					return nil
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			return string(v)
		}()
		m := newModel(crashDepth)
		m.replayed = true
		script := crashScript(seed)
		steps := 0
		for m.tip() != tip || m.state[string(amendKey)] != marker {
			if steps == len(script) {
				t.Fatalf("tip %v with amendment marker %q after kill "+
					"is not in the script", tip, marker)
			}
			m.apply(script[steps])
			steps++
		}
		t.Logf("run %d: killed at tip %v (script step >= %d), files %v",
			i, tip, steps, files)
		checkModel(t, db, m)

		// The store is usable: connect two blocks and take them off.
		ids := []store.BlockID{
			{Height: tip.Height + 1, Hash: testHash("after", i, 1)},
			{Height: tip.Height + 2, Hash: testHash("after", i, 2)},
		}
		if tip.Height == -1 {
			ids[0].Hash = regtestGenesis
		}
		prev := tip.Hash
		for _, id := range ids {
			if err := db.ConnectBlock(id, prev, func(w *store.Writer) error {
				return w.Set(appKey("after"), id.Hash[:])
			}); err != nil {
				t.Fatal(err)
			}
			prev = id.Hash
		}
		for j := len(ids) - 1; j >= 0; j-- {
			if _, err := db.DisconnectBlock(ids[j]); err != nil {
				t.Fatal(err)
			}
		}
		checkModel(t, db, m)
		if err := db.Close(); err != nil {
			t.Fatal(err)
		}
	}
}
