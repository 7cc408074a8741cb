package node

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/btcsuite/btcd/rpcclient"
	"github.com/btcsuite/btclog"

	"github.com/mainstake/sidenode/alarms"
	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/dashboard"
	"github.com/mainstake/sidenode/federation"
	"github.com/mainstake/sidenode/feeest"
	"github.com/mainstake/sidenode/lottery"
	"github.com/mainstake/sidenode/mainstake"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/mainwatch/btcdwatch"
	"github.com/mainstake/sidenode/mainwatch/neutrinowatch"
	"github.com/mainstake/sidenode/metrics"
	"github.com/mainstake/sidenode/nodeapi"
	notaryrun "github.com/mainstake/sidenode/notarize/notary"
	"github.com/mainstake/sidenode/notarize/tracker"
	"github.com/mainstake/sidenode/p2p"
	"github.com/mainstake/sidenode/pegbox"
	"github.com/mainstake/sidenode/pow/bitcoinrpc"
	"github.com/mainstake/sidenode/pow/pool"
	"github.com/mainstake/sidenode/pow/poolrun"
	"github.com/mainstake/sidenode/pow/powchain"
	"github.com/mainstake/sidenode/pow/stratum"
	"github.com/mainstake/sidenode/producer"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/sidepeer"
	"github.com/mainstake/sidenode/store"
	"github.com/mainstake/sidenode/wallet"
)

// Log level errors that tests and callers can tell apart with errors.Is.
var (
	errUnknownLogLevel   = errors.New("unknown log level")
	errUnknownSubsystem  = errors.New("unknown log subsystem")
	errMalformedLogLevel = errors.New("malformed debug level")
)

// logLevelNames lists the levels that --debuglevel accepts, for messages.
var logLevelNames = "trace, debug, info, warn, error, critical, off"

// logWriter writes every log line to standard output and, once
// InitLogRotator has run, to the log file. The btclog backend serialises
// calls to Write.
type logWriter struct{}

var (
	// logFileMu guards logFile, which InitLogRotator and CloseLogRotator
	// replace while loggers may be writing.
	logFileMu sync.Mutex

	// logFile is the log file output, nil until InitLogRotator runs.
	logFile io.WriteCloser
)

// Write writes p to standard output and the log file. Like btcd, it never
// fails: a log line that cannot be written is not worth stopping for.
func (logWriter) Write(p []byte) (int, error) {
	_, _ = os.Stdout.Write(p)

	logFileMu.Lock()
	if logFile != nil {
		_, _ = logFile.Write(p)
	}
	logFileMu.Unlock()

	return len(p), nil
}

// backendLog is the logging backend behind every subsystem logger. Loggers
// may be used before InitLogRotator: until then they write only to standard
// output.
var backendLog = btclog.NewBackend(logWriter{})

// subsystem is one logging subsystem: a four-letter tag, which appears in
// every line its logger writes and which --debuglevel uses to set its level,
// and the function that hands the logger to the package it belongs to.
type subsystem struct {
	tag string

	// use hands the subsystem's logger to its package. It is nil for the
	// node's own logger and for tags reserved for packages that do not
	// log yet. TestEveryLoggerWired checks that every package of the
	// module that declares UseLogger has its UseLogger here.
	use func(btclog.Logger)
}

