package node_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/wire"
	"github.com/chromedp/chromedp"
	"google.golang.org/grpc/status"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/devnet"
	"github.com/mainstake/sidenode/opreturn"
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// chromiumPath finds the headless browser: $CHROMIUM, or Debian's
// chromium package, which scripts/install-deps installs.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	// A missing browser is a broken set-up, not a reason to pass.
	t.Fatal("the dashboard's browser test needs Chromium: run scripts/install-deps " +
		"(Debian's chromium package), or set $CHROMIUM")
	return ""
}

// screenshotDir is where the test writes a screenshot of each page, every
// run: $SCREENSHOT_DIR, or sidenode-dashboard-screenshots in the system's
// temporary dir, which each run overwrites.
func screenshotDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("SCREENSHOT_DIR")
	if dir == "" {
		dir = filepath.Join(os.TempDir(), "sidenode-dashboard-screenshots")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// certSPKI returns the base64 SHA-256 of the public key of the PEM
// certificate in path, which Chromium's --ignore-certificate-errors-spki-list
// takes: the browser then trusts the node's self-signed certificate, and no
// other.
func certSPKI(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	block, _ := pem.Decode(data)
	if block == nil {
		t.Fatalf("%s holds no PEM certificate", path)
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(cert.RawSubjectPublicKeyInfo)
	return base64.StdEncoding.EncodeToString(sum[:])
}

// consoleErrors collects what the pages report as errors: console.error
// calls, uncaught exceptions and the browser's own error log entries.
type consoleErrors struct {
	mu   sync.Mutex
	errs []string
}

func (c *consoleErrors) add(s string) {
	c.mu.Lock()
	c.errs = append(c.errs, s)
	c.mu.Unlock()
}

func (c *consoleErrors) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	errs := c.errs
	c.errs = nil
	return errs
}

// listen collects the page's errors until ctx ends.
func (c *consoleErrors) listen(ctx context.Context) {
	messages := chromedp.Console(ctx)
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			switch m.Type {
			case chromedp.ConsoleError, chromedp.ConsoleException, "assert":
				c.add(string(m.Type) + ": " + m.Text + " " + m.URL)
			}
		}
	}()
}

// pageFigures are the figures of one page's load.
type pageFigures struct {
	loadMS    int64 // navigation start to the page drawn
	bytes     int64 // bytes transferred: the document and every resource
	resources int
}

