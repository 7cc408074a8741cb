package node

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/chaincfg"
	flags "github.com/jessevdk/go-flags"
)

// btcdCreds are the flags that satisfy the btcd backend's credential check.
var btcdCreds = []string{"--btcd.rpcuser=u", "--btcd.rpcpass=p"}

// withHome points the home dir (for ~ in paths) and the application dirs at
// a fresh temporary dir for the test, so that no test reads or writes the
// real ~/.sidenode, and returns it. The application dirs become
// <home>/.sidenode and <home>/.btcd, as on Unix.
func withHome(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("USERPROFILE", home)

	oldApp, oldBtcd := defaultAppDir, defaultBtcdDir
	defaultAppDir = filepath.Join(home, ".sidenode")
	defaultBtcdDir = filepath.Join(home, ".btcd")
	t.Cleanup(func() {
		defaultAppDir, defaultBtcdDir = oldApp, oldBtcd
	})
	return home
}

// writeConfigFile writes a config file with the given text and returns its
// path.
func writeConfigFile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "sidenode.conf")
	if err := os.WriteFile(path, []byte(text), 0600); err != nil {
		t.Fatal(err)
	}
	return path
}

// mustLoad calls LoadConfig and fails the test on an error.
func mustLoad(t *testing.T, args ...string) *Config {
	t.Helper()
	cfg, remaining, err := LoadConfig(args)
	if err != nil {
		t.Fatalf("LoadConfig(%q): %v", args, err)
	}
	if len(remaining) != 0 {
		t.Fatalf("LoadConfig(%q): unexpected remaining args %q", args,
			remaining)
	}
	return cfg
}

