package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
)

const (
	// dbVersion is the storage format version written on first Open.
	dbVersion uint32 = 1

	// DefaultUndoDepth is the number of most recent blocks that keep undo
	// records when Options.UndoDepth is 0: two weeks of mainchain blocks,
	// one difficulty period.
	DefaultUndoDepth int32 = 2016

	// DefaultMemTableSize is the badger memtable size used when
	// Options.MemTableSize is 0.
	DefaultMemTableSize int64 = 64 << 20

	// minMemTableSize is the smallest accepted Options.MemTableSize.
	minMemTableSize int64 = 4 << 20

	// valueLogFileSize bounds a single value (badger refuses values
	// larger than one value log file).
	valueLogFileSize int64 = 64 << 20

	// DefaultSyncInterval is how often a store opened with
	// Options.NoSync syncs its logs to the disk when
	// Options.SyncInterval is 0.
	DefaultSyncInterval = 100 * time.Millisecond
)

// BlockID identifies a mainchain block.
type BlockID struct {
	Height int32
	Hash   chainhash.Hash
}

// String returns "height:hash".
func (id BlockID) String() string {
	return fmt.Sprintf("%d:%v", id.Height, id.Hash)
}

// noTip is the cursor before any block has been connected.
var noTip = BlockID{Height: -1}

// Options configures Open.
type Options struct {
	// Genesis is the network's genesis block hash. It is recorded on
	// first Open and checked on every later Open, and the block
	// connected at height 0 must have this hash.
	Genesis chainhash.Hash

	// Network is the network name, e.g. "regtest". Recorded and checked
	// like Genesis.
	Network string

	// Engine is the name of the network's consensus engine, e.g.
	// "mainstake" or "pow"; empty means DefaultEngine. EngineDigest is
	// the digest of the engine's parameters. Both are recorded on first
	// Open and checked, before the network, on every later Open: a
	// store created under one engine refuses another with
	// ErrWrongEngine. A store created before they were recorded counts
	// as DefaultEngine with any digest, and a zero digest is not
	// compared.
	Engine       string
	EngineDigest chainhash.Hash

	// UndoDepth is how many of the most recent blocks keep undo records,
	// i.e. the deepest reorg that DisconnectBlock can follow. 0 means
	// DefaultUndoDepth; at most MaxUndoDepth. Lowering it on an
	// existing data dir prunes the now-too-old records (and state hash
	// records) during Open; raising it lets the window grow from the
	// records that are left, block by block (see UndoFloor).
	UndoDepth int32

	// InMemory keeps everything in memory (tests). The dir passed to
	// Open is ignored.
	InMemory bool

	// MemTableSize is the badger memtable size in bytes; 0 means
	// DefaultMemTableSize. Badger caps one transaction at about 15% of
	// it, which bounds how much derived state one block may change
	// (counting both the new values and their undo record): about 9 MiB
	// with the default. Larger blocks fail with ErrTooBig.
	MemTableSize int64

	// LocalPrefixes lists the key prefixes of the application keyspace
	// that hold local, non-consensus state: a key that starts with one
	// of them is left out of the state hash, whether ConnectBlock or
	// Update writes it. Keys written with Update must all fall under one
	// of them, or a full scan (RecomputeStateHash) will not match the
	// state hash ConnectBlock maintains. Changing the list on an existing
	// data dir makes Open recompute the tip's state hash once.
	LocalPrefixes [][]byte

	// NoSync makes a commit return once its writes are in the OS's page
	// cache (badger's logs are memory-mapped files), without waiting for
	// the disk: a commit then costs microseconds instead of a disk
	// flush. Its writes survive the process's crash or kill -9 and a
	// restart, but not a crash of the OS or a power loss: then the
	// writes since the last sync are lost (the store comes back at an
	// earlier commit). The store syncs every SyncInterval, when Sync is
	// called, and at Close. Without NoSync every commit is on the disk
	// when it returns. The node's state store never sets it; the pool's
	// store (pow/pool) does.
	NoSync bool

	// SyncInterval is how often a NoSync store syncs; 0 means
	// DefaultSyncInterval, a negative value only at Sync and Close.
	// Ignored without NoSync.
	SyncInterval time.Duration
}

