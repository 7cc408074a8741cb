package api

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	stdlog "log"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/grpc-ecosystem/grpc-gateway/v2/runtime"
	"github.com/grpc-ecosystem/grpc-gateway/v2/utilities"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// The REST gateway's limits on the HTTP side. The gRPC server behind it
// applies the request size limit, the page size limit and the credentials.
const (
	// restReadHeaderTimeout is how long a client may take to send a
	// request's headers.
	restReadHeaderTimeout = 10 * time.Second

	// restBodyTimeout is how long a client may take to send a request's
	// body, which is at most MaxMsgSize bytes.
	restBodyTimeout = 30 * time.Second

	// restIdleTimeout is how long an idle keep-alive connection stays
	// open.
	restIdleTimeout = 2 * time.Minute

	// restMaxHeaderBytes bounds the request line and headers, the query
	// string included.
	restMaxHeaderBytes = 64 << 10

	// restSmallBody bounds the body of a POST whose request is a few
	// fields (the wallet's writes). Only the routes in restLargeBodies
	// take up to the maximum message size.
	restSmallBody = 16 << 10
)

// restLargeBodies are the POST routes whose bodies may be as large as the
// maximum message size: those that carry a raw transaction.
var restLargeBodies = map[string]bool{
	"/v1/sidetxs": true,
}

// The flow control windows of the gateway's connection to the gRPC server:
// per stream, and for the whole connection.
const (
	restStreamWindow = 64 << 10
	restConnWindow   = 1 << 20
)

// restWriteTimeout is how long one write of a response may block on a
// client that does not read. A stream's writes each get this long, so a
// stream may last forever while its client reads, and a client that stops
// reading is cut off after it: its stream is canceled and the node holds
// nothing for it. A variable for tests.
var restWriteTimeout = 30 * time.Second

// restGateway is the REST gateway: an HTTP server whose grpc-gateway mux
// turns each request into a call to the API's own gRPC server over a
// client connection, so that the interceptors check the credential and the
// permission of every REST call as they do for gRPC calls.
type restGateway struct {
	mux       *runtime.ServeMux
	marshaler runtime.Marshaler
	tok       *tokens
	maxBody   int
	conn      *grpc.ClientConn
	http      *http.Server
	listeners []net.Listener
	tls       bool
	wg        sync.WaitGroup

	// dash is the web dashboard served under DashboardPath, nil for
	// none.
	dash WebUI
}

// listenREST listens on every REST address. It fails if any cannot be
// listened on, and then listens on none.
func listenREST(addrs []string) ([]net.Listener, error) {
	var listeners []net.Listener
	for _, addr := range addrs {
		lis, err := net.Listen("tcp", addr)
		if err != nil {
			for _, l := range listeners {
				_ = l.Close()
			}
			return nil, fmt.Errorf("REST gateway cannot listen on %s: %w", addr, err)
		}
		listeners = append(listeners, lis)
	}
	return listeners, nil
}

// newREST returns the REST gateway for listeners, which forwards to the
// gRPC server listening on grpcAddr. cert is the server's TLS certificate,
// nil with DisableTLS; the gateway serves with it and trusts exactly it when
// it dials the gRPC server. tok are the credentials the gateway checks
// before it reads anything but a request's headers. It starts nothing:
// serve does.
func (s *Server) newREST(listeners []net.Listener, grpcAddr net.Addr,
	cert *tls.Certificate, tok *tokens) (*restGateway, error) {

	conn, err := dialSelf(grpcAddr, cert)
	if err != nil {
		return nil, err
	}
	mux, marshaler, err := newRESTMux(conn)
	if err != nil {
		conn.Close()
		return nil, err
	}
	g := &restGateway{
		mux:       mux,
		marshaler: marshaler,
		tok:       tok,
		maxBody:   s.cfg.MaxMsgSize,
		conn:      conn,
		listeners: listeners,
		tls:       cert != nil,
	}
	if s.cfg.Dashboard != nil {
		dash, err := s.cfg.Dashboard(WebUIEnv{
			Gateway:      g,
			Conn:         conn,
			ReadOnly:     append([]byte(nil), tok.readOnly...),
			Authenticate: tok.authenticateHex,
		})
		if err != nil {
			conn.Close()
			return nil, fmt.Errorf("dashboard: %w", err)
		}
		g.dash = dash
	}
	g.http = &http.Server{
		Handler:           g,
		ReadHeaderTimeout: restReadHeaderTimeout,
		IdleTimeout:       restIdleTimeout,
		MaxHeaderBytes:    restMaxHeaderBytes,
		ErrorLog:          stdlog.New(httpLogWriter{}, "", 0),
	}
	// HTTP/1.1 only: a write deadline then bounds the write in progress
	// and nothing else (with HTTP/2 it would end an idle stream), and a
	// JSON control API gains nothing from HTTP/2.
	g.http.Protocols = new(http.Protocols)
	g.http.Protocols.SetHTTP1(true)
	if cert != nil {
		g.http.TLSConfig = &tls.Config{
			Certificates: []tls.Certificate{*cert},
			MinVersion:   tls.VersionTLS12,
		}
	}
	return g, nil
}