// subsystems is the table of the node's logging subsystems. Run hands each
// package its logger from it (useLoggers), and it is the list of subsystems
// that --debuglevel knows. A package that starts logging gets a log.go with
// UseLogger and DisableLog and a row here; README.md and
// sample-sidenode.conf list the tags.
var subsystems = []subsystem{
	{"SDND", nil},                             // package node (log below)
	{"MWCH", mainwatch.UseLogger},             // package mainwatch
	{"BTCW", btcdwatch.UseLogger},             // package mainwatch/btcdwatch
	{"NTRW", neutrinowatch.UseLogger},         // package mainwatch/neutrinowatch
	{"NTRN", neutrinowatch.NeutrinoUseLogger}, // the neutrino library
	{"RPCC", rpcclient.UseLogger},             // btcd's rpcclient library
	{"STOR", store.UseLogger},                 // package store
	{"STAK", mainstake.UseLogger},             // package mainstake
	{"LOTT", lottery.UseLogger},               // package lottery
	{"WLLT", wallet.UseLogger},                // package wallet
	{"SBLK", sideblock.UseLogger},             // package sideblock
	{"RPCS", api.UseLogger},                   // package api (gRPC server)
	{"PROM", metrics.UseLogger},               // package metrics (Prometheus)
	{"PEGB", pegbox.UseLogger},                // package pegbox
	{"PEER", p2p.UseLogger},                   // package p2p (sidechain peers)
	{"NAPI", nodeapi.UseLogger},               // package nodeapi (the API's backend)
	{"PROD", producer.UseLogger},              // package producer (sideblock production)
	{"FEES", feeest.UseLogger},                // package feeest (header fee rates)
	{"FEDR", federation.UseLogger},            // package federation (signing rounds)
	{"SPER", sidepeer.UseLogger},              // package sidepeer (bodies and txs from peers)
	{"ALRM", alarms.UseLogger},                // package alarms (the node's alarms)
	{"DASH", dashboard.UseLogger},             // package dashboard (the web dashboard)
	{"POWC", powchain.UseLogger},              // package pow/powchain (the pow engine's blocks)
	{"BRPC", bitcoinrpc.UseLogger},            // package pow/bitcoinrpc (the bitcoind-compatible RPC)
	{"NTRY", notaryrun.UseLogger},             // package notarize/notary (the round runner and relay)
	{"DPOW", tracker.UseLogger},               // package notarize/tracker (the notarizations that count)
	{"STRM", stratum.UseLogger},               // package pow/stratum (the Stratum server)
	{"POOL", pool.UseLogger},                  // package pow/pool (the pool's shares and books)
	{"PRUN", poolrun.UseLogger},               // package pow/poolrun (the Stratum server and the pool on the pow chain)

	// Reserved for packages that do not log yet, so that the tags are
	// settled and --debuglevel accepts them.
	{"WDRW", nil}, // package withdraw
	{"POSC", nil}, // package pos
}

// subsystemLoggers maps each subsystem tag to its logger.
var subsystemLoggers = newSubsystemLoggers(subsystems)

// newSubsystemLoggers makes a logger on backendLog for each subsystem.
func newSubsystemLoggers(table []subsystem) map[string]btclog.Logger {
	loggers := make(map[string]btclog.Logger, len(table))
	for _, sub := range table {
		loggers[sub.tag] = backendLog.Logger(sub.tag)
	}
	return loggers
}

// log is the node package's own logger (SDND).
var log = subsystemLoggers["SDND"]

// useLoggers hands each package that logs its subsystem logger. Run calls
// it first, so every package logs through the node's backend before any of
// them starts; until then they are silent, as in tests. NTRN also reaches
// the btcd packages that neutrino drives (blockchain, txscript, peer,
// addrmgr, connmgr).
//
// The loggers never change, so only the first call hands them out: a
// package's logger variable is written once, before any goroutine of a node
// reads it, and a later Run in the same process (tests run many) does not
// write it again under the goroutines an earlier node left behind, such as
// rpcclient's reconnect loop.
func useLoggers() {
	useLoggersOnce.Do(func() {
		for _, sub := range subsystems {
			if sub.use != nil {
				sub.use(subsystemLoggers[sub.tag])
			}
		}
	})
}

var useLoggersOnce sync.Once

// InitLogRotator opens the log file at path, creating its directory, and
// makes every logger write to it as well as to standard output. The file is
// rotated at about 10 MiB and three old files are kept. Call CloseLogRotator
// on shutdown.
func InitLogRotator(path string) error {
	if err := os.MkdirAll(filepath.Dir(path), 0700); err != nil {
		return fmt.Errorf("create log dir: %w", err)
	}

	file, err := openLogFile(path)
	if err != nil {
		return fmt.Errorf("open log file: %w", err)
	}

	logFileMu.Lock()
	old := logFile
	logFile = file
	logFileMu.Unlock()

	if old != nil {
		_ = old.Close()
	}
	return nil
}

