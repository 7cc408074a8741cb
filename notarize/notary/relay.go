package notary

import (
	"fmt"
	"sync"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/notarize"
	"github.com/mainstake/sidenode/notarize/round"
	"github.com/mainstake/sidenode/p2p"
)

// Announcer relays items to the peers: the node's p2p.Server.
type Announcer interface {
	Announce(items ...p2p.InvItem)
}

// Local takes the round messages the relay accepted: the node's Runner.
type Local interface {
	Handle(raw []byte) error
}

// DefaultMaxKept is how many round messages a Relay keeps by default.
const DefaultMaxKept = 4096

// maxSlots bounds the slots a Relay remembers; beyond it, a message of a
// new slot is dropped without cost until the window moves on.
const maxSlots = 4 * DefaultMaxKept

// RelayConfig is what a Relay needs.
type RelayConfig struct {
	Params *chainparams.Params

	// TipHeight returns the height of the node's best sidechain tip.
	TipHeight func() int32

	// MaxKept is how many messages are kept for peers; 0 is
	// DefaultMaxKept.
	MaxKept int
}

// slotKey names what one notary may say once per attempt.
type slotKey struct {
	round  round.RoundID
	sender uint8
	kind   round.Kind
}

// slot is the first message of a slot and what each peer delivered.
type slot struct {
	first  chainhash.Hash
	byPeer map[p2p.PeerID]chainhash.Hash
}

// Relay is the node's p2p.RoundHandler and the Runner's Transport: see
// the package documentation. Its methods are safe for concurrent use.
type Relay struct {
	cfg RelayConfig

	mu    sync.Mutex
	peers Announcer
	local Local
	msgs  map[chainhash.Hash][]byte
	order []chainhash.Hash // kept messages, oldest first
	slots map[slotKey]*slot
	low   int32 // the lowest height of the window slots were pruned to
}

var _ p2p.RoundHandler = (*Relay)(nil)

// NewRelay returns a relay for cfg.
func NewRelay(cfg RelayConfig) (*Relay, error) {
	if cfg.Params == nil || cfg.Params.Notary == nil {
		return nil, fmt.Errorf("notary: network has no notary set")
	}
	if cfg.TipHeight == nil {
		return nil, fmt.Errorf("notary: the relay needs the sidechain tip")
	}
	if cfg.MaxKept <= 0 {
		cfg.MaxKept = DefaultMaxKept
	}
	return &Relay{cfg: cfg, msgs: make(map[chainhash.Hash][]byte),
		slots: make(map[slotKey]*slot)}, nil
}

// SetPeers sets where accepted messages are announced.
func (r *Relay) SetPeers(a Announcer) {
	r.mu.Lock()
	r.peers = a
	r.mu.Unlock()
}

// SetLocal sets the runner accepted messages are handed to.
func (r *Relay) SetLocal(l Local) {
	r.mu.Lock()
	r.local = l
	r.mu.Unlock()
}

// HaveRoundMessage implements p2p.RoundHandler.
func (r *Relay) HaveRoundMessage(hash chainhash.Hash) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.msgs[hash]
	return ok
}

// RoundMessage implements p2p.RoundHandler.
func (r *Relay) RoundMessage(hash chainhash.Hash) ([]byte, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	raw, ok := r.msgs[hash]
	return raw, ok
}

// window returns the heights of the rounds the relay passes on.
func (r *Relay) window() (low, high int32) {
	np := r.cfg.Params.Notary
	iv := int32(np.NotarizationInterval)
	target, _ := notarize.TargetHeight(r.cfg.TipHeight(), np)
	return target - iv, target + 2*iv
}

// misbehavior makes a refusal of the round package the peer's fault.
func misbehavior(err error) error {
	return &p2p.MisbehaviorError{Score: round.BanScore(err), Reason: err.Error()}
}

