package node

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync"
	"time"

	"github.com/mainstake/sidenode/alarms"
	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/federation"
	"github.com/mainstake/sidenode/feeest"
	"github.com/mainstake/sidenode/mainstake"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/mainwatch/btcdwatch"
	"github.com/mainstake/sidenode/mainwatch/neutrinowatch"
	"github.com/mainstake/sidenode/nodeapi"
	"github.com/mainstake/sidenode/p2p"
	"github.com/mainstake/sidenode/producer"
	"github.com/mainstake/sidenode/sidepeer"
	"github.com/mainstake/sidenode/store"
	"github.com/mainstake/sidenode/wallet"
)

// source is a mainchain backend the node starts and stops.
type source interface {
	mainwatch.Source
	Start() error
	Stop() error
}

// StateDir returns the dir of the node's state: <datadir>/<network>/state.
func (c *Config) StateDir() string {
	return filepath.Join(c.NetworkDir(), "state")
}

// PoolDir returns the dir of the mining pool's own store (--stratum):
// <datadir>/<network>/pool, beside the state dir, so that --resync keeps
// the pool's shares and books.
func (c *Config) PoolDir() string {
	return filepath.Join(c.NetworkDir(), "pool")
}

// HeaderFeesFile returns the file the header fees of the last 24 hours
// are kept in, for --publish.maxdayfee: <datadir>/<network>/headerfees.json.
func (c *Config) HeaderFeesFile() string {
	return filepath.Join(c.NetworkDir(), "headerfees.json")
}

// BanFile returns the file the operator's peer bans are kept in:
// <datadir>/<network>/bans.json, beside the state dir, so that --resync
// keeps them.
func (c *Config) BanFile() string {
	return filepath.Join(c.NetworkDir(), "bans.json")
}

// OpenStore opens the node's state in the network's data dir, with the
// configured undo depth.
func OpenStore(cfg *Config) (*store.DB, error) {
	params, err := chainparams.ByName(cfg.Network)
	if err != nil {
		return nil, err
	}
	// The store checks the mainchain's genesis block when it connects
	// mainchain block 0; the sidechain's engine and its parameters
	// (under pow, what the genesis id commits to) are checked through
	// the options' engine digest.
	opts := StoreOptions(cfg.Network, *params.Main.GenesisHash)
	opts.UndoDepth = cfg.UndoDepth
	return store.Open(cfg.StateDir(), opts)
}

// EngineNotWiredError is the refusal of a network whose engine the node
// does not run yet.
type EngineNotWiredError struct {
	Network string
	Engine  chainparams.Engine
}

func (e *EngineNotWiredError) Error() string {
	return fmt.Sprintf("the %v engine is not wired into the node yet: "+
		"--network=%s runs the %v engine, whose header chain, "+
		"engine's rules are not implemented yet; run a mainstake "+
		"network (mainnet, testnet3, signet, regtest, simnet) or a "+
		"pow network (powregtest, powdpowregtest) until then (nothing was written)", e.Engine,
		e.Network, e.Engine)
}

// checkEngine refuses, before anything is written, a network whose engine
// the node cannot run. Mainstake, pow and pos (posregtest) run.
func checkEngine(cfg *Config) error {
	params, err := chainparams.ByName(cfg.Network)
	if err != nil {
		return err
	}
	switch params.Engine {
	case chainparams.Mainstake, chainparams.PoW, chainparams.PoS:
		return nil
	}
	return &EngineNotWiredError{Network: cfg.Network, Engine: params.Engine}
}

// resync moves the state dir aside for --resync, so that the node starts
// from scratch. It refuses while another process has the state open, and
// deletes nothing.
func resync(cfg *Config, now time.Time) error {
	to, err := store.MoveAside(cfg.StateDir(), now)
	if err != nil {
		return fmt.Errorf("--resync: %w", err)
	}
	if to == "" {
		log.Infof("--resync: no state dir at %s, starting from scratch",
			cfg.StateDir())
		return nil
	}
	log.Warnf("--resync: moved the state dir %s aside to %s; starting from "+
		"scratch. Nothing was deleted: remove %s yourself once the node "+
		"has synced", cfg.StateDir(), to, to)
	return nil
}

// mempoolCheck is how often the wallet asks btcd whether the mempool
// transactions it counts as incoming are still in btcd's mempool.
const mempoolCheck = 30 * time.Second

