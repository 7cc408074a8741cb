package store

import (
	"fmt"
	"strings"

	"github.com/btcsuite/btclog"
)

// log is a logger that is initialized with no output filters. This means
// the package will not perform any logging by default until the caller
// requests it.
var log btclog.Logger

// The default amount of logging is none.
func init() {
	DisableLog()
}

// DisableLog disables all library log output. Logging output is disabled by
// default until UseLogger is called.
func DisableLog() {
	log = btclog.Disabled
}

// UseLogger uses a specified Logger to output package logging info.
// Call it before Open: badger's background goroutines log through
// the package logger.
func UseLogger(logger btclog.Logger) {
	log = logger
}

// badgerLogger routes badger's own log output to the package logger. Badger
// is chatty at Info, so Info and Debug go to Debug, and Warning and Error go
// to Warn: real failures reach the caller as errors anyway.
type badgerLogger struct{}

// format renders a badger message and strips the trailing newline badger
// often includes.
func (badgerLogger) format(f string, args []interface{}) string {
	return "badger: " + strings.TrimRight(fmt.Sprintf(f, args...), "\n")
}

// Errorf implements badger.Logger.
func (l badgerLogger) Errorf(f string, args ...interface{}) {
	if log.Level() <= btclog.LevelWarn {
		log.Warn(l.format(f, args))
	}
}

// Warningf implements badger.Logger.
func (l badgerLogger) Warningf(f string, args ...interface{}) {
	if log.Level() <= btclog.LevelWarn {
		log.Warn(l.format(f, args))
	}
}

// Infof implements badger.Logger.
func (l badgerLogger) Infof(f string, args ...interface{}) {
	if log.Level() <= btclog.LevelDebug {
		log.Debug(l.format(f, args))
	}
}

// Debugf implements badger.Logger.
func (l badgerLogger) Debugf(f string, args ...interface{}) {
	if log.Level() <= btclog.LevelDebug {
		log.Debug(l.format(f, args))
	}
}