// DB is the sidenode's state database. It is safe for concurrent use. Write
// operations (ConnectBlock, DisconnectBlock, Update) are serialized; View
// runs concurrently with them on a consistent snapshot.
type DB struct {
	bdb       *badger.DB
	path      string
	opts      Options
	undoDepth int32
	maxValue  int64
	local     localSet // Options.LocalPrefixes, sorted

	// noStateHash makes ConnectBlock skip the state hash: only the
	// benchmark that measures its cost sets it.
	noStateHash bool

	// closeMu is held for reading by every operation and for writing by
	// Close, so Close waits for operations in flight.
	closeMu sync.RWMutex
	closed  bool

	// writeMu serializes read-write transactions, so they never conflict.
	// UpdateLocal does not take it (its keys are disjoint from the
	// batches'); localMu serializes it with Update, which takes both
	// (writeMu first).
	writeMu sync.Mutex
	localMu sync.Mutex

	// syncStop ends the periodic sync of a NoSync store (nil without
	// one); syncDone is closed when it has ended.
	syncStop chan struct{}
	syncDone chan struct{}
	stopSync sync.Once
}

// Open opens the store in dir, creating dir and initializing the store if
// dir is missing or empty. It returns an *Error with code:
//   - ErrWrongNetwork if dir was created for another network or genesis;
//   - ErrCorrupt if dir is non-empty but holds no store, or its files are
//     unreadable or inconsistent (the dir is never wiped or recreated);
//   - ErrVersion if dir uses an unknown storage format version;
//   - ErrLocked if dir is in use by another process;
//   - ErrInvalidArgument for invalid opts.
func Open(dir string, opts Options) (*DB, error) {
	if opts.Network == "" {
		return nil, storeError(ErrInvalidArgument, "Options.Network "+
			"is empty")
	}
	if opts.Genesis == (chainhash.Hash{}) {
		return nil, storeError(ErrInvalidArgument, "Options.Genesis "+
			"is the zero hash")
	}
	undoDepth := opts.UndoDepth
	switch {
	case undoDepth == 0:
		undoDepth = DefaultUndoDepth
	case undoDepth < 0 || undoDepth > MaxUndoDepth:
		return nil, storeError(ErrInvalidArgument, fmt.Sprintf(
			"Options.UndoDepth %d outside [1, %d]", undoDepth,
			MaxUndoDepth))
	}
	memTable := opts.MemTableSize
	switch {
	case memTable == 0:
		memTable = DefaultMemTableSize
	case memTable < minMemTableSize || memTable >= 1<<30:
		return nil, storeError(ErrInvalidArgument, fmt.Sprintf(
			"Options.MemTableSize %d outside [%d, %d)", memTable,
			minMemTableSize, 1<<30))
	}

	local, err := newLocalSet(opts.LocalPrefixes)
	if err != nil {
		return nil, err
	}
	var (
		path  = dir
		state dirState
	)
	if opts.InMemory {
		path = ":memory:"
	} else {
		if dir == "" {
			return nil, storeError(ErrInvalidArgument, "data dir "+
				"path is empty")
		}
		state, err = checkDir(dir)
		if err != nil {
			return nil, err
		}
		// The marker names the network: a store of another
		// network is refused before badger opens it, which would
		// write to it.
		if state.hasMarker {
			if err := checkMarker(dir, opts); err != nil {
				return nil, err
			}
		}
	}

	bopts, maxValue := badgerOptions(dir, opts.InMemory, memTable)
	bopts = bopts.WithSyncWrites(!opts.NoSync)
	bdb, err := openBadger(bopts)
	if err != nil {
		if strings.Contains(err.Error(), "Cannot acquire directory lock") {
			return nil, wrapError(ErrLocked, fmt.Sprintf("data dir "+
				"%q is in use by another process", dir), err)
		}
		return nil, wrapError(ErrCorrupt, fmt.Sprintf("cannot open "+
			"data dir %q: its database files are unreadable or "+
			"corrupt; the store did not repair or recreate it "+
			"(restore it, or resync into an empty dir)", dir), err)
	}

	db := &DB{
		bdb:       bdb,
		path:      path,
		opts:      opts,
		undoDepth: undoDepth,
		maxValue:  maxValue,
		local:     local,
	}
	if err := db.init(state); err != nil {
		if cerr := bdb.Close(); cerr != nil {
			log.Warnf("Closing %s after failed open: %v", path, cerr)
		}
		return nil, err
	}
	tip, err := db.Tip()
	if err != nil {
		_ = bdb.Close()
		return nil, err
	}
	if opts.NoSync && !opts.InMemory {
		every := opts.SyncInterval
		if every == 0 {
			every = DefaultSyncInterval
		}
		if every > 0 {
			db.syncStop = make(chan struct{})
			db.syncDone = make(chan struct{})
			go db.syncLoop(every)
		}
	}
	log.Infof("Opened store %s (network %s, tip %v, undo depth %d)",
		path, opts.Network, tip, undoDepth)
	return db, nil
}

