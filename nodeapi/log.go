package nodeapi

import "github.com/btcsuite/btclog"

// log is the package's logger, silent until UseLogger is called.
var log = btclog.Disabled

// UseLogger sets the package's logger; node hands it the API's subsystem
// logger.
func UseLogger(logger btclog.Logger) {
	log = logger
}
