package p2p

import (
	"errors"
	"fmt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"net"
	"time"
)

// Protocol constants. Every node of a network must agree on them; a node
// that sends more than its peers accept is disconnected and discouraged
// by them.
const (
	// ProtocolVersion is the peer protocol version this package speaks
	// and the only one it accepts. Version 2 added PegSignatures, which a
	// version 1 node would count as invalid.
	ProtocolVersion uint32 = 2

	// MaxNetworkLen bounds Hello.network.
	MaxNetworkLen = 64

	// MaxUserAgentLen bounds Hello.user_agent.
	MaxUserAgentLen = 256

	// MaxPegSignaturesSize bounds the psbt of a PegSignatures, in bytes:
	// room for a payout's partial signatures with plenty to spare, far
	// below MaxMessageSize.
	MaxPegSignaturesSize = 100_000

	// MaxPosItemSize bounds the data of a PosItem: a kind byte and a pos
	// block of at most 3,000,000 bytes (pos/chain.MaxBlockSize), below
	// MaxMessageSize.
	MaxPosItemSize = 3_000_001

	// MaxRoundMessageSize bounds the raw bytes of a RoundMessage: the
	// longest round message (an input set of 255 inputs) is 11,589
	// bytes.
	MaxRoundMessageSize = 16_384

	// MaxHeadersPerMessage bounds the headers of one Headers message. A
	// full batch tells the receiver to ask for more.
	MaxHeadersPerMessage = 2000

	// MaxLocatorHashes bounds the locator of a GetHeaders: enough for a
	// chain of 2^90 blocks, as in Bitcoin.
	MaxLocatorHashes = 101

	// EnginePoW is the Config.Engine of the proof-of-work engine, whose
	// sideblocks carry 80-byte Bitcoin-format headers
	// (PowBlockHeaderSize) and are synced headers first.
	EnginePoW = "pow"
)

// Defaults for the zero fields of a Config.
const (
	DefaultMaxInbound         = 125
	DefaultMaxMessageSize     = 4 << 20 // 4 MiB, both directions
	DefaultMaxInventoryItems  = 1000
	DefaultMsgRate            = 200     // messages/s, per peer
	DefaultMsgBurst           = 400     // messages
	DefaultBytesRate          = 4 << 20 // bytes/s, per peer
	DefaultSendQueueMessages  = 1024
	DefaultBanThreshold       = 100
	DefaultBanDuration        = 24 * time.Hour
	DefaultDiscourageDuration = 24 * time.Hour
	DefaultHandshakeTimeout   = 10 * time.Second
	DefaultPingInterval       = 30 * time.Second
	DefaultRequestTimeout     = 30 * time.Second
	DefaultRetryInterval      = 2 * time.Second
	DefaultMaxRetryInterval   = time.Minute
	DefaultTrickleInterval    = 100 * time.Millisecond
	DefaultUserAgent          = "sidenode"
)

