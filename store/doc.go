/*
Package store is the sidenode's state database: a thin layer over badger
(github.com/dgraph-io/badger/v4) that keeps every piece of state derived from
the Bitcoin mainchain consistent with the mainchain block it was derived
from, across reorgs and crashes.

# What the package owns

The store owns one badger database per data dir and a small set of internal
keyspaces, each behind a single-byte key prefix (see keys.go):

  - metadata: storage format version, network name and genesis hash, written
    on the first Open of an empty dir and checked on every later Open;
  - the mainchain cursor (the tip): the last connected block, or height -1
    before the genesis block is connected;
  - the height index: height -> hash of every connected block;
  - undo records: one per recent block, keyed by (height, hash);
  - state records: the state hash after each block the store can still go
    back to, with the set hash it is made from (see below).

Prefix bytes 0x00 through 0x0f are reserved for these. Everything else is the
callers' application keyspace: keys whose first byte is FirstAppKeyByte
(0x10) or higher. Callers choose their own keys there; the store refuses
reserved keys with ErrReservedKey so callers cannot damage its bookkeeping.

# Connect, disconnect and the undo log

Mainchain-derived state is written only through ConnectBlock. It checks that
the block extends the cursor and then, in ONE badger transaction, runs the
caller's apply function with a *Writer, stores the block's undo record, adds
the height index entry, moves the cursor, and prunes the undo record that
left the window. Every Writer.Set and Writer.Delete first records the key's
previous value, or its absence, in the block's undo record (once per key and
block). If apply returns an error, or any write failed, the transaction is
discarded and nothing is written.

AmendTip changes the state after the tip block later, for an input besides
the mainchain that arrived after the block (a sideblock body): in ONE
transaction it runs the caller's apply with a *Writer, writes the keys it
changed, with their values before the amendment, as a new segment of the
tip's undo (undoseg.go), and updates the tip's state record.
DisconnectBlock reads the block's record and its segments as one record
(each key once, with its value before the block) and undoes the block and
its amendments together; pruning deletes the segments with the record.

DisconnectBlock takes the tip block back off: in ONE transaction it restores
every key of the block's undo record in reverse order, deletes the undo
record and the height index entry, and moves the cursor to the parent. So a
mainchain reorg of depth N is N DisconnectBlock calls followed by the
ConnectBlock calls of the new branch, and all derived state rolls back
together with the cursor.

Because the cursor, the index, the undo record and the derived state always
change in the same transaction, and badger runs with SyncWrites, a kill -9 at
any moment leaves the store at some block boundary: the state is exactly the
state after the block the cursor names. On restart, resume from Tip().

A store opened with Options.NoSync (the pool's, not the node's state) does
not wait for the disk at each commit: a commit survives a kill -9, but an
OS crash or power loss loses the commits since the last sync (every
Options.SyncInterval, at Sync and at Close).

# The undo window

Only the most recent Options.UndoDepth blocks (default 2016) keep undo
records: connecting block h deletes the record of block h-UndoDepth, one
delete per block. Disconnecting a block whose record was pruned fails with
ErrUndoPruned: the reorg is deeper than the window, and the data dir has to
be resynced from scratch by the operator. The store never resyncs or wipes a
data dir by itself. UndoFloor names the lowest block that can still be
undone, so that a caller can refuse a deep reorg before undoing anything,
and MoveAside renames a data dir that is not in use out of the way, for a
resync that deletes nothing.

# The state commitment

The store keeps a state hash: a commitment to every covered key and value
of the application keyspace, after each block. A key is covered unless it
starts with one of Options.LocalPrefixes, which list local, non-consensus
state (the node fills it with the wallet's prefix and the sideblock staging
cache's); the store's own keyspaces (metadata, cursor, height index, undo
and state records) are never covered. The hash is a MuHash3072 (package
muhash) of the set of elements len(key) ‖ key ‖ len(value) ‖ value (4-byte
big-endian lengths), bound to the block: SHA256(height (4 bytes BE) ‖ block
hash ‖ set digest). docs/protocol.md defines it for other implementations.

ConnectBlock keeps it in O(keys the block changed): the undo record already
holds each changed key's previous value, so it takes the parent's set,
removes each old (key, value) and adds each new one, finalizes (one modular
inversion), and writes the state record in the block's transaction. So a
crash leaves the records consistent with the state. DisconnectBlock deletes
the tip's record; the parent's is still there. Records are held for the tip
and every height the store can disconnect to, and pruned with the undo
records: StateHash(height) answers for those and returns ErrNotFound,
naming the heights held, for any other.

Keys written with Update are never part of it, so they must all fall under
a local prefix: RecomputeStateHash, a full scan of the covered keyspace
that tests and checks compare with StateHash (VerifyStateHash), would see
them. A data dir without state records, or whose records were made with
other local prefixes, gets the tip's state hash from one full scan at Open
(logged, with a progress line every 10 s); heights below it have none,
except those that DisconnectBlock derives backward from the undo records.

# State not derived from the mainchain

Update runs a plain read-write transaction (*PlainWriter) for state that must
survive reorgs, such as wallet data or peer lists. It records no undo. Keep
such keys disjoint from the keys written through ConnectBlock: disconnecting
a block restores its keys to their values before the block, which would
silently overwrite an Update made to the same key in between.

UpdateLocal is Update restricted to keys under Options.LocalPrefixes (any
other key fails with ErrInvalidArgument, unless the store has no local
prefixes at all), and it does not wait for a
block's batch or an amendment: read-write transactions are otherwise
serialized (badger runs without conflict detection), so it is safe only
because its keys are disjoint from what batches write. A caller inside
ConnectBlock's apply uses it to make a local record durable before the
batch commits (the producer's own sideblock body, before its header
transaction is broadcast).

View gives a consistent read-only snapshot (Reader) of the application
keyspace together with the cursor and height index.

# Transaction size

Badger caps one transaction at about 15% of the memtable size
(Options.MemTableSize, 64 MiB by default, so about 9 MiB). A block's changes
and its undo record must fit together in one transaction; if they do not,
ConnectBlock fails with ErrTooBig and writes nothing, and the node cannot
pass that block until it is restarted with a larger MemTableSize. The store
never splits a block over several transactions, since that would break
crash consistency. A single value (including a block's undo record) may be
up to 64 MiB on disk, but only about 1 MiB with Options.InMemory.

# Errors

All errors returned by the store are *Error values carrying an ErrorCode;
compare codes, never message text:

	var serr *store.Error
	if errors.As(err, &serr) && serr.Code == store.ErrUndoPruned {
		...
	}

errors.Is(err, store.ErrUndoPruned) works as well. Errors returned by the
callers' own callbacks are passed through unchanged.

# Opening a data dir

Open creates a missing dir and initializes an empty one. It refuses, without
repairing or recreating anything: a dir made for another network or genesis
(ErrWrongNetwork, naming both networks), a non-empty dir that holds no store
or whose files badger cannot read (ErrCorrupt, naming the path), an unknown
storage format version (ErrVersion), and a dir another process has open
(ErrLocked).

Before badger opens an existing dir, Open checks it under the dir's lock,
because badger handles some damage badly: a garbled table file makes it
panic in a background goroutine (killing the process), and a block that
fails its checksum makes it report the keys in it as absent. So Open
replays the MANIFEST and verifies the checksum of every block of every
table it references, which reads the whole database once per Open (about a
second per GiB). It also deletes zero-length .mem and .vlog files, which a
kill right after badger creates one leaves behind and which badger itself
cannot open (badger issue #2207); they hold no data.

Once a new store is initialized, Open writes a small marker file
(SIDENODE-STORE) into the dir. If badger ever opens the dir as an empty
database again (say, a damaged MANIFEST no longer names the table files),
the marker makes Open fail with ErrCorrupt instead of starting a new, empty
store in place of the old one.
*/
package store
