// Command soak starts a devnet of its own (btcd regtest mining a block
// every --interval, and the three staking sidenodes of bin/devnet: node-a
// and node-b on btcd's RPC, node-c a neutrino light client), then --runs
// times kills one node with SIGKILL at a random moment, restarts it, and
// waits until every node reports the same mainchain tip, sidechain tip and
// state hash (package soak says how). It prints a line per run and a
// summary: runs survived, the lags from restart to agreement, and the
// sideblock headers published whose body no node held (lost slots). It exits
// 1 on the first run whose nodes do not agree within --catchup, printing
// every node's tips and state hashes at the last common heights.
//
// The nodes' output goes to <dir>/nodes.log (and to stdout with
// --verbose); each node also keeps its own log in <dir>/NAME/logs. Ctrl-C,
// SIGTERM or a failure stops every node and btcd before it exits.
//
// scripts/soak builds the binaries and runs it; see the README.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"google.golang.org/grpc"

	"github.com/mainstake/sidenode/devnet"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
	"github.com/mainstake/sidenode/soak"
)

func main() {
	os.Exit(run())
}

func run() int {
	var (
		runs     = flag.Int("runs", 100, "kill -9 runs, each followed by a restart")
		victim   = flag.String("node", "", "kill only this node (node-a, node-b or node-c); empty: all three in turn")
		seed     = flag.Uint64("seed", 0, "seed for the kill delays (0: from the clock; the seed used is printed)")
		dir      = flag.String("dir", ".soak", "directory for the devnet's state; wiped at start")
		binary   = flag.String("sidenode", "bin/sidenode", "path of the sidenode binary")
		interval = flag.Duration("interval", time.Second, "time between mined blocks")
		window   = flag.Duration("window", 40*time.Millisecond, "half the kills come within this long after a block, "+
			"while the nodes connect it; the other half anywhere in --interval (0: all anywhere)")
		catchUp = flag.Duration("catchup", time.Minute, "fail when the nodes do not agree within this long")
		verbose = flag.Bool("verbose", false, "also print the nodes' output")
	)
	flag.Parse()
	if flag.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "soak: unexpected argument %q\n", flag.Arg(0))
		return 2
	}
	if *runs < 1 || *interval <= 0 || *window < 0 || *window > *interval || *catchUp <= 0 {
		fmt.Fprintln(os.Stderr, "soak: want --runs of 1 or more, a positive --interval and --catchup, "+
			"and a --window between 0 and --interval")
		return 2
	}
	if *victim != "" && !slices.Contains(nodeNames, *victim) {
		fmt.Fprintf(os.Stderr, "soak: --node %q: want one of %s\n", *victim, strings.Join(nodeNames, ", "))
		return 2
	}
	if *seed == 0 {
		*seed = uint64(time.Now().UnixNano())
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()

	say := func(format string, args ...any) {
		fmt.Printf("[soak] "+format+"\n", args...)
	}
	say("starting btcd and node-a, node-b (btcd backend), node-c (neutrino) in %s; "+
		"a block every %v; %d runs, seed %d", *dir, *interval, *runs, *seed)
	dn, err := newDevnet(ctx, *dir, *binary, *interval, *verbose)
	if err != nil {
		fmt.Fprintf(os.Stderr, "soak: %v\n", err)
		return 1
	}
	defer func() {
		say("stopping the nodes, then btcd")
		dn.stop()
	}()

	cfg := soak.Config{
		Runs:     *runs,
		Interval: *interval,
		Window:   *window,
		Seed:     *seed,
		CatchUp:  *catchUp,
		Poll:     50 * time.Millisecond,
		Out:      os.Stdout,
	}
	if *victim != "" {
		cfg.Victims = []string{*victim}
	}
	sum, err := soak.Run(ctx, dn, cfg)
	if lost := lostBodies(dn.logPath, nodeNames); len(lost) > 0 {
		say("%d sideblock headers were published whose body no node held (slots lost, "+
			"not a state mismatch): %s", len(lost), strings.Join(lost, "; "))
	}
	var mm *soak.Mismatch
	switch {
	case err == nil:
		return 0
	case errors.As(err, &mm):
		fmt.Fprintf(os.Stderr, "soak: FAILED: %v\n", err)
		fmt.Fprintf(os.Stderr, "soak: %s's last lines:\n%s\n", mm.Victim, dn.tail(mm.Victim, 40))
	case ctx.Err() != nil:
		fmt.Fprintln(os.Stderr, "soak: interrupted")
	default:
		fmt.Fprintf(os.Stderr, "soak: FAILED: %v\n", err)
	}
	for _, node := range dn.net.Nodes {
		select {
		case <-node.Done():
			fmt.Fprintf(os.Stderr, "soak: %s is not running (exit status %d); its last lines:\n%s\n",
				node.Spec.Name, node.ExitCode(), dn.tail(node.Spec.Name, 20))
		default:
		}
	}
	fmt.Fprintln(os.Stderr, sum.String())
	fmt.Fprintf(os.Stderr, "soak: the nodes' output is in %s; their logs in %s\n",
		dn.logPath, filepath.Join(dn.net.Dir, "NAME", "logs"))
	return 1
}

