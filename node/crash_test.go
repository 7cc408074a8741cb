package node_test

import (
	"bufio"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg"

	"github.com/mainstake/sidenode/btctest"
	"github.com/mainstake/sidenode/node"
	"github.com/mainstake/sidenode/store"
)

// buildSidenode compiles cmd/sidenode once per test binary.
var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

func sidenodeBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sidenode-bin-")
		if err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(dir, "sidenode")
		out, err := exec.Command("go", "build", "-o", buildPath,
			"github.com/mainstake/sidenode/cmd/sidenode").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildPath
}

// proc is a sidenode process whose output the test reads.
type proc struct {
	cmd   *exec.Cmd
	lines chan string
	done  chan struct{}
}

func startSidenode(t *testing.T, h *btctest.Harness, home string, extra ...string) *proc {
	t.Helper()
	conf := filepath.Join(home, "sidenode.conf")
	if err := os.MkdirAll(home, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(sidenodeBinary(t),
		"--configfile="+conf,
		"--datadir="+filepath.Join(home, "data"),
		"--logdir="+filepath.Join(home, "logs"),
		"--network=regtest",
		"--btcd.rpchost="+h.RPCAddr,
		"--btcd.rpcuser="+h.RPCUser,
		"--btcd.rpcpass="+h.RPCPass,
		"--btcd.rpccert="+h.CertPath,
	)
	cmd.Args = append(cmd.Args, extra...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, lines: make(chan string, 1<<16), done: make(chan struct{})}
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			select {
			case p.lines <- sc.Text():
			default: // nobody is waiting for lines right now
			}
		}
		_ = cmd.Wait()
		close(p.done)
	}()
	t.Cleanup(p.kill)
	return p
}

func (p *proc) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

func (p *proc) interrupt(t *testing.T) {
	t.Helper()
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(30 * time.Second):
		t.Fatal("sidenode did not stop on interrupt")
	}
	if code := p.cmd.ProcessState.ExitCode(); code != 0 {
		t.Fatalf("sidenode exited with status %d", code)
	}
}

// waitTip waits until the node logs that it connected btcd's tip.
func (p *proc) waitTip(t *testing.T, h *btctest.Harness) {
	t.Helper()
	height, hash, err := h.Tip()
	if err != nil {
		t.Fatal(err)
	}
	// A node that connects the tip says so; one that was already there
	// says it is synced.
	connected := fmt.Sprintf("connected block %d %v", height, hash)
	synced := fmt.Sprintf("synced to mainchain tip %d:%v", height, hash)
	deadline := time.After(2 * time.Minute)
	for {
		select {
		case line := <-p.lines:
			if strings.Contains(line, connected) || strings.Contains(line, synced) {
				return
			}
		case <-p.done:
			t.Fatalf("sidenode exited before reaching %d", height)
		case <-deadline:
			t.Fatalf("sidenode did not reach %d:%v", height, hash)
		}
	}
}

func stateHash(t *testing.T, home string) (store.BlockID, string) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(home, "data", "regtest", "state")); os.IsNotExist(err) {
		return store.BlockID{Height: -1}, ""
	}
	db, err := store.Open(filepath.Join(home, "data", "regtest", "state"), store.Options{
		Genesis: *chaincfg.RegressionNetParams.GenesisHash,
		Network: "regtest",
	})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	tip, sum, err := node.StateHash(db)
	if err != nil {
		t.Fatal(err)
	}
	return tip, sum.String()
}

var (
	connectedRE    = regexp.MustCompile(`connected block (\d+) `)
	disconnectedRE = regexp.MustCompile(`disconnected block (\d+):`)
)

// lineHeight returns the height a log line reports for re, or -1.
func lineHeight(re *regexp.Regexp, line string) int {
	m := re.FindStringSubmatch(line)
	if m == nil {
		return -1
	}
	n, _ := strconv.Atoi(m[1])
	return n
}

// TestKillNine kills a real sidenode process with SIGKILL at random points
// of a sync, including the middle of undoing a mainchain reorg, and checks
// that the state it ends with is exactly that of a node that synced once
// without a crash. The kill points are chosen by the heights the node logs,
// not by time, so the test does the same on a fast or a loaded machine.
func TestKillNine(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	h := btctest.NewForTest(t, btctest.Options{})
	if _, err := h.Generate(3000); err != nil {
		t.Fatal(err)
	}

	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewSource(seed))
	t.Logf("kill schedule seed %d", seed)

	crashed := filepath.Join(t.TempDir(), "crashed")
	// killWhen runs the node until a log line satisfies match, kills it
	// with SIGKILL, and checks that the state opens at a block boundary.
	killWhen := func(what string, match func(line string) bool) {
		t.Helper()
		p := startSidenode(t, h, crashed, "--debuglevel=info,MWCH=debug")
		deadline := time.After(2 * time.Minute)
		for done := false; !done; {
			select {
			case line := <-p.lines:
				done = match(line)
			case <-p.done:
				t.Fatalf("sidenode exited before %s", what)
			case <-deadline:
				t.Fatalf("sidenode never got to %s", what)
			}
		}
		p.kill()
		tip, _ := stateHash(t, crashed)
		t.Logf("killed after %s: state at %v", what, tip)
	}
	atHeight := func(target int) {
		killWhen(fmt.Sprintf("block %d", target), func(line string) bool {
			return lineHeight(connectedRE, line) >= target
		})
	}

	// Four kills during the first sync, at increasing random heights.
	for i, from := 0, 1; i < 4; i++ {
		target := from + rng.Intn(600)
		atHeight(target)
		from = target + 1
	}
	// Sync the rest, stop, and reorganize 25 blocks while the node is
	// down; then kill it in the middle of undoing them.
	p := startSidenode(t, h, crashed)
	p.waitTip(t, h)
	p.interrupt(t)
	height, _, err := h.Tip()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := h.Reorg(25, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := h.Generate(500); err != nil {
		t.Fatal(err)
	}
	undoTo := int(height) - 1 - rng.Intn(23)
	killWhen(fmt.Sprintf("undoing down to block %d", undoTo), func(line string) bool {
		d := lineHeight(disconnectedRE, line)
		return d >= 0 && d <= undoTo
	})
	// Three more kills while it connects the new branch.
	for i, from := 0, int(height)-24; i < 3; i++ {
		target := from + rng.Intn(150)
		atHeight(target)
		from = target + 1
	}
	p = startSidenode(t, h, crashed)
	p.waitTip(t, h)
	p.interrupt(t)

	clean := filepath.Join(t.TempDir(), "clean")
	p = startSidenode(t, h, clean)
	p.waitTip(t, h)
	p.interrupt(t)

	height, hash, err := h.Tip()
	if err != nil {
		t.Fatal(err)
	}
	crashTip, crashHash := stateHash(t, crashed)
	cleanTip, cleanHash := stateHash(t, clean)
	if crashTip.Height != height || crashTip.Hash != hash {
		t.Fatalf("crashed node at %v, btcd at %d:%v", crashTip, height, hash)
	}
	if crashTip != cleanTip || crashHash != cleanHash {
		t.Fatalf("state differs: crashed %v %s, clean %v %s",
			crashTip, crashHash, cleanTip, cleanHash)
	}
}