// TestDashboardInBrowser drives headless Chromium against a devnet node: it
// logs in with the read-only credential, loads every page without a
// console error, checks the numbers shown against the API's answers, sees
// a live update after a new block, checks that script-like searches are
// answered "not found" as text, and writes a screenshot of each page. It
// logs each page's load time and bytes.
func TestDashboardInBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("end-to-end test")
	}
	chromium := chromiumPath(t)
	shots := screenshotDir(t)
	t.Logf("screenshots of each page: %s", shots)
	began := time.Now()
	phase := func(what string) { t.Logf("%v: %s", time.Since(began).Round(time.Millisecond), what) }

	net, err := devnet.New(t.TempDir(), sidenodeBinary(t), []devnet.NodeSpec{
		// Alarms checked every second, and backend_disconnected after
		// one, so that stopping btcd raises it at once.
		{Name: "a", Backend: "btcd", Stake: 300_000_000,
			Args: []string{"--alarms.disconnectedseconds=1", "--alarms.intervalseconds=1"}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopNet(t, net) })
	e := &e2e{t: t, net: net, produced: make(map[string]int)}
	node := net.Nodes[0]
	if err := node.Start(); err != nil {
		t.Fatal(err)
	}
	if _, err := net.H.Generate(140); err != nil {
		t.Fatal(err)
	}
	if _, err := net.RegisterStakes(2000); err != nil {
		t.Fatal(err)
	}
	// Past height 149, where the first federation is elected.
	for i := 0; i < 10; i++ {
		e.mine(net.Nodes)
	}
	wctx, wcancel := e.ctx()
	defer wcancel()
	if err := node.WaitREST(wctx); err != nil {
		t.Fatal(err)
	}
	missOwnSlot(wctx, e, node)
	withdrawal := pegInAndOut(wctx, e, node)
	cred, err := os.ReadFile(filepath.Join(node.NetDir(), api.ReadOnlyCredFilename))
	if err != nil {
		t.Fatal(err)
	}
	base := "https://" + node.RESTAddr + "/dashboard/"

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium),
		chromedp.NoSandbox, // tests run as root in CI
		chromedp.Flag("ignore-certificate-errors-spki-list",
			certSPKI(t, filepath.Join(node.NetDir(), api.TLSCertFilename))),
		chromedp.WindowSize(1280, 1000),
		chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true),
	)
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()
	// The first action starts the browser, which lives as long as bctx.
	if err := chromedp.Do(bctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start Chromium %s: %v", chromium, err)
	}
	ctx, cancel := context.WithTimeout(bctx, 6*time.Minute)
	defer cancel()
	errs := &consoleErrors{}
	errs.listen(ctx)

	phase("devnet ready")
	// Nothing without a login: the dashboard sends the browser to the
	// login page, where a wrong credential is refused.
	if err := chromedp.Do(ctx,
		chromedp.Navigate(base),
		chromedp.WaitVisible(chromedp.CSS(`#credential`)),
	); err != nil {
		t.Fatal(err)
	}
	url, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(url, "/dashboard/login") {
		t.Fatalf("without a login the dashboard is at %s, want the login page", url)
	}
	if err := chromedp.Do(ctx, screenshot(shots, "login")); err != nil {
		t.Fatal(err)
	}
	step(ctx, t, shots, "a wrong credential",
		chromedp.SendKeys(chromedp.CSS(`#credential`), strings.Repeat("ab", 32)),
		chromedp.Submit(chromedp.CSS(`#credential`)),
		chromedp.WaitVisible(chromedp.CSS(`.error:not(:empty)`)),
	)
	refused, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`.error`)))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(refused, "not one of this node's credentials") {
		t.Fatalf("a wrong credential: %q", refused)
	}
	// The refused login's 401 is the browser's one expected error.
	errs.take()
	if err := chromedp.Do(ctx,
		chromedp.SendKeys(chromedp.CSS(`#credential`), strings.TrimSpace(string(cred))),
		chromedp.Submit(chromedp.CSS(`#credential`)),
		chromedp.WaitVisible(chromedp.CSS(`main[data-page="overview"]`)),
	); err != nil {
		t.Fatal(err)
	}

	conn, err := node.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	info, err := node.Info(ctx)
	if err != nil {
		t.Fatal(err)
	}

	phase("logged in")
	figures := map[string]pageFigures{}
	for _, id := range []string{"overview", "lottery", "peg", "explorer", "performance"} {
		figures[id] = loadPage(ctx, t, base, id, shots)
		if got := errs.take(); len(got) > 0 {
			t.Errorf("page %s: browser errors:\n%s", id, strings.Join(got, "\n"))
		}
	}
	for _, id := range []string{"overview", "lottery", "peg", "explorer", "performance"} {
		f := figures[id]
		t.Logf("page %-11s loaded in %4d ms, %6d bytes in %d transfers", id, f.loadMS, f.bytes, f.resources)
	}

	phase("pages loaded")
	// The numbers shown are the API's.
	loadPage(ctx, t, base, "overview", "")
	checkShown(ctx, t, map[string]string{
		"main-tip-height": fmt.Sprint(info.Mainchain.TipHeight),
		"side-tip-height": fmt.Sprint(info.Sidechain.Height),
		"num-tickets":     fmt.Sprint(info.NumTickets),
		"publications":    fmt.Sprint(info.Publications),
		"wins":            fmt.Sprint(info.Wins),
	})
	checkTitle(ctx, t, "state-hash", info.StateHash)
	checkTitle(ctx, t, "main-tip-hash", info.Mainchain.TipHash)
	nodeAPI := apiv1.NewNodeServiceClient(conn)
	checkAlarms(ctx, t, nodeAPI, "")

	main := apiv1.NewMainchainServiceClient(conn)
	tickets, err := main.ListTickets(ctx, &apiv1.ListTicketsRequest{})
	if err != nil {
		t.Fatal(err)
	}
	loadPage(ctx, t, base, "lottery", "")
	checkShown(ctx, t, map[string]string{"lottery-tickets": fmt.Sprint(tickets.Total)})
	checkMissReasons(ctx, t, main)
	// The newest draw's row: its seeding block and winner are GetWinner's.
	drawCells, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('[data-k="draws"] tbody tr:first-child td')].map((td) => td.textContent)`))
	if err != nil {
		t.Fatal(err)
	}
	if len(drawCells) < 4 {
		t.Fatalf("no draw shown: %q", drawCells)
	}
	drawHeight, err := strconv.Atoi(drawCells[0])
	if err != nil {
		t.Fatalf("draw height %q", drawCells[0])
	}
	winner, err := main.GetWinner(ctx, &apiv1.GetWinnerRequest{Height: int32(drawHeight)})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(drawCells[2], fmt.Sprint(winner.TicketId)) || drawCells[3] != winner.TotalWeight {
		t.Errorf("draw %d shown as %q, the API's winner is ticket %d of weight %s",
			drawHeight, drawCells, winner.TicketId, winner.TotalWeight)
	}

	// Before the first election the Peg page says why it has nothing,
	// in the API's words.
	peg, err := apiv1.NewPegServiceClient(conn).GetPegInfo(ctx, &apiv1.GetPegInfoRequest{})
	loadPage(ctx, t, base, "peg", "")
	if err != nil {
		checkShown(ctx, t, map[string]string{"peg-unavailable": status.Convert(err).Message()})
	} else {
		checkShown(ctx, t, map[string]string{
			"peg-epoch": fmt.Sprint(peg.Epoch),
			"peg-coins": fmt.Sprint(peg.PegboxCoinCount),
		})
		checkPegboxCoins(ctx, t, apiv1.NewPegServiceClient(conn))
	}

	// The Explorer finds the sidechain tip by height, with its hash.
	loadPage(ctx, t, base, "explorer?q="+fmt.Sprint(info.Sidechain.Height), "")
	checkTitle(ctx, t, "block-hash", info.Sidechain.TipHash)
	checkShown(ctx, t, map[string]string{"block-height": fmt.Sprint(info.Sidechain.Height)})
	side := apiv1.NewSidechainServiceClient(conn)
	checkConfirmations(ctx, t, side, info.Sidechain.TipHash)
	if err := chromedp.Do(ctx, screenshot(shots, "explorer-block")); err != nil {
		t.Fatal(err)
	}

	// Its first transaction, decoded: the coinbase's outputs are the
	// API's raw transaction's.
	block, err := apiv1.NewSidechainServiceClient(conn).GetBlock(ctx, &apiv1.GetBlockRequest{
		Block: &apiv1.GetBlockRequest_Hash{Hash: info.Sidechain.TipHash}})
	if err != nil {
		t.Fatal(err)
	}
	if len(block.Txids) == 0 {
		t.Fatal("the tip sideblock lists no transaction")
	}
	loadPage(ctx, t, base, "explorer?q="+block.Txids[0], "")
	checkTitle(ctx, t, "tx-id", block.Txids[0])
	outputs, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll('[data-k="tx-outputs"] tbody tr').length`))
	if err != nil {
		t.Fatal(err)
	}
	tx, err := apiv1.NewSidechainServiceClient(conn).GetTransaction(ctx, &apiv1.GetTransactionRequest{Txid: block.Txids[0]})
	if err != nil {
		t.Fatal(err)
	}
	raw, err := hex.DecodeString(tx.RawHex)
	if err != nil {
		t.Fatal(err)
	}
	var msg wire.MsgTx
	if err := msg.Deserialize(bytes.NewReader(raw)); err != nil {
		t.Fatal(err)
	}
	if outputs != len(msg.TxOut) {
		t.Errorf("transaction %s shown with %d outputs, the API's has %d", block.Txids[0], outputs, len(msg.TxOut))
	}
	checkConfirmations(ctx, t, side, block.Txids[0])

	// A withdrawal's card: proven, paid and the payout's confirmations.
	loadPage(ctx, t, base, "explorer?q="+withdrawal, "")
	checkTitle(ctx, t, "tx-id", withdrawal)
	checkConfirmations(ctx, t, side, withdrawal)
	if err := chromedp.Do(ctx, screenshot(shots, "explorer-withdrawal")); err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(ctx, screenshot(shots, "explorer-tx")); err != nil {
		t.Fatal(err)
	}

	// The node's sidechain address: its history rows are
	// GetAddressHistory's, newest first (the coinbases that paid it).
	sideAddr, err := apiv1.NewWalletServiceClient(conn).GetSideAddress(ctx, &apiv1.GetSideAddressRequest{})
	if err != nil {
		t.Fatal(err)
	}
	hist, err := apiv1.NewSidechainServiceClient(conn).GetAddressHistory(ctx, &apiv1.GetAddressHistoryRequest{
		Address: sideAddr.Address, Limit: 100, Reversed: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(hist.Transactions) == 0 {
		t.Fatalf("the node's address %s has no history", sideAddr.Address)
	}
	loadPage(ctx, t, base, "explorer?q="+sideAddr.Address, "")
	shownTxids, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](
		`[...document.querySelectorAll('[data-k="addr-history-table"] tbody tr td:first-child a')].map((a) => a.title)`))
	if err != nil {
		t.Fatal(err)
	}
	var apiTxids []string
	for _, tx := range hist.Transactions {
		apiTxids = append(apiTxids, tx.Txid)
	}
	if strings.Join(shownTxids, " ") != strings.Join(apiTxids, " ") {
		t.Errorf("address %s: history shown %q, the API's %q", sideAddr.Address, shownTxids, apiTxids)
	}
	if err := chromedp.Do(ctx, screenshot(shots, "explorer-address")); err != nil {
		t.Fatal(err)
	}

	phase("numbers checked")
	// Garbage, huge and script-like searches are "not found", shown as
	// text: no markup of theirs reaches the page, and no dialog opens.
	for _, q := range []string{
		`<script>alert(1)</script>`,
		`"><img src=x onerror=alert(1)>`,
		`javascript:alert(1)`,
		strings.Repeat("f", 5000),
		"%00%ff%ZZ \u2603 \u202egnp.exe",
		"../../../../etc/passwd",
	} {
		step(ctx, t, shots, fmt.Sprintf("search %.40q", q),
			chromedp.Navigate("about:blank"),
			chromedp.Navigate(base+"#explorer"),
			chromedp.WaitVisible(chromedp.CSS(`#search`)),
			chromedp.SetValue(chromedp.CSS(`#search`), q),
			// As a user's Enter does: the page's submit handler runs.
			chromedp.Evaluate[chromedp.Void](`document.querySelector('form.search').requestSubmit()`),
		)
		notFound := shownText(ctx, t, "not-found", "")
		injected, err := chromedp.Run(ctx, chromedp.Evaluate[int](
			`document.querySelectorAll('#result img, #result script, #page script, #page iframe').length`))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(notFound, "Not found") || injected != 0 {
			t.Errorf("search %.40q: %q, %d injected elements", q, notFound, injected)
		}
	}
	if got := errs.take(); len(got) > 0 {
		t.Errorf("searches: browser errors:\n%s", strings.Join(got, "\n"))
	}

	phase("searches checked")
	// Typing survives a redraw: a new tip redraws the Explorer while the
	// user types a search, and the search box keeps the text and focus.
	loadPage(ctx, t, base, "explorer", "")
	if err := chromedp.Do(ctx, chromedp.SendKeys(`#search`, "6ef7")); err != nil {
		t.Fatal(err)
	}
	drawn, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById('page').dataset.rendered`))
	if err != nil {
		t.Fatal(err)
	}
	e.mine(net.Nodes)
	if err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](
		`document.getElementById('page').dataset.rendered !== '`+drawn+`'`,
		chromedp.WithPollingTimeout(time.Minute))); err != nil {
		t.Fatalf("the Explorer was not redrawn after a new block: %v", err)
	}
	kept, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`document.querySelector('#search').value + '|' + (document.activeElement || {}).id`))
	if err != nil {
		t.Fatal(err)
	}
	if kept != "6ef7|search" {
		t.Errorf("after a redraw the search box holds %q (value|focused id), want the typed text, focused", kept)
	}

	// A live update: the Overview, left open, shows the sidechain's new
	// tip after a new block, through the event stream alone.
	loadPage(ctx, t, base, "overview", "")
	before := shownText(ctx, t, "side-tip-height", "")
	for tries := 0; ; tries++ {
		e.mine(net.Nodes)
		now, err := node.Info(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(now.Sidechain.Height) == before {
			if tries > 5 {
				t.Fatalf("the sidechain stays at %s", before)
			}
			continue
		}
		want := fmt.Sprint(now.Sidechain.Height)
		if err := chromedp.Do(ctx, chromedp.Poll[chromedp.Void](
			`document.querySelector('[data-k="side-tip-height"]').textContent === '`+want+`'`,
			chromedp.WithPollingTimeout(time.Minute))); err != nil {
			shown, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`[data-k="side-tip-height"]`)))
			t.Fatalf("no live update: the page shows %s, the node is at %s: %v", shown, want, err)
		}
		if err := chromedp.Do(ctx, screenshot(shots, "overview-live")); err != nil {
			t.Fatal(err)
		}
		break
	}
	if got := errs.take(); len(got) > 0 {
		t.Errorf("live update: browser errors:\n%s", strings.Join(got, "\n"))
	}

	phase("live update seen")
	// A live alarm: btcd stops, and the Overview, left open, lists
	// backend_disconnected as ListAlarms does, without a reload; when
	// btcd is back the alarm clears on the page too. A mark in the
	// page's window shows that it was not loaded again meanwhile.
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](`window.sameLoad = true`)); err != nil {
		t.Fatal(err)
	}
	if err := net.H.Stop(); err != nil {
		t.Fatal(err)
	}
	checkAlarms(ctx, t, nodeAPI, "backend_disconnected")
	if err := chromedp.Do(ctx, screenshot(shots, "overview-alarm")); err != nil {
		t.Fatal(err)
	}
	if err := net.H.Start(); err != nil {
		t.Fatal(err)
	}
	checkAlarms(ctx, t, nodeAPI, "-backend_disconnected")
	same, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`window.sameLoad === true && location.hash === '#overview'`))
	if err != nil {
		t.Fatal(err)
	}
	if !same {
		t.Error("the alarm was shown after the page was loaded again")
	}
	if got := errs.take(); len(got) > 0 {
		t.Errorf("live alarm: browser errors:\n%s", strings.Join(got, "\n"))
	}
}

// missOwnSlot makes node miss one of its slots: the miners leave its
// header transactions out of their blocks until ListMissedSlots has an
// own missed slot with a reason, then take them again.
func missOwnSlot(ctx context.Context, e *e2e, node *devnet.Node) {
	t := e.t
	t.Helper()
	conn, err := node.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	main := apiv1.NewMainchainServiceClient(conn)
	e.exclude = func(tx *wire.MsgTx) bool {
		_, payload, err := opreturn.FindInTx(tx, e.net.Params.SidechainID)
		_, ok := payload.(*opreturn.Header)
		return err == nil && ok
	}
	defer func() { e.exclude = nil }()
	for i := 0; ; i++ {
		if i > 8 {
			t.Fatal("no own missed slot with a reason in 8 blocks without headers")
		}
		e.mine(e.net.Nodes)
		missed, err := main.ListMissedSlots(ctx, &apiv1.ListMissedSlotsRequest{Reversed: true, Limit: 20})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range missed.MissedSlots {
			if m.OwnTicket && m.MissReason != "" {
				t.Logf("own slot %d missed: %s", m.Height, m.MissReason)
				e.exclude = nil
				// The headers are mined again.
				e.mine(e.net.Nodes)
				e.mine(e.net.Nodes)
				return
			}
		}
	}
}

// pegInAndOut funds node's wallet, deposits 1 BTC to the pegbox (a coin
// for the Peg page) and, once minted, withdraws half of it to btcd's
// mining address, mining until the payout is mined. It returns the
// withdrawal's sidechain transaction id.
func pegInAndOut(ctx context.Context, e *e2e, node *devnet.Node) string {
	t := e.t
	t.Helper()
	conn, err := node.Dial()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	wlt := apiv1.NewWalletServiceClient(conn)
	fundWallet(ctx, t, e.net, wlt, 200_000_000)
	e.mine(e.net.Nodes)
	p := &pegNet{t: t, net: e.net, e: e, all: e.net.Nodes, ctx: ctx, wlt: wlt,
		peg: apiv1.NewPegServiceClient(conn)}
	p.pegIn(100_000_000)
	out := p.pegOut(50_000_000)
	side := apiv1.NewSidechainServiceClient(conn)
	for i := 0; ; i++ {
		c, err := side.GetConfirmations(ctx, &apiv1.GetConfirmationsRequest{
			Target: &apiv1.GetConfirmationsRequest_Id{Id: out.Txid}})
		if err == nil && len(c.Withdrawals) == 1 && c.Withdrawals[0].Paid {
			return out.Txid
		}
		if i > 30 {
			t.Fatalf("withdrawal %s not paid in 30 blocks: %v %v", out.Txid, c, err)
		}
		e.mine(e.net.Nodes)
	}
}

// shownAlarms returns the alarms the Overview shows, as
// "code|raised height|message" rows; drawn is false until it shows them.
func shownAlarms(ctx context.Context, t *testing.T) (rows []string, drawn bool) {
	t.Helper()
	type shown struct {
		Drawn bool     `json:"drawn"`
		Rows  []string `json:"rows"`
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[shown](`(() => {
		if (document.querySelector('[data-k="alarms-none"]')) return { drawn: true, rows: [] };
		const table = document.querySelector('[data-k="alarm-table"]');
		if (!table) return { drawn: false, rows: [] };
		return { drawn: true, rows: [...table.querySelectorAll('tbody tr')].map((tr) => {
			const td = [...tr.querySelectorAll('td')].map((e) => e.textContent);
			return td[0] + '|' + td[2] + '|' + td[4];
		}) };
	})()`))
	if err != nil {
		t.Fatal(err)
	}
	return got.Rows, got.Drawn
}

// checkAlarms waits until the Overview, as it is, shows the alarms that
// ListAlarms lists, with their raised heights and messages, and, when want
// names a code, until that alarm is among them ("-code": until it is not).
func checkAlarms(ctx context.Context, t *testing.T, nodeAPI apiv1.NodeServiceClient, want string) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	var api, page []string
	for {
		resp, err := nodeAPI.ListAlarms(sctx, &apiv1.ListAlarmsRequest{})
		if err == nil {
			api = api[:0]
			for _, a := range resp.Alarms {
				api = append(api, fmt.Sprintf("%s|%d|%s", a.Code, a.RaisedHeight, a.Message))
			}
			var drawn bool
			page, drawn = shownAlarms(ctx, t)
			has := strings.Contains("\n"+strings.Join(api, "\n"), "\n"+strings.TrimPrefix(want, "-")+"|")
			if drawn && strings.Join(api, "\n") == strings.Join(page, "\n") &&
				(want == "" || has == !strings.HasPrefix(want, "-")) {
				return
			}
		}
		select {
		case <-sctx.Done():
			t.Fatalf("alarms: the Overview shows %q, ListAlarms lists %q (want %q): %v", page, api, want, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// checkConfirmations checks the Explorer's confirmations card, drawn for
// id, against GetConfirmations.
func checkConfirmations(ctx context.Context, t *testing.T, side apiv1.SidechainServiceClient, id string) {
	t.Helper()
	c, err := side.GetConfirmations(ctx, &apiv1.GetConfirmationsRequest{
		Target: &apiv1.GetConfirmationsRequest_Id{Id: id}})
	if err != nil {
		t.Fatal(err)
	}
	yes := map[bool]string{true: "yes", false: "no"}
	want := map[string]string{
		"conf-confirmations":        fmt.Sprint(c.Confirmations),
		"conf-side":                 fmt.Sprint(c.SideConfirmations),
		"conf-anchored":             yes[c.Anchored],
		"conf-notarized":            "not available under this engine",
		"conf-anchor-confirmations": "—",
	}
	if a := c.Anchor; a != nil {
		want["conf-anchor-confirmations"] = fmt.Sprint(a.Confirmations)
		want["conf-anchor-height"] = fmt.Sprint(a.Height)
		checkTitle(ctx, t, "conf-anchor-txid", a.Txid)
	}
	if c.Notarization != nil {
		t.Fatalf("%s: a notarization without a notarization engine: %v", id, c.Notarization)
	}
	checkShown(ctx, t, want)
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[][]string](
		`[...document.querySelectorAll('[data-k="conf-withdrawals"] tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.querySelector('[title]') ? td.querySelector('[title]').getAttribute('title') : td.textContent))`))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != len(c.Withdrawals) {
		t.Fatalf("%s: the card shows %d withdrawals, GetConfirmations %d", id, len(rows), len(c.Withdrawals))
	}
	for i, w := range c.Withdrawals {
		wantRow := []string{w.Outpoint, strings.ToLower(strings.TrimPrefix(w.Stage.String(), "WITHDRAWAL_STAGE_")),
			yes[w.Proven], yes[w.Paid], "—", "—"}
		if w.Paid {
			wantRow[4], wantRow[5] = w.PayoutTxid, fmt.Sprint(w.PayoutConfirmations)
		}
		if strings.Join(rows[i], "|") != strings.Join(wantRow, "|") {
			t.Errorf("%s: withdrawal shown as %q, GetConfirmations says %q", id, rows[i], wantRow)
		}
		t.Logf("withdrawal %s: %s, proven %v, paid %v at %d confirmations", w.Outpoint, wantRow[1],
			w.Proven, w.Paid, w.PayoutConfirmations)
	}
	t.Logf("confirmations of %.16s: %d (side %d, anchored %v at %d confirmations)", id,
		c.Confirmations, c.SideConfirmations, c.Anchored, c.GetAnchor().GetConfirmations())
}

