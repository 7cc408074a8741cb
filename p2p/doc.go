/*
Package p2p runs the peer protocol between sidenodes: the gRPC PeerService
of proto/sidenode/p2p/v1. Under the mainstake engine sideblock headers
travel on the mainchain; bodies, transactions and the pegbox federation's
signatures travel here, from peer to peer (PROTOCOL §6, §8). A header whose
body no peer can serve stays an orphan: FetchBlock gives up with
ErrBlockNotFound, or at the caller's deadline. Under the pow engine
(Config.Engine EnginePoW) the sideblocks themselves come from miners and
peers, with 80-byte Bitcoin-format headers, and the node syncs the
sidechain from its peers headers first (see "Header sync").

# What the package owns

A Server owns the sessions with other sidenodes: listening, dialling, the
handshake, keepalive, inventory relay, block fetching, rate limits,
misbehavior scores, discouragement and the operator's bans. It does not
judge blocks or transactions. The node plugs in
through Handler: it says what it has (HaveBlock, HaveTx), serves it (Block,
Tx), and takes what peers send (ReceiveBlock, ReceiveTx), returning a
*MisbehaviorError when the data proves the sender misbehaved. After the node
accepts an item, from a peer or its own, it calls Announce to relay it.

A Server given a PegHandler at New takes part in the gossip of
federation signatures: PegSignatures, a serialized PSBT (BIP 174) of a
payout transaction, named by PegSignaturesHash (SHA256d of the bytes). The
node says what it has (HavePegSignatures), serves it (PegSignatures), takes
what peers send (ReceivePegSignatures), and relays what it accepted with
Announce(PegItem(hash)). Without one, the node asks for no PegSignatures, answers GetData
for them with NotFound and drops PegItems from Announce, so it does not
relay them either.

A Server whose Config has a PosHandler (Config.Pos) takes part in the
gossip of a pos engine's blocks and attestations the same way: PosItems,
a kind byte and pos/chain's encoding, 1 to MaxPosItemSize bytes, named by
the handler's PosItemName (a block by its root, anything else by
PosItemHash, SHA256d of the bytes), with HavePosItem, PosItem and
ReceivePosItem, relayed with Announce(PosItem(hash)); RequestPos asks every
peer for an item by name, for a block the node has only seen named as a
parent. Without one the node
asks for none and drops PosItems from Announce. Only pos networks use
them; their genesis differs from every other network's, so their nodes
never meet a node that does not know the message.

# Round messages

A Server given a Config.Rounds (a RoundHandler; networks with notaries)
takes part in the gossip of notarization round messages (PROTOCOL
§13.5): RoundMessage, the raw bytes of one message signed by a notary,
named by RoundMessageHash (SHA256d of the bytes), 1 to
MaxRoundMessageSize (16,384) bytes. They travel like PegSignatures:
Inventory, GetData, then the data, which goes to
RoundHandler.ReceiveRoundMessage; the node relays what it accepted with
Announce(RoundItem(hash)). Without a RoundHandler the node asks for
none, answers GetData for them with NotFound and drops RoundItems from
Announce. What a refusal costs the sender is the RoundHandler's
*MisbehaviorError (the node's round relay, notarize/notary, scores only
what the delivering peer could have checked itself, so that a node that
relays an authentic message never pays for its signer). No protocol
version bump came with them: only nodes of a network with notaries send
them, and those networks' sidechain ids are new, so a node of an earlier
version never gets past the Hello with one.

The package checks only what it can without the chain: a Block's header,
of the engine's size (64 bytes, or 80 under pow), hashes (SHA256d) to the
hash that was asked for, a Transaction
decodes as one Bitcoin wire transaction whose txid was asked for, and a
PegSignatures hashes (SHA256d) to the hash that was asked for. Whether a
PSBT parses or its signatures are valid is the node's business.
Transactions are named by txid, not wtxid.

# Sessions

A node dials a peer and opens one Exchange stream; the dialled side serves
it in its gRPC handler. Both ends are wrapped behind the internal conn
interface (Send/Recv), so the rest is written once. Each side sends its
Hello at once; the first message received must be a Hello, within
HandshakeTimeout. The session is refused, with a log line naming the
reason and a RuleError code (the dialled side also returns it as a
FailedPrecondition status), when the Hello names another network
(ErrNetworkMismatch), another genesis id or none (ErrGenesisMismatch: the
genesis id commits to the engine and its parameters, and the log line
names both ids and both engines), sidechain id 0 (ErrZeroSidechain) or another one
(ErrSidechainMismatch), another protocol version (ErrProtocolVersion),
this node's own nonce (ErrSelfConnection; a persistent address that turns
out to be this node is not redialled), or the nonce of a node already
connected (ErrDuplicatePeer). A refused handshake is a misconfiguration,
not misbehavior: it costs the peer no ban score. When two nodes dial each other at once, both
keep the session dialled by the node with the lower nonce; an inbound
session takes the place of one this node dialled only if it comes from the
IP that one reached, since anyone who connected to a peer heard its nonce.

Each session has three goroutines. The owner (the gRPC handler, or the
dialler) waits for the handshake, pings the peer every PingInterval and
drops it when a Ping goes unanswered for PingTimeout, batches
announcements, and tears the stream down at the end. The reader receives
and handles messages one at a time, calling the Handler. The writer drains
a bounded send queue (SendQueueMessages, SendQueueBytes). Answers to a
peer's requests wait for room in the lower half of the queue, so a peer
that asks faster than it reads is slowed down; anything else that finds the
queue full disconnects the peer. No peer can make the node block or buffer
without bound.

Connect (like btcd's --connect) and AddPeer list persistent peers: each is
redialled whenever its session ends, after RetryInterval doubling per
failed attempt up to MaxRetryInterval (±25% jitter), reset by a successful
handshake unless that session ended for misbehavior. Stop ends every
session and waits for every goroutine.

# Messages

	Inventory  announces items. The receiver asks, with GetData, for those
	           it lacks and no other peer is already sending it.
	GetData    is answered with a Block, Transaction or PegSignatures per
	           item, and one NotFound listing the items the node does
	           not have.
	Block, Transaction, PegSignatures, RoundMessage
	           are accepted only in answer to this node's GetData; the
	           data goes to Handler.ReceiveBlock/ReceiveTx or
	           PegHandler.ReceivePegSignatures or
	           RoundHandler.ReceiveRoundMessage, or for a FetchBlock
	           request to the FetchBlock caller. Data naming an item
	           that was not asked for (bytes that hash elsewhere) is
	           unsolicited.
	GetHeaders asks for the headers that follow a block locator (pow
	           only); it is answered with one Headers.
	Headers    up to MaxHeadersPerMessage 80-byte headers in chain
	           order: an answer to GetHeaders, or an announcement.
	Ping/Pong  keepalive.

Announce sends each peer only the items it is not known to have (a bounded
LRU of what the peer announced, asked for or was told), at most one
Inventory per TrickleInterval. FetchBlock asks the peers that announced the
block first, then the others, one at a time, each for up to RequestTimeout.

# Header sync

A Server given a Config.HeaderSync (pow engine only) syncs the sidechain
from its peers headers first, as Bitcoin Core and btcd do. The node's
header chain plugs in through HeaderSync: its block locator, the headers
it serves, ProcessHeaders for the headers peers send, NeedBodies for the
blocks to fetch next, and the height of its best header.

  - Sync peer. When a peer's Hello claims a better height than the best
    header, and no sync peer is chosen, it becomes the sync peer (an
    outbound one first) and is sent a GetHeaders with the node's
    locator. Its Headers go to ProcessHeaders; a full batch (2,000) makes
    the node ask again, from the last header received, which is on the
    peer's chain even when that chain is not yet the node's best; a
    shorter batch means the peer has nothing more, and another peer that
    claims more, if any, takes over. A peer that said it has nothing more
    is not chosen again in the session.
  - Blocks. After every Headers and every block received, the node asks
    for the blocks NeedBodies names, lowest first, with GetData through
    the same in-flight bookkeeping as announced items: each block from
    one peer at a time, at most 64 in flight per peer, topped up once 32
    have arrived (so that one GetData names several; GetData counts
    against the peer's message rate), spread over the peers with the
    most room, never again of a peer that answered NotFound for it or
    sent it and saw the Handler refuse it (unless it did not connect).
    The blocks go to Handler.ReceiveBlock.
  - Announcements. Headers a peer sends unasked go to ProcessHeaders like
    an answer. When headers, or a block asked for after an announcement,
    do not connect (ProcessHeaders or ReceiveBlock returns
    ErrHeadersDoNotConnect), the node sends that peer a GetHeaders with
    its locator instead of chasing the missing parents block by block.
    At most one GetHeaders per peer is unanswered at a time.
  - Stalls. A peer that leaves a GetHeaders or a block the sync asked
    for unanswered for RequestTimeout is disconnected (no ban score); its
    blocks are asked of other peers, and if it was the sync peer another
    is chosen. The check runs every second, on the Server's clock.
  - Serving. A peer's GetHeaders is answered with HeaderSync.HeadersAfter,
    at most MaxHeadersPerMessage headers; a node without header sync
    answers it with no headers and ignores Headers.
  - Progress. While it syncs the node logs, at most every 10 s unless
    1,000 blocks arrived since, "Syncing sidechain from peer X: headers H
    of ~P, blocks B (pct%)", P being the best height peers claimed or the
    best header, and "Sidechain caught up with peers" once it has every
    block of its best header chain and no peer has more headers to give,
    with the height the Handler's Best is at and, if that is below the
    best header, the best header's height too.
  - Misbehavior. Headers that break a rule cost what ProcessHeaders'
    *MisbehaviorError says; headers that merely do not connect cost
    nothing. A Headers of more than 2,000 headers or of headers that are
    not 80 bytes, a GetHeaders with no locator hash or more than 101, and
    under pow a Block whose header is not 80 bytes (under mainstake: not
    64) are invalid messages.

# Limits

Every received message goes through validate: exactly one payload; hashes
of 32 bytes; Block headers of the engine's size (64 bytes, or 80 under
pow); Headers of at most MaxHeadersPerMessage (2,000) headers of 80 bytes;
GetHeaders locators of 1 to MaxLocatorHashes (101) hashes; inventory
types block, tx, peg signatures or round message; RoundMessages of 1 byte
to MaxRoundMessageSize;
1 to MaxInventoryItems (1000) items; block bodies and transactions of 1
byte to MaxMessageSize; PegSignatures of 1 byte to MaxPegSignaturesSize
(100,000); a well-formed Hello. gRPC refuses messages over
MaxMessageSize (4 MiB) both ways. Each peer may send MsgRate messages/s
(burst MsgBurst) and BytesRate bytes/s; answers to this node's requests
(Headers included, while a GetHeaders is unanswered) do not count. The node paces what it sends at half those rates, so peers with
the same settings never see it exceed them. At most MaxInbound inbound
sessions exist, handshaken or not; when all are taken, a newcomer in good
standing closes the newest session from a discouraged address, and is
refused if there is none. MaxMessageSize, MaxInventoryItems and
MaxPegSignaturesSize are protocol limits: every node of a network must use
the same values. The per-peer bookkeeping (known items, requests in
flight, pending announcements) is bounded whatever the item type.

# Misbehavior and bans

Misbehavior adds to the session's misbehavior score (PeerInfo.BanScore):

	invalid message, second Hello, oversized message      10
	Block, Transaction, PegSignatures or NotFound
	  nobody asked for                                      5
	each message over the rate limits (dropped)             2
	Handler returned *MisbehaviorError                  Score

The offending message is dropped. At BanThreshold (100) the session is
closed, and the node never bans for it: it discourages the address, as
Bitcoin Core does, for DiscourageDuration (24 h). What is discouraged is
the host (every port), except on a loopback address (127.0.0.0/8, ::1,
localhost), which every local process, every devnet node and every peer
that comes through a local proxy or Tor onion service shares: there it
is the host and port of the connection, so one local process costs no
other session. For an inbound loopback connection that port is its
ephemeral source port, so in effect such a peer is only disconnected; its
next connection starts afresh with a score of 0.

A discouraged address is not refused outright. Its inbound session is
accepted only while, after it, at least one inbound slot stays free, and
when every slot is taken a newcomer in good standing closes the newest
session from a discouraged address. The list holds at most 10,000
addresses; when full, the one that ends soonest is forgotten.

Peers the operator configured (Config.Connect and AddPeer) are never
discouraged: the session is closed, a warning logged, and the persistent
address redialled with the usual backoff, the misbehaving session counting
as a failed attempt so the wait doubles. An inbound session counts as a
configured peer's when it comes from the host of a persistent address that
is not a loopback address, or when its Hello nonce is the one last heard at
a persistent address and it comes from the IP that address was reached at
(two nodes that configure each other keep one session, which may be either
one). A nonce alone proves nothing: every node that connects to a peer
hears it. Discouragement never keeps a persistent
address from being dialled; the package has no other outbound peers yet,
and address discovery, when it comes, is to dial discouraged addresses
only when it has no other.

Bans are the operator's act only (Server.Ban, Unban and Bans; the node's
API and sidecli bans list|add|remove). A ban names an IP, a subnet, a host
name, or one of them with a port, and lasts a given time (BanDuration, 24 h,
by default; at most MaxBanDuration, 10 years). An inbound session is matched
by its remote address, an outbound one by the address dialled. Banning
closes the sessions it covers; a banned connection is closed as it is
accepted, and a persistent address it covers is not dialled, a configured
one included, until the ban ends or Unban lifts it, when it is dialled at
once. Unban also lifts a discouragement.

As in Bitcoin Core, the operator's bans outlast a restart and
discouragement does not. Given a Config.BanFile (the node's is
<datadir>/<network>/bans.json), Ban and Unban rewrite it before the change
takes effect (a temporary file in the same directory, synced and renamed
over it, the directory synced); if it cannot be written they fail with
ErrBanFile and change nothing. New loads it, dropping the bans that ended
meanwhile. A file that cannot be read or decoded, or holds an entry that is
not a valid ban (a target that does not parse, no times, an end before the
start, over MaxBanDuration or MaxBanReasonLen), is moved aside to
bans.json.corrupt-<UTC time>, never deleted, with a warning naming both
files; the node starts all the same, with the valid entries in force and
written anew. The file is JSON: {"version": 1, "bans": [{"target",
"created", "until", "reason"}]}, times in RFC 3339. Discouragement lives
in memory and ends at restart.

The operator also dials and drops peers while the node runs (Connect and
Disconnect; the node's API and sidecli peers connect|disconnect). Connect
dials an address once and waits for the handshake; the session is
temporary, never redialled, and a banned address is refused before any
dial. Disconnect closes the sessions a session id or an address names; a
configured peer's persistent loop dials it again after its retry interval.

# Known gaps

  - The transport is plaintext gRPC without authentication. Anyone on the
    path can read and alter traffic, and a Hello nonce proves nothing, so
    a peer can claim another's nonce. Blocks and transactions are content
    addressed and validated by the node, which limits the damage to
    eclipse and denial of service; encrypting and authenticating peers
    (TLS or a Noise handshake with node keys) is still to do.
  - No address discovery: the node knows only the peers it is given.
  - Discouragement lives in memory and ends at restart. A discouraged
    host that is not loopback costs every node behind it (a NAT hides
    many behind one) its spare-room standing, though not its sessions.
    Misbehavior scores do not decay and reset with each session.
  - A peer on the same IP as a configured peer (on loopback: any local
    process) can claim that peer's Hello nonce, and so pass as its
    inbound session: it then escapes discouragement, though not
    disconnection. From that IP, with a nonce lower than this node's, it
    can also take the place of the session this node dialled to that
    peer, until it goes away.
  - No inventory exchange at connect: a new peer hears only of items
    announced afterwards. Bodies of earlier headers come through
    FetchBlock.
  - FetchBlock asks for one block per GetData; serving GetData has no
    upload bandwidth limit beyond the requester's reading speed.
  - A message type this version does not know counts as invalid, so new
    message types need a protocol version bump first, and a node speaks
    one version only: version 2, which added PegSignatures, does not talk
    to version 1. GetHeaders and Headers came without a bump: only pow
    nodes send them, and a node of a version before them has no pow
    engine, so its Hello (another genesis id) never gets that far.
  - Header sync follows one sync peer at a time and trusts its claimed
    height only to choose it; a peer that claims a height it cannot back
    is left once it answers with a short batch. The node does not track
    each peer's best header, so it asks any peer for blocks and learns
    from NotFound. Headers go to the header chain as they come: a peer
    with a long chain of valid headers of little work costs the node the
    memory to hold them (Bitcoin Core's two-pass header presync is not
    done); every such header costs its sender real proof of work.
  - PegSignatures travel as far as each node's ReceivePegSignatures
    accepts them. Only the node can tell a federation member's signatures
    from junk, so a node that relays every PSBT lets any peer spread up
    to MaxPegSignaturesSize bytes per item through the network. As with
    the other items, a peer that connects later hears only of
    PegSignatures announced afterwards; Announce again reaches it, and
    only it, since the other peers are known to have them.
  - PeerInfo's best block and height are as of the peer's Hello.
*/
package p2p