// dialSelf returns a client connection to the API's own gRPC server at
// addr, as the gateway's way in. A listener on every interface is dialed
// on 127.0.0.1. With TLS the connection accepts exactly the certificate
// the server serves, byte for byte, whatever names it holds: the gateway
// needs no host name check to know it reached its own server. The
// connection carries no credential: each REST request brings its own.
func dialSelf(addr net.Addr, cert *tls.Certificate) (*grpc.ClientConn, error) {
	target := addr.String()
	if tcp, ok := addr.(*net.TCPAddr); ok && tcp.IP.IsUnspecified() {
		target = net.JoinHostPort("127.0.0.1", fmt.Sprint(tcp.Port))
	}
	creds := insecure.NewCredentials()
	if cert != nil {
		own := cert.Certificate[0]
		creds = credentials.NewTLS(&tls.Config{
			MinVersion: tls.VersionTLS12,
			// Verification is VerifyPeerCertificate's pin below, which
			// is stricter than a chain and host name check.
			InsecureSkipVerify: true,
			VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
				if len(raw) == 0 || !bytes.Equal(raw[0], own) {
					return errors.New("the API server presented a " +
						"certificate other than its own")
				}
				return nil
			},
		})
	}
	conn, err := grpc.NewClient(target, grpc.WithTransportCredentials(creds),
		// Fixed flow control windows, without gRPC's dynamic growth
		// (up to 16 MB): a stream whose REST client stops reading
		// holds at most restStreamWindow bytes here. The connection's
		// window is replenished as data arrives, so one stalled stream
		// does not hold up the others.
		grpc.WithInitialWindowSize(restStreamWindow),
		grpc.WithInitialConnWindowSize(restConnWindow),
		grpc.WithUnaryInterceptor(invalidRequestUnary),
		grpc.WithStreamInterceptor(invalidRequestStream))
	if err != nil {
		return nil, fmt.Errorf("REST gateway: connect to the API server at %s: %w", target, err)
	}
	return conn, nil
}

// registerREST registers the gateway of every service on mux. Keep it in
// step with Server.register; TestRESTRoutes fails on a method whose HTTP
// rule leads nowhere.
func registerREST(ctx context.Context, mux *runtime.ServeMux, conn *grpc.ClientConn) error {
	for _, register := range []func(context.Context, *runtime.ServeMux, *grpc.ClientConn) error{
		apiv1.RegisterNodeServiceHandler,
		apiv1.RegisterMainchainServiceHandler,
		apiv1.RegisterSidechainServiceHandler,
		apiv1.RegisterWalletServiceHandler,
		apiv1.RegisterSubscriptionServiceHandler,
		apiv1.RegisterPegServiceHandler,
		apiv1.RegisterOperatorServiceHandler,
		apiv1.RegisterMiningServiceHandler,
		apiv1.RegisterPoolServiceHandler,
	} {
		if err := register(ctx, mux, conn); err != nil {
			return fmt.Errorf("REST gateway: %w", err)
		}
	}
	return nil
}