// Config configures a Server. Zero fields take the defaults above; New
// fills them in and rejects the rest of what is wrong.
type Config struct {
	// Listen lists the host:port addresses to accept peers on. Empty:
	// the node does not accept peers. Port 0 picks a free port
	// (ListenAddrs tells which).
	Listen []string

	// Connect lists the only peers to dial, like btcd's --connect. They
	// are persistent: redialled with backoff whenever their session
	// ends. It cannot be combined with AddPeer.
	Connect []string

	// AddPeer lists extra persistent peers, like btcd's --addpeer. The
	// package has no address discovery yet, so today the two lists behave
	// the same; Connect will also turn discovery off once it exists.
	AddPeer []string

	// Network is the mainchain network name, e.g. "regtest"; peers must
	// name the same one.
	Network string

	// SidechainID is the sidechain's non-zero id; peers must name the
	// same one.
	SidechainID uint32

	// Genesis is the network's genesis id (chainparams' GenesisID), which
	// commits to its engine and engine parameters; it must not be zero,
	// and peers must name the same one. Engine names the engine, e.g.
	// "mainstake", for the log line that refuses a peer with another
	// genesis.
	Genesis chainhash.Hash
	Engine  string

	// HeaderSync is the node's header chain, for headers-first sync from
	// peers (see "Header sync" in the package documentation). It is
	// only for Engine EnginePoW, and may be nil there: the node then
	// neither asks for headers nor serves them. Under mainstake it must
	// be nil: headers come from the mainchain.
	HeaderSync HeaderSync

	// Pos, when set, takes part in the gossip of a pos engine's blocks
	// and attestations (PosHandler).
	Pos PosHandler

	// Rounds is the node's part in the gossip of notarization round
	// messages (see "Round messages" in the package documentation), or
	// nil on a network without notaries: the node then neither asks
	// for nor relays RoundMessages.
	Rounds RoundHandler

	// UserAgent names the software in Hello, e.g. "sidenode:0.1.0".
	UserAgent string

	// MaxInbound bounds the inbound sessions, handshaken or not.
	MaxInbound int

	// MaxMessageSize bounds one message, in bytes, in both directions
	// (gRPC MaxRecvMsgSize and MaxSendMsgSize on server and client). A
	// block or transaction that does not fit is answered with NotFound.
	MaxMessageSize int

	// MaxInventoryItems bounds the items of one Inventory, GetData or
	// NotFound.
	MaxInventoryItems int

	// MsgRate and MsgBurst limit the messages a peer may send per
	// second; BytesRate limits their bytes (burst: MaxMessageSize).
	// Answers to this node's own requests do not count. Each message
	// over the limit is dropped and adds to the peer's ban score. The
	// node itself sends at most half these rates, so that peers with the
	// same settings never see it exceed them.
	MsgRate   float64
	MsgBurst  int
	BytesRate float64

	// SendQueueMessages bounds a peer's send queue, in messages;
	// SendQueueBytes (default 4 × MaxMessageSize, at least 2 ×) in
	// bytes. A peer that lets its queue fill is disconnected.
	SendQueueMessages int
	SendQueueBytes    int

	// BanThreshold is the misbehavior score at which a session is
	// closed and, unless the operator configured the peer, its address
	// discouraged for DiscourageDuration (see "Misbehavior" in the
	// package documentation). Misbehavior never bans.
	BanThreshold       uint32
	DiscourageDuration time.Duration

	// BanDuration is how long an operator's ban lasts (Server.Ban) when
	// the operator gives no duration.
	BanDuration time.Duration

	// BanFile is the file the operator's bans are kept in, so that they
	// outlast a restart: New loads it and Ban and Unban rewrite it (see
	// "Misbehavior and bans" in the package documentation). Empty: the
	// bans live in memory only. Discouragement is never kept.
	BanFile string

	// HandshakeTimeout bounds the wait for the peer's Hello.
	HandshakeTimeout time.Duration

	// PingInterval is the time between Pings; a peer that has not
	// answered a Ping after PingTimeout (default 2 × PingInterval) is
	// dropped.
	PingInterval time.Duration
	PingTimeout  time.Duration

	// RequestTimeout is how long a GetData may stay unanswered before
	// the item is asked of another peer (FetchBlock moves on to the next
	// peer after it). Under header sync, a peer that leaves a GetHeaders
	// or a block it was asked for unanswered this long is disconnected,
	// and another takes its place.
	RequestTimeout time.Duration

	// RetryInterval is the first wait before redialling a persistent
	// peer; it doubles after each failed attempt up to MaxRetryInterval,
	// and resets after a successful handshake.
	RetryInterval    time.Duration
	MaxRetryInterval time.Duration

	// TrickleInterval is the least time between two Inventory messages to
	// a peer; announcements in between are batched.
	TrickleInterval time.Duration
}

