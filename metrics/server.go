package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Path is where the server serves the metrics.
const Path = "/metrics"

// Limits of the HTTP server. A scrape is one small GET; its answer takes
// milliseconds to gather.
const (
	readHeaderTimeout = 5 * time.Second
	readTimeout       = 10 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 2 * time.Minute
	maxHeaderBytes    = 16 << 10

	// scrapeTimeout bounds the gathering of one scrape; it stays below
	// writeTimeout so that a slow gather still gets its error out.
	scrapeTimeout = 20 * time.Second

	// maxScrapes bounds the scrapes gathered at once; more get 503.
	maxScrapes = 4

	// stopTimeout bounds the wait for scrapes in flight at Stop.
	stopTimeout = 5 * time.Second
)

// Start listens on the configured address and serves /metrics until Stop.
// It binds before it returns: an address that is taken or invalid is an
// error that names it. An address that is not loopback is served, with a
// warning.
func (m *Metrics) Start() error {
	if m == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.started || m.stopped {
		return errors.New("metrics server already started or stopped")
	}

	lis, err := net.Listen("tcp", m.cfg.Listen)
	if err != nil {
		return fmt.Errorf("metrics server cannot listen on %s: %w", m.cfg.Listen, err)
	}
	if !isLoopback(lis.Addr()) {
		log.Warnf("Metrics server listens on %s, which is not a loopback "+
			"address: anyone who can reach it can read the node's metrics", lis.Addr())
	}

	mux := http.NewServeMux()
	mux.Handle(Path, promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{
		ErrorLog:            errorLog{},
		ErrorHandling:       promhttp.ContinueOnError,
		MaxRequestsInFlight: maxScrapes,
		Timeout:             scrapeTimeout,
	}))
	m.server = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: readHeaderTimeout,
		ReadTimeout:       readTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
	}
	m.lis, m.done, m.started = lis, make(chan struct{}), true

	go func(srv *http.Server, done chan struct{}) {
		defer close(done)
		if err := srv.Serve(lis); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Errorf("Metrics server on %s: %v", lis.Addr(), err)
		}
	}(m.server, m.done)
	log.Infof("Metrics server listening on http://%s%s", lis.Addr(), Path)
	return nil
}

// Addr returns the address the server listens on, nil before Start.
func (m *Metrics) Addr() net.Addr {
	if m == nil {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.lis == nil {
		return nil
	}
	return m.lis.Addr()
}

// Stop stops the server: it stops listening, lets the scrapes in flight
// finish for a few seconds, then closes their connections. It is safe to
// call more than once, and without Start.
func (m *Metrics) Stop() error {
	if m == nil {
		return nil
	}
	m.mu.Lock()
	if m.stopped || !m.started {
		m.stopped = true
		m.mu.Unlock()
		return nil
	}
	m.stopped = true
	srv, done := m.server, m.done
	m.mu.Unlock()

	ctx, cancel := context.WithTimeout(context.Background(), stopTimeout)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		log.Debugf("Metrics server: %v; closing the scrapes in flight", err)
		if err := srv.Close(); err != nil {
			return err
		}
	}
	<-done
	log.Infof("Metrics server stopped")
	return nil
}

// isLoopback reports whether a listener's address is a loopback address;
// an unspecified address (every interface) is not.
func isLoopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

// errorLog hands promhttp's errors to the package logger.
type errorLog struct{}

// Println implements promhttp.Logger.
func (errorLog) Println(v ...any) {
	log.Errorf("Metrics: %s", fmt.Sprint(v...))
}