// devnetNetwork is a devnet that soak.Run drives: it mines a block every
// interval and kills and restarts nodes itself.
type devnetNetwork struct {
	net     *devnet.Net
	names   []string
	byName  map[string]*devnet.Node
	logPath string
	logFile *os.File

	cancelMining context.CancelFunc
	mined        sync.WaitGroup

	mu    sync.Mutex
	conns map[string]*grpc.ClientConn
	last  soak.Block
	// marks holds, for the newest blocks, the line marks every node's
	// output was at just before the block was mined.
	marks map[int32]map[string]int
	next  chan struct{} // closed when a block is mined
	err   error         // why mining stopped
}

// nodeNames are the devnet's nodes, as newDevnet makes them.
var nodeNames = []string{"node-a", "node-b", "node-c"}

func newDevnet(ctx context.Context, dir, binary string, interval time.Duration, verbose bool) (*devnetNetwork, error) {
	specs := []devnet.NodeSpec{
		// A soak publishes far more headers than a devnet session: fund
		// each ticket's publisher for about 5,000.
		{Name: nodeNames[0], Backend: "btcd", Stake: 300_000_000, PublisherValue: 2_000_000},
		{Name: nodeNames[1], Backend: "btcd", Stake: 200_000_000, PublisherValue: 2_000_000},
		{Name: nodeNames[2], Backend: "neutrino", Stake: 100_000_000, PublisherValue: 2_000_000},
	}
	net, err := devnet.New(dir, binary, specs, nil)
	if err != nil {
		return nil, err
	}
	d := &devnetNetwork{net: net, byName: make(map[string]*devnet.Node),
		conns: make(map[string]*grpc.ClientConn), next: make(chan struct{}),
		marks:   make(map[int32]map[string]int),
		logPath: filepath.Join(net.Dir, "nodes.log")}
	d.logFile, err = os.Create(d.logPath)
	if err != nil {
		net.Stop()
		return nil, err
	}
	// Set before any node starts, so no node writes meanwhile.
	net.Output = d.logFile
	if verbose {
		net.Output = io.MultiWriter(d.logFile, os.Stdout)
	}
	for _, node := range net.Nodes {
		d.names = append(d.names, node.Spec.Name)
		d.byName[node.Spec.Name] = node
	}
	if err := d.setUp(); err != nil {
		d.stop()
		return nil, err
	}
	mctx, cancel := context.WithCancel(ctx)
	d.cancelMining = cancel
	d.mined.Add(1)
	go d.mine(mctx, interval)
	return d, nil
}

// setUp starts the nodes, matures coins for btcd's mining key and
// registers every node's stake, as bin/devnet does.
func (d *devnetNetwork) setUp() error {
	for _, node := range d.net.Nodes {
		if err := node.Start(); err != nil {
			return err
		}
	}
	if _, err := d.net.H.Generate(110); err != nil {
		return err
	}
	_, err := d.net.RegisterStakes(2000)
	return err
}

// keepMarks is how many of the newest blocks' marks are kept.
const keepMarks = 10