// restJSON is the gateway's JSON: the proto field names (tip_height), in
// responses and requests alike; zero values written out; unknown fields in
// a request refused.
var restJSON = &restMarshaler{JSONPb: runtime.JSONPb{
	MarshalOptions: protojson.MarshalOptions{
		UseProtoNames:   true,
		EmitUnpopulated: true,
	},
	UnmarshalOptions: protojson.UnmarshalOptions{
		DiscardUnknown: false,
	},
}}

// queryParserOnce installs strictQueryParser. grpc-gateway keeps the query
// parser in a package variable, so it is set once, before any gateway
// serves, rather than by every mux.
var queryParserOnce sync.Once

// newRESTMux returns the gateway's mux, forwarding to conn, and the
// marshaler it uses. opts are added to the mux's options (tests use them).
func newRESTMux(conn *grpc.ClientConn, opts ...runtime.ServeMuxOption) (*runtime.ServeMux, runtime.Marshaler, error) {
	queryParserOnce.Do(func() {
		runtime.NewServeMux(runtime.SetQueryParameterParser(strictQueryParser{}))
	})
	mux := runtime.NewServeMux(append([]runtime.ServeMuxOption{
		runtime.WithMarshalerOption(runtime.MIMEWildcard, restJSON),
		// Only the Authorization header reaches the gRPC server, as the
		// "authorization" metadata (the gateway passes that one
		// whatever the matcher says); other headers stay behind.
		runtime.WithIncomingHeaderMatcher(func(string) (string, bool) { return "", false }),
		// No turning a form POST into a GET.
		runtime.WithDisablePathLengthFallback(),
		runtime.WithRoutingErrorHandler(routingError),
		runtime.WithErrorHandler(restError),
		runtime.WithStreamErrorHandler(func(_ context.Context, err error) *status.Status {
			return status.Convert(validUTF8(err))
		}),
	}, opts...)...)
	if err := registerREST(context.Background(), mux, conn); err != nil {
		return nil, nil, err
	}
	return mux, restJSON, nil
}

// routingError answers a request that matches no binding: 404 NotFound
// for an unknown path, 405 Unimplemented for a known path with another
// HTTP method (where the gateway's default says 501).
func routingError(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler,
	w http.ResponseWriter, r *http.Request, httpStatus int) {

	var err error
	switch httpStatus {
	case http.StatusNotFound:
		err = status.Errorf(codes.NotFound, "no method at %s %s: the paths "+
			"are in proto/sidenode/api/v1/api.swagger.json", r.Method, r.URL.Path)
	case http.StatusMethodNotAllowed:
		err = status.Errorf(codes.Unimplemented, "%s takes no %s: reads "+
			"are GETs, writes are POSTs", r.URL.Path, r.Method)
	default:
		runtime.DefaultRoutingErrorHandler(ctx, mux, m, w, r, httpStatus)
		return
	}
	restError(ctx, mux, m, w, r, &runtime.HTTPStatusError{HTTPStatus: httpStatus, Err: err})
}

// restError is the gateway's standard error answer, a google.rpc.Status
// with the HTTP status of its gRPC code, with the message made valid UTF-8
// first: a decoding error may quote the bytes of a request, which protojson
// could not write, and the answer would be a bare 500.
func restError(ctx context.Context, mux *runtime.ServeMux, m runtime.Marshaler,
	w http.ResponseWriter, r *http.Request, err error) {

	runtime.DefaultHTTPErrorHandler(ctx, mux, m, w, r, validUTF8(err))
}

// validUTF8 returns err with its status message made valid UTF-8.
func validUTF8(err error) error {
	var hse *runtime.HTTPStatusError
	if errors.As(err, &hse) {
		return &runtime.HTTPStatusError{HTTPStatus: hse.HTTPStatus, Err: validUTF8(hse.Err)}
	}
	st := status.Convert(err)
	if utf8.ValidString(st.Message()) {
		return err
	}
	p := st.Proto()
	p.Message = strings.ToValidUTF8(p.Message, "\uFFFD")
	return status.ErrorProto(p)
}

