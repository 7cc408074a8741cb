package node

import (
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/txscript"
	flags "github.com/jessevdk/go-flags"

	"github.com/mainstake/sidenode/alarms"
	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/chainparams"
	notaryrun "github.com/mainstake/sidenode/notarize/notary"
	"github.com/mainstake/sidenode/store"
	"github.com/mainstake/sidenode/wallet"
)

const (
	// appName names the binary in the usage text and, through
	// btcutil.AppDataDir, the application dir (~/.sidenode on Unix).
	appName = "sidenode"

	defaultConfigFilename = "sidenode.conf"
	defaultDataDirname    = "data"
	defaultLogDirname     = "logs"
	defaultLogFilename    = "sidenode.log"
	defaultDebugLevel     = "info"
	defaultNetwork        = "mainnet"
	defaultBtcdRPCHost    = "127.0.0.1"
	defaultBtcdCertname   = "rpc.cert"
)

// The mainchain backends that --mainwatch.backend accepts.
const (
	// BackendBtcd follows the mainchain through a btcd full node over its
	// websocket RPC interface.
	BackendBtcd = "btcd"

	// BackendNeutrino follows the mainchain with an embedded neutrino
	// light client (BIP157/158).
	BackendNeutrino = "neutrino"
)

// The application dirs of sidenode and of btcd: ~/.sidenode and ~/.btcd on
// Unix. They are variables so that tests can move them.
var (
	defaultAppDir  = btcutil.AppDataDir(appName, false)
	defaultBtcdDir = btcutil.AppDataDir("btcd", false)
)

// network describes one value of --network.
type network struct {
	// params are the mainchain parameters. params.Name equals the
	// --network value and names the per-network dirs.
	params *chaincfg.Params

	// btcdRPCPort is btcd's default RPC port on this network. chaincfg
	// holds only the P2P port; btcd keeps its RPC ports in its own
	// params.go.
	btcdRPCPort string
}

// networks maps each --network value to its description.
var networks = map[string]network{
	"mainnet":  {&chaincfg.MainNetParams, "8334"},
	"testnet3": {&chaincfg.TestNet3Params, "18334"},
	"signet":   {&chaincfg.SigNetParams, "38332"},
	"regtest":  {&chaincfg.RegressionNetParams, "18334"},
	"simnet":   {&chaincfg.SimNetParams, "18556"},
	// The pow engine's test network runs on the regtest mainchain.
	"powregtest":    {&chaincfg.RegressionNetParams, "18334"},
	"powswitchtest": {&chaincfg.RegressionNetParams, "18334"},
	// The dPoW test networks (a notary set) on the regtest mainchain.
	"dpowregtest":    {&chaincfg.RegressionNetParams, "18334"},
	"powdpowregtest": {&chaincfg.RegressionNetParams, "18334"},
	// The pos engine on regtest.
	"posregtest": {&chaincfg.RegressionNetParams, "18334"},
}

// networkNames lists the --network values in the order the help and error
// messages show them.
var networkNames = []string{"mainnet", "testnet3", "signet", "regtest", "simnet", "powregtest", "powswitchtest", "dpowregtest", "powdpowregtest", "posregtest"}

// Configuration errors that tests and callers can tell apart with errors.Is.
// The messages that wrap them say which option is wrong and what it accepts.
var (
	errConfigFileNotFound = errors.New("config file not found")
	errUnknownNetwork     = errors.New("unknown network")
	errUnknownBackend     = errors.New("unknown mainchain backend")
	errNoRPCCredentials   = errors.New("missing btcd RPC credentials")
	errNoNeutrinoPeers    = errors.New("no neutrino peers")
	errConflictingPeers   = errors.New("conflicting neutrino peer options")
)

// sampleConfig is the sample config file: every option, commented out, with
// its default. It is embedded so that it is never looked up next to the
// binary; config_test.go keeps it in step with Config.
//
//go:embed sample-sidenode.conf
var sampleConfig string

// SampleConfig returns the text of the sample config file.
func SampleConfig() string {
	return sampleConfig
}

