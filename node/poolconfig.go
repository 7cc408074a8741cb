package node

import (
	"fmt"
	"math"
	"net"
	"strconv"
	"strings"
	"time"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/pow/pool"
	"github.com/mainstake/sidenode/pow/stratum"
	"github.com/mainstake/sidenode/pow/stratum/vardiff"
	"github.com/mainstake/sidenode/store"
)

// poolOptions are the Stratum and pool options, parsed and checked.
type poolOptions struct {
	// ports are the --stratum listeners with their difficulty policy.
	ports []stratumPort

	// workers are the --stratumworker entries, by name.
	workers map[string]stratum.WorkerEntry

	// pool is the pool's configuration (its Now left to the pool).
	pool pool.Config
}

// stratumPort is one --stratum listener.
type stratumPort struct {
	addr string
	port stratum.Port
}

// setPoolDefaults sets the defaults of the Stratum and pool options: the
// server's and the pool's own.
func setPoolDefaults(c *Config) {
	d := stratum.DefaultConfig()
	c.StratumDiff = d.StartDifficulty
	c.StratumMinDiff = d.Vardiff.Min
	c.StratumMaxDiff = 0
	c.StratumShareTime = d.Vardiff.TargetInterval
	c.StratumMaxConns = d.MaxConnections
	c.StratumMaxConnsPerIP = d.MaxConnsPerIP
	c.StratumMaxLine = d.MaxLineSize
	c.StratumSubmitRate = d.SubmitRate
	c.StratumSubmitBurst = d.SubmitBurst
	c.StratumHandshakeTimeout = d.HandshakeTimeout
	c.StratumIdleTimeout = d.IdleTimeout
	c.StratumLineTimeout = d.LineTimeout
	c.StratumWriteTimeout = d.WriteTimeout
	c.StratumWriteQueue = d.MaxWriteQueue
	c.StratumMaxBuffered = d.MaxBufferedBytes
	c.StratumBanCheck = d.BanCheckThreshold
	c.StratumBanRatio = d.BanInvalidRatio
	c.StratumBanTime = d.BanDuration
	c.StratumMaxBans = d.MaxBans
	c.StratumMaxErrors = d.MaxProtocolErrors
	c.StratumSessionTTL = d.SessionTTL
	c.StratumMaxSessions = d.MaxSessions
	c.Pool = pool.SchemePPLNS.String()
	c.PoolFee = "0"
	c.PoolWindow = pool.DefaultWindow.String()
	c.PoolMinPayout = pool.DefaultMinPayout
	c.PoolPayoutInterval = pool.DefaultPayoutInterval
	c.PoolPruneInterval = pool.DefaultPruneInterval
	c.PoolSyncInterval = store.DefaultSyncInterval
}

// maxStratumPorts bounds --stratum.
const maxStratumPorts = 16

// validatePool checks the Stratum and pool options, in the user's terms.
// Without --stratum only their values are checked.
func (c *Config) validatePool() error {
	_, err := c.poolOptions()
	return err
}

