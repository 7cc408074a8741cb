package dashboard_test

import (
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/chromedp/chromedp"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/api/apitest"
	"github.com/mainstake/sidenode/dashboard"
)

// browser finds headless Chromium ($CHROMIUM, or Debian's chromium, which
// scripts/install-deps installs); a missing one fails the test, as in
// node's TestDashboardInBrowser.
func browser(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("the dashboard's browser tests need Chromium: run scripts/install-deps, or set $CHROMIUM")
	return ""
}

// spki returns the base64 SHA-256 of the public key of the PEM
// certificate in path, for --ignore-certificate-errors-spki-list.
func spki(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatalf("%s holds no certificate", path)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// browserSession starts headless Chromium, logs in to e's dashboard with
// the read-only credential and returns the browser's context, and a check
// that fails the test on any error in the browser's console.
func browserSession(t *testing.T, e *env) (context.Context, func()) {
	t.Helper()
	chromium := browser(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox, // tests run as root in CI
		chromedp.Flag("ignore-certificate-errors-spki-list",
			spki(t, filepath.Join(e.srv.Dir, api.TLSCertFilename))),
		chromedp.WindowSize(1280, 1000),
		chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true),
	)
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(acancel)
	bctx, bcancel := chromedp.NewContext(actx)
	t.Cleanup(bcancel)
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start Chromium %s: %v", chromium, err)
	}
	ctx, cancel := context.WithTimeout(bctx, 2*time.Minute)
	t.Cleanup(cancel)

	var mu sync.Mutex
	var errs []string
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			switch m.Type {
			case chromedp.ConsoleError, chromedp.ConsoleException, "assert":
				mu.Lock()
				errs = append(errs, string(m.Type)+": "+m.Text+" "+m.URL)
				mu.Unlock()
			}
		}
	}()
	if err := chromedp.Do(ctx,
		chromedp.Navigate(e.base),
		chromedp.WaitVisible(chromedp.CSS(`#credential`)),
		chromedp.SendKeys(chromedp.CSS(`#credential`), e.readOnly),
		chromedp.Submit(chromedp.CSS(`#credential`)),
		chromedp.WaitVisible(chromedp.CSS(`main[data-page="overview"]`)),
	); err != nil {
		t.Fatal(err)
	}
	return ctx, func() {
		t.Helper()
		mu.Lock()
		defer mu.Unlock()
		if len(errs) > 0 {
			t.Errorf("browser errors:\n%s", strings.Join(errs, "\n"))
		}
	}
}

// shownOn returns the text of the element of page whose data-k is key.
func shownOn(t *testing.T, ctx context.Context, page, key string) string {
	t.Helper()
	sel := strconv.Quote(`main[data-page="` + page + `"] [data-k="` + key + `"]`)
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`(() => { const e = document.querySelector(`+sel+`); return e ? e.textContent : '(not shown)'; })()`))
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return strings.TrimSpace(got)
}

// screenshot writes the page to $SCREENSHOT_DIR/name, when it is set.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if dir := os.Getenv("SCREENSHOT_DIR"); dir != "" {
		png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPowPanelInBrowser draws the Mining page in headless Chromium over the