// syncLoop syncs a NoSync store every interval until Close.
func (db *DB) syncLoop(every time.Duration) {
	defer close(db.syncDone)
	t := time.NewTicker(every)
	defer t.Stop()
	var lastErr string
	for {
		select {
		case <-db.syncStop:
			return
		case <-t.C:
		}
		if err := db.Sync(); err != nil && !IsErrorCode(err, ErrClosed) {
			// The same failure at every tick is logged once.
			if err.Error() != lastErr {
				log.Errorf("Store %s: periodic sync: %v", db.path, err)
			}
			lastErr = err.Error()
		} else {
			lastErr = ""
		}
	}
}

// Sync makes every commit that returned before it durable on the disk
// (badger's logs are flushed). Only a store opened with Options.NoSync
// needs it; for another it costs a flush of nothing new.
func (db *DB) Sync() error {
	if err := db.acquire(); err != nil {
		return err
	}
	defer db.closeMu.RUnlock()
	if err := db.bdb.Sync(); err != nil {
		return wrapError(ErrDatabase, fmt.Sprintf("syncing %q", db.path), err)
	}
	return nil
}

// checkDir creates dir if it is missing, refuses a non-empty dir that is
// not a badger database, and runs preflight on an existing one, all under
// the dir's lock. It reports what it found for init.
//
// A dir holding only what badger writes before its MANIFEST (its LOCK
// file, a half-written MANIFEST rewrite) counts as empty: that is what a
// kill during the very first Open leaves behind.
func checkDir(dir string) (dirState, error) {
	var state dirState
	if err := os.MkdirAll(dir, 0700); err != nil {
		return state, wrapError(ErrCorrupt, fmt.Sprintf("cannot create "+
			"data dir %q", dir), err)
	}
	unlock, err := lockDir(dir)
	if err != nil {
		return state, err
	}
	defer unlock()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return state, wrapError(ErrCorrupt, fmt.Sprintf("cannot read "+
			"data dir %q", dir), err)
	}
	var (
		foreign     []string
		hasManifest bool
	)
	for _, e := range entries {
		switch name := e.Name(); {
		case name == badger.ManifestFilename:
			hasManifest = true
		case strings.HasSuffix(name, ".sst"):
			state.hadTables = true
		case name == markerFile:
			state.hasMarker = true
		case name == "LOCK", name == "MANIFEST-REWRITE",
			name == markerFile+".tmp":
		default:
			foreign = append(foreign, name)
		}
	}
	if !hasManifest && state.hasMarker {
		return state, storeError(ErrCorrupt, fmt.Sprintf("data dir %q "+
			"was initialized as a store but its database files "+
			"are missing; refusing to use it", dir))
	}
	if !hasManifest && (len(foreign) > 0 || state.hadTables) {
		if len(foreign) > 5 {
			foreign = append(foreign[:5], "...")
		}
		return state, storeError(ErrCorrupt, fmt.Sprintf("data dir %q "+
			"is not empty but holds no database (found %s); "+
			"refusing to use it: pick an empty or missing dir", dir,
			strings.Join(foreign, ", ")))
	}
	if hasManifest {
		if err := removeEmptyLogs(dir, entries); err != nil {
			return state, wrapError(ErrCorrupt, fmt.Sprintf("data "+
				"dir %q: cannot remove an empty log file", dir), err)
		}
		if err := preflight(dir); err != nil {
			return state, wrapError(ErrCorrupt, fmt.Sprintf("data "+
				"dir %q is corrupt; the store did not repair or "+
				"recreate it (restore it, or resync into an "+
				"empty dir)", dir),
				err)
		}
	}
	return state, nil
}