// Config is the sidenode's configuration. Options without a group are the
// [Application Options] of the config file; each group is a section of its
// own and a namespace on the command line (--btcd.rpchost, btcd.rpchost=).
type Config struct {
	ShowVersion bool   `short:"V" long:"version" no-ini:"true" description:"Display version information and exit"`
	ConfigFile  string `short:"C" long:"configfile" no-ini:"true" description:"Path to the configuration file"`
	DataDir     string `short:"b" long:"datadir" description:"Directory for the node's data; each network uses a subdirectory named after it"`
	LogDir      string `long:"logdir" description:"Directory for log files; each network uses a subdirectory named after it"`
	DebugLevel  string `short:"d" long:"debuglevel" description:"Logging level for all subsystems {trace, debug, info, warn, error, critical, off}, optionally followed by per-subsystem levels, as in info,MWCH=debug,STOR=trace"`
	Network     string `long:"network" description:"Network to run {mainnet, testnet3, signet, regtest, simnet, powregtest, powswitchtest, dpowregtest, powdpowregtest, posregtest}: the Bitcoin network to follow and the sidechain's engine (powregtest: the pow engine on regtest, with 2-second sideblocks; powswitchtest: powregtest with RandomX from height 20 and Ethash from height 40, for tests; dpowregtest and powdpowregtest: regtest and powregtest with the test notary set of five dev notaries, threshold 3, whose notarizations the node tracks and whose reorg guard it applies; posregtest: the pos engine on regtest, 1-second slots, 8 per epoch, four test validators)"`
	CPUProfile  string `long:"cpuprofile" description:"Write a CPU profile of the whole run to this file, for go tool pprof"`
	UndoDepth   int32  `long:"undodepth" description:"How many of the newest mainchain blocks the node can undo: the deepest mainchain reorg it follows, and the heights whose state hash it keeps. A deeper reorg is refused with the state left at its tip, until --resync"`
	Resync      bool   `long:"resync" no-ini:"true" description:"Start from scratch: move the network's state dir aside, renamed with the current time (never deleted), and sync the mainchain again. Only on the command line, for one start"`

	NoDpowConfs bool `long:"nodpowconfs" description:"On a network with notaries (dpowregtest, powdpowregtest), report confirmations as the raw count instead of dPoW-style (1 until a notarization covers the block)"`

	Mine             bool   `long:"mine" description:"Mine sideblocks with the CPU (pow networks only), paying --mineaddr"`
	MineThreads      int    `long:"minethreads" description:"Mining goroutines for --mine (0: one per CPU)"`
	MineRandomXLight bool   `long:"minerandomxlight" description:"With --mine at RandomX heights (powswitchtest), hash in RandomX's light mode (256 MiB, slow) instead of full mode (a 2 GiB dataset per key, built on first use): for small machines and tests"`
	MineAddr         string `long:"mineaddr" description:"Sidechain address the coinbases of blocks mined with --mine pay (default: a new address of the node's wallet)"`

	BtcRPCListen string `long:"btcrpclisten" description:"Serve the bitcoind-compatible JSON-RPC subset for outside pool software (getblocktemplate, submitblock, ...) on this address, host:port or a port (host 127.0.0.1); pow networks only; off when empty"`
	BtcRPCUser   string `long:"btcrpcuser" description:"User name of --btcrpclisten's HTTP basic auth (required with it)"`
	BtcRPCPass   string `long:"btcrpcpass" default-mask:"-" description:"Password of --btcrpclisten's HTTP basic auth (required with it)"`

	// The notarization rounds (networks with notaries; notary.go).
	Notary           bool          `long:"notary" description:"Take part in the notarization rounds (dPoW) with the wallet's notary keys of the season in force: networks with notaries only; needs the node's wallet and --mainwatch.backend=btcd"`
	NotaryDevKey     []string      `long:"notarydevkey" description:"On a test network whose notary set holds the dev notary keys (powdpowregtest, dpowregtest), import dev notary key N into the wallet for this run (repeat for more)"`
	NotaryTimeout    time.Duration `long:"notarytimeout" description:"How long one attempt of a notarization round may last before the notaries start the next one with whoever answers"`
	NotaryFeeRate    int64         `long:"notaryfeerate" description:"Fee rate, in sat/vbyte, of the notarizations this notary proposes when it leads a round"`
	NotaryMaxFeeRate int64         `long:"notarymaxfeerate" description:"Highest fee rate, in sat/vbyte, of a notarization this notary signs"`

	// The Stratum server and the mining pool (pow networks; poolconfig.go).
	Stratum                 []string      `long:"stratum" description:"Serve Stratum V1 miners on this address, host:port (pow networks; repeat for more ports); off when none. A port may set its own difficulty after commas: diff=N (start), mindiff=N, maxdiff=N, sharetime=DURATION, as in 0.0.0.0:3334,diff=4096,sharetime=5s. Needs the node's wallet: the pool's coinbases pay it and its payouts spend from it"`
	StratumDiff             float64       `long:"stratumdiff" description:"Start difficulty of a Stratum connection, on ports that set none"`
	StratumMinDiff          float64       `long:"stratummindiff" description:"Lowest difficulty vardiff sets, on ports that set none"`
	StratumMaxDiff          float64       `long:"stratummaxdiff" description:"Highest difficulty vardiff sets, on ports that set none; 0: the network's difficulty"`
	StratumShareTime        time.Duration `long:"stratumsharetime" description:"Time between a miner's shares that vardiff aims at, on ports that set none"`
	StratumWorker           []string      `long:"stratumworker" description:"A configured worker, NAME=ADDRESS or NAME=ADDRESS:PASSWORD (repeat for more): miners authorizing as NAME or NAME.anything are paid to the sidechain ADDRESS, and must give PASSWORD when set"`
	StratumNoAddressWorkers bool          `long:"stratumnoaddressworkers" description:"Refuse workers that are not configured with --stratumworker; by default a worker named ADDRESS or ADDRESS.anything mines for that sidechain address"`
	StratumMaxConns         int           `long:"stratummaxconns" description:"Most Stratum connections at once"`
	StratumMaxConnsPerIP    int           `long:"stratummaxconnsperip" description:"Most Stratum connections at once from one IP address"`
	StratumMaxLine          int           `long:"stratummaxline" description:"Longest Stratum request line, in bytes; a longer one disconnects"`
	StratumSubmitRate       float64       `long:"stratumsubmitrate" description:"Shares a second one connection may submit on average; more are refused (code 20) unchecked"`
	StratumSubmitBurst      int           `long:"stratumsubmitburst" description:"Shares one connection may submit at once above --stratumsubmitrate"`
	StratumHandshakeTimeout time.Duration `long:"stratumhandshaketimeout" description:"Disconnect a Stratum connection not subscribed and authorized this long after it connected"`
	StratumIdleTimeout      time.Duration `long:"stratumidletimeout" description:"Disconnect a Stratum connection with no accepted share and no successful request for this long"`
	StratumLineTimeout      time.Duration `long:"stratumlinetimeout" description:"Disconnect a Stratum connection that leaves part of a line unsent this long (slowloris)"`
	StratumWriteTimeout     time.Duration `long:"stratumwritetimeout" description:"Disconnect a Stratum client whose socket takes no bytes this long while the server has some to send"`
	StratumWriteQueue       int           `long:"stratumwritequeue" description:"Bytes queued for one Stratum client at most; a client that does not read them is disconnected"`
	StratumMaxBuffered      int64         `long:"stratummaxbuffered" description:"Bytes held in read buffers and write queues over all Stratum connections at most"`
	StratumBanCheck         int           `long:"stratumbancheck" description:"Judge a connection's invalid shares every this many checked shares; 0 turns the ban off"`
	StratumBanRatio         float64       `long:"stratumbanratio" description:"Ban a connection's IP when more than this fraction (0 to 1) of its checked shares were invalid"`
	StratumBanTime          time.Duration `long:"stratumbantime" description:"How long a banned IP is refused"`
	StratumMaxBans          int           `long:"stratummaxbans" description:"Most IPs banned at once"`
	StratumMaxErrors        int           `long:"stratummaxerrors" description:"Disconnect a Stratum connection after this many unparsable lines"`
	StratumSessionTTL       time.Duration `long:"stratumsessionttl" description:"How long a miner that reconnects with its session id keeps its extranonce1 and difficulty"`
	StratumMaxSessions      int           `long:"stratummaxsessions" description:"Most resumable Stratum sessions kept at once"`

	Pool               string        `long:"pool" description:"Payout scheme of the pool {pplns, pps}"`
	PoolFee            string        `long:"poolfee" description:"Pool fee in percent of each block's reward (pplns) or of each share's value (pps), up to two decimals: 1.5"`
	PoolWindow         string        `long:"poolwindow" description:"PPLNS window: a number of shares (100000), or a multiple of the network difficulty counted in work (2x, 0.5x)"`
	PoolMinPayout      int64         `long:"poolminpayout" description:"Smallest balance the pool pays a worker, in sat"`
	PoolPayoutInterval time.Duration `long:"poolpayoutinterval" description:"Time between two payouts of the pool"`
	PoolPruneInterval  time.Duration `long:"poolpruneinterval" description:"How often the pool deletes the shares no payout, unsettled block or PPLNS window can still need; 0 keeps every share"`
	PoolSyncInterval   time.Duration `long:"poolsyncinterval" description:"How often the pool's store is flushed to the disk: an OS crash or power loss loses at most the shares of about this long (a kill of the process loses none)"`

	MainWatch MainWatchConfig `group:"mainwatch" namespace:"mainwatch"`
	Btcd      BtcdConfig      `group:"btcd" namespace:"btcd"`
	Neutrino  NeutrinoConfig  `group:"neutrino" namespace:"neutrino"`
	Wallet    WalletConfig    `group:"wallet" namespace:"wallet"`
	P2P       P2PConfig       `group:"p2p" namespace:"p2p"`
	Pos       PosConfig       `group:"pos" namespace:"pos"`
	Validator bool            `long:"validator" description:"Propose and attest with the validator keys --pos.devkey names (pos networks)"`
	Publish   PublishConfig   `group:"publish" namespace:"publish"`
	API       APIConfig       `group:"api" namespace:"api"`

	// Prometheus is the metrics server, off by default.
	Prometheus PrometheusConfig `group:"prometheus" namespace:"prometheus"`

	// Alarms holds the thresholds of the alarms (package alarms).
	Alarms AlarmsConfig `group:"alarms" namespace:"alarms"`
}