// poolOptions parses the Stratum and pool options, dropping empty
// --stratum and --stratumworker values.
func (c *Config) poolOptions() (poolOptions, error) {
	var o poolOptions
	var addrs []string
	for _, s := range c.Stratum {
		if strings.TrimSpace(s) != "" {
			addrs = append(addrs, s)
		}
	}
	c.Stratum = addrs
	if len(addrs) > maxStratumPorts {
		return o, fmt.Errorf("--stratum is given %d times: at most %d ports",
			len(addrs), maxStratumPorts)
	}
	def := vardiff.Config{TargetInterval: c.StratumShareTime, Min: c.StratumMinDiff,
		Max: c.StratumMaxDiff}
	if err := checkDiffs("--stratumdiff", c.StratumDiff, "--stratummindiff",
		"--stratummaxdiff", "--stratumsharetime", def); err != nil {
		return o, err
	}
	for _, s := range addrs {
		p, err := parseStratumPort(s, c.StratumDiff, def)
		if err != nil {
			return o, err
		}
		o.ports = append(o.ports, p)
	}

	o.workers = make(map[string]stratum.WorkerEntry)
	var workers []string
	for _, s := range c.StratumWorker {
		if strings.TrimSpace(s) == "" {
			continue
		}
		workers = append(workers, s)
		name, entry, err := parseStratumWorker(s)
		if err != nil {
			return o, err
		}
		if _, dup := o.workers[name]; dup {
			return o, fmt.Errorf("--stratumworker %s: the worker %q is configured twice", s, name)
		}
		o.workers[name] = entry
	}
	c.StratumWorker = workers

	for _, n := range []struct {
		flag string
		v    int64
	}{
		{"--stratummaxconns", int64(c.StratumMaxConns)},
		{"--stratummaxconnsperip", int64(c.StratumMaxConnsPerIP)},
		{"--stratummaxline", int64(c.StratumMaxLine)},
		{"--stratumsubmitburst", int64(c.StratumSubmitBurst)},
		{"--stratumwritequeue", int64(c.StratumWriteQueue)},
		{"--stratummaxbuffered", c.StratumMaxBuffered},
		{"--stratumhandshaketimeout", int64(c.StratumHandshakeTimeout)},
		{"--stratumidletimeout", int64(c.StratumIdleTimeout)},
		{"--stratumlinetimeout", int64(c.StratumLineTimeout)},
		{"--stratumwritetimeout", int64(c.StratumWriteTimeout)},
		{"--stratumbantime", int64(c.StratumBanTime)},
		{"--stratummaxbans", int64(c.StratumMaxBans)},
		{"--stratummaxerrors", int64(c.StratumMaxErrors)},
		{"--stratumsessionttl", int64(c.StratumSessionTTL)},
		{"--stratummaxsessions", int64(c.StratumMaxSessions)},
	} {
		if n.v <= 0 {
			return o, fmt.Errorf("%s must be positive", n.flag)
		}
	}
	switch {
	case c.StratumMaxConnsPerIP > c.StratumMaxConns:
		return o, fmt.Errorf("--stratummaxconnsperip %d is above --stratummaxconns %d",
			c.StratumMaxConnsPerIP, c.StratumMaxConns)
	case c.StratumMaxLine < 256:
		return o, fmt.Errorf("--stratummaxline %d bytes is too short for a "+
			"mining.submit: give at least 256", c.StratumMaxLine)
	case !(c.StratumSubmitRate > 0) || math.IsInf(c.StratumSubmitRate, 0):
		return o, fmt.Errorf("--stratumsubmitrate %v: want a positive number "+
			"of shares a second", c.StratumSubmitRate)
	case c.StratumBanCheck < 0:
		return o, fmt.Errorf("--stratumbancheck %d is negative: want a number "+
			"of shares, or 0 for no ban", c.StratumBanCheck)
	case !(c.StratumBanRatio >= 0 && c.StratumBanRatio <= 1):
		return o, fmt.Errorf("--stratumbanratio %v is not a fraction from 0 to 1",
			c.StratumBanRatio)
	}

	scheme, err := pool.ParseScheme(c.Pool)
	if err != nil {
		return o, fmt.Errorf("--pool=%s: want pplns or pps", c.Pool)
	}
	fee, err := parsePoolFee(c.PoolFee)
	if err != nil {
		return o, err
	}
	window, err := pool.ParseWindow(c.PoolWindow)
	if err != nil {
		return o, fmt.Errorf("--poolwindow=%s: want a number of shares "+
			"(100000) or a multiple of the network difficulty (2x, 0.5x)",
			c.PoolWindow)
	}
	if c.PoolMinPayout <= 0 {
		return o, fmt.Errorf("--poolminpayout %d: want a positive amount in sat", c.PoolMinPayout)
	}
	if c.PoolPayoutInterval <= 0 {
		return o, fmt.Errorf("--poolpayoutinterval %v must be positive", c.PoolPayoutInterval)
	}
	if c.PoolSyncInterval <= 0 {
		return o, fmt.Errorf("--poolsyncinterval %v must be positive", c.PoolSyncInterval)
	}
	if c.PoolPruneInterval < 0 {
		return o, fmt.Errorf("--poolpruneinterval %v is negative: give 0 to keep every share", c.PoolPruneInterval)
	}
	o.pool = pool.Config{Scheme: scheme, FeeBps: fee, Window: window,
		MinPayout: c.PoolMinPayout, PayoutInterval: c.PoolPayoutInterval,
		PruneInterval: c.PoolPruneInterval}
	if c.PoolPruneInterval == 0 {
		o.pool.PruneInterval = -1 // keep every share
	}
	if scheme == pool.SchemePPS && fee >= 10000 {
		return o, fmt.Errorf("--poolfee %s: under pps the fee must be below 100%%", c.PoolFee)
	}
	if len(addrs) == 0 {
		return o, nil
	}
	params, err := chainparams.ByName(c.Network)
	if err != nil {
		return o, err
	}
	if params.Engine != chainparams.PoW {
		return o, fmt.Errorf("--stratum: --network=%s runs the %v engine; "+
			"a mining pool is for pow networks (powregtest, powswitchtest)",
			c.Network, params.Engine)
	}
	if c.MineAddr != "" {
		return o, fmt.Errorf("--stratum with --mineaddr: the pool's coinbases " +
			"must pay the node's wallet, which pays the workers; drop --mineaddr")
	}
	for name, w := range o.workers {
		if _, err := mineScript(w.Address, params); err != nil {
			return o, fmt.Errorf("--stratumworker %s: %q is not a sidechain "+
				"address of %s", name, w.Address, params.Name)
		}
	}
	if len(o.workers) == 0 && c.StratumNoAddressWorkers {
		return o, fmt.Errorf("--stratumnoaddressworkers without " +
			"--stratumworker: no worker could mine")
	}
	return o, nil
}

