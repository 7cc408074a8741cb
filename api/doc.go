// Package api serves the sidenode's control API over gRPC: the services of
// proto/sidenode/api/v1 (NodeService, MainchainService, SidechainService,
// WalletService), on
// top of a Backend that the node implements. It also holds the client side
// of the same security model (Dial, ReadCredential), which the sidenode
// binary's client commands use.
//
// # How the parts fit
//
// New checks a Config and returns a Server; Start creates the files that
// are missing, listens and serves; Stop stops. The server never reads the
// node's state itself: each service calls one small interface
// (NodeBackend, MainchainBackend, SidechainBackend, WalletBackend;
// together Backend) with plain Go types defined here (Info, Ticket,
// Winner, SideBlock, ...). The services
// check requests, convert between those types and the protobuf messages,
// and turn backend errors into gRPC codes: an *Error carries an ErrorCode
// (ErrNotFound → NotFound, ErrInvalidArgument → InvalidArgument,
// ErrNoWallet, ErrWalletLocked and ErrFailedPrecondition →
// FailedPrecondition, ErrUnavailable → Unavailable, ErrUnimplemented →
// Unimplemented); any other error is logged and reported as Internal.
//
// # Conventions
//
// Hashes and transaction ids are hex strings in display order (byte-
// reversed, as Bitcoin shows block and transaction ids), in requests and
// responses; an outpoint is "txid:vout". A malformed one is rejected with
// InvalidArgument and a message that names the field. Weights, which need
// more than 64 bits, are decimal strings. Every list method is paginated
// with offset, limit and reversed, and answers with the page and the
// total. The API reports the sync state of the node and of its mainchain
// backend instead of waiting for it.
//
// Mainchain fee rates are in sat/vB; sidechain fee rates are in sat/kB
// (fee_rate_sat_kb), witnesses counted in full, as the sidechain's
// mempool and block size count them. Sidechain addresses are decoded by
// the backend for its network; the server only refuses an empty one.
// A transaction the sidechain's mempool refuses is InvalidArgument when
// it can never enter and FailedPrecondition when it cannot enter now, and
// the message starts with the sideblock rule's name ("ErrMempoolLowFee:
// ..."), so that clients can branch on it without parsing prose.
//
// # Security model
//
// Transport: TLS is on by default. On first start the server generates a
// self-signed ECDSA certificate and key (btcutil.NewTLSCertPair), valid for
// localhost, 127.0.0.1, ::1, the host name and interface addresses, and the
// hosts of the listen addresses, and writes them to tls.cert (0644) and
// tls.key (0600) in the node's network data dir. Later starts reuse them; a
// pair is generated again only when either file is missing (delete both to
// rotate). Clients trust that certificate alone. DisableTLS serves in the
// clear, and is refused unless every listener is a loopback address.
// Listeners on addresses that are not loopback are refused unless
// AllowRemote is set.
//
// Authentication: on first start the server writes two random 32-byte
// credentials, hex, to admin.cred and readonly.cred (mode 0600) in the same
// dir, and reuses them afterwards (delete a file and restart to rotate it).
// A client sends one with every call as the gRPC metadata
// "authorization: Bearer <hex>". The server compares it with both
// credentials in constant time. No credential, a malformed one, or an
// unknown one is Unauthenticated.
//
// Authorization: the permission map (Permissions) gives each method, by
// its full gRPC name ("/sidenode.api.v1.WalletService/CreateStake"), an
// entity:action pair, as lnd's rpcserver.go does. The admin credential may
// call every method; the read-only credential only methods whose action is
// read, and gets PermissionDenied on the others. A method that has no entry
// in the map is refused with PermissionDenied, whatever the credential, and
// TestPermissionsComplete walks the services of the generated code and
// fails on any method missing from the map. Unary and stream interceptors
// enforce all of this before any handler runs.
//
// The two credentials are equivalent to lnd's admin.macaroon and
// readonly.macaroon without caveats: bearer secrets that grant all methods,
// or all read methods, for as long as the file exists. Unlike macaroons
// they cannot be attenuated (no caveats, no expiry, no per-entity scoping)
// and cannot be baked for other permissions; the entity in the map is kept
// so that scoped credentials can come later without touching the methods.
//
// # Limits
//
// A request larger than MaxMsgSize (1 MiB by default) is rejected with
// ResourceExhausted before it is decoded. A list request whose limit is
// above MaxPageSize (1000 by default) is rejected with InvalidArgument,
// never clamped silently; a limit of 0 takes DefaultPageSize (100). GetInfo
// lists at most 100 of the node's own ticket ids, with their count;
// ListStakes pages through all of them. Fields a request carries that the
// server does not know are ignored, as protobuf's binary decoding does: a
// client built against a newer proto talks to an older server, but must
// not count on new request fields being honoured.
//
// # Adding a method
//
//  1. Declare it in proto/sidenode/api/v1/*.proto (buf STANDARD lint:
//     FooRequest and FooResponse messages; paginate any list from the
//     start), and run scripts/proto to lint and regenerate the Go code.
//  2. Add its full name to the permission map in permissions.go with its
//     entity and action (read if it only reports state, write otherwise).
//     TestPermissionsComplete fails until you do, and the server refuses
//     the method meanwhile.
//  3. Add what it needs from the node to the Backend interface of its
//     service, with plain result types in backend.go, and implement it in
//     the node and in apitest.Backend.
//  4. Implement the handler in services.go: check the request, call the
//     backend, convert, and map errors with toStatus. Add the call to the
//     allCalls table of server_test.go, which checks the credentials
//     against every method.
//  5. For a client command, add it to cmd/sidenode/client.go.
//
// A new service also needs a line in Server.register;
// TestServerServesEveryService fails until it has one.
//
// The package logs under the subsystem tag RPCS; the node hands it its
// logger with UseLogger.
package api
