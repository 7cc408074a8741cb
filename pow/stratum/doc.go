/*
Package stratum is the node's Stratum V1 server: SHA-256d miners connect to
it over TCP, get jobs made from the node's block templates, and send shares
back; a share that meets the network target is a block and goes to the node
at once.

The server depends on four small interfaces its user supplies: a JobSource
(the current work.Template and a channel that fires when it changes), a
BlockSink (SubmitBlock), a ShareSink (every accepted share, for the pool's
accounting) and an Authorizer (a worker name to a sidechain payout;
WorkerAuth is the usual one). Jobs, the share check, duplicate sets and
difficulty arithmetic are package work's; the per-connection difficulty
policy is package vardiff's.

Methods: mining.subscribe (with session resume), mining.authorize (with
d=<difficulty> in the password), mining.submit, mining.configure (BIP310
version rolling), mining.extranonce.subscribe and
mining.suggest_difficulty; the server sends mining.notify,
mining.set_difficulty, mining.set_version_mask and mining.set_extranonce.
Refusals are [code, message, null] with the standard codes 20 to 25.

Each connection has one goroutine, which reads lines into a small buffer
(growing only while a line does not fit, up to Config.MaxLineSize) and
handles them in order. What the server sends goes through a bounded
queue per connection; the reader writes its own answers after each read,
and notifications are written by a goroutine that exists only while some
are pending. A broadcast therefore only appends to queues: a client that
does not read fills its own queue and is dropped, and never delays the
others. Timeouts (handshake, idle, partial line) are checked by one sweeper
against Config.Now. Every limit is a Config field; docs/protocol.md §12.6
lists them with their defaults.
*/
package stratum
