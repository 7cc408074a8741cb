package notary

import "github.com/btcsuite/btclog"

// log is the package logger; it is disabled until UseLogger is called.
var log = btclog.Disabled

// UseLogger sets the package logger.
func UseLogger(logger btclog.Logger) { log = logger }

// DisableLog turns the package's log output off, as it is until UseLogger
// is called.
func DisableLog() { log = btclog.Disabled }
