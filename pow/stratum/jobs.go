package stratum

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/mainstake/sidenode/pow/stratum/work"
)

// jobLoop makes a new job whenever the source's template changes, and
// every JobRefresh when it does not. While the source has no template (the
// node is still syncing), it asks again after firstRetry, doubling up to
// JobRefresh, so that miners get work as soon as there is some.
func (s *Server) jobLoop(ctx context.Context) {
	defer s.bg.Done()
	var tick <-chan time.Time
	if s.cfg.JobRefresh > 0 {
		t := time.NewTicker(s.cfg.JobRefresh)
		defer t.Stop()
		tick = t.C
	}
	changed := s.src.Changed()
	retryIn := firstRetry
	var retry <-chan time.Time
	for {
		if s.templateMissing.Load() && s.cfg.JobRefresh > 0 {
			if retry == nil {
				retry = time.After(min(retryIn, s.cfg.JobRefresh))
				retryIn *= 2
			}
		} else {
			retry, retryIn = nil, firstRetry
		}
		select {
		case <-ctx.Done():
			return
		case _, ok := <-changed:
			if !ok {
				changed = nil
				continue
			}
			s.refreshJob()
		case <-tick:
			s.refreshJob()
		case <-retry:
			retry = nil
			s.refreshJob()
		case <-s.refresh:
			s.refreshJob()
		}
	}
}

// firstRetry is the job loop's first wait before asking a source that had
// no template again.
const firstRetry = time.Second

// refreshJob asks the source for its template, makes a job of it and
// sends it to every authorized miner, clean when its previous block is not
// the last job's.
func (s *Server) refreshJob() {
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	t, err := s.src.Template()
	if err != nil {
		// Said once per outage, not at every retry.
		if !s.templateMissing.Swap(true) {
			log.Warnf("No Stratum job: template: %v", err)
		}
		return
	}
	if s.templateMissing.Swap(false) {
		log.Infof("Stratum work again, from the template of height %d", t.Height)
	}
	// The job is built outside jobsMu: submits look jobs up meanwhile.
	s.jobsMu.RLock()
	seq := s.jobSeq + 1
	cur := s.cur
	s.jobsMu.RUnlock()
	id := strconv.FormatUint(seq, 16)
	j, err := work.NewJob(id, t, s.cfg.Extranonce2Size)
	if err != nil {
		if errors.Is(err, work.ErrAlgorithm) {
			// The next block is not SHA-256d: no Stratum work, and the
			// old jobs are for a block the chain no longer wants.
			s.jobsMu.Lock()
			s.jobs = make(map[string]*jobEntry)
			clear(s.jobOrder)
			s.jobOrder = s.jobOrder[:0]
			s.cur = nil
			s.jobsMu.Unlock()
			log.Infof("No Stratum job for height %d: its block is not mined with SHA-256d", t.Height)
			return
		}
		log.Errorf("No Stratum job for height %d: %v", t.Height, err)
		return
	}
	clean := cur == nil || cur.job.Template.Header.PrevBlock != t.Header.PrevBlock
	e := &jobEntry{
		job:     j,
		seq:     seq,
		seen:    work.NewSeen(s.cfg.MaxSharesPerJob),
		netDiff: work.DifficultyFromTarget(j.NetTarget),

		refreshAt: refreshAt(s.cfg.MaxSharesPerJob),
	}
	e.notify[0] = notifyLine("mining.notify", j.Notify(false))
	e.notify[1] = notifyLine("mining.notify", j.Notify(true))

	s.jobsMu.Lock()
	s.jobSeq = seq
	if clean {
		// Every older job builds on a block that is no longer the tip.
		s.jobs = make(map[string]*jobEntry)
		clear(s.jobOrder)
		s.jobOrder = s.jobOrder[:0]
	}
	for len(s.jobOrder) >= s.cfg.MaxJobs {
		delete(s.jobs, s.jobOrder[0].job.ID)
		s.jobOrder[0] = nil // let the job and its duplicate set go
		s.jobOrder = s.jobOrder[1:]
	}
	s.jobs[id] = e
	s.jobOrder = append(s.jobOrder, e)
	s.cur = e
	s.jobsMu.Unlock()

	s.stats.height.Store(int64(j.Height))
	log.Debugf("Stratum job %s height %d clean %v", id, j.Height, clean)
	s.broadcast(e, clean)
}

// broadcast queues job e for every authorized connection. It never
// blocks on a client: each connection's writer sends when its socket
// takes the bytes.
func (s *Server) broadcast(e *jobEntry, clean bool) {
	for _, c := range s.connsSnapshot() {
		c.sendJob(e, clean, false)
	}
	if s.onBroadcast != nil {
		s.onBroadcast(e)
	}
}

// requestJob asks the job loop for a new job without waiting.
func (s *Server) requestJob() {
	s.jobRequests.Add(1)
	select {
	case s.refresh <- struct{}{}:
	default:
	}
}

// currentJob returns the newest job, nil if there is none.
func (s *Server) currentJob() *jobEntry {
	s.jobsMu.RLock()
	defer s.jobsMu.RUnlock()
	return s.cur
}

// lookupJob returns the job of an id, nil when it is unknown or stale.
func (s *Server) lookupJob(id string) *jobEntry {
	s.jobsMu.RLock()
	defer s.jobsMu.RUnlock()
	return s.jobs[id]
}

// refreshAt is the number of shares of a job at which the server asks for
// the next one: 3/4 of the duplicate set's bound (at least 1). At tens of
// thousands of shares a second the set fills in seconds; asking when it
// is full leaves miners submitting to a job that refuses everything until
// the new one reaches them.
func refreshAt(maxShares int) int {
	return max(1, maxShares-maxShares/4)
}
