package stratum

import (
	"errors"
	"fmt"
)

// SetVersionMask changes the server's BIP310 version-rolling mask. Every
// miner that negotiated version rolling gets mining.set_version_mask with
// its new mask (its requested mask AND the new one); its shares are
// checked against the new mask from then on.
func (s *Server) SetVersionMask(mask uint32) {
	s.versionMask.Store(mask)
	for _, c := range s.connsSnapshot() {
		c.mu.Lock()
		if c.versionRolling {
			c.send(true, notifyLine("mining.set_version_mask",
				[]any{fmt.Sprintf("%08x", c.clientMask&mask)}))
		}
		c.mu.Unlock()
	}
}

// ErrNoSession is NewExtranonce's error for a session id no open
// connection holds.
var ErrNoSession = errors.New("no open connection holds the session")

// NewExtranonce gives the connection of a session a fresh extranonce1 (for
// two rigs found sharing one session, say). A miner that sent
// mining.extranonce.subscribe gets mining.set_extranonce and the current
// job, clean; any other is disconnected, to subscribe again.
func (s *Server) NewExtranonce(sessionID string) error {
	var target *conn
	for _, c := range s.connsSnapshot() {
		c.mu.Lock()
		match := c.subscribed && c.sessionID == sessionID
		c.mu.Unlock()
		if match {
			target = c
			break
		}
	}
	if target == nil {
		return ErrNoSession
	}
	c := target
	c.mu.Lock()
	if !c.extranonceSub {
		c.mu.Unlock()
		c.drop(DropExtranonce)
		return nil
	}
	c.mu.Unlock()
	ss, _, err := s.subscribe("")
	if err != nil {
		return err
	}
	c.mu.Lock()
	old := c.en1
	c.en1, c.en1b, c.sessionID = ss.extranonce1, en1Bytes(ss.extranonce1), ss.id
	c.send(true, notifyLine("mining.set_extranonce",
		[]any{fmt.Sprintf("%08x", ss.extranonce1), s.cfg.Extranonce2Size}))
	c.lastJobSeq = 0
	c.mu.Unlock()
	s.releaseExtranonce(old)
	if e := s.currentJob(); e != nil {
		c.sendJob(e, true, false)
	}
	return nil
}
