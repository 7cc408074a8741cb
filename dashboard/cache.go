package dashboard

import (
	"bytes"
	"context"
	"net/http"
	"sync"
	"time"
)

// Limits of the answer cache.
const (
	// cacheMaxAge is how long an answer is served again at most, even
	// while no event came: figures that do not follow the tips (peers,
	// metrics) are at most this old.
	cacheMaxAge = time.Second

	// cacheMaxEntries bounds the answers kept; the cache starts afresh
	// when it is full.
	cacheMaxEntries = 256

	// cacheMaxBody is the largest answer kept.
	cacheMaxBody = 1 << 20
)

// answer is a recorded HTTP answer.
type answer struct {
	status int
	ctype  string
	body   []byte
}

// write writes a to w.
func (a *answer) write(w http.ResponseWriter) {
	if a.ctype != "" {
		w.Header().Set("Content-Type", a.ctype)
	}
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

// cacheEntry is one cached answer; done is closed once it is filled.
type cacheEntry struct {
	done chan struct{}
	ans  answer
	at   time.Time
}

// answerCache shares the answers of the dashboard's reads between the
// browsers: when a new tip makes every open dashboard redraw, the node
// answers each distinct read once, not once per browser. An answer is
// served again until the hub's next event (the generation changes) or for
// cacheMaxAge, whichever comes first, and concurrent requests for the same
// read wait for the one in flight.
type answerCache struct {
	mu      sync.Mutex
	gen     uint64
	entries map[string]*cacheEntry
	fills   uint64 // answers computed, for tests
}

// get returns the answer for key at generation gen, computing it with
// fill unless a fresh one is cached or in flight.
func (c *answerCache) get(gen uint64, key string, fill func() answer) answer {
	c.mu.Lock()
	if c.entries == nil || c.gen != gen || len(c.entries) >= cacheMaxEntries {
		c.gen, c.entries = gen, make(map[string]*cacheEntry)
	}
	if e, ok := c.entries[key]; ok {
		select {
		case <-e.done:
			if now().Sub(e.at) < cacheMaxAge {
				c.mu.Unlock()
				return e.ans
			}
		default:
			c.mu.Unlock()
			<-e.done
			return e.ans
		}
	}
	e := &cacheEntry{done: make(chan struct{})}
	c.entries[key] = e
	c.fills++
	c.mu.Unlock()

	e.ans, e.at = fill(), now()
	close(e.done)
	// A failure is not served again: the next request tries anew.
	if len(e.ans.body) > cacheMaxBody || e.ans.status >= http.StatusInternalServerError {
		c.mu.Lock()
		if c.entries[key] == e {
			delete(c.entries, key)
		}
		c.mu.Unlock()
	}
	return e.ans
}

// recorder is an http.ResponseWriter that keeps the answer.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func newRecorder() *recorder { return &recorder{header: make(http.Header)} }

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
}

func (r *recorder) Write(p []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.body.Write(p)
}

func (r *recorder) answer() answer {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return answer{status: r.status, ctype: r.header.Get("Content-Type"), body: r.body.Bytes()}
}

// cached serves r from the cache, computing the answer with serve, under
// the key of r's path and query.
func (d *Dashboard) cached(w http.ResponseWriter, r *http.Request, serve func(http.ResponseWriter, *http.Request)) {
	ans := d.cache.get(d.hub.generation(), r.URL.Path+"?"+r.URL.RawQuery, func() answer {
		// The answer is shared: the first browser leaving does not
		// cancel it for the others.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), callTimeout)
		defer cancel()
		rec := newRecorder()
		serve(rec, r.WithContext(ctx))
		return rec.answer()
	})
	ans.write(w)
}