// CloseLogRotator flushes and closes the log file. Loggers keep writing to
// standard output. It is safe to call when no log file is open.
func CloseLogRotator() {
	logFileMu.Lock()
	file := logFile
	logFile = nil
	logFileMu.Unlock()

	if file != nil {
		_ = file.Close()
	}
}

// SetLogLevels sets the subsystem log levels from spec, the value of
// --debuglevel. spec is a comma-separated list whose entries are either a
// level, which applies to every subsystem, or SUBSYSTEM=level, which applies
// to one and wins over the former wherever it stands:
//
//	info
//	info,MWCH=debug,STOR=trace
//	MWCH=debug                  (only MWCH changes)
//
// Levels are trace, debug, info, warn, error, critical and off. Nothing is
// changed if spec has an error.
func SetLogLevels(spec string) error {
	levels, err := parseLogLevels(spec)
	if err != nil {
		return err
	}

	if levels.hasAll {
		for _, logger := range subsystemLoggers {
			logger.SetLevel(levels.all)
		}
	}
	for tag, level := range levels.subsystems {
		subsystemLoggers[tag].SetLevel(level)
	}

	return nil
}

// logLevels is a parsed --debuglevel.
type logLevels struct {
	// all is the level for every subsystem, valid if hasAll.
	all    btclog.Level
	hasAll bool

	// subsystems holds the levels of single subsystems, by tag.
	subsystems map[string]btclog.Level
}

// parseLogLevels parses a --debuglevel spec (see SetLogLevels) without
// changing any level.
func parseLogLevels(spec string) (logLevels, error) {
	levels := logLevels{subsystems: make(map[string]btclog.Level)}

	if strings.TrimSpace(spec) == "" {
		return levels, fmt.Errorf("%w: empty; use a level such as info",
			errMalformedLogLevel)
	}

	for _, entry := range strings.Split(spec, ",") {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			return levels, fmt.Errorf("%w: empty entry in %q",
				errMalformedLogLevel, spec)
		}

		tag, levelName, isPair := strings.Cut(entry, "=")
		if !isPair {
			if _, ok := subsystemLoggers[strings.ToUpper(entry)]; ok {
				return levels, fmt.Errorf("%w: subsystem %s "+
					"has no level; write %s=<level>",
					errMalformedLogLevel, entry, entry)
			}

			level, err := parseLogLevel(entry)
			if err != nil {
				return levels, err
			}
			if levels.hasAll {
				return levels, fmt.Errorf("%w: more than one "+
					"level for all subsystems in %q",
					errMalformedLogLevel, spec)
			}
			levels.all, levels.hasAll = level, true
			continue
		}

		tag = strings.ToUpper(strings.TrimSpace(tag))
		if _, ok := subsystemLoggers[tag]; !ok {
			return levels, fmt.Errorf("%w %q; known subsystems: %s",
				errUnknownSubsystem, tag,
				strings.Join(supportedSubsystems(), ", "))
		}

		level, err := parseLogLevel(strings.TrimSpace(levelName))
		if err != nil {
			return levels, fmt.Errorf("%s: %w", tag, err)
		}
		levels.subsystems[tag] = level
	}

	return levels, nil
}

// parseLogLevel parses one level name.
func parseLogLevel(name string) (btclog.Level, error) {
	level, ok := btclog.LevelFromString(name)
	if !ok {
		return 0, fmt.Errorf("%w %q; levels are %s", errUnknownLogLevel,
			name, logLevelNames)
	}
	return level, nil
}

// supportedSubsystems returns the subsystem tags, sorted.
func supportedSubsystems() []string {
	tags := make([]string, 0, len(subsystemLoggers))
	for tag := range subsystemLoggers {
		tags = append(tags, tag)
	}
	sort.Strings(tags)
	return tags
}
