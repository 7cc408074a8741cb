package neutrinowatch

import (
	"errors"
	"fmt"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/lightninglabs/neutrino"
)

const (
	// redialFirst is the wait before the second try to bring a lost
	// configured peer back; the first goes out at once. Each further try
	// waits twice as long as the one before, up to redialMax.
	redialFirst = 250 * time.Millisecond

	// redialMax bounds the wait between two tries for one peer.
	redialMax = 15 * time.Second

	// stableAfter is how long a connection must have lasted for its loss
	// to start a fresh series of tries, the first at once. A peer that
	// drops us sooner, as one that bans or refuses us does, is tried
	// with the series' growing waits.
	stableAfter = 250 * time.Millisecond

	// refusedWait is the wait before asking again when neutrino refused
	// to connect to a peer it still counts as connected: it learns of a
	// lost connection a moment after the dialer does. maxRefused such
	// waits, at most, do not count as tries.
	refusedWait = 20 * time.Millisecond
	maxRefused  = 10

	// redialWarn is the number of failed tries after which a peer that
	// stays away is reported once as a warning.
	redialWarn = 5

	// dialTimeout bounds one TCP connection attempt.
	dialTimeout = 10 * time.Second
)

// peerQueryTimeout replaces neutrino's QueryTimeout (10s), how long
// neutrino waits for each peer to answer the messages it sends to all of
// them: getcfheaders when the header tip moves, getcfcheckpt, and
// getcfilters to settle a conflict. A peer that does not know the block
// asked about never answers (one that has not received it yet or is on a
// competing branch; btcd for a block it invalidated), and neutrino waits
// it out before it uses the other peers' answers, or, when none answered,
// before its 3s pause and the next try: filter headers for a new tip then
// came 10s late, 13s with one peer. Answers at the tip take milliseconds; the largest, a
// mainnet cfcheckpt of about 30 kB, needs 15 kB/s.
const peerQueryTimeout = 2 * time.Second

func init() {
	// A process-wide setting, read by each query; set before any
	// ChainService runs.
	neutrino.QueryTimeout = peerQueryTimeout
}

// errConnected is what the dialer returns for an address it already holds
// an open connection to.
var errConnected = errors.New("already connected")

// peerConnector is the part of neutrino's ChainService the supervisor
// drives.
type peerConnector interface {
	ConnectNode(addr string, permanent bool) error
}

// supervisor keeps the peers named in Config.ConnectPeers or AddPeers
// connected.
//
// neutrino disconnects a peer for a headers message it does not like,
// among them the announcement of a branch with less work than its own
// (which a peer sends while it is itself part way through a reorg), and
// btcd's connection manager dials a lost permanent peer again only after
// neutrino's ConnectionRetryInterval (5s), times the failed tries since the
// last connection. With one peer, neutrino is blind for that long: it
// neither hears of the new branch nor can it send a transaction.
//
// The supervisor is neutrino's dialer, so it sees every connection close.
// When a configured peer's connection closes, it asks neutrino to connect
// to the peer again at once, and while the peer stays away it tries again
// after 250ms, then twice as long each time, up to 15s between tries,
// warning once after five failed tries and logging the peer's return. The
// series starts afresh only after a connection that lasted 250ms, so a
// peer that refuses us as soon as we connect is not hammered. The
// dialer refuses a second connection to an address it already holds one
// to, so the connection manager's own later redial, which would otherwise
// connect and be dropped by neutrino as a duplicate, costs no connection.
type supervisor struct {
	peers       []string
	defaultPort string
	lookup      func(host string) ([]net.IP, error)
	dialer      func(network, addr string) (net.Conn, error)

	// cs is set by start, before any connection can close.
	cs peerConnector

	mu      sync.Mutex
	open    map[string]int // open connections by remote address
	changed chan struct{}  // signalled when a connection opens or closes

	quit chan struct{}
	wg   sync.WaitGroup

	// redials counts the tries to bring a lost peer back, and outages
	// the times a configured peer was lost; both for tests.
	statsMu sync.Mutex
	redials int
	outages int
}

func newSupervisor(peers []string, defaultPort string) *supervisor {
	d := &net.Dialer{Timeout: dialTimeout}
	return &supervisor{
		peers:       peers,
		defaultPort: defaultPort,
		lookup:      net.LookupIP,
		dialer:      d.Dial,
		open:        make(map[string]int),
		changed:     make(chan struct{}, 1),
		quit:        make(chan struct{}),
	}
}

// dial is neutrino's Dialer. An address counts as connected from the
// start of its dial, so two dials (the supervisor's and the connection
// manager's) never race to the same peer.
func (sv *supervisor) dial(addr net.Addr) (net.Conn, error) {
	key := addr.String()
	sv.mu.Lock()
	if sv.open[key] > 0 {
		sv.mu.Unlock()
		return nil, fmt.Errorf("dial %s: %w", key, errConnected)
	}
	sv.open[key]++
	sv.mu.Unlock()
	conn, err := sv.dialer(addr.Network(), key)
	if err != nil {
		sv.release(key)
		return nil, err
	}
	sv.signal()
	return &watchedConn{Conn: conn, sv: sv, key: key}, nil
}