// badgerOptions returns the badger options for the store and the largest
// value badger will accept with them.
func badgerOptions(dir string, inMemory bool, memTable int64) (badger.Options, int64) {
	if inMemory {
		dir = ""
	}
	// Badger refuses a ValueThreshold above 15% of the memtable.
	valueThreshold := int64(1 << 20)
	if maxBatch := memTable * 15 / 100; valueThreshold > maxBatch {
		valueThreshold = maxBatch
	}
	o := badger.DefaultOptions(dir).
		WithInMemory(inMemory).
		WithSyncWrites(true).
		WithLogger(badgerLogger{}).
		WithNumVersionsToKeep(1).
		WithDetectConflicts(false). // writeMu serializes writers
		WithMetricsEnabled(false).
		WithMemTableSize(memTable).
		WithNumMemtables(2).
		WithNumLevelZeroTables(2).
		WithNumLevelZeroTablesStall(8).
		WithNumCompactors(2).
		WithValueLogFileSize(valueLogFileSize).
		WithValueThreshold(valueThreshold).
		WithBlockCacheSize(16 << 20).
		WithIndexCacheSize(16 << 20).
		WithCompression(options.Snappy).
		WithChecksumVerificationMode(options.OnBlockRead)
	maxValue := valueLogFileSize
	if inMemory {
		// In memory, badger refuses values above the threshold.
		maxValue = valueThreshold
	}
	return o, maxValue
}

// openBadger opens badger, turning a panic on damaged files into an error.
func openBadger(o badger.Options) (bdb *badger.DB, err error) {
	defer func() {
		if r := recover(); r != nil {
			bdb, err = nil, fmt.Errorf("badger panicked: %v", r)
		}
	}()
	return badger.Open(o)
}

// init checks the metadata of an existing store, or writes it into a new
// one, then prunes undo records outside the undo window. A database without
// metadata is new only if it is empty, and the dir held neither table files
// nor the marker file before badger opened it; anything else means data was
// there and is gone or foreign (for example a damaged MANIFEST that no
// longer references the tables), and is refused.
func (db *DB) init(state dirState) error {
	var (
		found   bool
		isEmpty bool
	)
	err := db.bdb.View(func(txn *badger.Txn) error {
		_, err := txn.Get(metaVersionKey)
		switch {
		case err == nil:
			found = true
			return nil
		case !errors.Is(err, badger.ErrKeyNotFound):
			return err
		}
		it := txn.NewIterator(badger.IteratorOptions{})
		defer it.Close()
		it.Rewind()
		isEmpty = !it.Valid()
		return nil
	})
	if err != nil {
		return db.corrupt("cannot read metadata", err)
	}
	if !found {
		if !isEmpty || state.hadTables || state.hasMarker {
			return storeError(ErrCorrupt, fmt.Sprintf("data dir %q "+
				"holds a database without store metadata: it was "+
				"not created by this program, or its badger "+
				"MANIFEST is damaged; refusing to use it",
				db.path))
		}
		if err := db.writeMetadata(); err != nil {
			return err
		}
	} else if err := db.checkMetadata(); err != nil {
		return err
	}
	// Written after the metadata, so a kill in between only means it is
	// written on the next Open.
	if !db.opts.InMemory && !state.hasMarker {
		if err := writeMarker(db.path, db.opts); err != nil {
			return wrapError(ErrDatabase, fmt.Sprintf("cannot write "+
				"%s into %q", markerFile, db.path), err)
		}
	}
	if err := db.pruneOnOpen(); err != nil {
		return err
	}
	return db.initStateHash()
}