// mine mines a block every interval until ctx is done.
func (d *devnetNetwork) mine(ctx context.Context, interval time.Duration) {
	defer d.mined.Done()
	ticker := time.NewTicker(interval)
	defer ticker.Stop()
	for {
		select {
		case <-ctx.Done():
			d.stopMining(ctx.Err())
			return
		case <-ticker.C:
		}
		marks := make(map[string]int, len(d.net.Nodes))
		for _, node := range d.net.Nodes {
			marks[node.Spec.Name] = node.Mark()
		}
		// A block's moment is when btcd is asked for it: the nodes hear
		// of it before the call returns.
		now := time.Now()
		hashes, err := d.net.H.Generate(1)
		if err != nil {
			d.stopMining(fmt.Errorf("mine: %w", err))
			return
		}
		height, _, err := d.net.H.Tip()
		if err != nil {
			d.stopMining(fmt.Errorf("mine: %w", err))
			return
		}
		d.net.Say("mined block %d %v (asked at %s)", height, hashes[0],
			now.Format("15:04:05.000"))
		d.mu.Lock()
		d.last = soak.Block{Height: height, Mined: now}
		d.marks[height] = marks
		delete(d.marks, height-keepMarks)
		close(d.next)
		d.next = make(chan struct{})
		d.mu.Unlock()
	}
}

func (d *devnetNetwork) stopMining(err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err == nil {
		d.err = err
		close(d.next)
	}
}

// stop stops mining, the nodes and btcd.
func (d *devnetNetwork) stop() {
	if d.cancelMining != nil {
		d.cancelMining()
		d.mined.Wait()
	}
	d.mu.Lock()
	for _, c := range d.conns {
		_ = c.Close()
	}
	d.conns = nil
	d.mu.Unlock()
	d.net.Stop()
	if d.logFile != nil {
		_ = d.logFile.Close()
	}
}

// Nodes names the nodes.
func (d *devnetNetwork) Nodes() []string { return d.names }

// NextBlock waits for the next block mined.
func (d *devnetNetwork) NextBlock(ctx context.Context) (soak.Block, error) {
	d.mu.Lock()
	next, err := d.next, d.err
	d.mu.Unlock()
	if err != nil {
		return soak.Block{}, err
	}
	select {
	case <-next:
	case <-ctx.Done():
		return soak.Block{}, ctx.Err()
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.err != nil {
		return soak.Block{}, d.err
	}
	return d.last, nil
}

// conn returns a connection to the node's API, made anew after a failure
// so that a restarted node is reached at once, not after a backoff.
func (d *devnetNetwork) conn(name string) (apiv1.NodeServiceClient, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.conns == nil {
		return nil, errors.New("stopped")
	}
	c := d.conns[name]
	if c == nil {
		var err error
		if c, err = d.byName[name].Dial(); err != nil {
			return nil, err
		}
		d.conns[name] = c
	}
	return apiv1.NewNodeServiceClient(c), nil
}

func (d *devnetNetwork) drop(name string) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if c := d.conns[name]; c != nil {
		_ = c.Close()
		delete(d.conns, name)
	}
}

// callTimeout bounds one question to a node.
const callTimeout = 5 * time.Second