// AlarmsConfig holds the thresholds of the node's alarms (package alarms;
// docs/protocol.md, "Alarms"). Each unit is in the option's name.
type AlarmsConfig struct {
	StallBlocks         int32 `long:"stallblocks" description:"Raise sidechain_stalled after this many mainchain blocks without a sideblock while tickets weigh something"`
	CensorshipSlots     int32 `long:"censorshipslots" description:"Raise suspected_censorship once this many of this node's slots since its last included publication were lost to a header transaction that went out in time and was not mined in the next block, or to the refusal of the next headers while it waits"`
	MissedSlots         int32 `long:"missedslots" description:"Raise own_slots_missed once this many of this node's last --alarms.missedwindow decided slots were missed, whatever the reason"`
	MissedWindow        int32 `long:"missedwindow" description:"The number of this node's latest decided slots (won draws whose next block has come) in which own_slots_missed counts the misses"`
	PublisherHeaders    int32 `long:"publisherheaders" description:"Raise publisher_low when the publisher output of one of this wallet's live tickets pays for fewer than this many headers at the current header fee rate"`
	SilentBlocks        int32 `long:"silentblocks" description:"Raise federation_silent once a signing round this node takes part in has waited this many mainchain blocks below its threshold"`
	PayoutOverdueBlocks int32 `long:"payoutoverdueblocks" description:"Raise payout_overdue once the oldest unpaid sideblock with withdrawals has been payable for this many mainchain blocks"`
	BehindBlocks        int32 `long:"behindblocks" description:"Raise backend_behind when the node's mainchain tip is this many blocks behind the backend's best block"`
	DisconnectedSeconds int32 `long:"disconnectedseconds" description:"Raise backend_disconnected once the mainchain backend has been disconnected for this many seconds"`
	StaleTipMinutes     int32 `long:"staletipminutes" description:"Raise backend_behind once the backend's best block has not moved for this many minutes; 0 turns this check off"`
	IntervalSeconds     int32 `long:"intervalseconds" description:"Check the mainchain backend's connection every this many seconds"`
}

// defaultAlarms returns the alarms' default thresholds.
func defaultAlarms() AlarmsConfig {
	d := alarms.DefaultConfig()
	return AlarmsConfig{StallBlocks: d.StallBlocks, CensorshipSlots: d.CensorshipSlots,
		MissedSlots: d.MissedSlots, MissedWindow: d.MissedWindow,
		PublisherHeaders: d.PublisherHeaders, SilentBlocks: d.SilentBlocks,
		PayoutOverdueBlocks: d.PayoutOverdueBlocks, BehindBlocks: d.BehindBlocks,
		DisconnectedSeconds: int32(d.DisconnectedAfter / time.Second),
		StaleTipMinutes:     int32(d.StaleTipAfter / time.Minute),
		IntervalSeconds:     int32(d.Interval / time.Second)}
}

// validateAlarms checks the thresholds: every count at least 1, the stale
// tip's minutes 0 (off) or more.
func (c *Config) validateAlarms() error {
	a := &c.Alarms
	for _, o := range []struct {
		name string
		v    int32
	}{
		{"stallblocks", a.StallBlocks}, {"censorshipslots", a.CensorshipSlots},
		{"missedslots", a.MissedSlots}, {"missedwindow", a.MissedWindow},
		{"publisherheaders", a.PublisherHeaders}, {"silentblocks", a.SilentBlocks},
		{"payoutoverdueblocks", a.PayoutOverdueBlocks}, {"behindblocks", a.BehindBlocks},
		{"disconnectedseconds", a.DisconnectedSeconds}, {"intervalseconds", a.IntervalSeconds},
	} {
		if o.v < 1 {
			return fmt.Errorf("--alarms.%s=%d: want 1 or more", o.name, o.v)
		}
	}
	if a.MissedSlots > a.MissedWindow {
		return fmt.Errorf("--alarms.missedslots=%d is above --alarms.missedwindow=%d: "+
			"own_slots_missed could never be raised", a.MissedSlots, a.MissedWindow)
	}
	if a.StaleTipMinutes < 0 {
		return fmt.Errorf("--alarms.staletipminutes=%d: want 0 (off) or more minutes",
			a.StaleTipMinutes)
	}
	return nil
}