// checkMissReasons checks the Lottery page's missed slots, heights and
// reasons, against ListMissedSlots (its newest 100).
func checkMissReasons(ctx context.Context, t *testing.T, main apiv1.MainchainServiceClient) {
	t.Helper()
	missed, err := main.ListMissedSlots(ctx, &apiv1.ListMissedSlotsRequest{Reversed: true, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	shownText(ctx, t, "missed", "")
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[][]string](
		`[...document.querySelectorAll('[data-k="missed"] tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent))`))
	if err != nil {
		t.Fatal(err)
	}
	if len(missed.MissedSlots) == 0 {
		if len(rows) != 1 || len(rows[0]) != 1 || rows[0][0] != "no missed slot" {
			t.Errorf("no missed slot, the page shows %q", rows)
		}
		return
	}
	if len(rows) != len(missed.MissedSlots) {
		t.Fatalf("the page shows %d missed slots, ListMissedSlots %d", len(rows), len(missed.MissedSlots))
	}
	withReason := 0
	for i, m := range missed.MissedSlots {
		if len(rows[i]) != 5 || rows[i][0] != fmt.Sprint(m.Height) {
			t.Errorf("missed slot %d shown as %q", m.Height, rows[i])
			continue
		}
		if m.MissReason != "" {
			withReason++
			if rows[i][4] != m.MissReason {
				t.Errorf("missed slot %d: reason shown %q, the API's %q", m.Height, rows[i][4], m.MissReason)
			}
		} else if want := map[bool]string{true: "not recorded (before the node last started)",
			false: "another node's ticket"}[m.OwnTicket]; rows[i][4] != want {
			t.Errorf("missed slot %d: no reason in the API, shown %q, want %q", m.Height, rows[i][4], want)
		}
	}
	t.Logf("%d missed slots shown, %d with a reason", len(missed.MissedSlots), withReason)
}

