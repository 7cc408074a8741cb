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

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/btcutil/hdkeychain"

	"github.com/mainstake/sidenode/btctest"
	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/mainstake"
	"github.com/mainstake/sidenode/wallet"
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

	// Each node gets a wallet the devnet creates, so that it knows the
	// node's stake key and can fund and register its stake.
	nodesSpec := []struct {
		name    string
		backend string
		stake   int64
	}{
		{"node-a", "btcd", 300_000_000},
		{"node-b", "btcd", 200_000_000},
		{"node-c", "neutrino", 100_000_000},
	}
	var specs []nodeSpec
	for _, ns := range nodesSpec {
		spec, err := prepareNode(abs, ns.name, ns.backend, ns.stake, h)
		if err != nil {
			return err
		}
		specs = append(specs, spec)
	}

	var nodes []*sidenode
	defer func() {
		for _, n := range nodes {
			n.stop()
		}
	}()
	for _, spec := range specs {
		n, err := startNode(*binary, spec.name, spec.args)
		if err != nil {
			return err
		}
		nodes = append(nodes, n)
	}

	// Mature the coins the stakes are paid from, then register a stake
	// for each node.
	if _, err := h.Generate(101); err != nil {
		return err
	}
	for _, spec := range specs {
		txid, err := registerStake(h, spec)
		if err != nil {
			return fmt.Errorf("%s: stake: %w", spec.name, err)
		}
		say("%s: registered a stake of %v (tx %v)", spec.name, btcutil.Amount(spec.stake), txid)
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

// nodeSpec is a devnet node's command line and stake.
type nodeSpec struct {
	name     string
	args     []string
	stake    int64
	stakeKey *btcec.PublicKey
}

// devnetPassphrase unlocks the devnet wallets. It protects nothing: the
// devnet runs on loopback with throwaway coins.
const devnetPassphrase = "devnet"

// prepareNode creates a node's home, config and wallet.
func prepareNode(root, name, backend string, stake int64, h *btctest.Harness) (nodeSpec, error) {
	params := &chainparams.Regtest
	home := filepath.Join(root, name)
	dataDir := filepath.Join(home, "data")
	conf := filepath.Join(home, "sidenode.conf")
	pwFile := filepath.Join(home, "wallet.password")
	if err := os.MkdirAll(filepath.Join(dataDir, params.Name), 0o700); err != nil {
		return nodeSpec{}, err
	}
	if err := os.WriteFile(conf, nil, 0o600); err != nil {
		return nodeSpec{}, err
	}
	if err := os.WriteFile(pwFile, []byte(devnetPassphrase+"\n"), 0o600); err != nil {
		return nodeSpec{}, err
	}
	seed, err := hdkeychain.GenerateSeed(hdkeychain.RecommendedSeedLen)
	if err != nil {
		return nodeSpec{}, err
	}
	seedPath := filepath.Join(dataDir, params.Name, "wallet.seed")
	if err := wallet.CreateSeed(seedPath, []byte(devnetPassphrase), seed, wallet.DefaultKDF); err != nil {
		return nodeSpec{}, err
	}
	keys, err := wallet.NewKeyring(seed, params.Main)
	if err != nil {
		return nodeSpec{}, err
	}
	stakeKey, err := keys.PubKey(wallet.KeyRef{Family: wallet.Stake, Index: 0})
	if err != nil {
		return nodeSpec{}, err
	}
	args := []string{
		"--configfile=" + conf,
		"--datadir=" + dataDir,
		"--logdir=" + filepath.Join(home, "logs"),
		"--network=" + params.Name,
		"--wallet.unlockpasswordfile=" + pwFile,
		"--mainwatch.backend=" + backend,
	}
	switch backend {
	case "btcd":
		args = append(args,
			"--btcd.rpchost="+h.RPCAddr,
			"--btcd.rpcuser="+h.RPCUser,
			"--btcd.rpcpass="+h.RPCPass,
			"--btcd.rpccert="+h.CertPath)
	case "neutrino":
		args = append(args, "--neutrino.connect="+h.P2PAddr)
	}
	return nodeSpec{name: name, args: args, stake: stake, stakeKey: stakeKey}, nil
}

// registerStake pays a stake registration for the node's first stake key
// from btcd's mining key, locked for about two thousand blocks.
func registerStake(h *btctest.Harness, spec nodeSpec) (string, error) {
	params := &chainparams.Regtest
	height, _, err := h.Tip()
	if err != nil {
		return "", err
	}
	lock := uint32(height) + 1 + 2000
	reg, err := mainstake.BuildRegistration(params, spec.stake, lock, spec.stakeKey, 200_000)
	if err != nil {
		return "", err
	}
	tx, err := h.Send(reg.TxOut, 2)
	if err != nil {
		return "", err
	}
	return tx.TxHash().String(), nil
}
