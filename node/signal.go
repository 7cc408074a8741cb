package node

import (
	"context"
	"os"
	"os/signal"
	"sync"
	"syscall"
)

// interruptSignals are the signals that ask the node to shut down.
var interruptSignals = []os.Signal{os.Interrupt, syscall.SIGTERM}

// WithInterrupt returns a copy of parent that is cancelled on the first
// SIGINT or SIGTERM, so that the node shuts down cleanly. A second signal
// while it does so exits the process at once with status 1, for a shutdown
// that hangs.
//
// Call stop when the node has stopped: it releases the signal handler, after
// which signals have their default effect again.
func WithInterrupt(parent context.Context) (ctx context.Context,
	stop context.CancelFunc) {

	ctx, cancel := context.WithCancel(parent)

	signals := make(chan os.Signal, 1)
	signal.Notify(signals, interruptSignals...)

	done := make(chan struct{})
	go func() {
		select {
		case sig := <-signals:
			log.Infof("Received %v, shutting down (send it again "+
				"to exit at once)", sig)
			cancel()

		case <-done:
			return
		}

		select {
		case sig := <-signals:
			log.Criticalf("Received %v again, exiting without a "+
				"clean shutdown", sig)
			CloseLogRotator()
			os.Exit(1)

		case <-done:
		}
	}()

	var once sync.Once
	stop = func() {
		once.Do(func() {
			signal.Stop(signals)
			close(done)
			cancel()
		})
	}
	return ctx, stop
}
