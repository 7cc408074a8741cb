// Command devnet runs a local development network: a btcd regtest node on
// loopback that mines a block every few seconds, and sidenodes following it
// with each mainchain backend side by side. It prints every node's output
// with the node's name in front and stops everything cleanly on Ctrl-C.
//
// scripts/devnet builds the binaries and runs it; see the README.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"
	"time"

	"github.com/mainstake/sidenode/btctest"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "devnet: %v\n", err)
		os.Exit(1)
	}
}

// sidenode is one node process of the devnet.
type sidenode struct {
	name string
	cmd  *exec.Cmd
	done chan struct{}
}

func run() error {
	var (
		dir      = flag.String("dir", ".devnet", "directory for the devnet's state; wiped at start")
		binary   = flag.String("sidenode", "bin/sidenode", "path of the sidenode binary")
		interval = flag.Duration("interval", 3*time.Second, "time between mined blocks")
		blocks   = flag.Int("blocks", 0, "stop after mining this many blocks (0: run until Ctrl-C)")
	)
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	abs, err := filepath.Abs(*dir)
	if err != nil {
		return err
	}
	if err := os.RemoveAll(abs); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(abs, "btcd"), 0o700); err != nil {
		return err
	}

	say("starting btcd v%s (regtest, --rejectnonstd) in %s", btctest.BtcdVersion,
		filepath.Join(abs, "btcd"))
	h, err := btctest.New(btctest.Options{DataDir: filepath.Join(abs, "btcd")})
	if err != nil {
		return err
	}
	defer func() {
		say("stopping btcd")
		_ = h.Stop()
	}()
	say("btcd RPC %s, p2p %s", h.RPCAddr, h.P2PAddr)
	if _, err := h.Generate(10); err != nil {
		return err
	}

	common := func(name string) []string {
		home := filepath.Join(abs, name)
		conf := filepath.Join(home, "sidenode.conf")
		_ = os.MkdirAll(home, 0o700)
		_ = os.WriteFile(conf, nil, 0o600)
		return []string{
			"--configfile=" + conf,
			"--datadir=" + filepath.Join(home, "data"),
			"--logdir=" + filepath.Join(home, "logs"),
			"--network=regtest",
		}
	}
	specs := []struct {
		name string
		args []string
	}{
		{"node-btcd", append(common("node-btcd"),
			"--mainwatch.backend=btcd",
			"--btcd.rpchost="+h.RPCAddr,
			"--btcd.rpcuser="+h.RPCUser,
			"--btcd.rpcpass="+h.RPCPass,
			"--btcd.rpccert="+h.CertPath,
		)},
		{"node-neutrino", append(common("node-neutrino"),
			"--mainwatch.backend=neutrino",
			"--neutrino.connect="+h.P2PAddr,
		)},
	}

	var nodes []*sidenode
	defer func() {
		for _, n := range nodes {
			n.stop()
		}
	}()
	for _, s := range specs {
		n, err := startNode(*binary, s.name, s.args)
		if err != nil {
			return err
		}
		nodes = append(nodes, n)
	}

	say("mining a block every %v; press Ctrl-C to stop", *interval)
	ticker := time.NewTicker(*interval)
	defer ticker.Stop()
	for mined := 0; *blocks == 0 || mined < *blocks; mined++ {
		select {
		case <-ctx.Done():
			say("interrupted")
			return nil
		case <-ticker.C:
		}
		for _, n := range nodes {
			select {
			case <-n.done:
				return fmt.Errorf("%s exited; see its log above", n.name)
			default:
			}
		}
		hashes, err := h.Generate(1)
		if err != nil {
			return err
		}
		height, _, _ := h.Tip()
		say("mined block %d %v", height, hashes[0])
	}
	return nil
}

func startNode(binary, name string, args []string) (*sidenode, error) {
	cmd := exec.Command(binary, args...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", binary, err)
	}
	n := &sidenode{name: name, cmd: cmd, done: make(chan struct{})}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		prefix(name, out)
	}()
	go func() {
		wg.Wait()
		_ = cmd.Wait()
		close(n.done)
	}()
	say("started %s (pid %d)", name, cmd.Process.Pid)
	return n, nil
}

func (n *sidenode) stop() {
	select {
	case <-n.done:
		return
	default:
	}
	_ = n.cmd.Process.Signal(os.Interrupt)
	select {
	case <-n.done:
	case <-time.After(15 * time.Second):
		_ = n.cmd.Process.Kill()
		<-n.done
	}
	say("%s stopped", n.name)
}

func prefix(name string, r io.Reader) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	for sc.Scan() {
		fmt.Printf("%-14s %s\n", "["+name+"]", sc.Text())
	}
	if err := sc.Err(); err != nil && !errors.Is(err, os.ErrClosed) {
		fmt.Printf("%-14s (output: %v)\n", "["+name+"]", err)
	}
}

func say(format string, args ...any) {
	fmt.Printf("%-14s %s\n", "[devnet]", fmt.Sprintf(format, args...))
}