// writeMetadata initializes a new store: version, network, genesis and the
// empty cursor, in one transaction.
func (db *DB) writeMetadata() error {
	var ver [4]byte
	binary.BigEndian.PutUint32(ver[:], dbVersion)
	err := db.bdb.Update(func(txn *badger.Txn) error {
		sets := []struct{ k, v []byte }{
			{metaVersionKey, ver[:]},
			{metaNetworkKey, []byte(db.opts.Network)},
			{metaGenesisKey, db.opts.Genesis[:]},
			{metaEngineKey, []byte(db.opts.engine())},
			{metaDigestKey, db.opts.EngineDigest[:]},
			{cursorKey, encodeCursor(noTip)},
		}
		for _, s := range sets {
			if err := txn.Set(s.k, s.v); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return wrapError(ErrDatabase, fmt.Sprintf("cannot initialize "+
			"store in %q", db.path), err)
	}
	log.Infof("Initialized new store in %s for network %s (engine %s, "+
		"genesis %v)", db.path, db.opts.Network, db.opts.engine(),
		db.opts.Genesis)
	return nil
}

// DefaultEngine is the engine of a store whose Options or metadata name
// none: mainstake, the engine of every network before engines were
// recorded.
const DefaultEngine = "mainstake"

func (o *Options) engine() string {
	if o.Engine == "" {
		return DefaultEngine
	}
	return o.Engine
}

// readEngine returns the recorded engine and parameter digest; a store
// without them is DefaultEngine's, with a nil digest.
func readEngine(txn *badger.Txn) (string, []byte, error) {
	engine, err := getValue(txn, metaEngineKey)
	if errors.Is(err, badger.ErrKeyNotFound) {
		return DefaultEngine, nil, nil
	}
	if err != nil {
		return "", nil, err
	}
	digest, err := getValue(txn, metaDigestKey)
	if err != nil {
		return "", nil, err
	}
	if len(digest) != chainhash.HashSize {
		return "", nil, fmt.Errorf("engine digest record has %d bytes",
			len(digest))
	}
	return string(engine), digest, nil
}

// checkEngine refuses, with ErrWrongEngine, a store in dir recorded for
// network under engine (and the parameter digest, if not nil) that differs
// from the options' engine or digest. A zero digest, recorded or given,
// is not compared: the caller did not know it. The message names the
// --network flag and both engines.
func (o *Options) checkEngine(dir, network, engine string, digest []byte) error {
	if engine != o.engine() {
		return storeError(ErrWrongEngine, fmt.Sprintf("data dir %q was "+
			"created by network %q under the %s engine, but the "+
			"node was started with --network=%s, which runs the %s "+
			"engine; a store cannot change engines: start with "+
			"--network=%s or use another --datadir", dir, network,
			engine, o.Network, o.engine(), network))
	}
	var zero chainhash.Hash
	if digest != nil && !bytes.Equal(digest, zero[:]) &&
		o.EngineDigest != zero && !bytes.Equal(digest, o.EngineDigest[:]) {
		var had chainhash.Hash
		copy(had[:], digest)
		return storeError(ErrWrongEngine, fmt.Sprintf("data dir %q was "+
			"created by network %q under other %s engine "+
			"parameters (digest %v) than --network=%s has (digest "+
			"%v); use another --datadir", dir, network, engine,
			had, o.Network, o.EngineDigest))
	}
	return nil
}

// checkMetadata compares the stored metadata with the options and checks
// that the cursor and the height index agree.
func (db *DB) checkMetadata() error {
	return db.bdb.View(func(txn *badger.Txn) error {
		ver, err := getValue(txn, metaVersionKey)
		if err != nil {
			return db.corrupt("cannot read version", err)
		}
		if len(ver) != 4 {
			return db.corrupt(fmt.Sprintf("version record has %d "+
				"bytes", len(ver)), nil)
		}
		if v := binary.BigEndian.Uint32(ver); v != dbVersion {
			return storeError(ErrVersion, fmt.Sprintf("data dir %q "+
				"uses storage format version %d, this program "+
				"supports only version %d", db.path, v, dbVersion))
		}
		network, err := getValue(txn, metaNetworkKey)
		if err != nil {
			return db.corrupt("cannot read network name", err)
		}
		genesis, err := getValue(txn, metaGenesisKey)
		if err != nil {
			return db.corrupt("cannot read genesis hash", err)
		}
		if len(genesis) != chainhash.HashSize {
			return db.corrupt(fmt.Sprintf("genesis record has %d "+
				"bytes", len(genesis)), nil)
		}
		var gh chainhash.Hash
		copy(gh[:], genesis)
		engine, digest, err := readEngine(txn)
		if err != nil {
			return db.corrupt("cannot read engine", err)
		}
		if err := db.opts.checkEngine(db.path, string(network), engine,
			digest); err != nil {
			return err
		}
		if string(network) != db.opts.Network || gh != db.opts.Genesis {
			return storeError(ErrWrongNetwork, fmt.Sprintf("data dir "+
				"%q holds network %q (genesis %v) but the node "+
				"was started on network %q (genesis %v)", db.path,
				network, gh, db.opts.Network, db.opts.Genesis))
		}
		tip, err := readCursor(txn)
		if err != nil {
			return db.corrupt("cannot read cursor", err)
		}
		if tip.Height >= 0 {
			h, err := hashAt(txn, tip.Height)
			if err != nil || h != tip.Hash {
				return db.corrupt(fmt.Sprintf("height index "+
					"does not match cursor %v", tip), err)
			}
		}
		return nil
	})
}

// pruneOnOpen deletes undo records at or below tip-undoDepth. ConnectBlock
// prunes one record per block, so there is something to do here only when
// UndoDepth was lowered since the last run. Deleting old undo records is
// safe in any number of transactions.
func (db *DB) pruneOnOpen() error {
	tip, err := db.Tip()
	if err != nil {
		return err
	}
	limit := tip.Height - db.undoDepth
	if limit < 0 {
		return nil
	}
	total := 0
	for {
		var keys [][]byte
		err := db.bdb.View(func(txn *badger.Txn) error {
			it := txn.NewIterator(badger.IteratorOptions{
				Prefix: []byte{prefixUndo},
			})
			defer it.Close()
			for it.Rewind(); it.Valid() && len(keys) < 10000; it.Next() {
				k := it.Item().KeyCopy(nil)
				id, _, ok := parseUndoKeyAny(k)
				if !ok || id.Height > limit {
					break
				}
				keys = append(keys, k)
			}
			return nil
		})
		if err != nil {
			return db.corrupt("cannot scan undo records", err)
		}
		if len(keys) == 0 {
			break
		}
		err = db.bdb.Update(func(txn *badger.Txn) error {
			for _, k := range keys {
				if err := txn.Delete(k); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return wrapError(ErrDatabase, "cannot prune undo records",
				err)
		}
		total += len(keys)
	}
	if total > 0 {
		log.Infof("Pruned %d undo records below height %d (undo "+
			"depth %d)", total, limit+1, db.undoDepth)
	}
	return nil
}

// corrupt returns an ErrCorrupt error naming the data dir.
func (db *DB) corrupt(what string, err error) *Error {
	return wrapError(ErrCorrupt, fmt.Sprintf("data dir %q is corrupt: %s",
		db.path, what), err)
}

// Close closes the database, waiting for operations in flight. Closing
// twice is a no-op.
func (db *DB) Close() error {
	if db.syncStop != nil {
		// The periodic sync takes closeMu: stop it first.
		db.stopSync.Do(func() { close(db.syncStop) })
		<-db.syncDone
	}
	db.closeMu.Lock()
	defer db.closeMu.Unlock()
	if db.closed {
		return nil
	}
	db.closed = true
	if db.opts.NoSync && !db.opts.InMemory {
		// Close writes the memtables out too; this sync makes the
		// logs durable first, whatever Close then does.
		if err := db.bdb.Sync(); err != nil {
			log.Errorf("Store %s: sync at close: %v", db.path, err)
		}
	}
	if err := db.bdb.Close(); err != nil {
		return wrapError(ErrDatabase, fmt.Sprintf("closing %q", db.path),
			err)
	}
	log.Infof("Closed store %s", db.path)
	return nil
}

// acquire takes closeMu for reading and reports ErrClosed after Close. The
// caller must call db.closeMu.RUnlock when it returns nil.
func (db *DB) acquire() error {
	db.closeMu.RLock()
	if db.closed {
		db.closeMu.RUnlock()
		return storeError(ErrClosed, "store is closed")
	}
	return nil
}

// Tip returns the mainchain cursor: the last connected block, or
// {Height: -1, zero hash} before the genesis block is connected.
func (db *DB) Tip() (BlockID, error) {
	var tip BlockID
	err := db.View(func(r Reader) error {
		var err error
		tip, err = r.Tip()
		return err
	})
	return tip, err
}

// HashAt returns the hash of the connected mainchain block at height, or
// ErrNotFound if height is negative or above the tip.
func (db *DB) HashAt(height int32) (chainhash.Hash, error) {
	var h chainhash.Hash
	err := db.View(func(r Reader) error {
		var err error
		h, err = r.HashAt(height)
		return err
	})
	return h, err
}

// View runs fn on a consistent read-only snapshot of the store. fn must not
// call other DB methods, and r must not be used after fn returns. The error
// fn returns is returned unchanged.
func (db *DB) View(fn func(r Reader) error) error {
	if err := db.acquire(); err != nil {
		return err
	}
	defer db.closeMu.RUnlock()
	txn := db.bdb.NewTransaction(false)
	defer txn.Discard()
	r := &reader{txn: txn}
	defer r.close()
	return fn(r)
}

// Update runs fn in one read-write transaction for state that is NOT
// derived from the mainchain (wallet, peers, settings). Its writes record no
// undo and survive reorgs. It commits if fn returns nil and no write failed,
// and writes nothing otherwise. fn must not call other DB methods.
//
// Keep the keys written here disjoint from those written by ConnectBlock:
// a DisconnectBlock restores a derived key to its value before the block,
// overwriting any Update made to it in between.
func (db *DB) Update(fn func(w *PlainWriter) error) error {
	if err := db.acquire(); err != nil {
		return err
	}
	defer db.closeMu.RUnlock()
	db.writeMu.Lock()
	defer db.writeMu.Unlock()
	return db.updateLocked(fn, false)
}

// UpdateLocal is Update for keys under Options.LocalPrefixes only (a write
// to any other key fails with ErrInvalidArgument; a store opened without
// local prefixes, as some tests do, checks nothing, like Update), and it
// does not wait
// for a block's batch or an amendment in progress: a caller inside
// ConnectBlock's apply can make a local record durable before that batch
// commits (the producer stores the body of its own sideblock before it
// broadcasts the header). Batches must not read what UpdateLocal writes
// and then write on that basis: it commits in between. It waits for other
// Update and UpdateLocal calls.
func (db *DB) UpdateLocal(fn func(w *PlainWriter) error) error {
	if err := db.acquire(); err != nil {
		return err
	}
	defer db.closeMu.RUnlock()
	return db.updateLocked(fn, true)
}

// updateLocked runs an Update (writeMu held) or an UpdateLocal.
func (db *DB) updateLocked(fn func(w *PlainWriter) error, localOnly bool) error {
	db.localMu.Lock()
	defer db.localMu.Unlock()

	txn := db.bdb.NewTransaction(true)
	defer txn.Discard()
	w := &PlainWriter{reader: reader{txn: txn}, maxValue: db.maxValue}
	if localOnly {
		w.onlyLocal = db.local
	}
	err := fn(w)
	w.close()
	if err != nil {
		return err
	}
	if w.err != nil {
		return w.err
	}
	return db.commit(txn, "update")
}

// commit commits txn and maps badger's errors to store errors.
func (db *DB) commit(txn *badger.Txn, what string) error {
	if err := txn.Commit(); err != nil {
		return mapBadgerErr(what, err)
	}
	return nil
}

// mapBadgerErr turns an error from a badger write into an *Error.
func mapBadgerErr(what string, err error) error {
	var serr *Error
	switch {
	case errors.As(err, &serr):
		return err
	case errors.Is(err, badger.ErrTxnTooBig):
		return wrapError(ErrTooBig, what+": the changes do not fit "+
			"into one database transaction (raise "+
			"Options.MemTableSize)", err)
	case errors.Is(err, badger.ErrInvalidKey), errors.Is(err, badger.ErrEmptyKey):
		return wrapError(ErrReservedKey, what, err)
	case errors.Is(err, badger.ErrDBClosed):
		return wrapError(ErrClosed, what, err)
	}
	return wrapError(ErrDatabase, what, err)
}

// getValue returns a copy of the value at key, or badger.ErrKeyNotFound.
func getValue(txn *badger.Txn, key []byte) ([]byte, error) {
	item, err := txn.Get(key)
	if err != nil {
		return nil, err
	}
	return item.ValueCopy(nil)
}

// readCursor reads the mainchain cursor in txn.
func readCursor(txn *badger.Txn) (BlockID, error) {
	v, err := getValue(txn, cursorKey)
	if err != nil {
		return BlockID{}, err
	}
	return decodeCursor(v)
}

// hashAt reads the height index in txn. It returns badger.ErrKeyNotFound
// for a height that is not connected.
func hashAt(txn *badger.Txn, height int32) (chainhash.Hash, error) {
	var h chainhash.Hash
	if height < 0 {
		return h, badger.ErrKeyNotFound
	}
	v, err := getValue(txn, heightKey(height))
	if err != nil {
		return h, err
	}
	if len(v) != chainhash.HashSize {
		return h, fmt.Errorf("height index entry %d has %d bytes",
			height, len(v))
	}
	copy(h[:], v)
	return h, nil
}