// AlarmsConfig returns the monitor's thresholds from the options.
func (c *Config) AlarmsConfig() alarms.Config {
	a := c.Alarms
	stale := time.Duration(a.StaleTipMinutes) * time.Minute
	if stale == 0 {
		stale = -1 // off
	}
	return alarms.Config{StallBlocks: a.StallBlocks, CensorshipSlots: a.CensorshipSlots,
		MissedSlots: a.MissedSlots, MissedWindow: a.MissedWindow,
		PublisherHeaders: a.PublisherHeaders, SilentBlocks: a.SilentBlocks,
		PayoutOverdueBlocks: a.PayoutOverdueBlocks, BehindBlocks: a.BehindBlocks,
		DisconnectedAfter: time.Duration(a.DisconnectedSeconds) * time.Second,
		StaleTipAfter:     stale,
		Interval:          time.Duration(a.IntervalSeconds) * time.Second}
}

// PublishConfig is the fee policy of the header transactions this node
// publishes when it wins a draw.
type PublishConfig struct {
	FeeRate       int64         `long:"feerate" description:"Fallback fee rate of header transactions, in sat/vbyte, used while no estimate of the next block's rate is at hand (and always without one); also the rate at which --publish.topupheaders counts headers; at least the floor of 1 sat/vbyte that every node relays, at most 10000 (the wallet's maximum)"`
	FeeURL        string        `long:"feeurl" description:"URL of a fee estimate service answering JSON {\"fee_by_block_target\": {\"1\": sat/kvbyte, ...}} (as lnd's --feeurl); its lowest target sets the header fee rate. Without it, a btcd backend estimates from btcd's mempool and a neutrino backend uses --publish.feerate"`
	MaxHeaderFee  int64         `long:"maxheaderfee" description:"Most a single header transaction pays in fees, in sat (0: no cap)"`
	MaxDayFee     int64         `long:"maxdayfee" description:"Most the header transactions of the last 24 hours pay in fees together, in sat (0: no cap)"`
	TopUpHeaders  int64         `long:"topupheaders" description:"When a header would leave its publisher output with fewer than this many headers' worth at --publish.feerate, it adds wallet coins to bring it to twice as many (0: the wallet pays only what the publisher output cannot)"`
	RebidInterval time.Duration `long:"rebidinterval" description:"How often, while the next mainchain block has not come, the node asks again for the fee rate that block needs and replaces its header transaction (BIP125) when the rate has risen (0: never)"`
}

// Defaults of the header fee policy: a cap of 50,000 sat per header
// (over 300 sat/vbyte for a header paid by its publisher output alone),
// 1,000,000 sat per day, top-ups below 50 headers' worth, a rebid every
// 10 s.
const (
	defaultMaxHeaderFee  = 50_000
	defaultMaxDayFee     = 1_000_000
	defaultTopUpHeaders  = 50
	defaultRebidInterval = 10 * time.Second
)

// minUndoDepth is the floor of --undodepth: Bitcoin's coinbase maturity,
// the depth below which a reorg is ordinary enough that every node must
// follow it.
const minUndoDepth = 100

// minHeaderFeeRate is the floor of --publish.feerate: Bitcoin Core's and
// btcd's default minimum relay fee, 1 sat/vbyte.
const minHeaderFeeRate = 1

// PrometheusConfig holds the options of the metrics server (package
// metrics).
type PrometheusConfig struct {
	Listen string `long:"listen" description:"Serve Prometheus metrics over HTTP at /metrics on this address, as host:port; off when empty. An address that is not loopback is allowed, with a warning: the metrics have no authentication"`
}

// validatePrometheus checks --prometheus.listen: empty, or host:port.
func (c *Config) validatePrometheus() error {
	addr := strings.TrimSpace(c.Prometheus.Listen)
	if addr == "" {
		c.Prometheus.Listen = ""
		return nil
	}
	_, port, err := net.SplitHostPort(addr)
	if err == nil {
		_, err = strconv.ParseUint(port, 10, 16)
	}
	if err != nil {
		return fmt.Errorf("--prometheus.listen=%s: want host:port, as "+
			"127.0.0.1:9560", c.Prometheus.Listen)
	}
	c.Prometheus.Listen = addr
	return nil
}

// P2PConfig holds the options of the sidechain peer protocol.
type P2PConfig struct {
	Listen  []string `long:"listen" description:"Accept sidenode peers on this address, as host[:port]; may be given several times. The port defaults to the network's peer port: mainnet 8565, testnet3 18575, signet 38565, regtest 18565, simnet 18595, powregtest 18605, powswitchtest 18615, dpowregtest 18625, powdpowregtest 18635, posregtest 18645. Default 127.0.0.1 at that port"`
	Connect []string `long:"connect" description:"Connect only to this sidenode peer, as host[:port]; may be given several times"`
	AddPeer []string `long:"addpeer" description:"Keep a connection to this sidenode peer, as host[:port]; may be given several times"`
}

// p2pPorts are the default peer ports, next to the API's.
var p2pPorts = map[string]string{
	"mainnet": "8565", "testnet3": "18575", "signet": "38565",
	"regtest": "18565", "simnet": "18595", "powregtest": "18605", "powswitchtest": "18615",
	"dpowregtest": "18625", "powdpowregtest": "18635", "posregtest": "18645",
}

func (c *Config) validateP2P() error {
	port := p2pPorts[c.Network]
	c.P2P.Listen = normalizeAddresses(c.P2P.Listen, port)
	if len(c.P2P.Listen) == 0 {
		c.P2P.Listen = []string{net.JoinHostPort("127.0.0.1", port)}
	}
	c.P2P.Connect = normalizeAddresses(c.P2P.Connect, port)
	c.P2P.AddPeer = normalizeAddresses(c.P2P.AddPeer, port)
	if len(c.P2P.Connect) > 0 && len(c.P2P.AddPeer) > 0 {
		return fmt.Errorf("--p2p.connect and --p2p.addpeer cannot be used together")
	}
	return nil
}

// PosConfig holds the options of the pos engine (posregtest).
type PosConfig struct {
	GenesisTime int64    `long:"genesistime" description:"Slot 0 of the pos devnet, in Unix seconds: every node of one devnet must be given the same; 0 keeps the network's (posregtest only)"`
	DevKeys     []string `long:"devkey" description:"With --validator, the test validator (0 to 3) whose key this node holds; may be given several times (posregtest only)"`
}

