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
	"google.golang.org/grpc/keepalive"

	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// The server pings a connection that has been silent for keepaliveTime
// and closes it when no answer comes within keepaliveTimeout, so that a
// client that vanished without closing its connection does not hold a
// stream until TCP gives up.
const (
	keepaliveTime    = 2 * time.Minute
	keepaliveTimeout = 20 * time.Second
)

// stopGrace is how long Stop lets calls in progress finish before it
// closes their connections.
const stopGrace = 5 * time.Second

// Server is the node's gRPC API server and its REST gateway. Create it
// with New, then Start it; Stop stops it.
type Server struct {
	cfg     Config
	backend Backend

	mu        sync.Mutex
	started   bool
	stopped   bool
	grpc      *grpc.Server
	listeners []net.Listener
	rest      *restGateway // nil without RESTListeners
	subs      subscriptions
	polls     subscriptions // GetBlockTemplate's long polls
	wg        sync.WaitGroup
}

// New checks cfg and returns a server for backend. It touches neither the
// disk nor the network: Start does.
func New(cfg Config, b Backend) (*Server, error) {
	if b == nil {
		return nil, fmt.Errorf("%w: no backend", ErrConfig)
	}
	cfg.Listeners = append([]string(nil), cfg.Listeners...)
	cfg.RESTListeners = append([]string(nil), cfg.RESTListeners...)
	if err := cfg.check(); err != nil {
		return nil, err
	}
	return &Server{cfg: cfg, backend: b, polls: subscriptions{max: MaxLongPolls,
		reserved: AdminLongPolls, what: "long polls"}}, nil
}

// Start prepares the TLS certificate and the credential files (creating
// those that are missing), listens on every configured address, gRPC and
// REST, and serves. It fails if any address cannot be listened on, a port
// already taken included, and then listens on none.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.stopped {
		return errors.New("API server already started or stopped")
	}

	tok, err := loadOrCreateCredentials(s.cfg.AdminCredPath, s.cfg.ReadOnlyCredPath)
	if tok != nil {
		tok.waitingForWallet = s.cfg.WaitingForWallet
	}
	if err != nil {
		return err
	}

	codec := newRequestCodec()
	opts := []grpc.ServerOption{
		grpc.ForceServerCodecV2(codec),
		grpc.MaxRecvMsgSize(transportSlack * s.cfg.MaxMsgSize),
		grpc.KeepaliveParams(keepalive.ServerParameters{
			Time:    keepaliveTime,
			Timeout: keepaliveTimeout,
		}),
		grpc.ChainUnaryInterceptor(decodedUnary(codec, tok), tok.unaryInterceptor, s.checkUnary),
		grpc.ChainStreamInterceptor(tok.streamInterceptor, s.checkStream(codec)),
	}
	var tlsCert *tls.Certificate // the REST gateway's too
	if s.cfg.DisableTLS {
		log.Warnf("API TLS is disabled: serving in the clear on loopback only")
		opts = append(opts, grpc.Creds(insecure.NewCredentials()))
	} else {
		cert, err := loadOrCreateCert(s.cfg.TLSCertPath, s.cfg.TLSKeyPath,
			listenHosts(append(append([]string(nil), s.cfg.Listeners...),
				s.cfg.RESTListeners...)))
		if err != nil {
			return err
		}
		tlsCert = &cert
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
	closeAll := func() {
		for _, l := range listeners {
			_ = l.Close()
		}
	}
	var rest *restGateway
	if len(s.cfg.RESTListeners) > 0 {
		restListeners, err := listenREST(s.cfg.RESTListeners)
		if err != nil {
			closeAll()
			return err
		}
		rest, err = s.newREST(restListeners, listeners[0].Addr(), tlsCert, tok)
		if err != nil {
			listeners = append(listeners, restListeners...)
			closeAll()
			return err
		}
	}

	gs := grpc.NewServer(opts...)
	s.register(gs)
	registerReflection(gs)
	s.grpc, s.listeners, s.rest, s.started = gs, listeners, rest, true

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
	if rest != nil {
		rest.serve()
	}
	return nil
}

// register registers the services on gs.
func (s *Server) register(gs *grpc.Server) {
	apiv1.RegisterNodeServiceServer(gs, &nodeService{s: s})
	apiv1.RegisterMainchainServiceServer(gs, &mainchainService{s: s})
	apiv1.RegisterSidechainServiceServer(gs, &sidechainService{s: s})
	apiv1.RegisterWalletServiceServer(gs, &walletService{s: s})
	apiv1.RegisterSubscriptionServiceServer(gs, &subscriptionService{s: s})
	apiv1.RegisterPegServiceServer(gs, &pegService{s: s})
	apiv1.RegisterOperatorServiceServer(gs, &operatorService{s: s})
	apiv1.RegisterMiningServiceServer(gs, &miningService{s: s})
	apiv1.RegisterPoolServiceServer(gs, &poolService{s: s})
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

// Stop stops the server and its REST gateway: it stops accepting
// connections, lets calls in progress finish for a few seconds, then
// closes every connection. It is safe to call more than once, and before
// Start.
func (s *Server) Stop() {
	s.mu.Lock()
	if !s.started || s.stopped {
		s.stopped = true
		s.mu.Unlock()
		return
	}
	s.stopped = true
	gs, rest := s.grpc, s.rest
	s.mu.Unlock()
	// Subscription streams never end by themselves: end them first, or
	// the graceful stop would wait for them.
	s.subs.stop()
	s.polls.stop()

	// The gateway stops alongside the gRPC server, whose graceful stop
	// waits for the gateway's calls.
	var restStopped sync.WaitGroup
	if rest != nil {
		restStopped.Add(1)
		go func() {
			defer restStopped.Done()
			rest.stop(stopGrace)
		}()
	}
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
	restStopped.Wait()
	s.wg.Wait()
	log.Infof("API server stopped")
}