// newSource builds the configured mainchain backend.
func newSource(cfg *Config) (source, error) {
	params := cfg.Params()
	switch cfg.MainWatch.Backend {
	case BackendBtcd:
		var cert []byte
		if !cfg.Btcd.NoTLS {
			var err error
			cert, err = os.ReadFile(cfg.Btcd.RPCCert)
			if err != nil {
				return nil, fmt.Errorf("--btcd.rpccert: cannot read "+
					"btcd's RPC certificate: %w (give the rpc.cert "+
					"of your btcd, or --btcd.notls for a btcd "+
					"started with --notls)", err)
			}
			if !x509.NewCertPool().AppendCertsFromPEM(cert) {
				return nil, fmt.Errorf("--btcd.rpccert %s holds no PEM "+
					"certificate: give the rpc.cert of your btcd",
					cfg.Btcd.RPCCert)
			}
		}
		return btcdwatch.New(btcdwatch.Config{
			Host:       cfg.Btcd.RPCHost,
			User:       cfg.Btcd.RPCUser,
			Pass:       cfg.Btcd.RPCPass,
			Cert:       cert,
			DisableTLS: cfg.Btcd.NoTLS,
			Params:     params,
		})
	case BackendNeutrino:
		if len(cfg.Neutrino.Connect) == 1 {
			log.Infof("Neutrino has one peer, %s: while it is away "+
				"the node hears of no block and can publish no "+
				"header (give --neutrino.connect once per peer "+
				"for more)", cfg.Neutrino.Connect[0])
		}
		return neutrinowatch.New(neutrinowatch.Config{
			DataDir:      filepath.Join(cfg.NetworkDir(), "neutrino"),
			Params:       params,
			ConnectPeers: cfg.Neutrino.Connect,
			AddPeers:     cfg.Neutrino.AddPeer,
		})
	default:
		return nil, fmt.Errorf("unknown mainwatch backend %q", cfg.MainWatch.Backend)
	}
}

