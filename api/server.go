package api

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"

	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// stopGrace is how long Stop lets calls in progress finish before it
// closes their connections.
const stopGrace = 5 * time.Second

// Server is the node's gRPC API server. Create it with New, then Start
// it; Stop stops it.
type Server struct {
	cfg     Config
	backend Backend

	mu        sync.Mutex
	started   bool
	stopped   bool
	grpc      *grpc.Server
	listeners []net.Listener
	wg        sync.WaitGroup
}

// New checks cfg and returns a server for backend. It touches neither the
// disk nor the network: Start does.
func New(cfg Config, b Backend) (*Server, error) {
	if b == nil {
		return nil, fmt.Errorf("%w: no backend", ErrConfig)
	}
	cfg.Listeners = append([]string(nil), cfg.Listeners...)
	if err := cfg.check(); err != nil {
		return nil, err
	}
	return &Server{cfg: cfg, backend: b}, nil
}

// Start prepares the TLS certificate and the credential files (creating
// those that are missing), listens on every configured address and serves.
// It fails if any address cannot be listened on, a port already taken
// included, and then listens on none.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.stopped {
		return errors.New("API server already started or stopped")
	}

	tok, err := loadOrCreateCredentials(s.cfg.AdminCredPath, s.cfg.ReadOnlyCredPath)
	if err != nil {
		return err
	}

	opts := []grpc.ServerOption{
		grpc.MaxRecvMsgSize(s.cfg.MaxMsgSize),
		grpc.ChainUnaryInterceptor(tok.unaryInterceptor),
		grpc.ChainStreamInterceptor(tok.streamInterceptor),
	}
	if s.cfg.DisableTLS {
		log.Warnf("API TLS is disabled: serving in the clear on loopback only")
		opts = append(opts, grpc.Creds(insecure.NewCredentials()))
	} else {
		cert, err := loadOrCreateCert(s.cfg.TLSCertPath, s.cfg.TLSKeyPath,
			listenHosts(s.cfg.Listeners))
		if err != nil {
			return err
		}
		opts = append(opts, grpc.Creds(credentials.NewTLS(&tls.Config{
			Certificates: []tls.Certificate{cert},
			MinVersion:   tls.VersionTLS12,
		})))
	}

	var listeners []net.Listener
	for _, addr := range s.cfg.Listeners {
		lis, err := net.Listen("tcp", addr)
		if err != nil {
			for _, l := range listeners {
				_ = l.Close()
			}
			return fmt.Errorf("API server cannot listen on %s: %w", addr, err)
		}
		listeners = append(listeners, lis)
	}

	gs := grpc.NewServer(opts...)
	s.register(gs)
	s.grpc, s.listeners, s.started = gs, listeners, true

	for _, lis := range listeners {
		log.Infof("API server listening on %s", lis.Addr())
		s.wg.Add(1)
		go func(lis net.Listener) {
			defer s.wg.Done()
			if err := gs.Serve(lis); err != nil &&
				!errors.Is(err, grpc.ErrServerStopped) {

				log.Errorf("API server on %s stopped: %v", lis.Addr(), err)
			}
		}(lis)
	}
	return nil
}

// register registers the services on gs.
func (s *Server) register(gs *grpc.Server) {
	apiv1.RegisterNodeServiceServer(gs, &nodeService{s: s})
	apiv1.RegisterMainchainServiceServer(gs, &mainchainService{s: s})
	apiv1.RegisterSidechainServiceServer(gs, &sidechainService{s: s})
	apiv1.RegisterWalletServiceServer(gs, &walletService{s: s})
}

// Addrs returns the addresses the server listens on, nil before Start. With
// port 0 in the configuration, they tell the port picked.
func (s *Server) Addrs() []net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	addrs := make([]net.Addr, 0, len(s.listeners))
	for _, lis := range s.listeners {
		addrs = append(addrs, lis.Addr())
	}
	return addrs
}

// Stop stops the server: it stops accepting connections, lets calls in
// progress finish for a few seconds, then closes every connection. It is
// safe to call more than once, and before Start.
func (s *Server) Stop() {
	s.mu.Lock()
	if !s.started || s.stopped {
		s.stopped = true
		s.mu.Unlock()
		return
	}
	s.stopped = true
	gs := s.grpc
	s.mu.Unlock()

	done := make(chan struct{})
	go func() {
		gs.GracefulStop()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(stopGrace):
		log.Warnf("API calls still running after %v: closing them", stopGrace)
		gs.Stop()
		<-done
	}
	s.wg.Wait()
	log.Infof("API server stopped")
}
