// Package api serves the sidenode's control API over gRPC, and as JSON over
// HTTP through a REST gateway: the services of proto/sidenode/api/v1
// (NodeService, MainchainService, SidechainService, WalletService,
// SubscriptionService, PegService, OperatorService, MiningService, PoolService), on top of a Backend that the node
// implements. It also holds the client side of the same security model
// (Dial, ReadCredential), which sidecli, the client (package cli), uses.
//
// # How the parts fit
//
// New checks a Config and returns a Server; Start creates the files that
// are missing, listens and serves; Stop stops. The server never reads the
// node's state itself: each service calls one small interface
// (NodeBackend, MainchainBackend, SidechainBackend, WalletBackend,
// SubscriptionBackend, PegBackend, PeerBackend, OperatorBackend,
// MiningBackend, PoolBackend, ...; together Backend) with plain Go types
// defined here (Info, Ticket, Winner, SideBlock, ...). The services
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
// # Types
//
// One type per concept, in every message, so that a JSON client reads
// the same JSON type for it everywhere (protojson writes a 64-bit integer
// as a string and a 32-bit one as a number):
//
//   - heights, depths, confirmation counts and counts of blocks are int32,
//     JSON numbers (as btcd's heights; a sidechain height is below the
//     mainchain's, so it fits);
//   - amounts are int64 satoshis named *_sat, JSON strings (as lnd writes
//     its amounts);
//   - fee rates are int64 sat/vB, named *_sat_vb.
//
// Fields from before the rule keep their type, since buf breaking (FILE)
// forbids changing it: a 64-bit height is deprecated and has an int32
// twin next to it (SidechainState.tip_height and height,
// GetBlockResponse.confirmations and num_confirmations, ...). The server
// fills both: the services set the twin, and the interceptors copy it
// into the deprecated field of every message sent (twins.go); in a
// request (a stream's cursor) either may be given, and both only if they
// are equal. A few uint32 heights and block counts stay as they are (a
// JSON number as well), a 64-bit height that is only ever in a request
// (GetBlockRequest.height) too, since protojson reads a number as well as
// a string there, and the sidechain's sat/kB fee rates stay beside their
// sat/vB twins. TestFieldTypes walks every field of every message and
// fails on a field named like a height, depth, confirmation count,
// amount or fee rate that breaks the rule and is not in one of those
// commented lists.
//
// Enum values: gRPC carries their numbers and the REST gateway their full
// names (WITHDRAWAL_STAGE_PAID), as the OpenAPI document lists them;
// sidecli prints them as the README's lower-case words ("paid", "banned",
// "body_staged"): the name without the enum's prefix (MarshalJSON,
// EnumWords).
//
// Fee rates are in sat/vB on both chains (fee_rate_sat_vb). On the
// sidechain witnesses count in full, as its mempool and block size count
// them, so a vB is a byte and 1 sat/vB is 1,000 sat/kB; the older
// fee_rate_sat_kb fields, in the mempool's own unit, stay beside them. Sidechain addresses are decoded by
// the backend for its network; the server only refuses an empty one.
// A transaction the sidechain's mempool refuses is InvalidArgument when
// it can never enter and FailedPrecondition when it cannot enter now.
//
// # Error messages
//
// A status message is in the user's terms: it names the request field as
// the user wrote it (the JSON name, amount_sat), with its unit, says which
// chain an id or address belongs to, and what to do next where there is a
// next step. It never holds a Go error identifier, a library's message
// (strconv, encoding/hex, protojson's "proto:") or a package prefix. The
// backend may start a description with a rule's name ("ErrMempoolLowFee:
// pays 10 sat/kB"); toStatus moves the name into a google.rpc.ErrorInfo
// detail (domain ErrorDomain, "sidenode.api.v1"; reason, the rule's name
// as docs/protocol.md spells it), so that clients branch on the reason
// without parsing prose, and spells out any other rule's name in words
// ("mempool low fee"). Over REST the detail is in the status object's
// details. TestErrorsInUserTerms sends a table of bad requests and scans
// every message for Go's terms.
//
// Confirmations: min_conf 0 means 0 confirmations (as bitcoind's
// getbalance has it): GetBalance and ListCoins then count the change of
// the wallet's unconfirmed transactions. The seed methods
// (ChangePassphrase, BackupSeed) are admin's alone: the read-only
// credential may not call them, though BackupSeed writes nothing.
//
// A node that waits for its wallet (started with --wallet.waitunlock)
// serves with Config.WaitingForWallet: after the credential and permission
// checks, the interceptors refuse every method but CreateWallet and
// UnlockWallet with FailedPrecondition, before the backend sees it, as
// lnd's WalletUnlocker serves alone until the wallet is unlocked.
//
// # Subscriptions
//
// SubscriptionService has two server-streaming methods:
// SubscribeSideblocks follows the best sidechain, SubscribeLottery the
// mainchain's draws; PegService.SubscribeDeposits follows the mainchain
// as SubscribeLottery does, with the deposits each block made, and
// PegService.SubscribeWithdrawals the best sidechain as
// SubscribeSideblocks does, with the withdrawals each sideblock holds
// (they are in PegService because their messages hold PegService's
// Deposit and Withdrawal), and WalletService.SubscribeWalletTransactions
// the mainchain as SubscribeDeposits does, with the wallet's transactions
// each block confirms, read from the wallet's history (serveStream runs
// every stream, each with its own chain walk and messages). All send the current state first (the tip), then
// events: "connected" for a block that joined the best chain, on top of
// the previous event's block, and "disconnected" for one that left it,
// the tip first, whose parent is then the position. A client that applies
// the events in order to its cursor has the node's best chain, and the
// last event's block is its cursor.
//
// Cursor: a request may name the last block the client saw, by height and
// hash (in display order). The stream then starts from it: if that block
// is still on the best chain, with the blocks after it; if not, with a
// disconnected event for it and each of its ancestors down to the fork
// point, then the blocks of the new branch. The sidechain cursor of 64
// zeros at height 0 (the parent of the first block) replays the whole
// chain; the lottery's genesis block replays every draw. Without a cursor
// the stream starts at the tip and sends only what changes. A malformed
// cursor is InvalidArgument (the message names cursor.hash or
// cursor.height), and so is a known block at another height; a block the
// node does not know is NotFound, before any message. To walk back from a
// block that left the best chain, the node uses its sidechain index (which
// keeps the headers of side branches), the staged bodies, and an in-memory
// log of the blocks it undid since it started (mainchain blocks, and the
// sideblocks whose publication they carried); so a stale cursor from
// before a restart may be NotFound, and the client then subscribes again
// without one.
//
// NodeService.SubscribeAlarms is the one stream that follows no chain:
// it sends the alarms that hold (a state message), then each alarm raised
// or cleared (changed), read a page at a time from the alarm monitor's
// event log (the newest 256 events) with the same loop and admission as
// the chain streams (alarms.go); a stream that fell behind the log is
// sent the state again.
//
// Memory: no stream has a queue. Each runs one loop: it reads at most a
// page (100 events) from the node's state, from its own position and in
// one consistent snapshot (SideBlocksAfter, DrawsAfter), sends the page
// with Send, which gRPC's flow control blocks while the client does not
// read, and reads the next page only then; once it has caught up it waits
// on Changed, a channel that the node closes and replaces at every change
// of its chains. So a slow client costs the server at most a page and
// gRPC's per-stream buffers, a client that is gone ends the loop (its
// context is done), and a client that fell behind resumes from where it
// got to. The server serves at most MaxStreams (256) streams at once and
// refuses more with ResourceExhausted; the read-only credential may hold
// at most MaxStreams - AdminStreams (224) of them, so that AdminStreams
// (32) are always left for admin. Stop ends them with Unavailable.
//
// # Mining
//
// MiningService serves the miners of a pow network (mining.go):
// GetBlockTemplate gives getblocktemplate's fields, with the node's
// coinbase (coinbase_txn) whose extranonce bytes are the only ones a
// miner changes, and the withdrawal root and the coinbase's merkle branch
// that the header's merkle root needs (docs/protocol.md §12.5);
// SubmitBlock answers a refused block with accepted false, BIP22's reason
// and the rule's code, and bytes that are no block with InvalidArgument;
// GetMiningInfo reports the difficulty, the schedule and the hashrate. On
// a network of another engine the backend refuses them with
// FailedPrecondition. A GetBlockTemplate with the current template's
// long_poll_id waits for the next template; such long polls are admitted
// as streams are, from a pool of their own: at most MaxLongPolls (64) at
// once, of which the read-only credential may hold MaxLongPolls -
// AdminLongPolls (48), more being ResourceExhausted. A long poll ends
// when its client goes (its context), and Stop ends it with Unavailable.
// A template lists all its transactions, unpaginated: a miner needs
// every one, and the block's size bounds them. The SubmitBlock request may
// be as large as a block in hex (2,001,024
// bytes) when MaxMsgSize is smaller, within the transport's four times
// MaxMsgSize.
//
// # Pool
//
// PoolService reports the node's mining pool (pool.go), read-only:
// GetPoolStats (connections, hashrate, shares and rejects by Stratum code
// in a ShareRejects whose total the server adds up, blocks by status,
// owed and paid, the audit's verdict), and the paged ListPoolWorkers (by
// name; a worker field selects one, NotFound if unknown, InvalidArgument
// past MaxWorkerName bytes), ListPoolBlocks, GetPoolAudit and
// ListPoolPayouts, oldest first. A node without a pool answers them
// FailedPrecondition.
//
// # Security model
//
// Transport: TLS is on by default. On first start the server generates a
// self-signed ECDSA certificate and key on P-256 (which web browsers accept,
// unlike btcutil.NewTLSCertPair's P-521; a P-521 pair from an older node is
// still served, with a warning that the dashboard needs a new one), valid for
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
// gRPC server reflection (grpc.reflection.v1 and v1alpha) is served beside
// the API, so that grpcurl and other generic clients need no .proto
// files. Either credential may use it: it describes the schema, which is
// public in the source, and nothing of the node's state; a call without a
// credential is refused as any other. Its methods are not in the
// permission map, which lists the API's own methods, but in
// reflectionPermissions, which the interceptors read as well.
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
// A request whose bytes are no protobuf message of the method's request
// type (a string that is not UTF-8, a truncated field) is refused with
// InvalidArgument, after the credential and permission checks, where
// grpc-go alone would answer Internal: the server's codec records the
// decoding error for the interceptors rather than return it (codec.go).
//
// A request larger than MaxMsgSize (1 MiB by default) is refused with
// InvalidArgument, naming its size. The transport reads at most four times
// MaxMsgSize: a message declared larger than that is refused by grpc-go
// itself with ResourceExhausted, from its length prefix, before a byte of
// it is read. A list request whose limit is above MaxPageSize (1000 by
// default) is refused with InvalidArgument, never clamped silently; a
// limit of 0 takes DefaultPageSize (100). GetInfo lists at most 100 of the
// node's own ticket ids, with their count; ListStakes pages through all of
// them. A request that carries a field the server does not know, at any
// depth, is refused with InvalidArgument naming the field number: a client
// built against a newer proto must not have an option it set dropped
// silently by an older server. The server pings a connection silent for
// two minutes and closes it if no answer comes within 20 seconds, so a
// vanished client does not hold a stream.
//
// # REST gateway
//
// Start also serves every method as JSON over HTTP(S) on RESTListeners
// (the node's --api.restlisten, by default 127.0.0.1 at the network's
// REST port: mainnet 8561, testnet3 18571, signet 38561, regtest 18561,
// simnet 18591, the gRPC port plus one; --api.norest turns it off). The
// gateway is grpc-gateway v2, generated from the HTTP rules of
// proto/sidenode/api/v1/api_rest.yaml (a google.api.Service file, so the
// .proto files carry no annotations); the OpenAPI document of every path
// is generated next to it, api.swagger.json. Reads are GETs whose request
// fields are path segments or query parameters, writes are POSTs whose
// JSON body is the whole request:
//
//	GET  /v1/info                                NodeService.GetInfo
//	GET  /v1/statehash/{height}                  NodeService.GetStateHash
//	POST /v1/stop                                OperatorService.StopDaemon
//	GET  /v1/debuglevel, POST /v1/debuglevel     OperatorService.GetDebugLevel, SetDebugLevel
//	GET  /v1/peers                               OperatorService.ListPeers
//	POST /v1/peers/connect, /v1/peers/disconnect OperatorService.ConnectPeer, DisconnectPeer
//	GET  /v1/peers/bans                          NodeService.ListBans
//	GET  /v1/alarms                              NodeService.ListAlarms
//	POST /v1/peers/bans                          NodeService.BanPeer
//	POST /v1/peers/unban                         NodeService.UnbanPeer
//	GET  /v1/tickets?offset=&limit=&reversed=    MainchainService.ListTickets
//	GET  /v1/winner/{height}                     MainchainService.GetWinner
//	GET  /v1/publication/{height}                MainchainService.GetPublication
//	GET  /v1/publications, /v1/missedslots       MainchainService.ListPublications, ListMissedSlots
//	GET  /v1/maintxs/{txid}                      MainchainService.GetMainTransaction
//	GET  /v1/sideblocks/{hash}                   SidechainService.GetBlock
//	GET  /v1/sideblocks/height/{height}          SidechainService.GetBlock
//	GET  /v1/sidetxs/{txid}                      SidechainService.GetTransaction
//	GET  /v1/confirmations/{id}                  SidechainService.GetConfirmations
//	GET  /v1/confirmations/height/{height}       SidechainService.GetConfirmations
//	POST /v1/sidetxs                             SidechainService.SendRawTransaction
//	GET  /v1/sideaddresses/{address}/utxos       SidechainService.ListUnspent
//	GET  /v1/sideaddresses/{address}/balance     SidechainService.GetAddressBalance
//	GET  /v1/sideaddresses/{address}/history     SidechainService.GetAddressHistory
//	GET  /v1/sidefee                             SidechainService.EstimateFee
//	POST /v1/wallet/address                      WalletService.NewAddress
//	GET  /v1/wallet/balance?min_conf=            WalletService.GetBalance
//	POST /v1/wallet/stakes                       WalletService.CreateStake
//	GET  /v1/wallet/stakes                       WalletService.ListStakes
//	POST /v1/wallet/stakes/withdraw              WalletService.WithdrawStake
//	POST /v1/wallet/stakes/renew                 WalletService.RenewStake
//	POST /v1/wallet/stakes/topup                 WalletService.TopUpStake
//	GET  /v1/wallet/sideaddress, /sidebalance    WalletService.GetSideAddress, GetSideBalance
//	POST /v1/wallet/sidesend                     WalletService.SendSide
//	POST /v1/wallet/pegin                        WalletService.PegIn
//	POST /v1/wallet/pegout                       WalletService.PegOut
//	POST /v1/wallet/send                         WalletService.SendMain
//	GET  /v1/wallet/coins?min_conf=              WalletService.ListCoins
//	GET  /v1/wallet/transactions                 WalletService.ListWalletTransactions
//	GET  /v1/wallet/transactions/{txid}          WalletService.GetWalletTransaction
//	POST /v1/wallet/bumpfee                      WalletService.BumpFee
//	POST /v1/wallet/changepassphrase             WalletService.ChangePassphrase
//	POST /v1/wallet/backupseed                   WalletService.BackupSeed
//	POST /v1/wallet/create, /v1/wallet/unlock    WalletService.CreateWallet, UnlockWallet
//	GET  /v1/wallet/sidetransactions?blocks=     WalletService.ListSideTransactions
//	GET  /v1/peg                                 PegService.GetPegInfo
//	GET  /v1/peg/deposits, /v1/peg/refused       PegService.ListDeposits, ListRefusedDeposits
//	GET  /v1/peg/coins                           PegService.ListPegboxCoins
//	GET  /v1/peg/deposits/{txid}                 PegService.GetDeposit
//	GET  /v1/peg/outpoints/{outpoint}            PegService.GetDeposit
//	GET  /v1/peg/withdrawals/{outpoint}          PegService.GetWithdrawal
//	GET  /v1/peg/payouts/{txid}                  PegService.VerifyPayout
//	GET  /v1/peg/verifypayout?txid=&raw_tx_hex=  PegService.VerifyPayout
//	GET  /v1/subscribe/sideblocks?cursor.height=&cursor.hash=   SubscriptionService.SubscribeSideblocks
//	GET  /v1/subscribe/lottery?cursor.height=&cursor.hash=      SubscriptionService.SubscribeLottery
//	GET  /v1/subscribe/deposits?cursor.height=&cursor.hash=     PegService.SubscribeDeposits
//	GET  /v1/subscribe/withdrawals?cursor.height=&cursor.hash=  PegService.SubscribeWithdrawals
//	GET  /v1/subscribe/wallet?cursor.height=&cursor.hash=       WalletService.SubscribeWalletTransactions
//	GET  /v1/subscribe/alarms                                   NodeService.SubscribeAlarms
//	GET  /v1/mining/template?long_poll_id=       MiningService.GetBlockTemplate
//	POST /v1/mining/submit                       MiningService.SubmitBlock
//	GET  /v1/mining/info?recent_blocks=          MiningService.GetMiningInfo
//	GET  /v1/pool/stats                          PoolService.GetPoolStats
//	GET  /v1/pool/workers?worker=&offset=&limit=&reversed=   PoolService.ListPoolWorkers
//	GET  /v1/pool/blocks?offset=&limit=&reversed=            PoolService.ListPoolBlocks
//	GET  /v1/pool/audit?offset=&limit=&reversed=             PoolService.GetPoolAudit
//	GET  /v1/pool/payouts?offset=&limit=&reversed=           PoolService.ListPoolPayouts
//
// The gateway forwards each request over a gRPC client connection to the
// server's first gRPC listener (127.0.0.1 for a listener on every
// interface), over TLS that accepts exactly the server's own certificate,
// so the interceptors check every REST call as they check gRPC calls: the
// header "Authorization: Bearer <hex>" is the gRPC "authorization"
// metadata (the gateway forwards no other header), and a call without a
// credential, or a write with the read-only one, is refused. The REST
// listeners follow the gRPC listeners' rules: TLS with the same
// certificate unless DisableTLS, loopback unless AllowRemote, a port of
// their own; a port that cannot be listened on makes Start fail.
//
// The gateway checks the Authorization header before anything else: a
// request without a known credential is answered 401 (Unauthenticated)
// from its headers alone, whatever its path, query or body, of which it
// reads nothing (the connection is then closed). The gRPC server checks
// the credential again, and the permission.
//
// JSON is protojson with the proto field names (tip_height), in responses
// and requests; zero values are written; 64-bit integers are strings;
// hashes are hex strings as over gRPC. A request is strict: a body that is
// not one JSON object of the request's fields (unknown fields, trailing
// data, wrong types), an unknown query parameter, and a path or query
// that is not UTF-8 once decoded are InvalidArgument, as is a body larger
// than its route takes, refused whole before decoding (with or without a
// Content-Length): a GET takes no body, POST /v1/sidetxs (a raw
// transaction) takes MaxMsgSize bytes, POST /v1/mining/submit (a block in
// hex) the larger of MaxMsgSize and 2,001,024 bytes, the other POSTs 16 KiB. A request
// the gateway cannot encode for the gRPC server is InvalidArgument too,
// never Internal: a malformed request is a 4xx, never a 5xx. Errors are google.rpc.Status objects,
// {"code": 3, "message": ..., "details": []}, with the HTTP status of the
// gRPC code as grpc-gateway maps it: InvalidArgument and
// FailedPrecondition 400, Unauthenticated 401, PermissionDenied 403,
// NotFound 404, ResourceExhausted 429, Unimplemented 501 (405 for a known
// path with another HTTP method), Unavailable 503, Internal 500.
//
// A server-streaming method answers with one JSON object per line,
// {"result": <response>}, and a last {"error": <status>} when the stream
// fails after it started. The gateway writes each message, flushed,
// before it receives the next, over fixed gRPC flow control windows, so a
// client that reads slowly slows its own stream down and the server holds
// a bounded amount for it; a write that blocks for 30 seconds ends the
// call, and so does a client that hangs up: the gRPC stream is canceled.
// The HTTP server serves HTTP/1.1, with a header timeout, a body timeout
// and an idle timeout, and Stop stops it with the gRPC server.
//
// # Web dashboard
//
// With Config.Dashboard set, the REST gateway also serves a web
// application under DashboardPath (/dashboard/), on the same listeners and
// TLS (package dashboard; node/ passes its constructor). Browsers cannot
// send the bearer credential with a page load, so the gateway hands those
// paths to the application without its credential check, and the
// application keeps its own login: it checks a typed credential with
// WebUIEnv.Authenticate and reads the API only through the gateway and a
// gRPC connection to the server, with the read-only credential, so the
// interceptors check each of its calls as any client's. Close ends its
// long-lived requests before the gateway stops.
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
//  5. Give it an HTTP rule in proto/sidenode/api/v1/api_rest.yaml (a GET
//     for a read, a POST with body "*" for a write) and run scripts/proto;
//     TestRESTRulesComplete fails until you do. Add a request to the
//     restCalls table of rest_test.go, which checks the credentials over
//     REST, and a new .proto file to api_openapi.yaml.
//  6. For a client command, add it to the cli package (sidecli), in the
//     file of its group, and to the tables of cli/badinput_test.go.
//
// A new service also needs a line in Server.register, and one in
// registerREST for its gateway; TestServerServesEveryService and
// TestRESTRoutes fail until it has them. A streaming method follows
// subscription.go: a loop over paged reads and the Changed signal, never
// a queue.
//
// The package logs under the subsystem tag RPCS; the node hands it its
// logger with UseLogger.
package api
