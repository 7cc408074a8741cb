package node_test

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/devnet"
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
	return sidenodeBinaryB(t)
}

// sidenodeBinaryB is sidenodeBinary for tests and benchmarks alike.
func sidenodeBinaryB(t testing.TB) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "sidenode-bin-")
		if err != nil {
			buildErr = err
			return
		}
		node.AfterTests = append(node.AfterTests, func() { _ = os.RemoveAll(dir) })
		buildPath = filepath.Join(dir, "sidenode")
		args := append(append([]string{"build"}, raceBuildFlags...),
			"-o", buildPath, "github.com/mainstake/sidenode/cmd/sidenode")
		out, err := exec.Command("go", args...).CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildPath
}

// newNet starts btcd and prepares the nodes, and stops it all when the
// test ends. A node stakes stake[i] satoshis when given.
func newNet(t *testing.T, names []string, stake ...int64) *devnet.Net {
	t.Helper()
	var specs []devnet.NodeSpec
	for i, name := range names {
		spec := devnet.NodeSpec{Name: name, Backend: "btcd"}
		if i < len(stake) {
			spec.Stake = stake[i]
		}
		specs = append(specs, spec)
	}
	net, err := devnet.New(t.TempDir(), sidenodeBinary(t), specs, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopNet(t, net) })
	return net
}

// matureAndStake matures btcd's first coinbases (110 blocks) and pays a
// stake registration, locked lockBlocks, for every node with a stake.
func matureAndStake(t testing.TB, net *devnet.Net, lockBlocks uint32) {
	t.Helper()
	if _, err := net.H.Generate(110); err != nil {
		t.Fatal(err)
	}
	if _, err := net.RegisterStakes(lockBlocks); err != nil {
		t.Fatal(err)
	}
}

// stopNet stops the net and fails the test for every data race its
// sidenode processes reported (built with -race when the tests are).
func stopNet(t testing.TB, net *devnet.Net) {
	net.Stop()
	for _, report := range net.RaceReports() {
		t.Errorf("data race in sidenode %s", report)
	}
}

// waitTip waits until the node says it connected btcd's tip, or that it was
// already there.
func waitTip(t *testing.T, n *devnet.Net, node *devnet.Node, mark int) {
	t.Helper()
	height, hash, err := n.H.Tip()
	if err != nil {
		t.Fatal(err)
	}
	connected := fmt.Sprintf("connected block %d %v", height, hash)
	synced := fmt.Sprintf("synced to mainchain tip %d:%v", height, hash)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	_, err = node.WaitLine(ctx, mark, func(l string) bool {
		return strings.Contains(l, connected) || strings.Contains(l, synced)
	})
	if err != nil {
		t.Fatalf("%s did not reach %d:%v: %v", node.Spec.Name, height, hash, err)
	}
}

func stopClean(t *testing.T, node *devnet.Node) {
	t.Helper()
	node.Stop()
	if code := node.ExitCode(); code != 0 {
		t.Fatalf("%s exited with status %d", node.Spec.Name, code)
	}
}

