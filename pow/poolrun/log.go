package poolrun

import "github.com/btcsuite/btclog"

// log is a logger that is initialized with no output filters: the package
// logs nothing until the caller requests it. The node's subsystem tag for
// this package is PRUN.
var log btclog.Logger

// The default amount of logging is none.
func init() {
	DisableLog()
}

// DisableLog disables all library log output.
func DisableLog() {
	log = btclog.Disabled
}

// UseLogger uses a specified Logger to output package logging info.
func UseLogger(logger btclog.Logger) {
	log = logger
}
