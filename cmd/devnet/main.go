// Command devnet runs a local development network: a btcd regtest node on
// loopback that mines a block every few seconds, and three staking sidenodes
// following it, two through btcd's RPC and one as a neutrino light client.
// It prints every node's output with the node's name in front and stops
// everything cleanly on Ctrl-C. A node that exits is reported, and the rest
// keep running; from another shell,
//
//	bin/devnet kill NAME       ends node NAME with SIGKILL, as a crash would
//	bin/devnet restart NAME    stops node NAME if it runs, and starts it again
//
// (with --dir when the devnet runs elsewhere than .devnet) ask the running
// devnet to do so, and
//
//	bin/devnet fund ADDRESS SATS   pays SATS from btcd's mining key to a mainchain address
//	bin/devnet fund NAME SATS      pays SATS to a new address of node NAME's wallet
//	bin/devnet mine N              mines N blocks now
//
// ask it to pay and to mine, and print the txid or the block hashes. Each
// node's sidecli settings are in .devnet/NAME/sidecli.env: source it, or
// give it to sidecli --envfile.
//
// scripts/devnet builds the binaries and runs it; see the README.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/btcsuite/btcd/btcutil"

	"github.com/mainstake/sidenode/btctest"
	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/devnet"
)

func main() {
	if len(os.Args) > 1 && (os.Args[1] == devnet.ActionKill || os.Args[1] == devnet.ActionRestart) {
		if err := ask(os.Args[1], os.Args[2:]); err != nil {
			fmt.Fprintf(os.Stderr, "devnet %s: %v\n", os.Args[1], err)
			os.Exit(1)
		}
		return
	}
	if len(os.Args) > 1 && (os.Args[1] == devnet.OpFund || os.Args[1] == devnet.OpMine) {
		if err := askOp(os.Args[1], os.Args[2:]); err != nil {
			fmt.Fprintf(os.Stderr, "devnet %s: %v\n", os.Args[1], err)
			os.Exit(1)
		}
		return
	}
	if err := run(); err != nil {
		fmt.Fprintf(os.Stderr, "devnet: %v\n", err)
		os.Exit(1)
	}
}

// ask leaves a request for the running devnet: devnet kill|restart
// [--dir DIR] NAME.
func ask(action string, args []string) error {
	fs := flag.NewFlagSet(action, flag.ContinueOnError)
	dir := fs.String("dir", ".devnet", "directory of the running devnet")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 1 {
		return fmt.Errorf("usage: devnet %s [--dir DIR] NAME", action)
	}
	if err := devnet.Ask(*dir, devnet.Request{Node: fs.Arg(0), Action: action}); err != nil {
		return err
	}
	fmt.Printf("asked the devnet in %s to %s %s\n", *dir, action, fs.Arg(0))
	return nil
}

// askOp asks the running devnet to fund an address or mine blocks, and
// prints what it did: devnet fund [--dir DIR] ADDRESS SATS, devnet mine
// [--dir DIR] N.
func askOp(kind string, args []string) error {
	fs := flag.NewFlagSet(kind, flag.ContinueOnError)
	dir := fs.String("dir", ".devnet", "directory of the running devnet")
	if err := fs.Parse(args); err != nil {
		return err
	}
	op := devnet.Op{Kind: kind}
	switch {
	case kind == devnet.OpFund && fs.NArg() == 2:
		sats, err := strconv.ParseInt(fs.Arg(1), 10, 64)
		if err != nil {
			return fmt.Errorf("amount %q: want a whole number of sat, such as "+
				"100000000 for 1 BTC", fs.Arg(1))
		}
		op.Address, op.Sats = fs.Arg(0), sats
		if st, err := os.Stat(filepath.Join(*dir, fs.Arg(0), devnet.EnvFileName)); err == nil && !st.IsDir() {
			op.Address, op.Node = "", fs.Arg(0) // a node of the devnet
		}
	case kind == devnet.OpFund:
		return fmt.Errorf("usage: devnet fund [--dir DIR] ADDRESS|NODE SATS")
	case kind == devnet.OpMine && fs.NArg() == 1:
		n, err := strconv.ParseUint(fs.Arg(0), 10, 32)
		if err != nil {
			return fmt.Errorf("block count %q: want a number of blocks, 1 to %d", fs.Arg(0), devnet.MaxMine)
		}
		op.Blocks = uint32(n)
	default:
		return fmt.Errorf("usage: devnet mine [--dir DIR] N")
	}
	if err := devnet.CheckOp(op, &chainparams.Regtest); err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res, err := devnet.AskOp(ctx, *dir, op)
	if err != nil {
		return err
	}
	switch kind {
	case devnet.OpFund:
		fmt.Printf("%s\n", res.Result[0])
		fmt.Fprintf(os.Stderr, "paid %d sat to %s; it confirms in the next "+
			"block, or now with: bin/devnet mine 1\n", op.Sats, res.Result[1])
	case devnet.OpMine:
		for _, h := range res.Result {
			fmt.Println(h)
		}
	}
	return nil
}