// openState opens a stopped node's store, or returns nil if it has none.
func openState(t *testing.T, n *devnet.Node) *store.DB {
	t.Helper()
	p := &chainparams.Regtest
	dir := filepath.Join(n.Home, "data", p.Name, "state")
	if _, err := os.Stat(dir); os.IsNotExist(err) {
		return nil
	}
	db, err := store.Open(dir, node.StoreOptions(p.Name, *p.Main.GenesisHash))
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func stateHash(t *testing.T, n *devnet.Node) (store.BlockID, string) {
	t.Helper()
	db := openState(t, n)
	if db == nil {
		return store.BlockID{Height: -1}, ""
	}
	defer db.Close()
	tip, sum, err := node.StateHash(db)
	if err != nil {
		t.Fatal(err)
	}
	// The hash the store kept block by block, across kills, reorgs and
	// restarts, is the one a full scan of the state gives.
	if err := db.VerifyStateHash(); err != nil {
		t.Fatalf("%s: %v", n.Spec.Name, err)
	}
	return tip, sum.String()
}

// compareStateHashes checks that the stopped nodes hold the same state
// hash at every height they all hold one for, which includes their common
// tip, and returns the number of heights compared.
func compareStateHashes(t *testing.T, nodes ...*devnet.Node) int {
	t.Helper()
	hashes := make([]map[int32]string, len(nodes))
	for i, n := range nodes {
		tip, _ := stateHash(t, n) // also checks it against a full scan
		hashes[i] = map[int32]string{}
		db := openState(t, n)
		for h := tip.Height; h >= 0; h-- {
			id, sum, err := db.StateHash(h)
			if store.IsErrorCode(err, store.ErrNotFound) {
				break
			}
			if err != nil {
				db.Close()
				t.Fatal(err)
			}
			hashes[i][h] = id.String() + " " + sum.String()
		}
		db.Close()
	}
	compared := 0
	for h, want := range hashes[0] {
		common := true
		for i := 1; i < len(nodes); i++ {
			got, ok := hashes[i][h]
			if !ok {
				common = false
				continue
			}
			if got != want {
				t.Errorf("at height %d: %s has %s, %s has %s", h,
					nodes[0].Spec.Name, want, nodes[i].Spec.Name, got)
			}
		}
		if common {
			compared++
		}
	}
	if compared == 0 {
		t.Errorf("the nodes hold no state hash at a common height")
	}
	return compared
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
// that the state it ends with (cursor, tickets, draws, wallet) is exactly
// that of a node that synced once without a crash. The kill points are
// chosen by the heights the node logs, not by time, so the test does the
// same on a fast or a loaded machine.
func TestKillNine(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test")
	}
	// The tickets belong to two stakers that never run. A node that held
	// one would publish a sideblock whenever it reached the tip and won,
	// and only it would have that block's body: its state would rightly
	// differ from the clean node's, which has no peer to fetch it from.
	net := newNet(t, []string{"crashed", "clean", "staker1", "staker2"},
		0, 0, 100_000_000, 200_000_000)
	crashed, clean := net.Nodes[0], net.Nodes[1]
	matureAndStake(t, net, 4000)
	if _, err := net.H.Generate(3000); err != nil {
		t.Fatal(err)
	}

	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewSource(seed))
	t.Logf("kill schedule seed %d", seed)

	// killWhen runs the node until a log line satisfies match, kills it
	// with SIGKILL, and checks that the state opens at a block boundary.
	killWhen := func(what string, match func(line string) bool) {
		t.Helper()
		mark := crashed.Mark()
		if err := crashed.Start("--debuglevel=info,MWCH=debug"); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if _, err := crashed.WaitLine(ctx, mark, match); err != nil {
			t.Fatalf("never got to %s: %v", what, err)
		}
		crashed.Kill()
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
	mark := crashed.Mark()
	if err := crashed.Start(); err != nil {
		t.Fatal(err)
	}
	waitTip(t, net, crashed, mark)
	stopClean(t, crashed)
	height, _, err := net.H.Tip()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := net.H.Reorg(25, 3); err != nil {
		t.Fatal(err)
	}
	if _, err := net.H.Generate(500); err != nil {
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
	for _, n := range []*devnet.Node{crashed, clean} {
		mark := n.Mark()
		if err := n.Start(); err != nil {
			t.Fatal(err)
		}
		waitTip(t, net, n, mark)
		stopClean(t, n)
	}

	height, hash, err := net.H.Tip()
	if err != nil {
		t.Fatal(err)
	}
	crashTip, crashHash := stateHash(t, crashed)
	cleanTip, cleanHash := stateHash(t, clean)
	if crashTip.Height != height || crashTip.Hash != hash {
		t.Fatalf("crashed node at %v, btcd at %d:%v", crashTip, height, hash)
	}
	// The wallets are local and out of the state hash, so the whole
	// derived state, tickets and draws included, must be the same, at
	// the tip and at every height both can still undo to.
	if crashTip != cleanTip || crashHash != cleanHash {
		t.Fatalf("state differs: crashed %v %s, clean %v %s; keys that differ: %v",
			crashTip, crashHash, cleanTip, cleanHash, diffKeys(t, crashed, clean))
	}
	n := compareStateHashes(t, crashed, clean)
	t.Logf("state hashes agree at %d heights up to %v", n, crashTip)
}

// diffKeys lists the keys whose values differ between two nodes' stores,
// to say which part of the state went wrong.
func diffKeys(t *testing.T, a, b *devnet.Node) []string {
	dump := func(n *devnet.Node) map[string]string {
		m := make(map[string]string)
		db := openState(t, n)
		if db == nil {
			return m
		}
		defer db.Close()
		_ = db.View(func(r store.Reader) error {
			return r.Iterate(nil, func(k, v []byte) error {
				for _, p := range node.LocalPrefixes() {
					if bytes.HasPrefix(k, p) {
						return nil // not part of the state hash
					}
				}
				m[string(k)] = string(v)
				return nil
			})
		})
		return m
	}
	ma, mb := dump(a), dump(b)
	var out []string
	for k, v := range ma {
		if w, ok := mb[k]; !ok || w != v {
			out = append(out, fmt.Sprintf("%x", k))
		}
	}
	for k := range mb {
		if _, ok := ma[k]; !ok {
			out = append(out, fmt.Sprintf("%x (only clean)", k))
		}
	}
	if len(out) > 20 {
		out = append(out[:20], fmt.Sprintf("… %d more", len(out)-20))
	}
	return out
}