// waitForWallet serves the API with only CreateWallet and UnlockWallet
// (api.Config.WaitingForWallet) until one of them gives the wallet's
// passphrase, then stops that server and returns the passphrase, for the
// node to start as with a password file. The full API starts later on the
// same listeners.
func waitForWallet(ctx context.Context, cfg *Config) ([]byte, error) {
	if cfg.API.Disable {
		return nil, fmt.Errorf("--wallet.waitunlock needs the API, which --api.disable turns off: " +
			"give --wallet.unlockpasswordfile instead")
	}
	u := nodeapi.NewUnlocker(seedPath(cfg), wallet.DefaultKDF)
	apiCfg := cfg.APIServerConfig()
	apiCfg.WaitingForWallet = true
	srv, err := api.New(apiCfg, u)
	if err != nil {
		return nil, err
	}
	if err := srv.Start(); err != nil {
		return nil, err
	}
	defer srv.Stop()
	what := "unlock it with sidecli unlock"
	if _, err := os.Stat(seedPath(cfg)); err != nil {
		what = "no wallet yet: create one with sidecli create"
	}
	log.Infof("Waiting for the wallet's passphrase on %v (%s)", srv.Addrs(), what)
	select {
	case pass := <-u.Passphrase():
		return pass, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// seedPath is the wallet's seed file.
func seedPath(cfg *Config) string { return filepath.Join(cfg.NetworkDir(), "wallet.seed") }

// openWallet unlocks the wallet with the configured password file, creating
// it when the node has none, or with --wallet.waitunlock with the
// passphrase given through the API (waitForWallet). Without either the node
// runs without a wallet and openWallet returns nil.
func openWallet(ctx context.Context, cfg *Config, db *store.DB, watch *mainwatch.WatchList,
	params *chainparams.Params) (*wallet.Wallet, error) {

	var (
		pass []byte
		err  error
	)
	switch {
	case cfg.Wallet.UnlockPasswordFile != "":
		if pass, err = wallet.ReadPasswordFile(cfg.Wallet.UnlockPasswordFile); err != nil {
			return nil, err
		}
	case cfg.Wallet.WaitUnlock:
		if pass, err = waitForWallet(ctx, cfg); err != nil {
			return nil, err
		}
	default:
		log.Infof("No wallet password file: running without a wallet")
		return nil, nil
	}
	seedPath := seedPath(cfg)
	seed, err := wallet.OpenSeed(seedPath, pass)
	if errors.Is(err, wallet.ErrNoSeed) {
		if seed, err = wallet.CreateSeed(seedPath, pass, nil, wallet.DefaultKDF); err != nil {
			return nil, err
		}
		log.Infof("Created a new wallet in %s: write down its %d words (sidecli backupseed)",
			seedPath, wallet.MnemonicWords)
	}
	if err != nil {
		return nil, fmt.Errorf("unlock wallet %s: %w", seedPath, err)
	}
	if seed.Legacy() {
		log.Infof("The wallet's seed file %s predates word backups: its backup is its hex seed "+
			"(sidecli backupseed)", seedPath)
	}
	keys, err := wallet.NewKeyring(seed.BIP32(), params.Main)
	if err != nil {
		return nil, err
	}
	w, err := wallet.New(keys, db, watch, params.Main)
	if err != nil {
		return nil, err
	}
	addr, err := w.CurrentAddress(wallet.Receive)
	if err != nil {
		return nil, err
	}
	log.Infof("Wallet unlocked; receive address %v", addr)
	return w, nil
}

// Run runs the node with configuration cfg until ctx is cancelled, then
// stops it and returns. An error means the node could not start or stopped
// on a failure; the state on disk is consistent either way.
//
// Run is the one place that wires the node's subsystems together.
func Run(ctx context.Context, cfg *Config) error {
	// The operator's stop command (OperatorService.StopDaemon) cancels
	// this context, as SIGINT cancels the caller's.
	ctx, shutdown := context.WithCancel(ctx)
	defer shutdown()
	useLoggers()
	log.Infof("Version %s", Version)
	log.Infof("sidenode starting (network %s, backend %s, data dir %s)",
		cfg.Network, cfg.MainWatch.Backend, cfg.NetworkDir())
	if cfg.CPUProfile != "" {
		f, err := os.Create(cfg.CPUProfile)
		if err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return fmt.Errorf("cpu profile: %w", err)
		}
		defer func() {
			pprof.StopCPUProfile()
			f.Close()
		}()
		log.Infof("Writing a CPU profile to %s", cfg.CPUProfile)
	}

	if err := checkEngine(cfg); err != nil {
		return err
	}
	if err := checkDataDir(cfg); err != nil {
		return err
	}
	if cfg.Resync {
		if err := resync(cfg, time.Now()); err != nil {
			return err
		}
	}
	db, err := OpenStore(cfg)
	if err != nil {
		return wrongNetworkError(cfg, err)
	}
	defer func() {
		if err := db.Close(); err != nil {
			log.Errorf("Close state: %v", err)
		}
	}()
	if err := checkRules(db, cfg.StateDir()); err != nil {
		return err
	}
	tip, err := db.Tip()
	if err != nil {
		return err
	}
	log.Infof("State at mainchain block %v (undo depth %d blocks)", tip,
		db.UndoDepth())

	src, err := newSource(cfg)
	if err != nil {
		return err
	}
	if err := src.Start(); err != nil {
		return err
	}
	defer func() {
		if err := src.Stop(); err != nil {
			log.Errorf("Stop %s backend: %v", src.Name(), err)
		}
	}()

	params, err := chainparams.ByName(cfg.Network)
	if err != nil {
		return err
	}
	params = cfg.posParams(params)
	genesis, err := params.GenesisID()
	if err != nil {
		return err
	}
	watch := mainwatch.NewWatchList()
	wlt, err := openWallet(ctx, cfg, db, watch, params)
	if err != nil && ctx.Err() != nil {
		return nil // stopped while it waited for the wallet
	}
	if err != nil {
		return err
	}
	if err := checkNotaryConfig(cfg, params); err != nil {
		return err
	}
	// Before the wallet connects any mainchain block.
	if err := importDevNotaryKeys(cfg, params, wlt); err != nil {
		return err
	}
	chain, err := newStoreChain(params, db, watch, wlt, cfg.Mine && !cfg.MineRandomXLight)
	if err != nil {
		return err
	}
	index, peg, proto := chain.index, chain.peg, chain.protocol
	if pc := proto.pow; pc != nil {
		// The header index learns every block the store holds before
		// the first batch runs fork choice over them.
		if err := pc.Restore(); err != nil {
			return err
		}
		pc.SetConnector(chain.connectArrived)
		pc.SetMempool(proto.pool)
	}
	var payout []byte
	if proto.pow != nil {
		if payout, err = minePayout(cfg, params, wlt); err != nil {
			return err
		}
		proto.pow.SetPayout(payout)
	}
	// The audit's alarm and gauges hold from the start, not from the
	// first block.
	proto.refreshAudit()

	follower := mainwatch.NewFollower(src, chain, watch, chain)
	// A body a peer sends connects at once when its header is published
	// (storeChain.connectArrived); production fetches the bodies it lacks
	// ahead of its tip through the same handler.
	handler := sidepeer.New(arrivingChain{Chain: proto.chain, arrived: chain.connectArrived},
		proto.pool)
	if proto.pow != nil {
		// Under pow, blocks and headers-first sync go through the pow
		// chain's front door, which connects what it accepts.
		handler = sidepeer.NewPow(proto.pow.ForPeers(), proto.pool)
	}
	fees, seen := headerFees(cfg, src)
	prodEnv := producer.Env{Params: params, Chain: proto.chain, Mempool: proto.pool,
		Follower: follower, FeeRate: cfg.Publish.FeeRate, DB: db, Bodies: handler,
		Fees: fees, MaxHeaderFee: cfg.Publish.MaxHeaderFee, MaxDayFee: cfg.Publish.MaxDayFee,
		TopUpHeaders: cfg.Publish.TopUpHeaders, RebidInterval: cfg.Publish.RebidInterval,
		DayFeesFile: cfg.HeaderFeesFile()}
	if cfg.Publish.RebidInterval == 0 {
		prodEnv.RebidInterval = -1 // never
	}
	if bs, ok := src.(*btcdwatch.Source); ok {
		prodEnv.MempoolChanged = bs.MempoolChanged()
	}
	if wlt != nil {
		prodEnv.Wallet = wlt
		prodEnv.Funds = wlt
	}
	if seen != nil {
		prodEnv.Seen = seen
	}
	proto.producer = producer.New(prodEnv)
	fedEnv := federation.Env{Params: params, DB: db, Chain: proto.chain,
		Pegbox: peg, Follower: follower}
	if wlt != nil {
		fedEnv.Wallet = wlt
	}
	fed := federation.New(fedEnv)
	proto.fed = fed
	// The alarms, evaluated after each block's batch and on a timer.
	alarmSrc := &alarmSources{proto: proto, follower: follower,
		weight: index.TotalWeight, feeRate: cfg.Publish.FeeRate, fees: fees,
		window: int(cfg.AlarmsConfig().MissedWindow)}
	if wlt != nil {
		alarmSrc.owns = func(pub []byte) bool {
			_, ok := wlt.OwnsStakeKey(pub)
			return ok
		}
	}
	alarmSources := alarmSrc.sources()
	if chain.notary != nil {
		alarmSources.Notarization = chain.notary
	}
	mon := alarms.New(cfg.AlarmsConfig(), alarmSources)
	proto.alarms = mon

	// Under pos, the engine's chain and the validator client take part
	// in the peer protocol (pos.go).
	posNode, err := newPosNode(cfg, params, db)
	if err != nil {
		return err
	}
	// The round messages' relay, on a network with notaries.
	relay, err := newRoundRelay(params, proto.chain)
	if err != nil {
		return err
	}
	var rounds p2p.RoundHandler
	if relay != nil {
		rounds = relay
	}
	peers, err := p2p.New(p2p.Config{
		Listen:      cfg.P2P.Listen,
		Connect:     cfg.P2P.Connect,
		AddPeer:     cfg.P2P.AddPeer,
		Network:     cfg.Network,
		SidechainID: params.SidechainID,
		Genesis:     genesis,
		Engine:      params.Engine.String(),
		UserAgent:   "sidenode:" + Version,
		BanFile:     cfg.BanFile(),
		HeaderSync:  handler.HeaderSync(),
		Pos:         posNode.handler(),
		Rounds:      rounds,
	}, handler, fed)
	if err != nil {
		return err
	}
	proto.peers = peers
	handler.SetPeers(peers)
	proto.producer.SetPeers(peers)
	fed.SetPeers(peers)
	posNode.setPeers(peers)
	if relay != nil {
		relay.SetPeers(peers)
	}
	notaryRunner, err := newNotaryRunner(cfg, params, src, wlt, proto.chain, chain.notary, relay)
	if err != nil {
		return err
	}
	if err := peers.Start(); err != nil {
		return err
	}
	defer func() {
		if err := peers.Stop(); err != nil {
			log.Errorf("Stop peers: %v", err)
		}
	}()

	// The mining pool (--stratum) binds its ports here, so that a taken
	// one stops the start; before the metrics and the API, which read it.
	pe := poolEnv{cfg: cfg, params: params, db: db, pc: proto.pow,
		chain: proto.chain, peers: peers}
	if wlt != nil {
		pe.payer = nodeapi.NewSidePayer(nodeapi.Env{Network: cfg.Network,
			Params: params, DB: db, Sidechain: proto.chain, Mempool: proto.pool,
			Wallet: wlt, Peers: peers})
	}
	pl, err := startPool(ctx, pe)
	if err != nil {
		return err
	}
	defer pl.Stop()
	var poolSrc nodeapi.Pool
	if pl != nil {
		poolSrc = pl.API()
	}

	// The metrics server binds here, so that a taken port stops the start;
	// before the API, whose dashboard reads its registry.
	mtr, err := startMetrics(cfg, &metricsSource{
		follower: follower, proto: proto, index: index, peers: peers, alarms: mon,
		pool: poolSrc, notary: chain.notary,
	})
	if err != nil {
		return err
	}
	defer func() {
		if err := mtr.Stop(); err != nil {
			log.Errorf("Stop metrics server: %v", err)
		}
	}()
	if !cfg.API.Disable {
		env := nodeapi.Env{
			Version: Version, Network: cfg.Network, Params: params, DB: db,
			Follower: follower, Tickets: index, Sidechain: proto.chain,
			Mempool: proto.pool, Pegbox: peg, PegAudit: proto.audit, Peers: peers, Bans: peers,
			Slots: proto.producer, Events: chain.events,
			Control: control{shutdown: shutdown}, Sessions: peers, Alarms: mon,
		}
		if chain.notary != nil {
			env.Notarizations, env.DpowConfs = chain.notary.tracker, !cfg.NoDpowConfs
		}
		if posNode != nil {
			env.Pos = posNode
		}
		if proto.pow != nil {
			env.Mining = miningAPI{pc: proto.pow}
		}
		if poolSrc != nil {
			env.Pool = poolSrc
		}
		if mt, ok := src.(nodeapi.MainTxs); ok {
			env.MainTxs = mt // btcd: any mainchain transaction it knows
		}
		if wlt != nil {
			env.Wallet = wlt
			env.SeedFile = seedPath(cfg)
			env.PasswordFile = cfg.Wallet.UnlockPasswordFile
		}
		apiCfg := cfg.APIServerConfig()
		if !cfg.API.NoDashboard {
			apiCfg.Dashboard = newDashboard(params, mtr)
		}
		srv, err := api.New(apiCfg, nodeapi.New(env))
		if err != nil {
			return err
		}
		if err := srv.Start(); err != nil {
			return err
		}
		defer srv.Stop()
	}

	if cfg.BtcRPCListen != "" {
		brpc, err := startBtcRPC(cfg, params, proto.pow, proto.pool, payout)
		if err != nil {
			return err
		}
		defer brpc.Stop()
	}

	proto.metrics = mtr
	proto.producer.SetObserver(mtr)
	proto.chain.SetValidationHook(proto.observeValidation)

	// The producer and the body fetcher stop with the follower.
	runCtx, stopRun := context.WithCancel(ctx)
	var workers sync.WaitGroup
	defer func() {
		stopRun()
		workers.Wait()
	}()
	proto.producer.SetContext(runCtx)
	workers.Add(4)
	go func() {
		defer workers.Done()
		fees.Run(runCtx, nil)
	}()
	go func() {
		defer workers.Done()
		handler.RunFetcher(runCtx, follower)
	}()
	go func() {
		defer workers.Done()
		mon.Run(runCtx)
	}()
	go func() {
		defer workers.Done()
		fed.Run(runCtx)
	}()
	if posNode != nil {
		workers.Add(1)
		go func() {
			defer workers.Done()
			posNode.run(runCtx)
		}()
	}
	if notaryRunner != nil {
		workers.Add(1)
		go func() {
			defer workers.Done()
			notaryRunner.Run(runCtx)
		}()
	}
	// With a backend that sees a mempool (btcd), the wallet counts what
	// mempool transactions pay it as incoming, and checks every
	// mempoolCheck that they are still there.
	if ms, ok := src.(wallet.MempoolSource); ok && wlt != nil {
		checks := time.NewTicker(mempoolCheck)
		workers.Add(1)
		go func() {
			defer workers.Done()
			defer checks.Stop()
			wlt.FollowMempool(runCtx, ms, checks.C)
		}()
	}

	// Bodies staged before a stop for headers whose body the index
	// still misses connect now, not at the next mainchain block.
	chain.connectArrived()

	if cfg.Mine {
		m, err := startMiner(runCtx, cfg, proto.pow, payout, peers)
		if err != nil {
			return err
		}
		defer m.Stop()
	}

	done := make(chan error, 1)
	go func() { done <- follower.Run(ctx) }()

	// A backend that can fail for good at start-up (btcd refusing the
	// credentials or the certificate) says so here; nil never receives.
	var fatal <-chan error
	if f, ok := src.(interface{ Fatal() <-chan error }); ok {
		fatal = f.Fatal()
	}

	status := time.NewTicker(time.Minute)
	defer status.Stop()
	for {
		select {
		case err := <-fatal:
			return btcdStartError(cfg, err)
		case err := <-done:
			if errors.Is(err, context.Canceled) {
				log.Info("sidenode stopped")
				return nil
			}
			return fmt.Errorf("mainchain follower stopped: %w", err)
		case <-status.C:
			st := follower.Status()
			if st.Reorg != nil {
				// Every minute, not only when it is new: the
				// node runs on but follows nothing.
				log.Errorf("Not following the mainchain: %v", st.Reorg)
				continue
			}
			log.Infof("Mainchain tip %v via %s (backend best %v, synced %v%s)",
				st.Tip, st.Source.Backend, st.Source.Best, st.Synced,
				errSuffix(st.Err))
			if hint := refusalHint(st.Source.Err); hint != "" {
				// btcd changed its password or certificate
				// while the node ran: retried, not fatal.
				log.Errorf("btcd refuses the node: %s", hint)
			}
		}
	}
}

// btcdStartError says which flag to fix when btcd refused the node's first
// connection.
func btcdStartError(cfg *Config, err error) error {
	switch {
	case errors.Is(err, btcdwatch.ErrAuth):
		return fmt.Errorf("%w; check --btcd.rpcuser and --btcd.rpcpass "+
			"(btcd's --rpcuser and --rpcpass)", err)
	case errors.Is(err, btcdwatch.ErrCert):
		return fmt.Errorf("%w; check --btcd.rpccert (now %s): it must be "+
			"the rpc.cert of the btcd at --btcd.rpchost, and that "+
			"certificate must name the host given there", err,
			cfg.Btcd.RPCCert)
	case errors.Is(err, btcdwatch.ErrNotTLS):
		return fmt.Errorf("%w; if btcd runs with --notls, start "+
			"sidenode with --btcd.notls", err)
	}
	return err
}

// refusalHint names the flags to fix when the btcd backend's last error is
// a refusal of the credentials or the certificate, and is "" otherwise.
func refusalHint(lastErr string) string {
	switch {
	case strings.Contains(lastErr, btcdwatch.ErrAuth.Error()):
		return "fix --btcd.rpcuser and --btcd.rpcpass and restart " +
			"sidenode; until then it retries"
	case strings.Contains(lastErr, btcdwatch.ErrCert.Error()):
		return "fix --btcd.rpccert and restart sidenode; until then " +
			"it retries"
	}
	return ""
}

func errSuffix(e string) string {
	if e == "" {
		return ""
	}
	return ", last error: " + e
}

// headerFees returns the estimate of the fee rate header transactions need
// to make the next mainchain block: --publish.feeurl when given, else
// btcd's mempool on the btcd backend, else --publish.feerate always. Every
// estimate falls back to --publish.feerate while its source fails, and
// one above the wallet's maximum rate is refused as absurd. With btcd's
// mempool it also returns the rates its snapshots saw, by transaction
// (nil otherwise), which explain the headers a block leaves out.
func headerFees(cfg *Config, src mainwatch.Source) (*feeest.Tracker, *feeest.Seen) {
	fallback := feeest.FromSatPerVB(cfg.Publish.FeeRate)
	tc := feeest.Config{Fallback: fallback, Max: feeest.FromSatPerVB(wallet.MaxFeeRate)}
	switch bs, isBtcd := src.(*btcdwatch.Source); {
	case cfg.Publish.FeeURL != "":
		tc.Source = &feeest.URL{URL: cfg.Publish.FeeURL}
		tc.Name = "--publish.feeurl " + cfg.Publish.FeeURL
	case isBtcd:
		// A margin over the rate that fills the block, for what
		// arrives before it is found.
		seen := new(feeest.Seen)
		tc.Source = &feeest.Mempool{Pool: bs, OwnVSize: mainstake.HeaderTxVSize(1), Seen: seen}
		tc.Name = "btcd's mempool"
		tc.MarginPercent = 10
		return feeest.NewTracker(tc), seen
	default:
		return feeest.Fixed(fallback), nil
	}
	return feeest.NewTracker(tc), nil
}