// validatePos checks the pos options: they are for pos networks; a
// genesis time is not negative; --validator needs at least one --pos.devkey
// among the test validators, and --pos.devkey needs --validator.
func (c *Config) validatePos() error {
	var keys []string // an empty value (the sample's) is no key
	for _, k := range c.Pos.DevKeys {
		if strings.TrimSpace(k) != "" {
			keys = append(keys, k)
		}
	}
	c.Pos.DevKeys = keys
	params, err := chainparams.ByName(c.Network)
	if err != nil {
		return err
	}
	if params.Engine != chainparams.PoS {
		if c.Validator || c.Pos.GenesisTime != 0 || len(c.Pos.DevKeys) > 0 {
			return fmt.Errorf("--validator and --pos.*: --network=%s runs the %v "+
				"engine; they are for pos networks (posregtest)", c.Network, params.Engine)
		}
		return nil
	}
	if c.Pos.GenesisTime < 0 {
		return fmt.Errorf("--pos.genesistime %d is negative", c.Pos.GenesisTime)
	}
	if c.Validator && len(c.Pos.DevKeys) == 0 {
		return errors.New("--validator needs --pos.devkey: validator keys " +
			"from the wallet are not built yet, only the test validators' keys")
	}
	if !c.Validator && len(c.Pos.DevKeys) > 0 {
		return errors.New("--pos.devkey is for --validator")
	}
	_, err = c.devKeys()
	return err
}

// devKeys parses --pos.devkey.
func (c *Config) devKeys() ([]int, error) {
	var out []int
	for _, s := range c.Pos.DevKeys {
		k, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || k < 0 || k >= chainparams.DevValidatorCount {
			return nil, fmt.Errorf("--pos.devkey %q is not a test validator (0 to %d)",
				s, chainparams.DevValidatorCount-1)
		}
		out = append(out, k)
	}
	return out, nil
}

// posParams returns the network's parameters with --pos.genesistime.
func (c *Config) posParams(p *chainparams.Params) *chainparams.Params {
	if p.Engine != chainparams.PoS || c.Pos.GenesisTime == 0 {
		return p
	}
	q := chainparams.PosRegtestAt(c.Pos.GenesisTime)
	return &q
}

// APIConfig holds the options of the node's gRPC API (package api).
type APIConfig struct {
	Disable          bool     `long:"disable" description:"Do not serve the API, neither gRPC nor REST"`
	Listen           []string `long:"listen" description:"Serve the API on this address, as host[:port]; may be given several times. The port defaults to the network's API port: mainnet 8560, testnet3 18570, signet 38560, regtest 18560, simnet 18590, powregtest 18600, powswitchtest 18610, dpowregtest 18620, powdpowregtest 18630, posregtest 18640. Default 127.0.0.1 at that port"`
	RESTListen       []string `long:"restlisten" description:"Serve the API's REST gateway (JSON over HTTPS) on this address, as host[:port]; may be given several times. The port defaults to the network's REST port: mainnet 8561, testnet3 18571, signet 38561, regtest 18561, simnet 18591, powregtest 18601, powswitchtest 18611, dpowregtest 18621, powdpowregtest 18631, posregtest 18641. Default 127.0.0.1 at that port"`
	NoREST           bool     `long:"norest" description:"Do not serve the REST gateway; the gRPC API stays"`
	NoDashboard      bool     `long:"nodashboard" description:"Do not serve the web dashboard under /dashboard/ on the REST gateway"`
	AllowRemote      bool     `long:"allowremote" description:"Allow --api.listen and --api.restlisten addresses that are not loopback (every interface, a LAN address); only with TLS"`
	NoTLS            bool     `long:"notls" description:"Serve the API, gRPC and REST, without TLS; only on loopback addresses"`
	TLSCertPath      string   `long:"tlscertpath" default-mask:"<datadir>/<network>/tls.cert" description:"The API's TLS certificate; a self-signed one is generated there, with its key, when either is missing"`
	TLSKeyPath       string   `long:"tlskeypath" default-mask:"<datadir>/<network>/tls.key" description:"The API's TLS key"`
	AdminCredPath    string   `long:"admincredpath" default-mask:"<datadir>/<network>/admin.cred" description:"The admin credential file, which allows every API method; generated when missing"`
	ReadOnlyCredPath string   `long:"readonlycredpath" default-mask:"<datadir>/<network>/readonly.cred" description:"The read-only credential file, which allows the API methods that only read; generated when missing"`
	MaxMsgSize       int      `long:"maxmsgsize" description:"Largest API request, in bytes"`
	MaxPageSize      uint32   `long:"maxpagesize" description:"Largest page an API list method returns; a request for more is refused"`
}

// APIServerConfig returns the configuration of the API server. --api.norest
// wins over --api.restlisten.
func (c *Config) APIServerConfig() api.Config {
	restListeners := c.API.RESTListen
	if c.API.NoREST {
		restListeners = nil
	}
	return api.Config{
		Listeners:        c.API.Listen,
		RESTListeners:    restListeners,
		AllowRemote:      c.API.AllowRemote,
		DisableTLS:       c.API.NoTLS,
		TLSCertPath:      c.API.TLSCertPath,
		TLSKeyPath:       c.API.TLSKeyPath,
		AdminCredPath:    c.API.AdminCredPath,
		ReadOnlyCredPath: c.API.ReadOnlyCredPath,
		MaxMsgSize:       c.API.MaxMsgSize,
		MaxPageSize:      c.API.MaxPageSize,
	}
}

// WalletConfig holds the options of the node's wallet.
type WalletConfig struct {
	UnlockPasswordFile string `long:"unlockpasswordfile" description:"Unlock the wallet at start-up with the passphrase in this file, for unattended nodes; a node without a wallet creates one sealed with it. Without this option (or --wallet.waitunlock) the node runs without a wallet"`
	WaitUnlock         bool   `long:"waitunlock" description:"Without --wallet.unlockpasswordfile: before it starts, wait for the wallet's passphrase through the API (sidecli unlock, or sidecli create for a new wallet), as lnd waits for lncli unlock. Only those two calls are answered meanwhile"`
}

// MainWatchConfig selects how the node follows the mainchain.
type MainWatchConfig struct {
	Backend string `long:"backend" description:"Mainchain backend {btcd, neutrino}"`
}

// BtcdConfig holds the options of the btcd backend.
type BtcdConfig struct {
	RPCHost string `long:"rpchost" default-mask:"127.0.0.1" description:"btcd RPC server, as host[:port]; the port defaults to btcd's RPC port for --network: mainnet 8334, testnet3 18334, signet 38332, regtest 18334, simnet 18556"`
	RPCUser string `long:"rpcuser" description:"Username for btcd RPC"`
	RPCPass string `long:"rpcpass" default-mask:"-" description:"Password for btcd RPC"`
	RPCCert string `long:"rpccert" description:"File containing btcd's RPC TLS certificate"`
	NoTLS   bool   `long:"notls" description:"Connect to btcd without TLS; only for a btcd started with --notls on a trusted host"`
}