// withDefaults returns cfg with its zero fields set to the defaults, or
// an error naming the first field that is wrong.
func (cfg Config) withDefaults() (Config, error) {
	if cfg.Network == "" || len(cfg.Network) > MaxNetworkLen {
		return cfg, fmt.Errorf("p2p: network name %q must have 1 to %d "+
			"bytes", cfg.Network, MaxNetworkLen)
	}
	if cfg.SidechainID == 0 {
		return cfg, errors.New("p2p: sidechain id must not be 0")
	}
	if cfg.Genesis == (chainhash.Hash{}) {
		return cfg, errors.New("p2p: genesis id must not be zero")
	}
	if len(cfg.Engine) > MaxNetworkLen {
		return cfg, fmt.Errorf("p2p: engine name %q has more than %d "+
			"bytes", cfg.Engine, MaxNetworkLen)
	}
	if cfg.HeaderSync != nil && cfg.Engine != EnginePoW {
		return cfg, fmt.Errorf("p2p: header sync is for the %s engine, "+
			"not %q", EnginePoW, cfg.Engine)
	}
	if len(cfg.Connect) > 0 && len(cfg.AddPeer) > 0 {
		return cfg, errors.New("p2p: connect and addpeer cannot be " +
			"mixed")
	}
	for _, list := range [][]string{cfg.Listen, cfg.Connect, cfg.AddPeer} {
		for _, a := range list {
			if _, _, err := net.SplitHostPort(a); err != nil {
				return cfg, fmt.Errorf("p2p: address %q: %w", a,
					err)
			}
		}
	}
	if cfg.UserAgent == "" {
		cfg.UserAgent = DefaultUserAgent
	}
	if len(cfg.UserAgent) > MaxUserAgentLen {
		return cfg, fmt.Errorf("p2p: user agent longer than %d bytes",
			MaxUserAgentLen)
	}

	setInt := func(v *int, def int) { *v = cmp0(*v, def) }
	setDur := func(v *time.Duration, def time.Duration) { *v = cmp0(*v, def) }
	setInt(&cfg.MaxInbound, DefaultMaxInbound)
	setInt(&cfg.MaxMessageSize, DefaultMaxMessageSize)
	setInt(&cfg.MaxInventoryItems, DefaultMaxInventoryItems)
	setInt(&cfg.MsgBurst, DefaultMsgBurst)
	setInt(&cfg.SendQueueMessages, DefaultSendQueueMessages)
	setInt(&cfg.SendQueueBytes, 4*cfg.MaxMessageSize)
	cfg.MsgRate = cmp0(cfg.MsgRate, DefaultMsgRate)
	cfg.BytesRate = cmp0(cfg.BytesRate, DefaultBytesRate)
	cfg.BanThreshold = cmp0(cfg.BanThreshold, DefaultBanThreshold)
	setDur(&cfg.BanDuration, DefaultBanDuration)
	setDur(&cfg.DiscourageDuration, DefaultDiscourageDuration)
	setDur(&cfg.HandshakeTimeout, DefaultHandshakeTimeout)
	setDur(&cfg.PingInterval, DefaultPingInterval)
	setDur(&cfg.PingTimeout, 2*cfg.PingInterval)
	setDur(&cfg.RequestTimeout, DefaultRequestTimeout)
	setDur(&cfg.RetryInterval, DefaultRetryInterval)
	setDur(&cfg.MaxRetryInterval, DefaultMaxRetryInterval)
	setDur(&cfg.TrickleInterval, DefaultTrickleInterval)

	switch {
	case cfg.MaxInbound < 0, cfg.MaxMessageSize < 1024,
		cfg.MaxInventoryItems < 1, cfg.MsgBurst < 2, cfg.MsgRate < 0,
		cfg.BytesRate < 0, cfg.SendQueueMessages < 4,
		cfg.BanDuration < 0, cfg.BanDuration > MaxBanDuration,
		cfg.DiscourageDuration < 0, cfg.HandshakeTimeout < 0,
		cfg.PingInterval < 0, cfg.PingTimeout < 0,
		cfg.RequestTimeout < 0, cfg.RetryInterval < 0,
		cfg.MaxRetryInterval < cfg.RetryInterval,
		cfg.TrickleInterval < 0:
		return cfg, fmt.Errorf("p2p: a limit is out of range: %+v", cfg)
	}
	if cfg.SendQueueBytes < 2*cfg.MaxMessageSize {
		return cfg, fmt.Errorf("p2p: send queue bytes %d below twice the "+
			"max message size %d", cfg.SendQueueBytes,
			cfg.MaxMessageSize)
	}
	return cfg, nil
}

// cmp0 returns v, or def if v is zero.
func cmp0[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}

// headerSize returns the size of the sideblock headers of cfg's engine:
// PowBlockHeaderSize under pow, BlockHeaderSize otherwise.
func (cfg *Config) headerSize() int {
	if cfg.Engine == EnginePoW {
		return PowBlockHeaderSize
	}
	return BlockHeaderSize
}