func TestLoadConfigDefaults(t *testing.T) {
	home := withHome(t)
	appDir := filepath.Join(home, ".sidenode")

	cfg := mustLoad(t, btcdCreds...)

	want := DefaultConfig()
	want.Btcd.RPCUser, want.Btcd.RPCPass = "u", "p"
	want.Btcd.RPCHost = "127.0.0.1:8334"
	netDir := filepath.Join(appDir, "data", "mainnet")
	want.P2P.Listen = []string{"127.0.0.1:8565"}
	want.API.Listen = []string{"127.0.0.1:8560"}
	want.API.RESTListen = []string{"127.0.0.1:8561"}
	want.API.TLSCertPath = filepath.Join(netDir, "tls.cert")
	want.API.TLSKeyPath = filepath.Join(netDir, "tls.key")
	want.API.AdminCredPath = filepath.Join(netDir, "admin.cred")
	want.API.ReadOnlyCredPath = filepath.Join(netDir, "readonly.cred")
	if !reflect.DeepEqual(*cfg, want) {
		t.Fatalf("config:\n got %+v\nwant %+v", *cfg, want)
	}

	checks := []struct{ name, got, want string }{
		{"ConfigFile", cfg.ConfigFile, filepath.Join(appDir, "sidenode.conf")},
		{"DataDir", cfg.DataDir, filepath.Join(appDir, "data")},
		{"LogDir", cfg.LogDir, filepath.Join(appDir, "logs")},
		{"NetworkDir", cfg.NetworkDir(), filepath.Join(appDir, "data", "mainnet")},
		{"LogFile", cfg.LogFile(), filepath.Join(appDir, "logs", "mainnet", "sidenode.log")},
		{"Network", cfg.Network, "mainnet"},
		{"DebugLevel", cfg.DebugLevel, "info"},
		{"Backend", cfg.MainWatch.Backend, BackendBtcd},
		{"RPCCert", cfg.Btcd.RPCCert, filepath.Join(home, ".btcd", "rpc.cert")},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	if cfg.Params() != &chaincfg.MainNetParams {
		t.Errorf("Params() = %v, want mainnet", cfg.Params().Name)
	}
	if cfg.Btcd.NoTLS {
		t.Error("NoTLS is on by default")
	}
}

func TestLoadConfigNetworks(t *testing.T) {
	withHome(t)

	tests := []struct {
		network string
		params  *chaincfg.Params
		rpcHost string
	}{
		{"mainnet", &chaincfg.MainNetParams, "127.0.0.1:8334"},
		{"testnet3", &chaincfg.TestNet3Params, "127.0.0.1:18334"},
		{"signet", &chaincfg.SigNetParams, "127.0.0.1:38332"},
		{"regtest", &chaincfg.RegressionNetParams, "127.0.0.1:18334"},
		{"simnet", &chaincfg.SimNetParams, "127.0.0.1:18556"},
	}
	for _, test := range tests {
		t.Run(test.network, func(t *testing.T) {
			args := append([]string{"--network=" + test.network,
				"--datadir=/srv/side"}, btcdCreds...)
			cfg := mustLoad(t, args...)

			if cfg.Params() != test.params {
				t.Errorf("Params() = %s, want %s",
					cfg.Params().Name, test.params.Name)
			}
			if cfg.Btcd.RPCHost != test.rpcHost {
				t.Errorf("RPCHost = %q, want %q",
					cfg.Btcd.RPCHost, test.rpcHost)
			}
			wantDir := filepath.Join("/srv/side", test.network)
			if cfg.NetworkDir() != wantDir {
				t.Errorf("NetworkDir() = %q, want %q",
					cfg.NetworkDir(), wantDir)
			}
		})
	}
}

func TestLoadConfigFileOverridesDefaults(t *testing.T) {
	withHome(t)

	path := writeConfigFile(t, `
[Application Options]
network=regtest
datadir=/srv/side/data
debuglevel=debug,MWCH=trace

[mainwatch]
mainwatch.backend=neutrino

[btcd]
btcd.rpchost=10.0.0.1
btcd.notls=1

[neutrino]
neutrino.connect=127.0.0.1
neutrino.connect=10.0.0.2:18445
`)
	cfg := mustLoad(t, "--configfile="+path)

	if cfg.ConfigFile != path {
		t.Errorf("ConfigFile = %q, want %q", cfg.ConfigFile, path)
	}
	if cfg.Network != "regtest" {
		t.Errorf("Network = %q, want regtest", cfg.Network)
	}
	if cfg.NetworkDir() != "/srv/side/data/regtest" {
		t.Errorf("NetworkDir() = %q", cfg.NetworkDir())
	}
	if cfg.DebugLevel != "debug,MWCH=trace" {
		t.Errorf("DebugLevel = %q", cfg.DebugLevel)
	}
	if cfg.MainWatch.Backend != BackendNeutrino {
		t.Errorf("Backend = %q, want neutrino", cfg.MainWatch.Backend)
	}
	if cfg.Btcd.RPCHost != "10.0.0.1:18334" {
		t.Errorf("RPCHost = %q, want 10.0.0.1:18334", cfg.Btcd.RPCHost)
	}
	if !cfg.Btcd.NoTLS {
		t.Error("NoTLS not set from the file")
	}
	wantPeers := []string{"127.0.0.1:18444", "10.0.0.2:18445"}
	if !reflect.DeepEqual(cfg.Neutrino.Connect, wantPeers) {
		t.Errorf("Connect = %q, want %q", cfg.Neutrino.Connect, wantPeers)
	}
}

func TestLoadConfigFlagsOverrideFile(t *testing.T) {
	withHome(t)

	path := writeConfigFile(t, `
[Application Options]
network=regtest
logdir=/var/log/side

[mainwatch]
mainwatch.backend=neutrino

[btcd]
btcd.rpcuser=fileuser
btcd.rpcpass=filepass

[neutrino]
neutrino.addpeer=10.0.0.1
neutrino.addpeer=10.0.0.2
`)
	cfg := mustLoad(t, "--configfile="+path, "--network=simnet",
		"--btcd.rpcuser=flaguser", "--neutrino.addpeer=10.0.0.3")

	if cfg.Network != "simnet" {
		t.Errorf("Network = %q, want the flag's simnet", cfg.Network)
	}
	if cfg.Btcd.RPCUser != "flaguser" || cfg.Btcd.RPCPass != "filepass" {
		t.Errorf("RPCUser, RPCPass = %q, %q, want flaguser, filepass",
			cfg.Btcd.RPCUser, cfg.Btcd.RPCPass)
	}
	if cfg.LogFile() != "/var/log/side/simnet/sidenode.log" {
		t.Errorf("LogFile() = %q", cfg.LogFile())
	}

	// A list option on the command line replaces the file's list.
	wantPeers := []string{"10.0.0.3:18555"}
	if !reflect.DeepEqual(cfg.Neutrino.AddPeer, wantPeers) {
		t.Errorf("AddPeer = %q, want %q", cfg.Neutrino.AddPeer, wantPeers)
	}
}

func TestLoadConfigDefaultFile(t *testing.T) {
	home := withHome(t)
	appDir := filepath.Join(home, ".sidenode")

	// No default file: defaults and flags only.
	cfg := mustLoad(t, btcdCreds...)
	if cfg.Network != "mainnet" {
		t.Fatalf("Network = %q", cfg.Network)
	}

	// The default file is read when it exists.
	if err := os.MkdirAll(appDir, 0700); err != nil {
		t.Fatal(err)
	}
	text := "network=testnet3\n[btcd]\nbtcd.rpcuser=u\nbtcd.rpcpass=p\n"
	err := os.WriteFile(filepath.Join(appDir, "sidenode.conf"),
		[]byte(text), 0600)
	if err != nil {
		t.Fatal(err)
	}
	cfg = mustLoad(t)
	if cfg.Network != "testnet3" || cfg.Btcd.RPCUser != "u" {
		t.Fatalf("default config file not read: %+v", cfg)
	}
}

func TestLoadConfigPaths(t *testing.T) {
	home := withHome(t)
	t.Setenv("SIDENODE_TEST_LOGS", "/var/log/side")

	cfg := mustLoad(t, append([]string{
		"--datadir=~/side/../side-data",
		"--logdir=$SIDENODE_TEST_LOGS/x",
		"--btcd.rpccert=${HOME}/btcd.cert",
	}, btcdCreds...)...)

	if want := filepath.Join(home, "side-data"); cfg.DataDir != want {
		t.Errorf("DataDir = %q, want %q", cfg.DataDir, want)
	}
	if cfg.LogDir != "/var/log/side/x" {
		t.Errorf("LogDir = %q, want /var/log/side/x", cfg.LogDir)
	}
	if want := filepath.Join(home, "btcd.cert"); cfg.Btcd.RPCCert != want {
		t.Errorf("RPCCert = %q, want %q", cfg.Btcd.RPCCert, want)
	}
}

func TestLoadConfigErrors(t *testing.T) {
	withHome(t)
	missing := filepath.Join(t.TempDir(), "nope.conf")
	badFile := writeConfigFile(t, "[btcd]\nbtcd.rpcusr=u\n")
	resyncFile := writeConfigFile(t, "resync=1\n")

	tests := []struct {
		name    string
		args    []string
		wantErr error // nil: any error
	}{
		{"bad network", []string{"--network=testnet"}, errUnknownNetwork},
		{"bad backend", []string{"--mainwatch.backend=electrum"},
			errUnknownBackend},
		{"bad debug level", []string{"--debuglevel=loud"},
			errUnknownLogLevel},
		{"bad debug subsystem", []string{"--debuglevel=info,XXXX=debug"},
			errUnknownSubsystem},
		{"malformed debug level", []string{"--debuglevel=info,MWCH"},
			errMalformedLogLevel},
		{"btcd without credentials", nil, errNoRPCCredentials},
		{"header fee rate below the floor", append([]string{"--publish.feerate=0"},
			btcdCreds...), nil},
		{"header fee rate above the maximum", []string{"--publish.feerate=10001"}, nil},
		{"header fee rate near 2^63", []string{"--publish.feerate=9223372036854775000"}, nil},
		{"fee URL not http", []string{"--publish.feeurl=ftp://fees.example/x"}, nil},
		{"fee URL without host", []string{"--publish.feeurl=https://"}, nil},
		{"negative header fee cap", []string{"--publish.maxheaderfee=-1"}, nil},
		{"header fee cap above 21M BTC", []string{"--publish.maxheaderfee=2100000000000001"}, nil},
		{"negative day fee cap", []string{"--publish.maxdayfee=-5"}, nil},
		{"negative top-up headers", []string{"--publish.topupheaders=-1"}, nil},
		{"rebid interval below 100ms", []string{"--publish.rebidinterval=10ms"}, nil},
		{"missed slots above their window", []string{"--alarms.missedslots=5",
			"--alarms.missedwindow=4"}, nil},
		{"no missed window", []string{"--alarms.missedwindow=0"}, nil},
		{"no publisher headers", []string{"--alarms.publisherheaders=0"}, nil},
		{"p2p connect and addpeer", append([]string{"--p2p.connect=127.0.0.1:1",
			"--p2p.addpeer=127.0.0.1:2"}, btcdCreds...), nil},
		{"btcd without password", []string{"--btcd.rpcuser=u"},
			errNoRPCCredentials},
		{"neutrino on regtest without peers", []string{
			"--network=regtest", "--mainwatch.backend=neutrino",
		}, errNoNeutrinoPeers},
		{"neutrino on simnet without peers", []string{
			"--network=simnet", "--mainwatch.backend=neutrino",
		}, errNoNeutrinoPeers},
		{"neutrino connect and addpeer", []string{
			"--network=regtest", "--mainwatch.backend=neutrino",
			"--neutrino.connect=10.0.0.1", "--neutrino.addpeer=10.0.0.2",
		}, errConflictingPeers},
		{"missing explicit config file", []string{"--configfile=" + missing},
			errConfigFileNotFound},
		{"unknown option in file", []string{"--configfile=" + badFile}, nil},
		{"unknown flag", []string{"--bogus"}, nil},
		{"undo depth below 100", []string{"--undodepth=99"}, nil},
		{"undo depth above the store's maximum", []string{"--undodepth=100001"}, nil},
		{"resync in the config file", []string{"--configfile=" + resyncFile}, nil},
		{"btcrpc without credentials", []string{"--network=powregtest", "--btcrpclisten=18570"}, nil},
		{"btcrpc without a password", []string{"--network=powregtest", "--btcrpclisten=18570",
			"--btcrpcuser=pool"}, nil},
		{"btcrpc on a mainstake network", []string{"--network=regtest", "--btcrpclisten=18570",
			"--btcrpcuser=pool", "--btcrpcpass=x"}, nil},
		{"btcrpc without a port", []string{"--network=powregtest", "--btcrpclisten=localhost",
			"--btcrpcuser=pool", "--btcrpcpass=x"}, nil},
		{"btcrpc port 0", []string{"--network=powregtest", "--btcrpclisten=:0",
			"--btcrpcuser=pool", "--btcrpcpass=x"}, nil},
	}
	for _, test := range tests {
		t.Run(test.name, func(t *testing.T) {
			args := test.args
			if !errors.Is(test.wantErr, errNoRPCCredentials) {
				args = append(append([]string{}, args...),
					btcdCreds...)
			}
			cfg, _, err := LoadConfig(args)
			if err == nil {
				t.Fatalf("LoadConfig(%q) = %+v, want an error",
					args, cfg)
			}
			if test.wantErr != nil && !errors.Is(err, test.wantErr) {
				t.Fatalf("LoadConfig(%q) error %v, want %v", args,
					err, test.wantErr)
			}
			t.Logf("%v", err)
		})
	}
}

func TestLoadConfigNeutrino(t *testing.T) {
	withHome(t)

	// Networks with DNS seeds need no peers; neutrino needs no btcd
	// credentials.
	cfg := mustLoad(t, "--network=testnet3", "--mainwatch.backend=neutrino")
	if cfg.Neutrino.Connect != nil || cfg.Neutrino.AddPeer != nil {
		t.Fatalf("unexpected peers %q %q", cfg.Neutrino.Connect,
			cfg.Neutrino.AddPeer)
	}

	cfg = mustLoad(t, "--network=regtest", "--mainwatch.backend=neutrino",
		"--neutrino.addpeer=::1", "--neutrino.addpeer=[::1]",
		"--neutrino.addpeer=[::1]:1")
	want := []string{"[::1]:18444", "[::1]:1"}
	if !reflect.DeepEqual(cfg.Neutrino.AddPeer, want) {
		t.Fatalf("AddPeer = %q, want %q", cfg.Neutrino.AddPeer, want)
	}
}

func TestLoadConfigVersion(t *testing.T) {
	withHome(t)

	// --version answers even when the config file is missing and the
	// configuration is incomplete.
	missing := filepath.Join(t.TempDir(), "nope.conf")
	cfg, _, err := LoadConfig([]string{"--configfile=" + missing, "-V"})
	if err != nil {
		t.Fatal(err)
	}
	if !cfg.ShowVersion {
		t.Fatal("ShowVersion not set")
	}
}

func TestLoadConfigHelp(t *testing.T) {
	withHome(t)

	_, _, err := LoadConfig([]string{"--help"})
	var helpErr *HelpError
	if !errors.As(err, &helpErr) {
		t.Fatalf("LoadConfig(--help) error = %v, want a *HelpError", err)
	}
	for _, want := range []string{"Usage:", "sidenode", "--btcd.rpchost",
		"--neutrino.connect", "--mainwatch.backend", "--debuglevel"} {

		if !strings.Contains(helpErr.Usage, want) {
			t.Errorf("help text lacks %q:\n%s", want, helpErr.Usage)
		}
	}
}

func TestLoadConfigRefusesArguments(t *testing.T) {
	withHome(t)

	// A stray word is refused before the options are checked: without
	// btcd credentials the daemon would otherwise fail on those.
	for _, args := range [][]string{
		{"extra", "--network=regtest"},
		{"help"},
		{"--network=regtest", "status"},
		{"status", "--network=regtest"},
	} {
		_, _, err := LoadConfig(args)
		var argsErr *ArgsError
		if !errors.As(err, &argsErr) {
			t.Fatalf("LoadConfig(%q) error %v, want an *ArgsError", args, err)
		}
		if len(argsErr.Args) != 1 {
			t.Errorf("LoadConfig(%q): args %q", args, argsErr.Args)
		}
	}
	// Option values are not arguments.
	args := append([]string{"--network", "regtest"}, btcdCreds...)
	if _, remaining, err := LoadConfig(args); err != nil || len(remaining) != 0 {
		t.Fatalf("LoadConfig(%q) = %q, %v", args, remaining, err)
	}
}

// sampleOptionLine matches a commented-out option in the sample config file:
// "; name=value".
var sampleOptionLine = regexp.MustCompile(`^;\s*([A-Za-z0-9.]+)=(.*)$`)

// uncommentSample returns the sample config with its option lines
// uncommented, and the options it sets, as "section/name".
func uncommentSample(t *testing.T) (string, map[string]bool) {
	t.Helper()

	var (
		lines   []string
		options = make(map[string]bool)
		section string
	)
	for _, line := range strings.Split(sampleConfig, "\n") {
		trimmed := strings.TrimSpace(line)
		if strings.HasPrefix(trimmed, "[") {
			section = strings.Trim(trimmed, "[]")
		}
		if m := sampleOptionLine.FindStringSubmatch(trimmed); m != nil {
			if section == "" {
				t.Fatalf("option %s before the first section", m[1])
			}
			line = m[1] + "=" + m[2]
			options[section+"/"+m[1]] = true
		}
		lines = append(lines, line)
	}
	return strings.Join(lines, "\n"), options
}

// configOptions walks the go-flags tags of Config by reflection and returns
// the options the config file can set, as "section/name" with the name as
// the file spells it (namespace.long).
func configOptions(t *testing.T) []string {
	t.Helper()

	var (
		options []string
		walk    func(typ reflect.Type, section, namespace string)
	)
	walk = func(typ reflect.Type, section, namespace string) {
		for i := 0; i < typ.NumField(); i++ {
			field := typ.Field(i)
			if group, ok := field.Tag.Lookup("group"); ok {
				ns := field.Tag.Get("namespace")
				if namespace != "" {
					ns = namespace + "." + ns
				}
				walk(field.Type, group, ns)
				continue
			}

			long := field.Tag.Get("long")
			if long == "" {
				t.Errorf("field %s.%s has no long name",
					typ.Name(), field.Name)
				continue
			}
			if field.Tag.Get("no-ini") != "" {
				continue
			}
			name := long
			if namespace != "" {
				name = namespace + "." + long
			}
			options = append(options, section+"/"+name)
		}
	}
	walk(reflect.TypeOf(Config{}), "Application Options", "")
	return options
}

func TestSampleConfig(t *testing.T) {
	withHome(t)

	// As shipped, everything is commented out: the sample must parse and
	// change nothing.
	cfg := DefaultConfig()
	err := flags.NewIniParser(newConfigParser(&cfg)).Parse(
		strings.NewReader(SampleConfig()))
	if err != nil {
		t.Fatalf("sample config does not parse: %v", err)
	}
	if !reflect.DeepEqual(cfg, DefaultConfig()) {
		t.Fatalf("sample config changes the defaults: %+v", cfg)
	}

	// Uncommented, every option must exist in its section and every value
	// must parse. This catches options that were renamed or moved.
	uncommented, sampleOptions := uncommentSample(t)
	cfg = DefaultConfig()
	err = flags.NewIniParser(newConfigParser(&cfg)).Parse(
		strings.NewReader(uncommented))
	if err != nil {
		t.Fatalf("sample config with its options uncommented does "+
			"not parse: %v", err)
	}

	// Every option of Config must appear in the sample, in its section.
	for _, option := range configOptions(t) {
		if !sampleOptions[option] {
			t.Errorf("option %s is missing from "+
				"sample-sidenode.conf", option)
		}
	}
}

func TestSampleConfigDefaults(t *testing.T) {
	withHome(t)

	// Uncommented, the sample must give the same configuration as the
	// defaults: the defaults it shows are the real ones.
	uncommented, _ := uncommentSample(t)
	sample := DefaultConfig()
	err := flags.NewIniParser(newConfigParser(&sample)).Parse(
		strings.NewReader(uncommented))
	if err != nil {
		t.Fatal(err)
	}
	def := DefaultConfig()

	// withHome gives the Unix application dirs (~/.sidenode, ~/.btcd)
	// that the sample shows.
	for _, cfg := range []*Config{&sample, &def} {
		// The credentials have no default; the check needs them.
		cfg.Btcd.RPCUser, cfg.Btcd.RPCPass = "u", "p"
		if err := cfg.validate(); err != nil {
			t.Fatal(err)
		}
	}
	if !reflect.DeepEqual(sample, def) {
		t.Fatalf("the sample's defaults differ from DefaultConfig:\n"+
			"sample  %+v\ndefault %+v", sample, def)
	}
}

func TestSampleConfigListsSubsystems(t *testing.T) {
	for tag := range subsystemLoggers {
		if !regexp.MustCompile(`\b` + tag + `\b`).MatchString(sampleConfig) {
			t.Errorf("subsystem %s is missing from the debuglevel "+
				"section of sample-sidenode.conf", tag)
		}
	}
}

func TestReadmeListsSubsystems(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, sub := range subsystems {
		if !regexp.MustCompile(`\b` + sub.tag + `\b`).Match(readme) {
			t.Errorf("subsystem %s is missing from README.md's list "+
				"of --debuglevel subsystems", sub.tag)
		}
	}
}

func TestLoadConfigREST(t *testing.T) {
	withHome(t)
	regtest := append([]string{"--network=regtest"}, btcdCreds...)

	cfg := mustLoad(t, regtest...)
	if got := cfg.APIServerConfig().RESTListeners; !reflect.DeepEqual(got, []string{"127.0.0.1:18561"}) {
		t.Errorf("default REST listeners %q", got)
	}
	cfg = mustLoad(t, append(regtest, "--api.restlisten=127.0.0.1", "--api.restlisten=[::1]:9000")...)
	if got := cfg.APIServerConfig().RESTListeners; !reflect.DeepEqual(got, []string{"127.0.0.1:18561", "[::1]:9000"}) {
		t.Errorf("REST listeners %q", got)
	}
	cfg = mustLoad(t, append(regtest, "--api.norest", "--api.restlisten=127.0.0.1:9000")...)
	if got := cfg.APIServerConfig().RESTListeners; got != nil {
		t.Errorf("REST listeners %q with --api.norest", got)
	}

	for _, args := range [][]string{
		{"--api.restlisten=0.0.0.0"},                                       // remote without allowremote
		{"--api.restlisten=192.0.2.1", "--api.allowremote", "--api.notls"}, // remote in the clear
		{"--api.restlisten=127.0.0.1:18560"},                               // the gRPC port
		{"--api.restlisten=127.0.0.1:x"},
	} {
		if _, _, err := LoadConfig(append(regtest, args...)); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
	// A remote REST address with --api.allowremote, as for gRPC.
	mustLoad(t, append(regtest, "--api.restlisten=0.0.0.0", "--api.allowremote")...)
}

// TestLoadConfigUndoDepth checks --undodepth's bounds, the boundaries
// included, and that --resync is for the command line only.
func TestLoadConfigUndoDepth(t *testing.T) {
	withHome(t)
	if cfg := mustLoad(t, btcdCreds...); cfg.UndoDepth != 2016 || cfg.Resync {
		t.Fatalf("default undo depth %d, resync %v", cfg.UndoDepth, cfg.Resync)
	}
	for _, d := range []string{"100", "100000"} {
		cfg := mustLoad(t, append([]string{"--undodepth=" + d, "--resync"}, btcdCreds...)...)
		if fmt.Sprint(cfg.UndoDepth) != d || !cfg.Resync {
			t.Fatalf("--undodepth=%s --resync: %d, %v", d, cfg.UndoDepth, cfg.Resync)
		}
	}
	file := writeConfigFile(t, "undodepth=150\n")
	if cfg := mustLoad(t, append([]string{"--configfile=" + file}, btcdCreds...)...); cfg.UndoDepth != 150 {
		t.Fatalf("undodepth=150 in the file: %d", cfg.UndoDepth)
	}
}

// TestLoadConfigBtcRPC: --btcrpclisten is off by default, and an address
// without a host listens on loopback.
func TestLoadConfigBtcRPC(t *testing.T) {
	withHome(t)
	if cfg := mustLoad(t, append([]string{"--network=powregtest"}, btcdCreds...)...); cfg.BtcRPCListen != "" {
		t.Fatalf("--btcrpclisten defaults to %q, want off", cfg.BtcRPCListen)
	}
	for in, want := range map[string]string{
		"18570": "127.0.0.1:18570", ":18570": "127.0.0.1:18570",
		"0.0.0.0:18570": "0.0.0.0:18570", "[::1]:18570": "[::1]:18570",
	} {
		cfg := mustLoad(t, append([]string{"--network=powregtest", "--btcrpclisten=" + in,
			"--btcrpcuser=pool", "--btcrpcpass=x"}, btcdCreds...)...)
		if cfg.BtcRPCListen != want {
			t.Errorf("--btcrpclisten=%s: %q, want %q", in, cfg.BtcRPCListen, want)
		}
	}
}
