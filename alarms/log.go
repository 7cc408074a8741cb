package alarms

import "github.com/btcsuite/btclog"

// log is the package logger; it is disabled until UseLogger is called. The
// node registers it under the subsystem tag ALRM.
var log = btclog.Disabled

// UseLogger sets the package logger.
func UseLogger(logger btclog.Logger) { log = logger }