func run() error {
	var (
		dir      = flag.String("dir", ".devnet", "directory for the devnet's state; wiped at start")
		binary   = flag.String("sidenode", "bin/sidenode", "path of the sidenode binary")
		interval = flag.Duration("interval", 3*time.Second, "time between mined blocks")
		blocks   = flag.Int("blocks", 0, "stop after mining this many blocks (0: run until Ctrl-C)")
		engine   = flag.String("engine", "mainstake", "the sidechain's engine: mainstake (regtest: three staking nodes), or pow (powregtest: two nodes that mine with one CPU thread each, and one that follows)")
		dpow     = flag.Bool("dpow", false, "run the engine's network with the test notary set: dpowregtest (mainstake) or powdpowregtest (pow)")
	)
	flag.Parse()
	params := &chainparams.Regtest
	specs := []devnet.NodeSpec{
		{Name: "node-a", Backend: "btcd", Stake: 300_000_000},
		{Name: "node-b", Backend: "btcd", Stake: 200_000_000},
		{Name: "node-c", Backend: "neutrino", Stake: 100_000_000},
	}
	switch *engine {
	case "mainstake":
	case "pow":
		params = &chainparams.PowRegtest
		specs = []devnet.NodeSpec{
			{Name: "node-a", Backend: "btcd", Args: []string{"--mine", "--minethreads=1"}},
			{Name: "node-b", Backend: "btcd", Args: []string{"--mine", "--minethreads=1"}},
			{Name: "node-c", Backend: "neutrino"},
		}
	default:
		return fmt.Errorf("--engine=%s: want mainstake or pow", *engine)
	}
	if *dpow {
		params = &chainparams.DpowRegtest
		if *engine == "pow" {
			params = &chainparams.PowDpowRegtest
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	fmt.Printf("%-14s starting btcd v%s (regtest, --rejectnonstd) in %s/btcd; "+
		"sidechain %s (%v engine)\n", "[devnet]", btctest.BtcdVersion, *dir,
		params.Name, params.Engine)
	net, err := devnet.NewOn(*dir, *binary, params, specs, os.Stdout)
	if err != nil {
		return err
	}
	defer func() {
		net.Say("stopping the nodes, then btcd")
		net.Stop()
	}()
	net.Say("btcd RPC %s, p2p %s", net.H.RPCAddr, net.H.P2PAddr)

	for _, node := range net.Nodes {
		if err := node.Start(); err != nil {
			return err
		}
		net.Say("started %s (%s backend)", node.Spec.Name, node.Spec.Backend)
		net.Say("%s: metrics at http://%s/metrics", node.Spec.Name, node.MetricsAddr)
	}

	// Mature coins for the mining key, then register every node's stake
	// (mainstake; pow nodes mine instead).
	if _, err := net.H.Generate(110); err != nil {
		return err
	}
	if params.Engine == chainparams.Mainstake {
		txids, err := net.RegisterStakes(2000)
		if err != nil {
			return err
		}
		for _, node := range net.Nodes {
			net.Say("%s: registered a stake of %v (tx %v)", node.Spec.Name,
				btcutil.Amount(node.Spec.Stake), txids[node.Spec.Name])
		}
	}

	// A REST call to paste into another shell, once the first node's
	// gateway listens (its certificate and credentials exist by then).
	first := net.Nodes[0]
	restCtx, restCancel := context.WithTimeout(ctx, 30*time.Second)
	err = first.WaitREST(restCtx)
	restCancel()
	if err != nil {
		net.Say("%s: REST gateway not listening: %v", first.Spec.Name, err)
	} else {
		net.Say("%s: REST gateway at https://%s; try: %s", first.Spec.Name,
			first.RESTAddr, first.RESTCurl("/v1/info"))
	}

	for _, node := range net.Nodes {
		net.Say("%s: sidecli settings in %s (source it, or sidecli --envfile=%s status)",
			node.Spec.Name, filepath.Join(node.Home, devnet.EnvFileName),
			filepath.Join(node.Home, devnet.EnvFileName))
	}
	net.Say("mining a block every %v; press Ctrl-C to stop; "+
		"bin/devnet kill|restart NAME (--dir %s) kills or restarts a node, "+
		"bin/devnet fund ADDRESS|NODE SATS pays from the mining key, "+
		"bin/devnet mine N mines N blocks", *interval, *dir)
	ticker := time.NewTicker(*interval)
	defer ticker.Stop()
	control := time.NewTicker(250 * time.Millisecond)
	defer control.Stop()
	reported := make(map[*devnet.Node]<-chan struct{})
	for mined := 0; *blocks == 0 || mined < *blocks; {
		select {
		case <-ctx.Done():
			net.Say("interrupted")
			return nil
		case <-control.C:
			serve(net, *dir)
			serveOps(net, *dir)
			reportExits(net, reported)
			continue
		case <-ticker.C:
		}
		hashes, err := net.H.Generate(1)
		if err != nil {
			return err
		}
		height, _, _ := net.H.Tip()
		net.Say("mined block %d %v", height, hashes[0])
		mined++
	}
	return nil
}

// serve carries out the requests left by devnet kill|restart.
func serve(net *devnet.Net, dir string) {
	reqs, err := devnet.Requests(dir)
	if err != nil {
		net.Say("control requests: %v", err)
	}
	for _, r := range reqs {
		var node *devnet.Node
		for _, n := range net.Nodes {
			if n.Spec.Name == r.Node {
				node = n
			}
		}
		if node == nil {
			net.Say("%s %s: no such node", r.Action, r.Node)
			continue
		}
		switch r.Action {
		case devnet.ActionKill:
			net.Say("killing %s (SIGKILL)", r.Node)
			node.Kill()
		case devnet.ActionRestart:
			net.Say("restarting %s", r.Node)
			node.Stop()
			if err := node.Start(); err != nil {
				net.Say("restart %s: %v", r.Node, err)
			}
		}
	}
}

// serveOps carries out the operations asked by devnet fund|mine, and
// answers each.
func serveOps(net *devnet.Net, dir string) {
	ops, err := devnet.TakeOps(dir)
	if err != nil {
		net.Say("operations: %v", err)
	}
	for _, op := range ops {
		res := net.Do(op)
		switch {
		case res.Error != "":
			net.Say("%s: %s", op.Kind, res.Error)
		case op.Kind == devnet.OpFund:
			net.Say("funded %s with %v (tx %s)", res.Result[1], btcutil.Amount(op.Sats), res.Result[0])
		case op.Kind == devnet.OpMine:
			height, _, _ := net.H.Tip()
			net.Say("mined %d blocks on request, up to height %d", len(res.Result), height)
		}
		if err := devnet.Reply(dir, op, res); err != nil {
			net.Say("%s: answering: %v", op.Kind, err)
		}
	}
}

// reportExits says once per process when a node has exited; the others
// keep running.
func reportExits(net *devnet.Net, reported map[*devnet.Node]<-chan struct{}) {
	for _, node := range net.Nodes {
		done := node.Done()
		select {
		case <-done:
		default:
			continue
		}
		if reported[node] == done {
			continue
		}
		reported[node] = done
		net.Say("%s exited (status %d); the others keep running. "+
			"Restart it with: bin/devnet restart %s", node.Spec.Name,
			node.ExitCode(), node.Spec.Name)
	}
}