// loadPage opens a page from a blank tab, waits until it is drawn, and
// returns its load time and the bytes transferred; with shots set it
// writes the page's screenshot there.
func loadPage(ctx context.Context, t *testing.T, base, id, shots string) pageFigures {
	t.Helper()
	name := strings.SplitN(id, "?", 2)[0]
	type figures struct {
		Load      int64 `json:"load"`
		Bytes     int64 `json:"bytes"`
		Resources int   `json:"resources"`
	}
	err := chromedp.Do(ctx,
		chromedp.Navigate("about:blank"),
		chromedp.Navigate(base+"#"+id),
		chromedp.WaitVisible(chromedp.CSS(`main[data-page="`+name+`"]`)),
	)
	if err != nil {
		t.Fatalf("page %s: %v", id, err)
	}
	f, err := chromedp.Run(ctx, chromedp.Evaluate[figures](`(() => {
		const nav = performance.getEntriesByType('navigation')[0];
		const res = performance.getEntriesByType('resource');
		return {
			load: Number(document.getElementById('page').dataset.renderedAt),
			bytes: (nav ? nav.transferSize : 0) + res.reduce((s, r) => s + r.transferSize, 0),
			resources: res.length + 1,
		};
	})()`))
	if err != nil {
		t.Fatalf("page %s: %v", id, err)
	}
	if shots != "" {
		if err := chromedp.Do(ctx, screenshot(shots, name)); err != nil {
			t.Fatal(err)
		}
	}
	return pageFigures{loadMS: f.Load, bytes: f.Bytes, resources: f.Resources}
}

