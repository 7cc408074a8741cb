package sidepeer

import "github.com/btcsuite/btclog"

// log is the package's logger, silent until UseLogger is called.
var log = btclog.Disabled

// UseLogger sets the package's logger.
func UseLogger(logger btclog.Logger) {
	log = logger
}
