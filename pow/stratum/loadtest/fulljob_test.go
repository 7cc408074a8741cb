package loadtest

import (
	"testing"
	"time"
)

// TestFullJobAsksOneNewJob fills a job's duplicate set and keeps
// submitting to it: the server should send one new job for the full one,
// not one per share it refuses for it (each new job goes to every miner,
// and MaxJobs of them evict the full job, turning its in-flight shares
// stale).
func TestFullJobAsksOneNewJob(t *testing.T) {
	cfg := LoadConfig(1e-10)
	cfg.MaxSharesPerJob = 20
	l, err := StartLocal(cfg, 3, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	m := Miners{Addr: l.Addr, Pass: "d=1e-10", Timeout: 20 * time.Second}
	c, err := m.Login(0)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, _, err := c.WaitJob(m.Timeout); err != nil {
		t.Fatal(err)
	}
	before := c.Notifies()
	shares, _, err := Prepare(c, 300, 0, 1<<16)
	if err != nil {
		t.Fatal(err)
	}
	var chs []<-chan Reply
	for _, sh := range shares {
		ch, err := c.Send("mining.submit", sh.SubmitParams(m.User(0)))
		if err != nil {
			t.Fatal(err)
		}
		chs = append(chs, ch)
	}
	accepted, byCode := 0, make(map[int]int)
	for _, ch := range chs {
		r := <-ch
		if r.OK() {
			accepted++
		} else {
			byCode[r.Code()]++
		}
	}
	// The answers are in, and a job made for the full one was sent
	// before the answers to the shares after it. Mark the end with a new
	// tip, and wait for its job.
	l.Source.NewTip()
	prev := l.Source.Prev()
	for deadline := time.Now().Add(m.Timeout); ; time.Sleep(time.Millisecond) {
		if _, _, _, j := c.State(); j.Prev == prev {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the new tip's job never came")
		}
	}
	got := c.Notifies() - before - 1
	t.Logf("accepted %d, refused %v; jobs sent for the full job: %d", accepted, byCode, got)
	if accepted != cfg.MaxSharesPerJob {
		t.Errorf("accepted %d shares of a job that takes %d", accepted, cfg.MaxSharesPerJob)
	}
	if got > 1 {
		t.Errorf("the server sent %d new jobs for one full job", got)
	}
}