// NeutrinoConfig holds the options of the neutrino backend.
type NeutrinoConfig struct {
	Connect []string `long:"connect" description:"Connect only to this peer, as host[:port]; may be given several times"`
	AddPeer []string `long:"addpeer" description:"Add this peer, as host[:port], to those found through DNS seeds; may be given several times"`
}

// ArgsError is the error LoadConfig returns when the command line holds
// arguments that are not options: sidenode takes options only (its
// client is sidecli), so it is a usage error, found before anything else
// is read or checked.
type ArgsError struct {
	// Args are the arguments that are not options.
	Args []string
}

// Error names the arguments.
func (e *ArgsError) Error() string {
	return fmt.Sprintf("unexpected arguments %q: sidenode takes options only", e.Args)
}

// HelpError is the error LoadConfig returns when the command line asks for
// --help. It is not a failure: print Usage to standard output and exit 0.
type HelpError struct {
	// Usage is the help text.
	Usage string
}

// Error returns the help text.
func (e *HelpError) Error() string {
	return e.Usage
}

// DefaultConfig returns the configuration that applies when neither the
// config file nor the command line sets anything. Paths are absolute, under
// the application dir (~/.sidenode on Unix).
func DefaultConfig() Config {
	cfg := Config{
		ConfigFile: filepath.Join(defaultAppDir, defaultConfigFilename),
		DataDir:    filepath.Join(defaultAppDir, defaultDataDirname),
		LogDir:     filepath.Join(defaultAppDir, defaultLogDirname),
		DebugLevel: defaultDebugLevel,
		Network:    defaultNetwork,
		UndoDepth:  store.DefaultUndoDepth,
		MainWatch: MainWatchConfig{
			Backend: BackendBtcd,
		},
		Btcd: BtcdConfig{
			RPCCert: filepath.Join(defaultBtcdDir, defaultBtcdCertname),
		},
		API: APIConfig{
			MaxMsgSize:  api.DefaultMaxMsgSize,
			MaxPageSize: api.DefaultMaxPageSize,
		},
		Publish: PublishConfig{FeeRate: defaultHeaderFeeRate, MaxHeaderFee: defaultMaxHeaderFee,
			MaxDayFee: defaultMaxDayFee, TopUpHeaders: defaultTopUpHeaders,
			RebidInterval: defaultRebidInterval},
		Alarms:           defaultAlarms(),
		NotaryTimeout:    notaryrun.DefaultTimeout,
		NotaryFeeRate:    notaryrun.DefaultFeeRate,
		NotaryMaxFeeRate: notaryrun.DefaultMaxFeeRate,
	}
	setPoolDefaults(&cfg)
	return cfg
}

// defaultHeaderFeeRate is the default fee rate of header transactions,
// sat/vbyte: twice the relay floor, enough on a quiet chain.
const defaultHeaderFeeRate = 2

// LoadConfig builds the configuration from the defaults, the config file and
// the command-line arguments args (os.Args[1:] for the daemon), in four
// steps:
//
//  1. Start from DefaultConfig.
//  2. Pre-parse args, only to learn --configfile and whether --version or
//     --help was given. --help returns a *HelpError; --version returns a
//     Config with ShowVersion set and nothing else checked, so that a broken
//     config file never hides the version.
//  3. Load the config file. A missing file is an error only when
//     --configfile named it; the default file is optional.
//  4. Parse args again on top of the file, so that flags override it.
//
// It then expands ~ and environment variables in paths, fills in the
// per-network defaults (btcd's RPC port, the P2P port of neutrino peers) and
// checks the options. It returns the arguments that are not options, which
// the daemon does not take.
func LoadConfig(args []string) (*Config, []string, error) {
	// Steps 1 and 2: defaults, then the pre-parse.
	preCfg := DefaultConfig()
	preParser := newConfigParser(&preCfg)
	rest, err := preParser.ParseArgs(args)
	if err != nil {
		return nil, nil, flagsError(preParser, err)
	}
	if len(rest) > 0 {
		// Before the config file and the checks: a stray word is a
		// mistake on the command line, whatever the options say.
		return nil, nil, &ArgsError{Args: rest}
	}
	if preCfg.ShowVersion {
		return &preCfg, nil, nil
	}

	// Step 3: the config file, on top of fresh defaults.
	configFile := cleanAndExpandPath(preCfg.ConfigFile)
	explicitFile := preParser.FindOptionByLongName("configfile").IsSet()

	cfg := DefaultConfig()
	fileParser := newConfigParser(&cfg)
	err = flags.NewIniParser(fileParser).ParseFile(configFile)
	switch {
	case err == nil:

	case errors.Is(err, fs.ErrNotExist) && !explicitFile:
		// The default config file is optional.

	case errors.Is(err, fs.ErrNotExist):
		return nil, nil, fmt.Errorf("%w: %s (given with --configfile)",
			errConfigFileNotFound, configFile)

	default:
		return nil, nil, configFileError(fileParser, configFile, err)
	}

	// Step 4: the command line overrides the file.
	argsParser := newConfigParser(&cfg)
	remaining, err := argsParser.ParseArgs(args)
	if err != nil {
		return nil, nil, flagsError(argsParser, err)
	}
	cfg.ConfigFile = configFile

	if err := cfg.validate(); err != nil {
		return nil, nil, err
	}

	return &cfg, remaining, nil
}

// newConfigParser returns the go-flags parser for cfg. It does not print
// errors: LoadConfig returns them.
func newConfigParser(cfg *Config) *flags.Parser {
	parser := flags.NewParser(cfg, flags.HelpFlag|flags.PassDoubleDash)
	parser.Name = appName
	return parser
}

// flagsError turns the go-flags help "error" into a *HelpError and says
// any other go-flags error in the user's terms (userFlagsError).
func flagsError(parser *flags.Parser, err error) error {
	var flagsErr *flags.Error
	if !errors.As(err, &flagsErr) {
		return err
	}
	if flagsErr.Type == flags.ErrHelp {
		return &HelpError{Usage: flagsErr.Message}
	}
	return userFlagsError(parser, flagsErr)
}