// Tip asks the node for its tips and state hash.
func (d *devnetNetwork) Tip(ctx context.Context, name string) (soak.Tip, error) {
	client, err := d.conn(name)
	if err != nil {
		return soak.Tip{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	info, err := client.GetInfo(ctx, &apiv1.GetInfoRequest{})
	if err != nil {
		d.drop(name)
		return soak.Tip{}, err
	}
	tip := soak.Tip{
		MainHeight: info.GetMainchain().GetTipHeight(),
		MainHash:   info.GetMainchain().GetTipHash(),
		SideHeight: uint64(max(info.GetSidechain().GetHeight(), 0)),
		SideHash:   info.GetSidechain().GetTipHash(),
		StateHash:  info.GetStateHash(),
	}
	return tip, nil
}

// StateHash asks the node for its state hash at a mainchain height.
func (d *devnetNetwork) StateHash(ctx context.Context, name string, height int32) (string, error) {
	client, err := d.conn(name)
	if err != nil {
		return "", err
	}
	ctx, cancel := context.WithTimeout(ctx, callTimeout)
	defer cancel()
	resp, err := client.GetStateHash(ctx, &apiv1.GetStateHashRequest{Height: height})
	if err != nil {
		d.drop(name)
		return "", err
	}
	return resp.GetStateHash(), nil
}

// Kill ends the node with SIGKILL; its output, read to the end, shows how
// far it had got with block b.
func (d *devnetNetwork) Kill(_ context.Context, name string, b soak.Block) (soak.Phase, error) {
	node := d.byName[name]
	select {
	case <-node.Done():
		return soak.PhaseUnknown, fmt.Errorf("%s had exited by itself (status %d) before the kill",
			name, node.ExitCode())
	default:
	}
	d.mu.Lock()
	mark, ok := d.marks[b.Height][name]
	d.mu.Unlock()
	d.net.Say("killing %s (SIGKILL), %v after block %d was asked for", name,
		time.Since(b.Mined).Round(time.Millisecond), b.Height)
	node.Kill()
	d.drop(name)
	if !ok {
		return soak.PhaseUnknown, nil
	}
	return phase(node, mark, b.Height), nil
}

// phase reads the lines a dead node wrote after mark: a line that names
// block height means it had seen the block, "connected block H" that it
// had connected it.
func phase(node *devnet.Node, mark int, height int32) soak.Phase {
	seen := regexp.MustCompile(fmt.Sprintf(`\bblock %d\b`, height))
	connected := fmt.Sprintf("connected block %d ", height)
	p := soak.PhaseBefore
	// The node is dead and its output read to the end: WaitLine goes
	// through every line after mark and returns.
	_, _ = node.WaitLine(context.Background(), mark, func(line string) bool {
		switch {
		case strings.Contains(line, connected):
			p = soak.PhaseAfter
		case p == soak.PhaseBefore && seen.MatchString(line):
			p = soak.PhaseDuring
		}
		return false
	})
	return p
}

// Restart starts the node again.
func (d *devnetNetwork) Restart(_ context.Context, name string) error {
	d.net.Say("restarting %s", name)
	return d.byName[name].Start()
}

// tail returns the node's last n lines of output.
func (d *devnetNetwork) tail(name string, n int) string {
	f, err := os.Open(d.logPath)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	prefix := "[" + name + "]"
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), prefix) {
			lines = append(lines, sc.Text())
			if len(lines) > 2*n {
				lines = append([]string(nil), lines[len(lines)-n:]...)
			}
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// publishedLine and connectedLine are what a node logs of a sideblock
// header the mainchain published, and of a sideblock it connected.
var (
	publishedLine = regexp.MustCompile(`^\[([^\]]+)\].* Sideblock ([0-9a-f]{64}) published in ` +
		`mainchain block (\d+) \(height (\d+), lottery height (\d+), body missing\)`)
	connectedLine = regexp.MustCompile(` Sideblock ([0-9a-f]{64}) connected \(`)
)

// lostBodies reads the nodes' output for sideblocks whose header every
// node saw published without holding the body, and that no node connected
// later: a producer that died after broadcasting its header and before
// storing the body loses its slot so. It describes each.
func lostBodies(logPath string, nodes []string) []string {
	f, err := os.Open(logPath)
	if err != nil {
		return nil
	}
	defer f.Close()
	missing := make(map[string]map[string]bool)
	where := make(map[string]string)
	var order []string
	connected := make(map[string]bool)
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		line := sc.Text()
		if m := publishedLine.FindStringSubmatch(line); m != nil {
			if missing[m[2]] == nil {
				missing[m[2]] = make(map[string]bool)
				order = append(order, m[2])
				where[m[2]] = fmt.Sprintf("%s… in mainchain block %s (sidechain height %s, draw after block %s)",
					m[2][:16], m[3], m[4], m[5])
			}
			missing[m[2]][m[1]] = true
		} else if m := connectedLine.FindStringSubmatch(line); m != nil {
			connected[m[1]] = true
		}
	}
	var lost []string
	for _, hash := range order {
		if len(missing[hash]) == len(nodes) && !connected[hash] {
			lost = append(lost, where[hash])
		}
	}
	return lost
}