// serve serves the gateway on its listeners.
func (g *restGateway) serve() {
	scheme := "http"
	if g.tls {
		scheme = "https"
	}
	for _, lis := range g.listeners {
		log.Infof("REST gateway listening on %s://%s", scheme, lis.Addr())
		g.wg.Add(1)
		go func(lis net.Listener) {
			defer g.wg.Done()
			var err error
			if g.tls {
				err = g.http.ServeTLS(lis, "", "")
			} else {
				err = g.http.Serve(lis)
			}
			if err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Errorf("REST gateway on %s stopped: %v", lis.Addr(), err)
			}
		}(lis)
	}
}

// stop stops accepting requests, lets those in progress finish for grace,
// then closes every connection, which cancels the calls they made, and
// closes the connection to the gRPC server.
func (g *restGateway) stop(grace time.Duration) {
	if g.dash != nil {
		g.dash.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := g.http.Shutdown(ctx); err != nil {
		log.Warnf("REST calls still running after %v: closing them", grace)
		_ = g.http.Close()
	}
	g.wg.Wait()
	_ = g.conn.Close()
}

// addrs returns the addresses the gateway listens on.
func (g *restGateway) addrs() []net.Addr {
	addrs := make([]net.Addr, 0, len(g.listeners))
	for _, lis := range g.listeners {
		addrs = append(addrs, lis.Addr())
	}
	return addrs
}

// RESTAddrs returns the addresses the REST gateway listens on, nil before
// Start or without RESTListeners. With port 0 in the configuration, they
// tell the port picked.
func (s *Server) RESTAddrs() []net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.rest == nil {
		return nil
	}
	return s.rest.addrs()
}

// ServeHTTP hands a path under DashboardPath to the web dashboard, which
// checks its own login (WebUI). Any other request's credential is checked
// before anything else: a request without a known one is answered 401 from
// its headers alone, whatever its path, query or body. It then refuses a path or query that
// is not UTF-8, reads the body, refusing one above the route's bound
// (bodyLimit), and hands the request to the mux with a response writer
// that bounds every write. The gRPC server checks the credential again,
// and the permission.
func (g *restGateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rw := &restWriter{ResponseWriter: w, rc: http.NewResponseController(w)}
	rw.extend()
	if g.dash != nil && isDashboardPath(r.URL.Path) {
		// The dashboard checks its own login (WebUI).
		g.dash.ServeHTTP(rw, r)
		return
	}
	if _, err := g.tok.authenticateValues(r.Header.Values("Authorization")); err != nil {
		// The body stays unread: the server closes the connection
		// rather than read it to reuse the connection.
		r.Close = r.ContentLength != 0
		runtime.HTTPError(r.Context(), g.mux, g.marshaler, rw, r, err)
		return
	}
	if err := checkUTF8(r.URL); err != nil {
		runtime.HTTPError(r.Context(), g.mux, g.marshaler, rw, r, err)
		return
	}
	if err := g.readBody(w, r); err != nil {
		runtime.HTTPError(r.Context(), g.mux, g.marshaler, rw, r, err)
		return
	}
	if r.Method == http.MethodPost && r.URL.RawQuery != "" {
		runtime.HTTPError(r.Context(), g.mux, g.marshaler, rw, r,
			status.Error(codes.InvalidArgument, "a POST takes its request "+
				"in the JSON body, not in the query string"))
		return
	}
	g.mux.ServeHTTP(rw, r)
}

// bodyLimit returns the most bytes the body of r may hold: none for a
// GET, which takes its request in the path and query; the maximum message
// size for the POSTs that carry a raw transaction (restLargeBodies);
// restSmallBody, or the maximum message size if that is smaller, for the
// other POSTs.
func (g *restGateway) bodyLimit(r *http.Request) int {
	switch {
	case r.Method != http.MethodPost:
		return 0
	case restLargeBodies[r.URL.Path]:
		return g.maxBody
	case r.URL.Path == restSubmitBlockPath:
		return max(g.maxBody, maxSubmitBlockMsg)
	}
	return min(restSmallBody, g.maxBody)
}