// release forgets one connection to key, or a failed dial.
func (sv *supervisor) release(key string) {
	sv.mu.Lock()
	if sv.open[key]--; sv.open[key] <= 0 {
		delete(sv.open, key)
	}
	sv.mu.Unlock()
	sv.signal()
}

// watchedConn tells the supervisor when neutrino closes it.
type watchedConn struct {
	net.Conn
	sv   *supervisor
	key  string
	once sync.Once
}

func (c *watchedConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(func() { c.sv.release(c.key) })
	return err
}

func (sv *supervisor) signal() {
	select {
	case sv.changed <- struct{}{}:
	default:
	}
}

// start begins supervising the peers through cs.
func (sv *supervisor) start(cs peerConnector) {
	sv.cs = cs
	if len(sv.peers) == 0 {
		return
	}
	sv.wg.Add(1)
	go sv.run()
}

// stop ends the supervision; neutrino's own shutdown closes the
// connections.
func (sv *supervisor) stop() {
	close(sv.quit)
	sv.wg.Wait()
}

// peerState is the supervisor's view of one configured peer.
type peerState struct {
	addr    string    // as configured
	key     string    // remote address, once resolved
	up      bool      // a connection to key is open or being dialled
	upAt    time.Time // when it came up
	since   time.Time // when it was lost (or supervision began)
	tries   int       // tries since the last stable connection
	refused int       // quick retries since it was lost
	next    time.Time // when to try again
}

func (sv *supervisor) run() {
	defer sv.wg.Done()
	start := time.Now()
	states := make([]*peerState, len(sv.peers))
	for i, addr := range sv.peers {
		// The connection manager dials every peer at start; the
		// supervisor steps in if that fails.
		states[i] = &peerState{addr: addr, since: start, next: start.Add(redialFirst)}
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		now := time.Now()
		wake := now.Add(time.Hour)
		for _, p := range states {
			sv.check(p, now)
			if !p.up && p.next.Before(wake) {
				wake = p.next
			}
		}
		if !timer.Stop() {
			select {
			case <-timer.C:
			default:
			}
		}
		timer.Reset(time.Until(wake))
		select {
		case <-sv.changed:
		case <-timer.C:
		case <-sv.quit:
			return
		}
	}
}

// check updates p and, when it is down and due, tries to connect to it.
func (sv *supervisor) check(p *peerState, now time.Time) {
	if p.key == "" {
		key, err := sv.resolve(p.addr)
		if err != nil {
			// neutrino reports it as it dials; try again later.
			p.next = now.Add(redialMax)
			return
		}
		p.key = key
	}
	sv.mu.Lock()
	up := sv.open[p.key] > 0
	sv.mu.Unlock()
	switch {
	case up && !p.up:
		if p.tries > 0 {
			log.Infof("Peer %s connected after %v away (%d tries)", p.addr,
				now.Sub(p.since).Round(time.Millisecond), p.tries)
		}
		p.up, p.upAt, p.refused = true, now, 0
		return
	case up:
		return
	case p.up:
		p.up, p.since = false, now
		if now.Sub(p.upAt) >= stableAfter {
			p.tries, p.next = 0, now
		}
		sv.statsMu.Lock()
		sv.outages++
		sv.statsMu.Unlock()
		log.Infof("Lost peer %s; connecting again", p.addr)
	}
	if now.Before(p.next) {
		return
	}
	// A host name may point elsewhere by now.
	if key, err := sv.resolve(p.addr); err == nil {
		p.key = key
	}
	p.tries++
	if p.tries == redialWarn+1 {
		log.Warnf("Peer %s unreachable for %v after %d tries; trying "+
			"again every %v at most", p.addr, now.Sub(p.since).Round(time.Millisecond),
			redialWarn, redialMax)
	}
	wait := redialFirst << min(p.tries-1, 16)
	p.next = now.Add(min(wait, redialMax))
	sv.statsMu.Lock()
	sv.redials++
	sv.statsMu.Unlock()
	if err := sv.cs.ConnectNode(p.addr, false); err != nil {
		log.Debugf("Connect to peer %s: %v", p.addr, err)
		if p.refused < maxRefused {
			p.refused++
			p.tries--
			p.next = now.Add(refusedWait)
		}
	}
}

// resolve turns a configured peer into the remote address neutrino dials,
// as neutrino does: host[:port] with the network's default port, and the
// first address the host name resolves to.
func (sv *supervisor) resolve(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		host, port = addr, sv.defaultPort
	}
	if _, err := strconv.Atoi(port); err != nil {
		return "", fmt.Errorf("peer %s: bad port %q", addr, port)
	}
	ips, err := sv.lookup(host)
	if err != nil {
		return "", err
	}
	if len(ips) == 0 {
		return "", fmt.Errorf("peer %s: no address for %s", addr, host)
	}
	return net.JoinHostPort(ips[0].String(), port), nil
}

// stats returns how often configured peers were lost and how many tries
// went out to bring them back.
func (sv *supervisor) stats() (outages, redials int) {
	sv.statsMu.Lock()
	defer sv.statsMu.Unlock()
	return sv.outages, sv.redials
}
