package node

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcutil"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/pow/pool"
)

// powSideAddr is a sidechain address of powregtest.
func powSideAddr(t *testing.T) string {
	t.Helper()
	a, err := btcutil.NewAddressWitnessPubKeyHash(make([]byte, 20), chainparams.PowRegtest.Side)
	if err != nil {
		t.Fatal(err)
	}
	return a.EncodeAddress()
}

// TestLoadConfigPool: the Stratum and pool options parse into the
// server's and the pool's configurations, per port and in all.
func TestLoadConfigPool(t *testing.T) {
	withHome(t)
	addr := powSideAddr(t)
	cfg := mustLoad(t, append(btcdCreds, "--network=powregtest",
		"--stratum=127.0.0.1:3333", "--stratum=0.0.0.0:3334,diff=4096,sharetime=5s,mindiff=512,maxdiff=1e6",
		"--stratumdiff=8", "--stratumworker=rig="+addr+":secret", "--stratumworker=farm="+addr,
		"--stratummaxconns=100", "--stratummaxconnsperip=10", "--stratummaxline=1024",
		"--stratumsubmitrate=5", "--stratumsubmitburst=20", "--stratumidletimeout=2m",
		"--stratumhandshaketimeout=10s", "--stratumlinetimeout=3s", "--stratumwritetimeout=4s",
		"--stratumwritequeue=8192", "--stratummaxbuffered=1048576", "--stratumbancheck=20",
		"--stratumbanratio=0.25", "--stratumbantime=1h", "--stratummaxbans=7",
		"--stratummaxerrors=3", "--stratumsessionttl=90s", "--stratummaxsessions=11",
		"--pool=pps", "--poolfee=1.25", "--poolwindow=3x", "--poolminpayout=5000",
		"--poolpayoutinterval=10m", "--poolpruneinterval=30m")...)
	o, err := cfg.poolOptions()
	if err != nil {
		t.Fatal(err)
	}
	if len(o.ports) != 2 || o.ports[0].addr != "127.0.0.1:3333" || o.ports[0].port.StartDifficulty != 8 ||
		o.ports[0].port.Vardiff.TargetInterval != 10*time.Second {
		t.Fatalf("ports %+v", o.ports)
	}
	p := o.ports[1].port
	if o.ports[1].addr != "0.0.0.0:3334" || p.StartDifficulty != 4096 || p.Vardiff.TargetInterval != 5*time.Second ||
		p.Vardiff.Min != 512 || p.Vardiff.Max != 1e6 {
		t.Fatalf("port 2 %+v", p)
	}
	if w := o.workers["rig"]; w.Address != addr || w.Password != "secret" || o.workers["farm"].Password != "" {
		t.Fatalf("workers %+v", o.workers)
	}
	want := pool.Config{Scheme: pool.SchemePPS, FeeBps: 125, Window: pool.Window{NetMilli: 3000},
		MinPayout: 5000, PayoutInterval: 10 * time.Minute, PruneInterval: 30 * time.Minute}
	if !reflect.DeepEqual(o.pool, want) {
		t.Fatalf("pool %+v, want %+v", o.pool, want)
	}
	s := cfg.stratumConfig()
	if s.MaxConnections != 100 || s.MaxConnsPerIP != 10 || s.MaxLineSize != 1024 || s.SubmitRate != 5 ||
		s.SubmitBurst != 20 || s.IdleTimeout != 2*time.Minute || s.HandshakeTimeout != 10*time.Second ||
		s.LineTimeout != 3*time.Second || s.WriteTimeout != 4*time.Second || s.MaxWriteQueue != 8192 ||
		s.MaxBufferedBytes != 1<<20 || s.BanCheckThreshold != 20 || s.BanInvalidRatio != 0.25 ||
		s.BanDuration != time.Hour || s.ReadBufferSize > s.MaxLineSize || s.MaxBans != 7 ||
		s.MaxProtocolErrors != 3 || s.SessionTTL != 90*time.Second || s.MaxSessions != 11 {
		t.Fatalf("stratum config %+v", s)
	}

	// In the config file too, in the application section.
	path := writeConfigFile(t, "[Application Options]\nnetwork=powregtest\nstratum=127.0.0.1:4444\npoolfee=2\n")
	cfg = mustLoad(t, append(btcdCreds, "--configfile="+path)...)
	if o, err := cfg.poolOptions(); err != nil || len(o.ports) != 1 || o.pool.FeeBps != 200 ||
		o.pool.PruneInterval != pool.DefaultPruneInterval {
		t.Fatalf("config file: %+v %v", o, err)
	}

	// --poolpruneinterval=0 keeps every share (a negative interval for
	// the pool).
	cfg = mustLoad(t, append(btcdCreds, "--network=powregtest", "--stratum=127.0.0.1:3333",
		"--poolpruneinterval=0")...)
	if o, err := cfg.poolOptions(); err != nil || o.pool.PruneInterval >= 0 {
		t.Fatalf("--poolpruneinterval=0: %+v %v", o.pool, err)
	}
}