// ReceiveRoundMessage implements p2p.RoundHandler: see the package
// documentation for what is passed on and what costs the peer.
func (r *Relay) ReceiveRoundMessage(from p2p.PeerID, raw []byte) error {
	hash := p2p.RoundMessageHash(raw)
	if r.HaveRoundMessage(hash) {
		return nil
	}
	m, err := round.Decode(raw)
	if round.IsErrorCode(err, round.ErrUnknownVersion) {
		log.Debugf("Round message %v from %v: %v", hash, from, err)
		return nil
	}
	if err != nil {
		return misbehavior(err)
	}
	if _, err := m.Verify(r.cfg.Params); err != nil {
		return misbehavior(err)
	}
	p := notarize.Payload{Height: int32(m.Round.Height), Block: m.Round.Block,
		Season: int(m.Round.Season)}
	if m.Kind == round.KindInputSet {
		if l := round.Leader(p, r.cfg.Params, m.Round.Attempt); l != int(m.Sender) {
			return misbehavior(&round.RuleError{ErrorCode: round.ErrNotLeader,
				Description: fmt.Sprintf("input set of notary %d, the leader of "+
					"attempt %d of the round of height %d is notary %d",
					m.Sender, m.Round.Attempt, m.Round.Height, l)})
		}
	}
	low, high := r.window()
	if p.Height < low || p.Height > high {
		log.Debugf("Round message %v from %v: round of height %d, outside "+
			"heights %d to %d; dropped", hash, from, p.Height, low, high)
		return nil
	}

	r.mu.Lock()
	if _, ok := r.msgs[hash]; ok { // another peer's copy came first
		r.mu.Unlock()
		return nil
	}
	r.prune(low)
	key := slotKey{round: m.Round, sender: m.Sender, kind: m.Kind}
	s := r.slots[key]
	if s != nil {
		prev, delivered := s.byPeer[from]
		if !delivered && len(s.byPeer) < 64 {
			s.byPeer[from] = hash
		}
		r.mu.Unlock()
		if delivered && prev != hash {
			return misbehavior(&round.RuleError{ErrorCode: round.ErrConflicting,
				Description: fmt.Sprintf("two different %v messages of notary %d "+
					"in attempt %d of the round of height %d from one peer",
					m.Kind, m.Sender, m.Round.Attempt, m.Round.Height)})
		}
		log.Debugf("Round message %v from %v: notary %d already said another "+
			"%v in attempt %d; dropped", hash, from, m.Sender, m.Kind, m.Round.Attempt)
		return nil
	}
	if len(r.slots) >= maxSlots {
		r.mu.Unlock()
		return nil
	}
	r.slots[key] = &slot{first: hash, byPeer: map[p2p.PeerID]chainhash.Hash{from: hash}}
	r.keep(hash, raw)
	local := r.local
	r.mu.Unlock()

	if local != nil {
		if err := local.Handle(raw); err != nil {
			if round.BanScore(err) > 0 {
				log.Warnf("Round message %v of notary %d refused: %v (the "+
					"notary's doing; %v only relayed it)", hash, m.Sender, err, from)
				return nil
			}
			log.Debugf("Round message %v of notary %d: %v", hash, m.Sender, err)
		}
	}
	r.announce(hash)
	return nil
}

// keep stores a message, dropping the oldest beyond MaxKept.
func (r *Relay) keep(hash chainhash.Hash, raw []byte) {
	r.msgs[hash] = append([]byte(nil), raw...)
	r.order = append(r.order, hash)
	for len(r.order) > r.cfg.MaxKept {
		delete(r.msgs, r.order[0])
		r.order = r.order[1:]
	}
}

// prune forgets the slots of rounds below low.
func (r *Relay) prune(low int32) {
	if low <= r.low {
		return
	}
	r.low = low
	for k := range r.slots {
		if int32(k.round.Height) < low {
			delete(r.slots, k)
		}
	}
}

func (r *Relay) announce(hash chainhash.Hash) {
	r.mu.Lock()
	peers := r.peers
	r.mu.Unlock()
	if peers != nil {
		peers.Announce(p2p.RoundItem(hash))
	}
}

// Send implements Transport: the runner's own message is kept, its slot
// taken, and announced to every peer (again, when it is sent again).
func (r *Relay) Send(raw []byte) {
	hash := p2p.RoundMessageHash(raw)
	r.mu.Lock()
	if _, ok := r.msgs[hash]; !ok {
		if m, err := round.Decode(raw); err == nil {
			key := slotKey{round: m.Round, sender: m.Sender, kind: m.Kind}
			if _, ok := r.slots[key]; !ok && len(r.slots) < maxSlots {
				r.slots[key] = &slot{first: hash, byPeer: map[p2p.PeerID]chainhash.Hash{}}
			}
		}
		r.keep(hash, raw)
	}
	r.mu.Unlock()
	r.announce(hash)
}