// checkDiffs checks a difficulty policy.
func checkDiffs(startFlag string, start float64, minFlag, maxFlag, timeFlag string, v vardiff.Config) error {
	bad := func(f float64) bool { return !(f >= 0) || math.IsInf(f, 0) }
	switch {
	case bad(start) || start == 0:
		return fmt.Errorf("%s %v: want a positive difficulty", startFlag, start)
	case bad(v.Min) || v.Min == 0:
		return fmt.Errorf("%s %v: want a positive difficulty", minFlag, v.Min)
	case bad(v.Max):
		return fmt.Errorf("%s %v: want a difficulty, or 0 for the network's", maxFlag, v.Max)
	case v.Max != 0 && v.Max < v.Min:
		return fmt.Errorf("%s %v is below %s %v", maxFlag, v.Max, minFlag, v.Min)
	case start < v.Min || (v.Max != 0 && start > v.Max):
		return fmt.Errorf("%s %v is outside [%s, %s]", startFlag, start, minFlag, maxFlag)
	case v.TargetInterval < time.Second:
		return fmt.Errorf("%s %v: want at least 1s between shares", timeFlag, v.TargetInterval)
	}
	return nil
}

// parseStratumPort parses a --stratum value: host:port, then optional
// diff=, mindiff=, maxdiff= and sharetime= after commas.
func parseStratumPort(s string, start float64, v vardiff.Config) (stratumPort, error) {
	parts := strings.Split(s, ",")
	addr := strings.TrimSpace(parts[0])
	flag := "--stratum " + s
	if _, port, err := net.SplitHostPort(addr); err != nil {
		return stratumPort{}, fmt.Errorf("%s: %q is not host:port", flag, addr)
	} else if n, err := strconv.ParseUint(port, 10, 16); err != nil || (n == 0 && port != "0") {
		return stratumPort{}, fmt.Errorf("%s: port %q is not a number from 0 to 65535", flag, port)
	}
	seen := map[string]bool{}
	for _, kv := range parts[1:] {
		k, val, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok || seen[k] {
			return stratumPort{}, fmt.Errorf("%s: %q is not one of diff=, "+
				"mindiff=, maxdiff=, sharetime=, each once", flag, kv)
		}
		seen[k] = true
		if k == "sharetime" {
			d, err := time.ParseDuration(val)
			if err != nil {
				return stratumPort{}, fmt.Errorf("%s: sharetime=%s is not a "+
					"duration (5s, 1m)", flag, val)
			}
			v.TargetInterval = d
			continue
		}
		f, err := strconv.ParseFloat(val, 64)
		if err != nil {
			return stratumPort{}, fmt.Errorf("%s: %s=%s is not a number", flag, k, val)
		}
		switch k {
		case "diff":
			start = f
		case "mindiff":
			v.Min = f
		case "maxdiff":
			v.Max = f
		default:
			return stratumPort{}, fmt.Errorf("%s: %q is not one of diff=, "+
				"mindiff=, maxdiff=, sharetime=", flag, kv)
		}
	}
	if err := checkDiffs(flag+": diff", start, flag+": mindiff", flag+": maxdiff",
		flag+": sharetime", v); err != nil {
		return stratumPort{}, err
	}
	d := stratum.DefaultConfig().Vardiff
	v.RetargetEvery, v.DeadBand = d.RetargetEvery, d.DeadBand
	if v.RetargetEvery < v.TargetInterval {
		v.RetargetEvery = 3 * v.TargetInterval
	}
	return stratumPort{addr: addr, port: stratum.Port{Vardiff: v, StartDifficulty: start}}, nil
}

