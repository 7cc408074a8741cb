package node_test

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/devnet"
)

// BenchmarkDashboardsOnDevnet measures what 100 open dashboards cost a
// node's block processing, against none: one staking node on a devnet,
// and for each iteration one mainchain block, timed from btcd's answer to
// generate to the node's log line for the block it connected (the block
// applied, its draw made, its sideblock validated and connected). The
// dashboards are HTTP clients that follow /dashboard/events and, at every
// new sidechain tip, fetch what the Overview page redraws
// (/dashboard/data/overview) at a random moment within half a second, as a
// browser left open on it does; they are not waited for, so their fetches
// overlap the next blocks, which come back to back: the worst case. Run it with -benchtime 30x; it reports the
// median (p50-ns) and the 90th percentile (p90-ns).
func BenchmarkDashboardsOnDevnet(b *testing.B) {
	for _, open := range []int{0, 100} {
		b.Run("open="+strconv.Itoa(open), func(b *testing.B) {
			net, err := devnet.New(b.TempDir(), sidenodeBinaryB(b), []devnet.NodeSpec{
				{Name: "solo", Backend: "btcd", Stake: 100_000_000, PublisherValue: 5_000_000},
			}, nil)
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(net.Stop)
			node := net.Nodes[0]
			if err := node.Start(); err != nil {
				b.Fatal(err)
			}
			matureAndStake(b, net, 4000)
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
			defer cancel()
			if _, err := net.H.Generate(1); err != nil {
				b.Fatal(err)
			}
			if _, err := node.WaitContains(ctx, 0, "(this node)"); err != nil {
				b.Fatal(err)
			}
			openDashboards(ctx, b, node, open)

			lat := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				mark := node.Mark()
				start := time.Now()
				hashes, err := net.H.Generate(1)
				if err != nil {
					b.Fatal(err)
				}
				height, _, err := net.H.Tip()
				if err != nil {
					b.Fatal(err)
				}
				if _, err := node.WaitContains(ctx, mark,
					fmt.Sprintf("connected block %d %v", height, hashes[0])); err != nil {
					b.Fatal(err)
				}
				lat = append(lat, time.Since(start))
			}
			b.StopTimer()
			sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
			b.ReportMetric(float64(percentile(lat, 0.5).Nanoseconds()), "p50-ns")
			b.ReportMetric(float64(percentile(lat, 0.9).Nanoseconds()), "p90-ns")
		})
	}
}

// openDashboards logs n clients in to node's dashboard; each follows the
// events and refetches the Overview's data at every new sidechain tip,
// until ctx ends.
func openDashboards(ctx context.Context, b *testing.B, node *devnet.Node, n int) {
	b.Helper()
	if n == 0 {
		return
	}
	pem, err := os.ReadFile(filepath.Join(node.NetDir(), api.TLSCertFilename))
	if err != nil {
		b.Fatal(err)
	}
	cred, err := os.ReadFile(filepath.Join(node.NetDir(), api.ReadOnlyCredFilename))
	if err != nil {
		b.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	base := "https://" + node.RESTAddr + "/dashboard/"
	joined := make(chan struct{}, n)
	for i := 0; i < n; i++ {
		jar, _ := cookiejar.New(nil)
		tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
		b.Cleanup(tr.CloseIdleConnections)
		c := &http.Client{Transport: tr, Jar: jar}
		resp, err := c.PostForm(base+"login", url.Values{"credential": {strings.TrimSpace(string(cred))}})
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"events", nil)
		resp, err = c.Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("dashboard %d: events: %v %v", i, err, resp)
		}
		go func() {
			defer resp.Body.Close()
			sc := bufio.NewScanner(resp.Body)
			first := true
			for sc.Scan() {
				if !strings.HasPrefix(sc.Text(), "data: ") || !strings.Contains(sc.Text(), `"sidechain"`) {
					continue
				}
				if first {
					first = false
					joined <- struct{}{}
				}
				time.Sleep(time.Duration(rand.Int64N(int64(500 * time.Millisecond))))
				for _, p := range []string{"data/overview"} {
					if r, err := c.Get(base + p); err == nil {
						_, _ = io.Copy(io.Discard, r.Body)
						r.Body.Close()
					}
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		<-joined
	}
}
