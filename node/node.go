package node

import (
	"context"
)

// Run runs the node with configuration cfg until ctx is cancelled, then
// stops it and returns. An error means the node could not start or stopped
// on a failure.
//
// This is a stub that only logs the configuration and waits: the wiring of
// the store, the mainchain watcher and the other subsystems replaces its
// body.
func Run(ctx context.Context, cfg *Config) error {
	log.Infof("Version %s", Version)
	log.Infof("sidenode starting (network %s, backend %s, data dir %s)",
		cfg.Network, cfg.MainWatch.Backend, cfg.NetworkDir())

	<-ctx.Done()

	log.Info("sidenode stopped")
	return nil
}
