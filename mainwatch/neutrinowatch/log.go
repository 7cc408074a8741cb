package neutrinowatch

import (
	"github.com/btcsuite/btclog"
	"github.com/lightninglabs/neutrino"
)

// log is the package logger; it is disabled until UseLogger is called.
var log = btclog.Disabled

// UseLogger sets the package logger.
func UseLogger(logger btclog.Logger) { log = logger }

// DisableLog turns the package's log output off, as it is until UseLogger
// is called.
func DisableLog() { log = btclog.Disabled }

// NeutrinoUseLogger hands logger to the neutrino library, so the node can
// give it a subsystem tag of its own. neutrino passes the same logger on to
// btcd's blockchain, txscript, peer, addrmgr and connmgr packages and to its
// own blockntfns, pushtx, query, filterdb and chanutils packages, replacing
// whatever loggers those packages had.
func NeutrinoUseLogger(logger btclog.Logger) { neutrino.UseLogger(logger) }
