package node_test

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/devnet"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// TestRealMiner runs a real Stratum V1 SHA-256d miner binary (cpuminer's
// minerd, or one that takes the same flags) against a pow sidenode's
// Stratum server on a devnet with btcd, for SIDENODE_REAL_MINER_TIME (1m
// by default), and logs what the miner and the pool counted: accepted and
// rejected shares, and the blocks found and taken by the chain. The
// binary is SIDENODE_REAL_MINER; without it the test is skipped, saying
// so. It is not built here: build one outside the repository.
//
// Powregtest's target is 2^255 and the share difficulty never goes above
// the network's, so until the chain's ASERT schedule raises the
// difficulty every share is a block and a CPU miner sends hundreds a
// second: the node runs with the submit rate limit and the invalid-share
// ban out of its way.
func TestRealMiner(t *testing.T) {
	bin := os.Getenv("SIDENODE_REAL_MINER")
	if bin == "" {
		t.Skip("no real miner: set SIDENODE_REAL_MINER to a Stratum V1 SHA-256d miner binary " +
			"(cpuminer's minerd: MINER -a sha256d -o stratum+tcp://ADDR -u WORKER -p x) to run this test")
	}
	if _, err := os.Stat(bin); err != nil {
		t.Fatalf("SIDENODE_REAL_MINER: %v", err)
	}
	run := time.Minute
	if s := os.Getenv("SIDENODE_REAL_MINER_TIME"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			t.Fatalf("SIDENODE_REAL_MINER_TIME %q: want a duration such as 10m", s)
		}
		run = d
	}
	net := powNet(t, []devnet.NodeSpec{{Name: "pool", Backend: "btcd"}})
	n := net.Nodes[0]
	if _, err := net.H.Generate(5); err != nil {
		t.Fatal(err)
	}
	if err := n.Start("--stratum=127.0.0.1:0,diff=0.001,sharetime=2s", "--stratummindiff=0.0000000001",
		"--stratumsubmitrate=100000", "--stratumsubmitburst=100000", "--stratumbancheck=0",
		"--pool=pplns", "--poolfee=1.5"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), run+5*time.Minute)
	defer cancel()
	powInfo(t, ctx, n, "the mainchain tip", func(i *apiv1.GetInfoResponse) bool {
		return i.Mainchain.Synced && i.Mainchain.TipHeight >= 5
	})
	conn, err := n.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	pool := apiv1.NewPoolServiceClient(conn)
	st, err := pool.GetPoolStats(ctx, &apiv1.GetPoolStatsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	if len(st.Listen) == 0 {
		t.Fatalf("the node serves no Stratum port: %v", st)
	}
	info, err := n.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	startHeight := info.Sidechain.Height

	payTo, err := btcutil.NewAddressWitnessPubKeyHash(bytes.Repeat([]byte{9}, 20), chainparams.PowRegtest.Side)
	if err != nil {
		t.Fatal(err)
	}
	// A mainchain block every 20 s, as the devnet's btcd would mine.
	mctx, mcancel := context.WithTimeout(ctx, run)
	defer mcancel()
	go func() {
		tick := time.NewTicker(20 * time.Second)
		defer tick.Stop()
		for {
			select {
			case <-mctx.Done():
				return
			case <-tick.C:
				net.H.Generate(1)
			}
		}
	}()
	cmd := exec.CommandContext(mctx, bin, "-a", "sha256d", "-o", "stratum+tcp://"+st.Listen[0],
		"-u", payTo.EncodeAddress()+".real", "-p", "x", "-t", "1", "-D")
	cmd.WaitDelay = 5 * time.Second
	out, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout = cmd.Stderr
	t.Logf("running %v for %v", cmd.Args, run)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	accepted := regexp.MustCompile(`accepted: (\d+)/(\d+)`)
	reason := regexp.MustCompile(`reject reason: (.*)`)
	var acc, total int
	reasons := make(map[string]int)
	var tail []string
	sc := bufio.NewScanner(out)
	for sc.Scan() {
		line := sc.Text()
		if m := accepted.FindStringSubmatch(line); m != nil {
			acc, _ = strconv.Atoi(m[1])
			total, _ = strconv.Atoi(m[2])
		}
		if m := reason.FindStringSubmatch(line); m != nil {
			reasons[m[1]]++
		}
		if tail = append(tail, line); len(tail) > 20 {
			tail = tail[1:]
		}
	}
	_ = cmd.Wait()

	st, err = pool.GetPoolStats(ctx, &apiv1.GetPoolStatsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	info, err = n.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("the miner counted: accepted %d of %d (rejected %d, reasons %v)", acc, total, total-acc, reasons)
	t.Logf("the pool counted: accepted %d, rejected %v; blocks pending %d, confirmed %d, orphaned %d; audit ok %v",
		st.SharesAccepted, st.SharesRejected, st.BlocksPending, st.BlocksConfirmed, st.BlocksOrphaned, st.AuditOk)
	t.Logf("the sidechain: height %d -> %d", startHeight, info.Sidechain.Height)
	if total == 0 {
		for _, l := range tail {
			t.Log(l)
		}
		t.Fatal("the miner submitted no share")
	}
	// The miner is killed with answers in flight, which it never counts:
	// its counts can only be behind the pool's.
	if uint64(acc) > st.SharesAccepted || uint64(total-acc) > st.SharesRejected.GetTotal() {
		t.Errorf("the miner counted %d accepted and %d rejected shares, more than the pool (%d, %d)",
			acc, total-acc, st.SharesAccepted, st.SharesRejected.GetTotal())
	}
	if acc == 0 || info.Sidechain.Height <= startHeight {
		for _, l := range tail {
			t.Log(l)
		}
		t.Errorf("no accepted share (%d) or no block on the chain (height %d -> %d)", acc,
			startHeight, info.Sidechain.Height)
	}
}