// validate expands the paths, fills in the per-network defaults and checks
// the options of a loaded configuration.
func (c *Config) validate() error {
	c.ConfigFile = cleanAndExpandPath(c.ConfigFile)
	c.DataDir = cleanAndExpandPath(c.DataDir)
	c.LogDir = cleanAndExpandPath(c.LogDir)
	c.Btcd.RPCCert = cleanAndExpandPath(c.Btcd.RPCCert)
	c.Wallet.UnlockPasswordFile = cleanAndExpandPath(c.Wallet.UnlockPasswordFile)

	if c.DataDir == "" {
		return errors.New("--datadir must not be empty")
	}
	if c.LogDir == "" {
		return errors.New("--logdir must not be empty")
	}

	nw, ok := networks[c.Network]
	if !ok {
		return fmt.Errorf("%w %q: --network must be one of %s",
			errUnknownNetwork, c.Network, strings.Join(networkNames, ", "))
	}

	if _, err := parseLogLevels(c.DebugLevel); err != nil {
		return fmt.Errorf("--debuglevel=%s: %w", c.DebugLevel, err)
	}

	c.Btcd.RPCHost = normalizeAddress(
		c.Btcd.RPCHost, defaultBtcdRPCHost, nw.btcdRPCPort,
	)
	c.Neutrino.Connect = normalizeAddresses(
		c.Neutrino.Connect, nw.params.DefaultPort,
	)
	c.Neutrino.AddPeer = normalizeAddresses(
		c.Neutrino.AddPeer, nw.params.DefaultPort,
	)

	if err := c.validateAPI(); err != nil {
		return err
	}
	if err := c.validateNotary(); err != nil {
		return err
	}
	if err := c.validateP2P(); err != nil {
		return err
	}
	if err := c.validateAlarms(); err != nil {
		return err
	}
	if err := c.validatePrometheus(); err != nil {
		return err
	}
	if c.UndoDepth < minUndoDepth || c.UndoDepth > store.MaxUndoDepth {
		return fmt.Errorf("--undodepth %d is outside [%d, %d] blocks",
			c.UndoDepth, minUndoDepth, store.MaxUndoDepth)
	}
	if c.Publish.FeeRate < minHeaderFeeRate || c.Publish.FeeRate > wallet.MaxFeeRate {
		return fmt.Errorf("--publish.feerate %d is not between the floor of %d "+
			"sat/vbyte and the maximum of %d sat/vbyte", c.Publish.FeeRate,
			minHeaderFeeRate, int64(wallet.MaxFeeRate))
	}
	if err := c.Publish.validate(); err != nil {
		return err
	}
	if err := c.validateMining(); err != nil {
		return err
	}
	if err := c.validatePos(); err != nil {
		return err
	}
	if err := c.validateBtcRPC(); err != nil {
		return err
	}
	if err := c.validatePool(); err != nil {
		return err
	}

	switch c.MainWatch.Backend {
	case BackendBtcd:
		if c.Btcd.RPCUser == "" || c.Btcd.RPCPass == "" {
			return fmt.Errorf("%w: the btcd backend needs "+
				"--btcd.rpcuser and --btcd.rpcpass (btcd.rpcuser= "+
				"and btcd.rpcpass= in the [btcd] section of the "+
				"config file)", errNoRPCCredentials)
		}

	case BackendNeutrino:
		connect, addPeer := c.Neutrino.Connect, c.Neutrino.AddPeer
		if len(connect) > 0 && len(addPeer) > 0 {
			return fmt.Errorf("%w: --neutrino.connect and "+
				"--neutrino.addpeer cannot be used together "+
				"(connect means only the peers it names)",
				errConflictingPeers)
		}
		if len(connect) == 0 && len(addPeer) == 0 &&
			len(nw.params.DNSSeeds) == 0 {

			return fmt.Errorf("%w: %s has no DNS seeds, so the "+
				"neutrino backend needs --neutrino.connect or "+
				"--neutrino.addpeer", errNoNeutrinoPeers, c.Network)
		}

	default:
		return fmt.Errorf("%w %q: --mainwatch.backend must be %s or %s",
			errUnknownBackend, c.MainWatch.Backend, BackendBtcd,
			BackendNeutrino)
	}

	return nil
}

// validateAPI fills in the API's per-network defaults and checks its
// options with the server's own checks.
func (c *Config) validateAPI() error {
	port, _ := api.DefaultPort(c.Network)
	c.API.Listen = normalizeAddresses(c.API.Listen, port)
	if len(c.API.Listen) == 0 {
		c.API.Listen = []string{net.JoinHostPort("127.0.0.1", port)}
	}
	restPort, _ := api.DefaultRESTPort(c.Network)
	c.API.RESTListen = normalizeAddresses(c.API.RESTListen, restPort)
	if len(c.API.RESTListen) == 0 {
		c.API.RESTListen = []string{net.JoinHostPort("127.0.0.1", restPort)}
	}
	for _, p := range []struct {
		path *string
		name string
	}{
		{&c.API.TLSCertPath, api.TLSCertFilename},
		{&c.API.TLSKeyPath, api.TLSKeyFilename},
		{&c.API.AdminCredPath, api.AdminCredFilename},
		{&c.API.ReadOnlyCredPath, api.ReadOnlyCredFilename},
	} {
		*p.path = cleanAndExpandPath(*p.path)
		if *p.path == "" {
			*p.path = filepath.Join(c.NetworkDir(), p.name)
		}
	}
	if c.API.Disable {
		return nil
	}
	// api.New checks the listen addresses, TLS and limits.
	if _, err := api.New(c.APIServerConfig(), nopAPIBackend{}); err != nil {
		return fmt.Errorf("--api options: %w", err)
	}
	return nil
}

// nopAPIBackend lets validateAPI run the API server's configuration
// checks before the node has a backend.
type nopAPIBackend struct{ api.Backend }

// Params returns the mainchain parameters of the configured network, or nil
// if the network is unknown (LoadConfig never returns such a Config).
func (c *Config) Params() *chaincfg.Params {
	nw, ok := networks[c.Network]
	if !ok {
		return nil
	}
	return nw.params
}

// NetworkDir returns the directory that holds the node's data for the
// configured network: <datadir>/<network>.
func (c *Config) NetworkDir() string {
	return filepath.Join(c.DataDir, c.Network)
}

