/*
Package dashboard is the node's web dashboard: pages an operator or a user
opens in a browser, served by the node on its REST listener under
/dashboard/, behind the same TLS, from assets embedded in the binary
(plain HTML, CSS and JavaScript, no build step, nothing loaded from
elsewhere).

# How the parts fit

The API's REST gateway (package api) builds the dashboard when it starts,
through api.Config.Dashboard, and hands it an api.WebUIEnv: the gateway
itself, a gRPC client connection to the API's server, the read-only
credential and a function that checks a credential. node/ adds the rest
of Config (the sidechain's address parameters, the metrics registry, the
engines' panels) and passes New. The dashboard reads the node only through
the API: every number a page shows is an API answer, with the API's
credential and permission checks.

	/dashboard/login              GET the login page; POST credential=<hex>
	/dashboard/logout             POST: forget the login
	/dashboard/                   the frame (index.html), then
	/dashboard/static/*           its script and style (assets/)
	/dashboard/panel/<id>.js      an engine's page (Config.Panels)
	/dashboard/api/v1/...         GET: the REST API's reads, forwarded
	/dashboard/events             the live events (server-sent events)
	/dashboard/data/search?q=     what a search names
	/dashboard/data/tx/<txid>     a sidechain transaction, decoded
	/dashboard/data/maintx/<txid> a mainchain transaction the node finds, decoded
	/dashboard/data/overview      the Overview's data in one answer
	/dashboard/data/metrics       the metrics the Performance page shows
	/dashboard/data/peg           GetPegInfo, or why the node cannot tell yet
	/dashboard/data/draws         the recent draws (Lottery plots)
	/dashboard/data/withdrawals   the recent withdrawals (Peg page)
	/dashboard/data/alarms        the alarms that hold (GET /v1/alarms)
	/dashboard/data/panels        the engines' pages, in order

# Login and the browser's limits

A browser cannot send the API's bearer credential with a page load, so the
dashboard keeps its own login: POST /dashboard/login with the read-only (or
the admin) credential, hex, as the files readonly.cred and admin.cred in
the node's network data dir hold it, sets a cookie that lasts 12 hours:
"<expiry>.<HMAC-SHA256 of the expiry keyed with the read-only
credential>", HttpOnly, SameSite=Strict, Secure over TLS, for /dashboard/
only. The node keeps no session state; rotating readonly.cred logs every
browser out. Every path but the login page (and its style sheet) answers
401 without a valid cookie, and a page load is sent to the login page.

Whatever credential logged in, the dashboard reads the API with the
read-only one: /dashboard/api/v1/... forwards GETs only, with the read-only
credential in place of the browser's headers, so a page can never write.
The subscription streams (/v1/subscribe/...) are not forwarded (see
Events). A login or logout POST whose Origin names another host is
refused.

Scripts and styles are served gzipped (when the browser takes gzip), with
an ETag, so that a browser revalidates them with a 304; pages and data
are no-store. A page that the browser hides (another page, the
back-forward cache) closes its event stream, and opens it again when shown.

Every answer carries a Content-Security-Policy that runs only the
dashboard's own scripts and styles, talks only to the node and forbids
framing (frame-ancestors 'none'), and X-Frame-Options: DENY. The pages
write every value from the node as text (textContent), never as HTML.

# Events

The pages update live from /dashboard/events, a server-sent-event stream
of each chain's new tip ({"chain":"sidechain","kind":"connected",
"height":12,"hash":"..."}, SSE event "tip") and of the alarms raised or
cleared ({"chain":"alarms","kind":"raised","height":160,
"code":"backend_disconnected"}, SSE event "alarm"); a page redraws from
the API when one arrives. One hub serves every browser: it follows the
API's subscription streams (SubscribeSideblocks and SubscribeLottery from
the tip, SubscribeWithdrawals from the first sideblock, to list the
recent withdrawals, and NodeService.SubscribeAlarms) through the gRPC connection, one stream of each for all the
browsers together, so the node's cost does not grow with the number of
dashboards. The hub starts with the first browser and stops at Close,
and subscribes again after 2 seconds when a stream fails.

The hub never waits for a browser. Each browser holds at most one pending
event per chain (the alarms count as one): a newer tip replaces one it has not been sent yet, and
its handler writes what is pending when it can. A write that blocks for
the REST gateway's write timeout (30 s) ends that browser's stream. At
most Config.MaxClients (256) browsers follow at once; more are refused
with 503. Over HTTP/1.1 a browser opens at most six connections to one
host, so more than five dashboard tabs on one node in one browser wait
for each other. The hub keeps the last 288 draws (for the Lottery's plots,
read with GetWinner when it starts and then from the stream) and the last
256 withdrawals.

# Pages

The frame (assets/index.html and app.js) draws the navigation, the live
indicator and three pages of its own: Overview (both chains' tips and
sync, peers, the mempool, the state hash, active alarms), Explorer (search
by sideblock height or hash, a txid of either chain, or a sidechain
address; blocks, decoded transactions, addresses) and Performance
(histograms of publication latency and sideblock validation, sync rates
and resource use from the node's metrics; "metrics off" when the node runs
without --prometheus.listen). A search that names nothing, or whose
input is malformed or longer than 128 characters, is answered "not found";
its input is never written back as markup. The engines' pages come from
Config.Panels: MainstakePanels gives Lottery and Peg; PowPanels gives
Mining, for the networks of the pow engine (assets/panels/pow.js: the
hashrate estimate, the tip's and the next block's bits, target and
difficulty, how many seconds the chain is ahead of or behind its ASERT
schedule, the next block's algorithm, a plot of the seconds between the
newest blocks against the ideal block time, and the newest 20 blocks, all
read from GET /v1/mining/info, MiningService.GetMiningInfo) and Pool
(assets/panels/pool.js: the node's mining pool from PoolService: the
pool's hashrate, connections, shares and rejects by Stratum code with a
plot, scheme and fee, owed and paid, blocks found by status, the audit's
verdict, and tables of the workers, the newest 50 blocks found, the
audit's lines and the newest 20 payouts; on a node without a pool, the API's FAILED_PRECONDITION
message). TestPowPanelInBrowser and TestPoolPanelInBrowser draw them in
headless Chromium over the fake backend.

The Overview's "Active alarms" section lists the API's GET /v1/alarms
(NodeService.ListAlarms), and redraws at each alarm raised or cleared:
the event hub follows NodeService.SubscribeAlarms and sends each change
as an "alarm" event on /dashboard/events. The Explorer's "Confirmations"
card of a block or transaction (confirmationsStatus in app.js) shows the
API's GET /v1/confirmations/{id} (SidechainService.GetConfirmations): the
one confirmations figure, with the raw figure, how it counts (dPoW on a
network with notaries: 1 until notarized), the sidechain confirmations,
the anchor (header transaction and its Bitcoin confirmations), the
notarization that covers the block ("not yet" while none does on a
network with notaries, "not available under this engine" elsewhere)
and, for a transaction's withdrawals, proven, paid and the payout's
confirmations. On a network with notaries the Overview has a
"Notarization" card (notarizationCard in app.js, from GetInfo's
notarization): the last notarized block and height, its Bitcoin
transaction and confirmations, who signed, the lag in sideblocks and
time, the next height, the health against the network's alarm ages, and
how confirmations count.
The Lottery page's missed slots show the API's miss_reason; the Peg page
lists the pegbox's coins (GET /v1/peg/coins, PegService.ListPegboxCoins).

# Adding an engine's page

An engine adds its page with a small change, in two places:

First, a script, for instance assets/panels/notary.js, embedded by the
engine's package or this one, that registers the page:

	dash.register('notary', {
	  title: 'Notary',
	  async render(el, c) {
	    const info = await c.api('/v1/notary');   // GET /v1/notary, read-only
	    el.append(c.el('h2', {}, 'Notarizations'),
	      c.table(['height #', 'txid'], info.items.map((n) => [n.height, c.link(n.txid)])));
	  },
	});

render draws into el and may be called again at every new tip; c holds
the helpers: api (the REST API's reads), data (/dashboard/data/...), el,
kv, card, table, hash, link (to the Explorer), sat, bytes, enumWord,
lineChart and barChart (inline SVG), tips (the last event of each chain)
and params (the fragment's query, #notary?x=1).

Then, one entry in the list node/ passes as Config.Panels:

	Panels: append(dashboard.MainstakePanels(),
		dashboard.Panel{ID: "notary", Title: "Notary", Script: notaryJS}),

The frame lists the panels in the navigation in that order, between
Overview and Explorer. There is no global registry: a node without the
engine passes no panel for it.

The package logs under the subsystem tag DASH; the node hands it its
logger with UseLogger.
*/
package dashboard
