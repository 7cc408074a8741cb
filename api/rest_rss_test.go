package api_test

import (
	"bytes"
	"net/http"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/mainstake/sidenode/api/apitest"
)

// procStatusKB returns a field of /proc/self/status in kB (VmRSS, VmHWM),
// 0 where there is none.
func procStatusKB(field string) int {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field+":"); ok {
			n, _ := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			return n
		}
	}
	return 0
}

// BenchmarkRESTUnauthenticatedPosts sends 1,000 unauthenticated POSTs of
// 1 MiB each (a raw transaction), 8 at a time, to the REST gateway of an in-process server on
// loopback, and reports the process's resident memory: before
// (rss-before-MB), after (rss-after-MB) and at its peak (peak-rss-MB,
// VmHWM, over the whole process run: run it with -benchtime 1x, alone).
// It measures the cost of requests the gateway should refuse from their
// headers (issue 11); it asserts nothing.
//
//	go test ./api/ -run '^$' -bench BenchmarkRESTUnauthenticatedPosts -benchtime 1x
func BenchmarkRESTUnauthenticatedPosts(b *testing.B) {
	srv := apitest.StartServer(b, apitest.NewBackend(5), nil)
	client := restClient(b, srv)
	// A request the gateway would decode and forward: a raw
	// transaction field filling the 1 MiB.
	prefix, suffix := `{"raw_hex": "`, `"}`
	body := []byte(prefix + strings.Repeat("00", (1<<20-len(prefix)-len(suffix))/2) + suffix)
	const total, workers = 1000, 8
	runtime.GC()
	before := procStatusKB("VmRSS")
	statuses := make(map[int]int)
	var failed int
	var mu sync.Mutex
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var wg sync.WaitGroup
		next := make(chan struct{}, total)
		for j := 0; j < total; j++ {
			next <- struct{}{}
		}
		close(next)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for range next {
					req, err := http.NewRequest(http.MethodPost,
						restURL(srv, "/v1/sidetxs"), bytes.NewReader(body))
					if err != nil {
						panic(err)
					}
					req.Header.Set("Content-Type", "application/json")
					resp, err := client.Do(req)
					mu.Lock()
					if err != nil {
						failed++
					} else {
						statuses[resp.StatusCode]++
						resp.Body.Close()
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
	}
	b.StopTimer()
	after := procStatusKB("VmRSS")
	b.ReportMetric(float64(before)/1024, "rss-before-MB")
	b.ReportMetric(float64(after)/1024, "rss-after-MB")
	b.ReportMetric(float64(procStatusKB("VmHWM"))/1024, "peak-rss-MB")
	b.Logf("answers %v, requests failed by the client (connection closed "+
		"while sending the body) %d", statuses, failed)
}