// step runs actions within a minute; on failure it writes failure.png and
// logs the page's location and text.
func step(ctx context.Context, t *testing.T, shots, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(sctx, actions...); err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.documentElement.outerHTML.slice(0, 3000)`))
		_ = chromedp.Do(ctx, screenshot(shots, "failure"))
		t.Fatalf("%s: %v\nat %s:\n%s", what, err, loc, text)
	}
}

// screenshot writes a full-page PNG of the current page to dir/name.png.
func screenshot(dir, name string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		buf, err := chromedp.FullScreenshot(100)(ctx, t)
		if err != nil {
			return chromedp.Void{}, err
		}
		return chromedp.Void{}, os.WriteFile(filepath.Join(dir, name+".png"), buf, 0o644)
	}
}

// shownText returns the text of the element with the data-k key, waiting
// for it to be drawn; the page may redraw at any event, so it is read in
// one evaluation.
func shownText(ctx context.Context, t *testing.T, key, inner string) string {
	t.Helper()
	sel := strconv.Quote(`[data-k="` + key + `"]` + inner)
	sctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	if err := chromedp.Do(sctx, chromedp.Poll[chromedp.Void](`document.querySelector(`+sel+`) !== null`,
		chromedp.WithPollingTimeout(time.Minute))); err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		text, _ := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText.slice(0, 3000)`))
		t.Fatalf("%s: not shown: %v\nat %s:\n%s", key, err, loc, text)
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => {
		const e = document.querySelector(`+sel+`);
		return e ? (e.getAttribute('title') !== null && `+strconv.Quote(inner)+` !== '' ? e.getAttribute('title') : e.textContent) : '';
	})()`))
	if err != nil {
		t.Fatalf("%s: %v", key, err)
	}
	return got
}

// checkShown checks the text of the elements with each data-k key.
func checkShown(ctx context.Context, t *testing.T, want map[string]string) {
	t.Helper()
	for key, w := range want {
		if got := strings.TrimSpace(shownText(ctx, t, key, "")); got != w {
			t.Errorf("%s shows %q, the API says %q", key, got, w)
		}
	}
}

// checkTitle checks the full value (a hash's title) under a data-k key.
func checkTitle(ctx context.Context, t *testing.T, key, want string) {
	t.Helper()
	if got := shownText(ctx, t, key, " [title]"); got != want {
		t.Errorf("%s shows %q, the API says %q", key, got, want)
	}
}

// checkPegboxCoins checks the Peg page's coins, outpoints and
// confirmations, against ListPegboxCoins (its newest 100).
func checkPegboxCoins(ctx context.Context, t *testing.T, peg apiv1.PegServiceClient) {
	t.Helper()
	coins, err := peg.ListPegboxCoins(ctx, &apiv1.ListPegboxCoinsRequest{Reversed: true, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	shownText(ctx, t, "peg-coin-table", "")
	rows, err := chromedp.Run(ctx, chromedp.Evaluate[[][]string](
		`[...document.querySelectorAll('[data-k="peg-coin-table"] tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => td.querySelector('[title]') ? td.querySelector('[title]').getAttribute('title') : td.textContent))`))
	if err != nil {
		t.Fatal(err)
	}
	if len(coins.Coins) == 0 {
		if len(rows) != 1 || len(rows[0]) != 1 || rows[0][0] != "no coin in the pegbox" {
			t.Errorf("no pegbox coin, the page shows %q", rows)
		}
		return
	}
	if len(rows) != len(coins.Coins) {
		t.Fatalf("the page shows %d pegbox coins, ListPegboxCoins %d", len(rows), len(coins.Coins))
	}
	for i, k := range coins.Coins {
		txid, _, _ := strings.Cut(k.Outpoint, ":")
		if len(rows[i]) != 5 || rows[i][0] != txid || rows[i][3] != fmt.Sprint(k.Height) ||
			rows[i][4] != fmt.Sprint(k.Confirmations) {
			t.Errorf("pegbox coin %s shown as %q", k.Outpoint, rows[i])
		}
	}
	t.Logf("%d pegbox coins shown", len(coins.Coins))
}