// readBody reads the whole body of r, at most bodyLimit bytes within
// restBodyTimeout, and puts it back in r for the mux. A larger body is
// InvalidArgument, whether its Content-Length says so or its reading finds
// out, so that no request is ever decoded from part of its body.
func (g *restGateway) readBody(w http.ResponseWriter, r *http.Request) error {
	limit := g.bodyLimit(r)
	tooLarge := status.Errorf(codes.InvalidArgument, "request body is larger "+
		"than the %d bytes %s %s takes", limit, r.Method, r.URL.Path)
	if limit == 0 {
		tooLarge = status.Errorf(codes.InvalidArgument, "%s %s takes no "+
			"request body: its request is in the path and query", r.Method, r.URL.Path)
	}
	if r.ContentLength > int64(limit) {
		r.Close = true
		return tooLarge
	}
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Now().Add(restBodyTimeout))
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, int64(limit)))
	// No deadline once the body is read: the server watches the idle
	// connection for the client going away, which cancels the request.
	_ = rc.SetReadDeadline(time.Time{})
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return tooLarge
		}
		return status.Errorf(codes.InvalidArgument, "reading the request body: %v", err)
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	return nil
}

// checkUTF8 refuses with InvalidArgument a URL whose path, or a query key
// or value, decodes to bytes that are not UTF-8: protobuf strings must be
// UTF-8, and the gateway would otherwise fail to encode the request.
func checkUTF8(u *url.URL) error {
	if !utf8.ValidString(u.Path) {
		return status.Errorf(codes.InvalidArgument, "the path %s is not "+
			"UTF-8 once decoded", u.EscapedPath())
	}
	values, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return status.Errorf(codes.InvalidArgument, "query string: %v", err)
	}
	for key, vals := range values {
		if !utf8.ValidString(key) {
			return status.Errorf(codes.InvalidArgument, "query parameter "+
				"%q is not UTF-8 once decoded", url.QueryEscape(key))
		}
		for _, v := range vals {
			if !utf8.ValidString(v) {
				return status.Errorf(codes.InvalidArgument, "query "+
					"parameter %s: the value %q is not UTF-8 once "+
					"decoded", key, url.QueryEscape(v))
			}
		}
	}
	return nil
}

// invalidRequestUnary is the gateway's client interceptor that tells a
// request the gateway could not encode (a string that is not UTF-8, which
// checkUTF8 should have refused already) from a server failure: the first
// is InvalidArgument, where grpc-go says Internal, a 500.
func invalidRequestUnary(ctx context.Context, method string, req, reply any,
	cc *grpc.ClientConn, invoker grpc.UnaryInvoker, opts ...grpc.CallOption) error {

	return invalidRequest(req, invoker(ctx, method, req, reply, cc, opts...))
}

// invalidRequestStream is invalidRequestUnary for streams: it watches the
// messages the gateway sends.
func invalidRequestStream(ctx context.Context, desc *grpc.StreamDesc, cc *grpc.ClientConn,
	method string, streamer grpc.Streamer, opts ...grpc.CallOption) (grpc.ClientStream, error) {

	cs, err := streamer(ctx, desc, cc, method, opts...)
	if err != nil {
		return nil, err
	}
	return &checkedClientStream{ClientStream: cs}, nil
}

type checkedClientStream struct {
	grpc.ClientStream
}

// SendMsg implements grpc.ClientStream.
func (s *checkedClientStream) SendMsg(m any) error {
	return invalidRequest(m, s.ClientStream.SendMsg(m))
}

// invalidRequest returns err, or InvalidArgument when err is Internal
// and req cannot be encoded.
func invalidRequest(req any, err error) error {
	if status.Code(err) != codes.Internal {
		return err
	}
	if m, ok := req.(proto.Message); ok {
		if _, merr := proto.Marshal(m); merr != nil {
			return status.Errorf(codes.InvalidArgument, "invalid request: %v", merr)
		}
	}
	return err
}

// restWriter gives every write of a response restWriteTimeout to complete.
// The gateway writes a stream's messages one at a time, flushing each, and
// receives the next from the gRPC server only once the last is written, so
// a client that reads slowly holds back the gRPC stream by its flow
// control, and one that stops reading fails the write and ends the call.
type restWriter struct {
	http.ResponseWriter
	rc *http.ResponseController
}