// LogFile returns the path of the log file for the configured network:
// <logdir>/<network>/sidenode.log.
func (c *Config) LogFile() string {
	return filepath.Join(c.LogDir, c.Network, defaultLogFilename)
}

// cleanAndExpandPath expands a leading ~ to the current user's home dir and
// environment variables ($VAR or ${VAR}) anywhere in path, then cleans the
// result. An empty path stays empty. ~user is not expanded.
func cleanAndExpandPath(path string) string {
	if path == "" {
		return ""
	}

	if path == "~" || strings.HasPrefix(path, "~/") ||
		strings.HasPrefix(path, "~"+string(filepath.Separator)) {

		if home, err := os.UserHomeDir(); err == nil {
			path = home + path[1:]
		}
	}

	// os.ExpandEnv does not know Windows' %VARIABLE%; $VARIABLE works on
	// every platform.
	return filepath.Clean(os.ExpandEnv(path))
}

// normalizeAddress returns addr as host:port: an empty addr becomes
// defaultHost:defaultPort, and an addr without a port gets defaultPort.
func normalizeAddress(addr, defaultHost, defaultPort string) string {
	addr = strings.TrimSpace(addr)
	if addr == "" {
		return net.JoinHostPort(defaultHost, defaultPort)
	}
	if _, _, err := net.SplitHostPort(addr); err == nil {
		return addr
	}

	// A bare IPv6 address may come with or without brackets.
	host := strings.TrimSuffix(strings.TrimPrefix(addr, "["), "]")
	return net.JoinHostPort(host, defaultPort)
}

// normalizeAddresses normalizes each peer address with normalizeAddress,
// dropping empty entries (an empty connect= line in the config file) and
// duplicates.
func normalizeAddresses(addrs []string, defaultPort string) []string {
	var (
		result []string
		seen   = make(map[string]struct{}, len(addrs))
	)
	for _, addr := range addrs {
		if strings.TrimSpace(addr) == "" {
			continue
		}
		addr = normalizeAddress(addr, "", defaultPort)
		if _, ok := seen[addr]; ok {
			continue
		}
		seen[addr] = struct{}{}
		result = append(result, addr)
	}
	return result
}

// validate checks the header fee policy's options beyond --publish.feerate.
func (p *PublishConfig) validate() error {
	if p.FeeURL != "" {
		u, err := url.Parse(p.FeeURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("--publish.feeurl %q is not an http:// or https:// URL", p.FeeURL)
		}
	}
	if p.MaxHeaderFee < 0 || p.MaxHeaderFee > wallet.MaxAmount {
		return fmt.Errorf("--publish.maxheaderfee %d sat is not between 0 (no cap) and %d sat",
			p.MaxHeaderFee, int64(wallet.MaxAmount))
	}
	if p.MaxDayFee < 0 || p.MaxDayFee > wallet.MaxAmount {
		return fmt.Errorf("--publish.maxdayfee %d sat is not between 0 (no cap) and %d sat",
			p.MaxDayFee, int64(wallet.MaxAmount))
	}
	if p.TopUpHeaders < 0 || p.TopUpHeaders > 100_000 {
		return fmt.Errorf("--publish.topupheaders %d is not between 0 and 100000 headers",
			p.TopUpHeaders)
	}
	if p.RebidInterval < 0 || (p.RebidInterval > 0 && p.RebidInterval < 100*time.Millisecond) {
		return fmt.Errorf("--publish.rebidinterval %v is neither 0 (never) nor at least 100ms",
			p.RebidInterval)
	}
	return nil
}

// validateMining checks --mine, --minethreads and --mineaddr: mining is
// for pow networks, the thread count is bounded, and the address is a
// sidechain address of the network.
func (c *Config) validateMining() error {
	params, err := chainparams.ByName(c.Network)
	if err != nil {
		return err
	}
	if c.MineThreads < 0 || c.MineThreads > maxMineThreads {
		return fmt.Errorf("--minethreads %d is outside [0, %d]",
			c.MineThreads, maxMineThreads)
	}
	if !c.Mine {
		return nil
	}
	if params.Engine != chainparams.PoW {
		return fmt.Errorf("--mine: --network=%s runs the %v engine; "+
			"mining is for pow networks (powregtest, powswitchtest, powdpowregtest)", c.Network,
			params.Engine)
	}
	if c.MineAddr != "" {
		if _, err := mineScript(c.MineAddr, params); err != nil {
			return err
		}
	}
	return nil
}

// validateBtcRPC checks --btcrpclisten, --btcrpcuser and --btcrpcpass:
// the server is for pow networks and needs both credentials; an address
// without a host listens on 127.0.0.1.
func (c *Config) validateBtcRPC() error {
	c.BtcRPCListen = strings.TrimSpace(c.BtcRPCListen)
	if c.BtcRPCListen == "" {
		return nil
	}
	params, err := chainparams.ByName(c.Network)
	if err != nil {
		return err
	}
	if params.Engine != chainparams.PoW {
		return fmt.Errorf("--btcrpclisten: --network=%s runs the %v engine; "+
			"the bitcoind-compatible RPC is for pow networks (powregtest, "+
			"powswitchtest, powdpowregtest)", c.Network, params.Engine)
	}
	if c.BtcRPCUser == "" || c.BtcRPCPass == "" {
		return errors.New("--btcrpclisten needs --btcrpcuser and --btcrpcpass: " +
			"the bitcoind-compatible RPC never runs without credentials")
	}
	addr := c.BtcRPCListen
	if _, err := strconv.ParseUint(addr, 10, 16); err == nil {
		addr = ":" + addr
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("--btcrpclisten=%s: give host:port or a port (%v)", c.BtcRPCListen, err)
	}
	if n, err := strconv.ParseUint(port, 10, 16); err != nil || n == 0 {
		return fmt.Errorf("--btcrpclisten=%s: port %q is not a port number (1 to 65535)",
			c.BtcRPCListen, port)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	c.BtcRPCListen = net.JoinHostPort(host, port)
	return nil
}

// maxMineThreads bounds --minethreads.
const maxMineThreads = 1024

// mineScript returns the output script of --mineaddr.
func mineScript(addr string, params *chainparams.Params) ([]byte, error) {
	a, err := btcutil.DecodeAddress(addr, params.Side)
	if err != nil || !a.IsForNet(params.Side) {
		return nil, fmt.Errorf("--mineaddr %q is not a sidechain address "+
			"of %s", addr, params.Name)
	}
	return txscript.PayToAddrScript(a)
}