// parseStratumWorker parses NAME=ADDRESS or NAME=ADDRESS:PASSWORD.
func parseStratumWorker(s string) (string, stratum.WorkerEntry, error) {
	name, rest, ok := strings.Cut(s, "=")
	name = strings.TrimSpace(name)
	if !ok || name == "" || rest == "" {
		return "", stratum.WorkerEntry{}, fmt.Errorf("--stratumworker %s: want "+
			"NAME=ADDRESS or NAME=ADDRESS:PASSWORD", s)
	}
	if len(name) > pool.MaxWorkerName || strings.ContainsAny(name, " \t\n") {
		return "", stratum.WorkerEntry{}, fmt.Errorf("--stratumworker %s: the "+
			"name must be at most %d bytes, without spaces", s, pool.MaxWorkerName)
	}
	addr, password, _ := strings.Cut(rest, ":")
	return name, stratum.WorkerEntry{Address: addr, Password: password}, nil
}

// parsePoolFee parses --poolfee, a percentage with up to two decimals,
// into basis points.
func parsePoolFee(s string) (uint32, error) {
	bad := fmt.Errorf("--poolfee %s: want a percentage from 0 to 100 with "+
		"at most two decimals (1.5)", s)
	t := strings.TrimSuffix(strings.TrimSpace(s), "%")
	whole, frac, _ := strings.Cut(t, ".")
	if whole == "" || len(frac) > 2 {
		return 0, bad
	}
	w, err := strconv.ParseUint(whole, 10, 32)
	if err != nil || w > 100 {
		return 0, bad
	}
	var f uint64
	if frac != "" {
		if f, err = strconv.ParseUint(frac+strings.Repeat("0", 2-len(frac)), 10, 32); err != nil {
			return 0, bad
		}
	}
	bps := w*100 + f
	if bps > 10000 {
		return 0, bad
	}
	return uint32(bps), nil
}

// stratumConfig returns the Stratum server's configuration from the
// options.
func (c *Config) stratumConfig() stratum.Config {
	s := stratum.DefaultConfig()
	s.StartDifficulty = c.StratumDiff
	s.Vardiff.Min, s.Vardiff.Max = c.StratumMinDiff, c.StratumMaxDiff
	s.Vardiff.TargetInterval = c.StratumShareTime
	if s.Vardiff.RetargetEvery < s.Vardiff.TargetInterval {
		s.Vardiff.RetargetEvery = 3 * s.Vardiff.TargetInterval
	}
	s.MaxConnections = c.StratumMaxConns
	s.MaxConnsPerIP = c.StratumMaxConnsPerIP
	s.MaxLineSize = c.StratumMaxLine
	if s.ReadBufferSize > s.MaxLineSize {
		s.ReadBufferSize = s.MaxLineSize
	}
	s.SubmitRate = c.StratumSubmitRate
	s.SubmitBurst = c.StratumSubmitBurst
	s.HandshakeTimeout = c.StratumHandshakeTimeout
	s.IdleTimeout = c.StratumIdleTimeout
	s.LineTimeout = c.StratumLineTimeout
	s.WriteTimeout = c.StratumWriteTimeout
	s.MaxWriteQueue = c.StratumWriteQueue
	s.MaxBufferedBytes = c.StratumMaxBuffered
	s.BanCheckThreshold = c.StratumBanCheck
	s.BanInvalidRatio = c.StratumBanRatio
	s.BanDuration = c.StratumBanTime
	s.MaxBans = c.StratumMaxBans
	s.MaxProtocolErrors = c.StratumMaxErrors
	s.SessionTTL = c.StratumSessionTTL
	s.MaxSessions = c.StratumMaxSessions
	return s
}