func (w *restWriter) extend() {
	_ = w.rc.SetWriteDeadline(time.Now().Add(restWriteTimeout))
}

// Write writes p within restWriteTimeout.
func (w *restWriter) Write(p []byte) (int, error) {
	w.extend()
	return w.ResponseWriter.Write(p)
}

// FlushError flushes within restWriteTimeout; http.ResponseController,
// which the gateway flushes streams with, calls it.
func (w *restWriter) FlushError() error {
	w.extend()
	return w.rc.Flush()
}

// Flush implements http.Flusher.
func (w *restWriter) Flush() { _ = w.FlushError() }

// Unwrap returns the underlying writer, for http.ResponseController.
func (w *restWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// restMarshaler is runtime.JSONPb with a strict request decoder: one JSON
// object, the whole body, nothing after it. (JSONPb's own decoder reads
// the first JSON value and ignores what follows.)
type restMarshaler struct {
	runtime.JSONPb
}

// NewDecoder returns a decoder that reads all of r as one message. An
// empty body is io.EOF, which the gateway takes as an empty request.
func (m *restMarshaler) NewDecoder(r io.Reader) runtime.Decoder {
	return runtime.DecoderFunc(func(v any) error {
		data, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		if len(bytes.TrimSpace(data)) == 0 {
			return io.EOF
		}
		if msg, ok := v.(proto.Message); ok {
			return jsonError(m.UnmarshalOptions.Unmarshal(data, msg))
		}
		return jsonError(m.JSONPb.Unmarshal(data, v))
	})
}

// queryMapKey matches a query key that names a map entry, field[key], as
// grpc-gateway's query parser reads it.
var queryMapKey = regexp.MustCompile(`^(.*)\[(.*)\]$`)

// strictQueryParser is grpc-gateway's query parser, except that it refuses
// a parameter that names no field of the request (?limt=5), which the
// default parser ignores.
type strictQueryParser struct {
	runtime.DefaultQueryParser
}

// Parse checks every key of values, then populates msg as the default
// parser does. Keys that filter holds (the path parameters) are skipped.
func (p strictQueryParser) Parse(msg proto.Message, values url.Values, filter *utilities.DoubleArray) error {
	if filter == nil {
		filter = utilities.NewDoubleArray(nil)
	}
	md := msg.ProtoReflect().Descriptor()
	for key := range values {
		name := key
		if m := queryMapKey.FindStringSubmatch(key); m != nil {
			name = m[1]
		}
		path := strings.Split(name, ".")
		fields, ok := queryFieldPath(md, path)
		if ok && filter.HasCommonPrefix(fields) || !ok && filter.HasCommonPrefix(path) {
			continue
		}
		if !ok {
			return fmt.Errorf("unknown query parameter %q: %s has no such field",
				key, md.FullName())
		}
	}
	return p.DefaultQueryParser.Parse(msg, values, filter)
}

// queryFieldPath resolves a dotted query key, by proto or JSON field
// names, to the proto names of its fields, and reports whether it names a
// field of md.
func queryFieldPath(md protoreflect.MessageDescriptor, path []string) ([]string, bool) {
	names := make([]string, 0, len(path))
	for i, elem := range path {
		fd := md.Fields().ByTextName(elem)
		if fd == nil {
			fd = md.Fields().ByJSONName(elem)
		}
		if fd == nil {
			return nil, false
		}
		names = append(names, string(fd.Name()))
		if i < len(path)-1 {
			if fd.Message() == nil || fd.IsList() || fd.IsMap() {
				return nil, false
			}
			md = fd.Message()
		}
	}
	return names, true
}

// httpLogWriter sends the HTTP server's own messages to the package's log:
// a panic in a handler as an error, the rest (TLS handshake errors of
// clients that hang up) at debug level.
type httpLogWriter struct{}

func (httpLogWriter) Write(p []byte) (int, error) {
	msg := strings.TrimSpace(string(p))
	if strings.Contains(msg, "panic") {
		log.Errorf("REST gateway: %s", msg)
	} else {
		log.Debugf("REST gateway: %s", msg)
	}
	return len(p), nil
}
