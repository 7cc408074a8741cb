package stratum

import (
	"errors"

	"github.com/mainstake/sidenode/pow/stratum/work"
)

// handleSubmit answers mining.submit(worker, job id, extranonce2, ntime,
// nonce[, version bits]). In order: not subscribed 25, no submit token
// 20, malformed 20, worker not authorized here 24, unknown or stale job
// 21, the share's check (ntime, sizes, version bits 20; low difficulty
// 23), duplicate 22. A share that makes a block is handed to the block
// sink before anything else; an accepted share goes to the share sink
// before the miner hears true.
func (c *conn) handleSubmit(req request) {
	s := c.srv
	now := s.now()
	c.mu.Lock()
	subscribed := c.subscribed
	c.mu.Unlock()
	if !subscribed {
		c.rejectShare(req, nil, work.Reject(work.CodeNotSubscribed, work.ErrNotSubscribed, "not subscribed"), false)
		return
	}
	if !c.takeToken(now) {
		// Not checked, so not held against the ban: a fast miner on an
		// easy chain is not an attacker, and a flood costs the server
		// one parse per refused line.
		c.rejectShare(req, nil, work.Reject(work.CodeOther, errSubmitRate, "submit rate limit exceeded"), false)
		return
	}
	name, jobID, share, err := work.ParseSubmit(req.Params)
	if err != nil {
		c.rejectShare(req, nil, err, true)
		return
	}

	c.mu.Lock()
	w := c.worker(name)
	share.Extranonce1 = c.en1b
	mask := c.versionMaskLocked()
	c.mu.Unlock()
	if w == nil {
		c.rejectShare(req, nil, work.Reject(work.CodeUnauthorized, work.ErrUnauthorized,
			"unauthorized worker"), true)
		return
	}
	e := s.lookupJob(jobID)
	if e == nil {
		c.rejectShare(req, w, work.Reject(work.CodeStale, work.ErrStale, "job not found (stale)"), true)
		return
	}
	c.mu.Lock()
	diff := c.shareDiff(e.seq)
	c.mu.Unlock()
	if diff != c.targetDiff || c.target == nil {
		c.targetDiff, c.target = diff, work.TargetFromDifficulty(diff)
	}
	target := c.target
	res, err := e.job.Check(share, mask, target)
	if err != nil {
		c.rejectShare(req, w, err, true)
		return
	}
	n, err := e.seen.RecordLen(share)
	if err != nil {
		if errors.Is(err, work.ErrSeenFull) {
			// The miner is not at fault. The new job was asked for
			// when the set reached refreshAt.
			c.rejectShare(req, w, err, false)
			return
		}
		c.rejectShare(req, w, err, true)
		return
	}
	if n >= e.refreshAt {
		// Ask for the next job while this one still takes shares, so
		// that miners hold it before this one fills.
		s.askRefresh(e)
	}

	rec := &Share{
		Worker:        w.name,
		Payout:        w.payout,
		Difficulty:    diff,
		ShareTarget:   target,
		NetTarget:     e.job.NetTarget,
		NetDifficulty: e.netDiff,
		Height:        e.job.Height,
		JobID:         e.job.ID,
		Time:          now,
		Hash:          res.Hash,
		RemoteAddr:    c.remote,
	}
	if res.Block {
		rec.Block = true
		blk, berr := e.job.Block(share, mask)
		if berr == nil {
			berr = s.blocks.SubmitBlock(blk)
		}
		rec.BlockErr = berr
		if berr != nil {
			log.Errorf("Block %v at height %d from %q: %v", res.Hash, e.job.Height, w.name, berr)
		} else {
			log.Infof("Block %v at height %d found by %q", res.Hash, e.job.Height, w.name)
		}
		s.stats.block(w.stats, berr == nil)
	}
	if s.shares != nil {
		if err := s.shares.AcceptShare(rec); err != nil {
			log.Errorf("Share of %q not recorded: %v", w.name, err)
			c.rejectShare(req, w, work.Reject(work.CodeOther, err, "share not recorded"), false)
			return
		}
	}
	s.stats.accept(w.stats, diff, now)
	c.send(false, trueLine(req.ID))
	c.active()
	c.countCheck(false)

	// Vardiff, on the accepted share; a share accepted at a difficulty
	// other than the one in force (an older job's) is not a sample of
	// it.
	c.mu.Lock()
	if c.vd != nil && !c.fixedDiff && diff == c.diff {
		if nd, changed := c.vd.Share(now, e.netDiff); changed {
			c.setDiffLocked(c.clampDiff(nd, e.netDiff))
			c.sendDiffLocked(false)
		}
	}
	c.mu.Unlock()
}

// errSubmitRate is the cause of a submit refused by the rate limit.
var errSubmitRate = errors.New("submit rate limit exceeded")

// rejectShare refuses a submit, counts the reject (for worker w when
// known) and, when checked, counts it against the invalid-share ban.
func (c *conn) rejectShare(req request, w *authWorker, err error, checked bool) {
	code := work.CodeOf(err)
	msg := err.Error()
	var re *work.RejectError
	if !errors.As(err, &re) {
		msg = code.String()
	}
	var ws *workerStats
	if w != nil {
		ws = w.stats
	}
	c.srv.stats.reject(ws, code, errors.Is(err, work.ErrNTime))
	c.refuse(req.ID, code, msg)
	if checked {
		// A stale share is the network's doing, not the miner's.
		c.countCheck(code != work.CodeStale)
	}
}

// countCheck counts a checked submit for the invalid-share ban: after
// BanCheckThreshold of them, a connection whose invalid share is above
// BanInvalidRatio is dropped and its address banned for BanDuration.
func (c *conn) countCheck(invalid bool) {
	cfg := &c.srv.cfg
	if cfg.BanCheckThreshold == 0 {
		return
	}
	c.checked++
	if invalid {
		c.invalid++
	}
	if c.checked < cfg.BanCheckThreshold {
		return
	}
	ratio := float64(c.invalid) / float64(c.checked)
	c.checked, c.invalid = 0, 0
	if ratio > cfg.BanInvalidRatio {
		log.Infof("Banned %s for %v: %.0f%% invalid shares", c.ip, cfg.BanDuration, 100*ratio)
		c.srv.ban(c.ip)
		c.flush()
		c.drop(DropBanned)
	}
}

// askRefresh asks for a new job because job e's duplicate set is filling:
// once per job, and only for the current one (a miner with an older job
// has the newer ones already).
func (s *Server) askRefresh(e *jobEntry) {
	if !e.refreshAsked.Load() && e == s.currentJob() && e.refreshAsked.CompareAndSwap(false, true) {
		s.requestJob()
	}
}