// TestLoadConfigPoolErrors: every bad option is refused, naming it in the
// user's terms.
func TestLoadConfigPoolErrors(t *testing.T) {
	withHome(t)
	addr := powSideAddr(t)
	pow := append(btcdCreds, "--network=powregtest")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--network=regtest", "--stratum=127.0.0.1:3333"}, "--stratum: --network=regtest runs the mainstake engine"},
		{[]string{"--network=powregtest", "--stratum=127.0.0.1:3333", "--mineaddr=" + addr}, "drop --mineaddr"},
		{[]string{"--network=powregtest", "--stratum=3333"}, `--stratum 3333: "3333" is not host:port`},
		{[]string{"--network=powregtest", "--stratum=127.0.0.1:99999"}, `port "99999" is not a number`},
		{[]string{"--network=powregtest", "--stratum=127.0.0.1:3333,diff=x"}, "diff=x is not a number"},
		{[]string{"--network=powregtest", "--stratum=127.0.0.1:3333,speed=5"}, `"speed=5" is not one of diff=`},
		{[]string{"--network=powregtest", "--stratum=127.0.0.1:3333,diff=1,diff=2"}, "each once"},
		{[]string{"--network=powregtest", "--stratum=127.0.0.1:3333,sharetime=fast"}, "sharetime=fast is not a duration"},
		{[]string{"--network=powregtest", "--stratum=127.0.0.1:3333,sharetime=100ms"}, "want at least 1s between shares"},
		{[]string{"--network=powregtest", "--stratum=127.0.0.1:3333,diff=0.5,mindiff=1"}, "is outside"},
		{[]string{"--network=powregtest", "--stratum=127.0.0.1:3333,mindiff=10,maxdiff=5"}, "is below"},
		{[]string{"--stratumdiff=0"}, "--stratumdiff 0: want a positive difficulty"},
		{[]string{"--stratumdiff=-3"}, "--stratumdiff -3"},
		{[]string{"--stratummindiff=0"}, "--stratummindiff 0"},
		{[]string{"--stratumsharetime=0s"}, "--stratumsharetime 0s"},
		{[]string{"--stratummaxconns=0"}, "--stratummaxconns must be positive"},
		{[]string{"--stratummaxconns=5", "--stratummaxconnsperip=6"}, "--stratummaxconnsperip 6 is above --stratummaxconns 5"},
		{[]string{"--stratummaxline=100"}, "--stratummaxline 100 bytes is too short"},
		{[]string{"--stratumsubmitrate=0"}, "--stratumsubmitrate 0"},
		{[]string{"--stratumidletimeout=0s"}, "--stratumidletimeout must be positive"},
		{[]string{"--stratumlinetimeout=-1s"}, "--stratumlinetimeout must be positive"},
		{[]string{"--stratumbancheck=-1"}, "--stratumbancheck -1 is negative"},
		{[]string{"--stratummaxbans=0"}, "--stratummaxbans must be positive"},
		{[]string{"--stratummaxerrors=0"}, "--stratummaxerrors must be positive"},
		{[]string{"--stratumsessionttl=0s"}, "--stratumsessionttl must be positive"},
		{[]string{"--stratummaxsessions=-2"}, "--stratummaxsessions must be positive"},
		{[]string{"--stratumbanratio=1.5"}, "--stratumbanratio 1.5 is not a fraction"},
		{[]string{"--stratumworker=rig"}, "--stratumworker rig: want NAME=ADDRESS"},
		{[]string{"--stratumworker=a b=" + addr}, "without spaces"},
		{[]string{"--stratumworker=rig=" + addr, "--stratumworker=rig=" + addr}, `the worker "rig" is configured twice`},
		{[]string{"--network=powregtest", "--stratum=127.0.0.1:3333", "--stratumworker=rig=notanaddress"}, `--stratumworker rig: "notanaddress" is not a sidechain address of powregtest`},
		{[]string{"--network=powregtest", "--stratum=127.0.0.1:3333", "--stratumnoaddressworkers"}, "no worker could mine"},
		{[]string{"--pool=solo"}, "--pool=solo: want pplns or pps"},
		{[]string{"--poolfee=1.234"}, "--poolfee 1.234: want a percentage"},
		{[]string{"--poolfee=101"}, "--poolfee 101"},
		{[]string{"--poolfee=-1"}, "--poolfee -1"},
		{[]string{"--pool=pps", "--poolfee=100"}, "under pps the fee must be below 100%"},
		{[]string{"--poolwindow=0"}, "--poolwindow=0: want a number of shares"},
		{[]string{"--poolwindow=2y"}, "--poolwindow=2y"},
		{[]string{"--poolminpayout=0"}, "--poolminpayout 0: want a positive amount in sat"},
		{[]string{"--poolpayoutinterval=0s"}, "--poolpayoutinterval 0s must be positive"},
		{[]string{"--poolsyncinterval=0s"}, "--poolsyncinterval 0s must be positive"},
		{[]string{"--poolpruneinterval=-1s"}, "--poolpruneinterval -1s is negative: give 0 to keep every share"},
	} {
		args := append(append([]string(nil), btcdCreds...), c.args...)
		if !strings.HasPrefix(strings.Join(c.args, " "), "--network") {
			args = append(append([]string(nil), pow...), c.args...)
		}
		_, _, err := LoadConfig(args)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: error %v, want one saying %q", c.args, err, c.want)
		}
	}
	// --stratumnoaddressworkers with configured workers is fine; without
	// --stratum the options are only checked.
	mustLoad(t, append(pow, "--stratum=127.0.0.1:3333", "--stratumnoaddressworkers",
		"--stratumworker=rig="+addr)...)
	mustLoad(t, append(btcdCreds, "--stratumworker=rig=whatever")...)
}

func TestParsePoolFee(t *testing.T) {
	for s, want := range map[string]uint32{"0": 0, "1": 100, "1.5": 150, "1.05": 105, "0.01": 1,
		"100": 10000, "2%": 200, " 3.1 ": 310} {
		if got, err := parsePoolFee(s); err != nil || got != want {
			t.Errorf("parsePoolFee(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", ".5", "1.001", "abc", "100.01", "1e2", "-0"} {
		if got, err := parsePoolFee(s); err == nil {
			t.Errorf("parsePoolFee(%q) = %d, want an error", s, got)
		}
	}
}