// fake backend's MiningService and checks what it shows against the
// backend's figures, with no error in the browser's console. With
// $SCREENSHOT_DIR set, it writes the page there as pow.png.
func TestPowPanelInBrowser(t *testing.T) {
	e := startDashboardWith(t, dashboard.PowPanels())
	ctx, checkErrors := browserSession(t, e)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(e.base+"#pow"),
		chromedp.WaitVisible(chromedp.CSS(`main[data-page="pow"] [data-k="pow-blocks"]`)),
	); err != nil {
		t.Fatal(err)
	}
	shown := func(key string) string { return shownOn(t, ctx, "pow", key) }
	// The fake backend: tip 30 under bits 207fffff, 1234.5 H/s over 30
	// blocks, 12 s ahead of a 2 s schedule, 31 blocks listed.
	for key, want := range map[string]string{
		"pow-height":     "30",
		"pow-bits":       "207fffff",
		"pow-next-bits":  "207fffff",
		"pow-algorithm":  "sha256d",
		"pow-hashrate":   "1.23 kH/s over 30 blocks",
		"pow-schedule":   "12 s ahead of schedule (6.0 blocks)",
		"pow-difficulty": "1.0000",
		"pow-ideal":      "2 s, half-life 3600 s",
	} {
		if got := shown(key); got != want {
			t.Errorf("%s shows %q, want %q", key, got, want)
		}
	}
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[int](
		`document.querySelectorAll('[data-k="pow-blocks"] tbody tr').length`))
	if err != nil || rows != 20 {
		t.Errorf("recent blocks: %d rows (%v), want 20", rows, err)
	}
	first, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('[data-k="pow-blocks"] tbody tr:first-child td')].map((td) => td.textContent)`))
	if err != nil || len(first) != 6 || first[0] != "30" || first[3] != "207fffff" || first[4] != "sha256d" {
		t.Errorf("first block row %q (%v)", first, err)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](
		`document.querySelectorAll('[data-k="plot-blocktimes"] polyline, [data-k="plot-blocktimes"] path').length`)); err != nil || n == 0 {
		t.Errorf("block time plot: %d lines (%v)", n, err)
	}
	screenshot(t, ctx, "pow.png")
	checkErrors()
}

// TestPoolPanelInBrowser draws the Pool page over the fake backend's
// PoolService and checks its figures, its tables and its rejects plot;
// then, on a node without a pool, the node's reason. With
// $SCREENSHOT_DIR set, it writes the page there as pool.png.
func TestPoolPanelInBrowser(t *testing.T) {
	e := startDashboardWith(t, dashboard.PowPanels())
	ctx, checkErrors := browserSession(t, e)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(e.base+"#pool"),
		chromedp.WaitVisible(chromedp.CSS(`main[data-page="pool"] [data-k="pool-audit-blocks"]`)),
	); err != nil {
		t.Fatal(err)
	}
	// The fake pool: 3 GH/s over 600 s, 1,500 shares accepted, 11
	// refused, three blocks (one of each status), an audit that balances.
	for key, want := range map[string]string{
		"pool-hashrate":     "3.00 GH/s over 600 s",
		"pool-connections":  "3",
		"pool-accepted":     "1500",
		"pool-rejected":     "11 (20 other: 1, 20 bad ntime: 4, 21 stale: 3, 22 duplicate: 1, 23 low difficulty: 2)",
		"pool-scheme":       "pplns, fee 1.00%",
		"pool-owed":         "0.01500000 BTC",
		"pool-blocks-count": "1 confirmed, 1 pending, 1 orphaned",
		"pool-audit":        "balances (3 blocks)",
		"pool-listen":       "127.0.0.1:3333",
	} {
		if got := shownOn(t, ctx, "pool", key); got != want {
			t.Errorf("%s shows %q, want %q", key, got, want)
		}
	}
	rows := func(key string) [][]string {
		got, err := chromedp.Run(ctx, chromedp.Evaluate[[][]string](
			`[...document.querySelectorAll('main[data-page="pool"] [data-k="`+key+`"] tbody tr')].map((tr) => [...tr.children].map((td) => td.textContent))`))
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		return got
	}
	if ws := rows("pool-workers"); len(ws) != 2 || ws[0][0] != "alice.rig1" || ws[0][3] != "1200" ||
		ws[0][4] != "6 (21 stale: 3, 22 duplicate: 1, 23 low difficulty: 2)" || ws[1][6] != "never" {
		t.Errorf("workers %q", ws)
	}
	if bs := rows("pool-blocks"); len(bs) != 3 || bs[0][0] != "29" || bs[0][2] != "pending" ||
		bs[1][2] != "orphaned" || bs[2][3] != "11" {
		t.Errorf("blocks %q", bs)
	}
	if as := rows("pool-audit-blocks"); len(as) != 3 || as[0][7] != "yes" || as[1][3] != "0.00000000 BTC" {
		t.Errorf("audit %q", as)
	}
	if ps := rows("pool-payouts"); len(ps) != 4 || ps[0][1] != "mempool" || ps[1][1] != "23" ||
		ps[0][2] != "2" || ps[0][3] != "0.25000000 BTC" || ps[0][4] != "0.00002000 BTC" {
		t.Errorf("payouts %q", ps)
	}
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](
		`document.querySelectorAll('[data-k="plot-rejects"] rect').length`)); err != nil || n != 7 {
		t.Errorf("rejects plot: %d bars (%v), want 7", n, err)
	}
	screenshot(t, ctx, "pool.png")

	checkErrors()

	// A node without a pool: a dashboard of its own, since the dashboard
	// caches the API's answers.
	np := startDashboardWith(t, dashboard.PowPanels())
	np.b.SetNoPool(true)
	ctx, _ = browserSession(t, np)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(np.base+"#pool"),
		chromedp.WaitVisible(chromedp.CSS(`main[data-page="pool"] [data-k="pool-off"]`)),
	); err != nil {
		t.Fatal(err)
	}
	if got := shownOn(t, ctx, "pool", "pool-off"); !strings.Contains(got, "--stratum") {
		t.Errorf("no pool: %q", got)
	}
}

// TestNotarizationInBrowser draws the Overview's Notarization card and a
// notarized block's confirmations card over a fake backend on a network
// with notaries.
func TestNotarizationInBrowser(t *testing.T) {
	b := apitest.NewBackend(3)
	block := b.SideBest[1]
	var txid chainhash.Hash
	txid[0] = 0x77
	key := make([]byte, 33)
	key[0] = 0x02
	n := &api.Notarization{TxID: txid, Height: 130, Confirmations: 3, NotarizedHeight: 5,
		NotarizedBlock: block, Season: 0, Signers: []int{0, 2, 4},
		SignerPubKeys: [][]byte{key, key, key}}
	b.InfoValue.Notarization = &api.NotarizationStatus{Last: n, LagBlocks: 4,
		Age: 90 * time.Second, Health: "regular", IrregularAge: 5 * time.Minute,
		InactiveAge: 48 * time.Minute, Interval: 5, NextHeight: 10, DpowCounting: true}
	if b.ConfirmationsOf == nil {
		b.ConfirmationsOf = make(map[chainhash.Hash]api.Confirmations)
	}
	b.ConfirmationsOf[block] = api.Confirmations{IsBlock: true, InBlock: true, BlockHash: block,
		BlockHeight: 1, OnBestChain: true, SideConfirmations: 4,
		Anchor:       &api.Anchor{TxID: txid, Height: 120, Confirmations: 6},
		Notarization: n, Notarized: true, Dpow: true, MainTip: 125, SideTip: 4}
	e := startDashboardOn(t, b, dashboard.MainstakePanels())
	ctx, checkErrors := browserSession(t, e)
	if err := chromedp.Do(ctx,
		chromedp.Navigate(e.base+"#overview"),
		chromedp.WaitVisible(chromedp.CSS(`main[data-page="overview"] [data-k="not-health"]`)),
	); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"not-health":        "regular",
		"not-height":        "5",
		"not-confirmations": "3 (block 130)",
		"not-lag":           "4 sideblocks, 90 s",
		"not-next":          "10 (every 5)",
		"not-ages":          "irregular 5 min, inactive 48 min",
		"not-counting":      "dPoW (1 until notarized)",
	} {
		if got := shownOn(t, ctx, "overview", k); got != want {
			t.Errorf("%s shows %q, want %q", k, got, want)
		}
	}
	if got := shownOn(t, ctx, "overview", "not-signers"); !strings.HasPrefix(got, "notary 0 (0200") {
		t.Errorf("not-signers shows %q", got)
	}
	if err := chromedp.Do(ctx,
		chromedp.Navigate(e.base+"#explorer?q="+block.String()),
		chromedp.WaitVisible(chromedp.CSS(`main[data-page="explorer"] [data-k="conf-notarized"]`)),
	); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{
		"conf-confirmations": "4",
		"conf-raw":           "4",
		"conf-counting":      "dPoW (1 until notarized)",
	} {
		if got := shownOn(t, ctx, "explorer", k); got != want {
			t.Errorf("%s shows %q, want %q", k, got, want)
		}
	}
	if got := shownOn(t, ctx, "explorer", "conf-notarized"); !strings.HasPrefix(got, "yes: sidechain height 5 by mainchain tx") {
		t.Errorf("conf-notarized shows %q", got)
	}
	screenshot(t, ctx, "notarization.png")
	checkErrors()
}
