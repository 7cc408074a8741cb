package p2p

import "github.com/btcsuite/btclog"

// log is the package logger; it is disabled until UseLogger is called.
var log = btclog.Disabled

// UseLogger sets the package logger. The node gives it the PEER subsystem.
func UseLogger(logger btclog.Logger) { log = logger }
