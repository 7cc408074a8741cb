package nodeapi

import (
	"context"
	"errors"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil"
	"github.com/btcsuite/btcd/chaincfg"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/txscript"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/lottery"
	"github.com/mainstake/sidenode/mainstake"
	"github.com/mainstake/sidenode/mainwatch"
	"github.com/mainstake/sidenode/p2p"
	"github.com/mainstake/sidenode/pegbox"
	"github.com/mainstake/sidenode/producer"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
	"github.com/mainstake/sidenode/wallet"
)

// Defaults of the API's wallet methods.
const (
	apiDefaultFeeRate = 2       // sat/vB when a request gives 0
	apiPublisherValue = 200_000 // first publisher output of a new stake
	apiStakeMinConf   = 1
)

// Env lists every component the adapter reads. node fills it in one place;
// the adapter reaches into nothing else. Fields documented as optional may
// be left nil (a nil interface, not a nil pointer in one).
type Env struct {
	Version string // the node's version, for Info
	Network string // the network's name, for Info
	Params  *chainparams.Params

	// DB is the node's store: every read of the tickets, the slots, the
	// sidechain's indexes and the pegbox's records is a snapshot of it.
	DB *store.DB

	Follower  Follower
	Tickets   Tickets
	Sidechain Sidechain // optional for Info and the peg; the sidechain methods need it
	Mempool   Mempool
	Pegbox    Pegbox   // optional: the peg methods answer Unimplemented
	PegAudit  PegAudit // with Pegbox: the verdicts on pegbox spends; without, every spend is unchecked
	Wallet    Wallet   // optional: the wallet methods answer NoWallet
	Peers     Peers    // optional: nothing is announced, no peer counted
	Bans      BanList  // optional: the ban methods answer Unimplemented
	Slots     Slots    // optional: this node's slot counts, for Info
	Events    *Events  // the change signal and undone blocks of the streams
	Control   Control  // optional: the operator methods answer Unimplemented
	Sessions  Sessions // optional: the peer session methods answer Unimplemented
	MainTxs   MainTxs  // optional (btcd): without it only the wallet's mainchain transactions are found
	Alarms    Alarms   // optional: no alarm is listed
	Mining    Mining   // optional (pow networks): the mining methods answer FailedPrecondition
	Pool      Pool     // optional (--stratum): the pool methods answer FailedPrecondition

	// Notarizations gives the last notarization that counts, on a
	// network with notaries (optional: without it nothing is notarized
	// and Info has no notarization status). DpowConfs makes
	// GetConfirmations count dPoW-style with it (off: --nodpowconfs).
	Notarizations Notarizations
	DpowConfs     bool

	// SeedFile is the wallet's seed file and PasswordFile the file that
	// unlocked it at start-up ("" without one), for ChangePassphrase and
	// BackupSeed.
	SeedFile, PasswordFile string
}

// MainTxs looks up mainchain transactions in the mainchain backend (btcd's
// getrawtransaction): in its mempool, or in its blocks when it keeps a
// transaction index. found is false when it does not know txid.
type MainTxs interface {
	GetRawTransaction(ctx context.Context, txid chainhash.Hash) (tx *wire.MsgTx,
		block *chainhash.Hash, confirmations uint64, found bool, err error)
}

// Follower is the mainchain follower: its status and its broadcasts.
type Follower interface {
	Status() mainwatch.Status
	Broadcast(ctx context.Context, tx *wire.MsgTx) error
}

// Tickets is the ticket index's in-memory weights.
type Tickets interface {
	Weight(id lottery.TicketID) lottery.Uint128
}

// Sidechain is the sidechain's best chain and block index.
type Sidechain interface {
	Tip() (hash chainhash.Hash, height int32, ok bool)
	HashAt(height int32) (chainhash.Hash, error)
	Block(hash chainhash.Hash) (*sideblock.Block, *sideblock.BlockInfo, error)
	ConfirmedTx(txid chainhash.Hash) (*sideblock.ConfirmedTx, bool, error)
	Minted() (uint64, error)
}

// Mempool is the sidechain's mempool.
type Mempool interface {
	Get(txid chainhash.Hash) (*wire.MsgTx, bool)
	Add(tx *wire.MsgTx) error
	SpentBy(op wire.OutPoint) (chainhash.Hash, bool)
	Paying(pkScript []byte) []*wire.MsgTx
	EstimateFee(blockBytes int) sideblock.FeeEstimate
	MinFeeRate() int64
}

// PegAudit judges the spends of pegbox coins against the node's best
// sidechain (pegbox.Auditor).
type PegAudit interface {
	JudgeAll(r store.Reader) ([]pegbox.Judgement, error)
}

// Pegbox is what the adapter asks the pegbox index beside its records.
type Pegbox interface {
	EpochOf(height int32) uint32
	MaturedBy(r store.Reader, h int32) (uint64, error)
	// PegboxesNear returns the pegbox scripts a payout confirmed at
	// height may return its change to.
	PegboxesNear(r store.Reader, height int32) (pegbox.ScriptSet, error)
}

// Wallet is the node's mainchain wallet and keys.
type Wallet interface {
	OwnsStakeKey(pub []byte) (wallet.KeyRef, bool)
	StakeKey(i uint32) (wallet.KeyRef, error)
	StakeKeyFor(pub *btcec.PublicKey) (*btcec.PrivateKey, bool)
	Keys() *wallet.Keyring
	NewAddress(f wallet.Family) (btcutil.Address, error)
	Balance(minConf int32) (int64, error)
	Fund(outs []*wire.TxOut, feeRate int64, minConf int32) (*wire.MsgTx, error)
	PrevOuts(tx *wire.MsgTx) (txscript.PrevOutputFetcher, error)
	Release(tx *wire.MsgTx)
	PayoutScript(dest string) ([]byte, error)
	Balances(minConf int32) (*wallet.Balances, error)
	ListUnspent(minConf int32) ([]wallet.Unspent, error)
	Transactions() ([]*wallet.WalletTx, error)
	Transaction(txid chainhash.Hash) (*wallet.WalletTx, error)
	BumpFee(txid chainhash.Hash, feeRate int64) (repl, old *wire.MsgTx, err error)
	Sent(tx *wire.MsgTx) error
	WatchStake(op wire.OutPoint, pkScript []byte, withdrawal chainhash.Hash) error
	StakeSpend(op wire.OutPoint) (*wallet.StakeSpend, bool, error)
	SideKey(side *chaincfg.Params) (*btcec.PrivateKey, btcutil.Address, []byte, error)
	AddTopUp(ticket uint64, amount int64) (int64, error)
}

// Peers is the sidechain's peer-to-peer server.
type Peers interface {
	ConnectedCount() int
	Announce(items ...p2p.InvItem)
}

// BanList is the peer server's bans and discouragements (p2p.Server).
type BanList interface {
	Bans() []p2p.Ban
	Ban(target string, d time.Duration, reason string) (p2p.Ban, error)
	Unban(target string) ([]p2p.Ban, error)
}

// Slots reports this node's slot counts on the best chain, and why it
// missed each of its missed slots.
type Slots interface {
	Stats() producer.Stats
	MissReason(height int32) (producer.MissReason, bool)
}

// Adapter serves the API (api.Backend and api.SubscriptionBackend) from
// the components of its Env.
type Adapter struct {
	version, network string
	params           *chainparams.Params
	db               *store.DB
	follower         Follower
	ticketIndex      Tickets
	sidechain        Sidechain
	pool             Mempool
	pegbox           Pegbox
	pegAuditor       PegAudit
	wallet           Wallet
	peers            Peers
	bans             BanList
	slots            Slots
	events           *Events
	control          Control
	sessions         Sessions
	mainTxs          MainTxs
	alarms           Alarms
	mining           Mining
	poolSrc          Pool
	notary           Notarizations
	dpowConfs        bool
	seedFile         string
	passwordFile     string
}

var (
	_ api.Backend             = (*Adapter)(nil)
	_ api.SubscriptionBackend = (*Adapter)(nil)
)

// New returns the adapter over env's components.
func New(env Env) *Adapter {
	events := env.Events
	if events == nil {
		events = new(Events)
	}
	return &Adapter{
		version: env.Version, network: env.Network, params: env.Params,
		db: env.DB, follower: env.Follower, ticketIndex: env.Tickets,
		sidechain: env.Sidechain, pool: env.Mempool, pegbox: env.Pegbox,
		pegAuditor: env.PegAudit, wallet: env.Wallet, peers: env.Peers, bans: env.Bans, slots: env.Slots,
		events: events, control: env.Control, sessions: env.Sessions, alarms: env.Alarms,
		seedFile: env.SeedFile, passwordFile: env.PasswordFile, mainTxs: env.MainTxs,
		mining: env.Mining, poolSrc: env.Pool,
		notary: env.Notarizations, dpowConfs: env.DpowConfs && env.Notarizations != nil,
	}
}

func (b *Adapter) Info(ctx context.Context) (*api.Info, error) {
	st := b.follower.Status()
	info := &api.Info{
		Version:     b.version,
		Network:     b.network,
		SidechainID: b.params.SidechainID,
		Mainchain: api.MainchainState{
			TipHeight:     st.Tip.Height,
			TipHash:       st.Tip.Hash,
			Backend:       st.Source.Backend,
			Connected:     st.Source.Connected,
			BackendHeight: st.Source.Best.Height,
			Synced:        st.Synced,
			LastError:     firstNonEmpty(st.Err, st.Source.Err),
			BackendHash:   st.Source.Best.Hash,
			// The backend's best block is neutrino's filter-header
			// tip; btcd needs no filters.
			FilterHeight: st.Source.Best.Height,
			HeaderHeight: st.Source.Headers,
			BackendPeers: int32(st.Source.Peers),
			Progress:     api.SyncProgress(st.Tip.Height, st.Source.Best.Height),
		},
	}
	if !st.Source.Connected {
		info.Mainchain.BackendPeers = 0 // btcd reports 1 either way
	}
	if b.peers != nil {
		info.SidechainPeers = b.peers.ConnectedCount()
	}
	// The mainchain tip, the tickets, the state hash and the sidechain
	// tip come from one snapshot of the store, so that they describe the
	// same mainchain block: the follower's status may lag or lead the
	// store by a block, and two reads could straddle a connect.
	var (
		tickets []*mainstake.Ticket
		tip     store.BlockID
		side    sideblock.ChainTip
		sum     chainhash.Hash
	)
	err := b.db.View(func(r store.Reader) error {
		var err error
		if tip, err = r.Tip(); err != nil {
			return err
		}
		if tickets, err = mainstake.Tickets(r); err != nil {
			return err
		}
		if b.sidechain != nil {
			if side, err = sideblock.ChainTipAt(r); err != nil {
				return err
			}
		}
		if b.notary != nil {
			if info.Notarization, err = b.notarizationStatus(r, tip.Height); err != nil {
				return err
			}
		}
		if tip.Height >= 0 {
			// The store's commitment to all mainchain-derived
			// state after the tip shown.
			_, sum, err = b.db.StateHashIn(r, tip.Height)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	info.Mainchain.TipHeight, info.Mainchain.TipHash = tip.Height, tip.Hash
	info.Mainchain.Progress = api.SyncProgress(tip.Height, st.Source.Best.Height)
	if side.Height >= 0 && b.sidechain != nil {
		info.Sidechain.TipHash = &side.Hash
		info.Sidechain.TipHeight = uint64(side.Height)
	}
	info.StateHash = sum
	if st.Source.Best.Hash == (chainhash.Hash{}) {
		info.Mainchain.Progress = 0 // the backend has reported nothing yet
	}
	if b.slots != nil {
		stats := b.slots.Stats()
		info.Wins, info.Publications, info.Misses = stats.Won, stats.Included, stats.Missed
		info.HeadersBroadcast, info.MissReasons = stats.Published, stats.ReasonLabels()
	}
	info.NumTickets = uint64(len(tickets))
	for _, t := range tickets {
		if b.owns(t) {
			info.OwnTickets = append(info.OwnTickets, uint64(t.ID))
		}
	}
	return info, nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (b *Adapter) owns(t *mainstake.Ticket) bool {
	if b.wallet == nil {
		return false
	}
	_, ok := b.wallet.OwnsStakeKey(t.PubKey.SerializeCompressed())
	return ok
}

// ticketState says where t stands at mainchain tip tip: a ticket weighs
// from conf + StakeMaturity − 1 while its publisher chain is live, until
// its lock height, from which its stake can be withdrawn.
func ticketState(t *mainstake.Ticket, tip, maturity int32) api.TicketState {
	switch {
	case int64(tip) >= int64(t.LockHeight):
		return api.TicketExpired
	case t.End >= 0:
		return api.TicketEnded
	case int64(tip) < int64(t.ConfHeight)+int64(maturity)-1:
		return api.TicketMaturing
	}
	return api.TicketLive
}

func (b *Adapter) apiTicket(t *mainstake.Ticket, tip int32) api.Ticket {
	w := b.ticketIndex.Weight(t.ID)
	return api.Ticket{
		ID:           uint64(t.ID),
		TxID:         t.TxHash,
		Stake:        t.Stake,
		Value:        t.Value,
		LockHeight:   t.LockHeight,
		ConfHeight:   t.ConfHeight,
		PubKey:       t.PubKey.SerializeCompressed(),
		OwnerKeyHash: ownerKeyHash(t),
		EndHeight:    t.End,
		Publisher:    t.Current,
		Weight:       api.Weight{Hi: w.Hi, Lo: w.Lo},
		State:        ticketState(t, tip, b.params.StakeMaturity),
	}
}

// tickets pages through the tickets that keep selects (all with nil).
func (b *Adapter) tickets(p api.Page, keep func(*mainstake.Ticket) bool) ([]api.Ticket, uint64, error) {
	var (
		all []*mainstake.Ticket
		tip store.BlockID
	)
	err := b.db.View(func(r store.Reader) error {
		var err error
		if tip, err = r.Tip(); err != nil {
			return err
		}
		ts, err := mainstake.Tickets(r)
		for _, t := range ts {
			if keep == nil || keep(t) {
				all = append(all, t)
			}
		}
		return err
	})
	if err != nil {
		return nil, 0, err
	}
	page := api.Paginate(all, p)
	out := make([]api.Ticket, len(page))
	for i, t := range page {
		out[i] = b.apiTicket(t, tip.Height)
	}
	return out, uint64(len(all)), nil
}

func (b *Adapter) Tickets(_ context.Context, p api.Page) ([]api.Ticket, uint64, error) {
	return b.tickets(p, nil)
}

func (b *Adapter) Winner(_ context.Context, height int32) (*api.Winner, error) {
	var out *api.Winner
	err := b.db.View(func(r store.Reader) error {
		w, ok, err := mainstake.WinnerAt(r, height)
		if err != nil || !ok {
			return err
		}
		out, err = b.apiWinner(r, w)
		return err
	})
	if err != nil {
		return nil, err
	}
	if out == nil {
		return nil, api.Errorf(api.ErrNotFound, "no winner after block %d", height)
	}
	return out, nil
}

func (b *Adapter) Publication(_ context.Context, height int32) (*api.Publication, error) {
	var (
		p  *mainstake.Publication
		ok bool
	)
	err := b.db.View(func(r store.Reader) error {
		var err error
		p, ok, err = mainstake.PublicationAt(r, height)
		return err
	})
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, api.Errorf(api.ErrNotFound, "no publication in block %d", height)
	}
	pub := apiPublication(p)
	return &pub, nil
}

func apiPublication(p *mainstake.Publication) api.Publication {
	hdr := sideblock.Header{PrevBlock: p.Header.PrevBlock, MerkleRoot: p.Header.MerkleRoot}
	return api.Publication{Height: p.Height, Ticket: uint64(p.Ticket),
		TxIndex: uint32(p.TxIndex), TxID: p.TxID, PrevBlock: p.Header.PrevBlock,
		MerkleRoot: p.Header.MerkleRoot, BlockHash: hdr.BlockHash()}
}

var errNoWallet = api.Errorf(api.ErrNoWallet, "the node runs without a wallet: "+
	"start it with --wallet.unlockpasswordfile")

func (b *Adapter) NewAddress(context.Context) (string, error) {
	if b.wallet == nil {
		return "", errNoWallet
	}
	addr, err := b.wallet.NewAddress(wallet.Receive)
	if err != nil {
		return "", err
	}
	return addr.EncodeAddress(), nil
}

func (b *Adapter) Balance(_ context.Context, minConf int32) (*api.Balance, error) {
	if b.wallet == nil {
		return nil, errNoWallet
	}
	bal, err := b.wallet.Balances(minConf)
	if err != nil {
		return nil, err
	}
	return &api.Balance{Total: bal.Total, Spendable: bal.Spendable,
		Confirmed: bal.Confirmed, Incoming: bal.Incoming, Unconfirmed: bal.Unconfirmed,
		SpentUnconfirmed: bal.PendingSpent, MempoolWatched: bal.MempoolSeen}, nil
}

func (b *Adapter) CreateStake(ctx context.Context, req api.StakeRequest) (*api.StakeResult, error) {
	if b.wallet == nil {
		return nil, errNoWallet
	}
	tip, err := b.db.Tip()
	if err != nil {
		return nil, err
	}
	if err := checkAmount("amount_sat", req.Amount); err != nil {
		return nil, err
	}
	feeRate, err := mainFeeRate("fee_rate_sat_vb", req.FeeRate)
	if err != nil {
		return nil, err
	}
	lock := uint32(tip.Height) + 1 + req.LockBlocks
	if err := mainstake.CheckLock(lock, tip.Height+1, b.params); err != nil {
		return nil, api.Errorf(api.ErrInvalidArgument, "lock_blocks %d: %v", req.LockBlocks, err)
	}
	ref, err := b.wallet.StakeKey(0)
	if err != nil {
		return nil, err
	}
	pub, err := b.wallet.Keys().PubKey(ref)
	if err != nil {
		return nil, err
	}
	var reg *wire.MsgTx
	res := &api.StakeResult{LockHeight: lock, PubKey: pub.SerializeCompressed()}
	if req.OwnerPubKey != nil {
		owner, err := btcec.ParsePubKey(req.OwnerPubKey)
		if err != nil {
			return nil, api.Errorf(api.ErrInvalidArgument, "owner_pubkey: %v", err)
		}
		if _, ours := b.wallet.OwnsStakeKey(owner.SerializeCompressed()); ours {
			return nil, api.Errorf(api.ErrInvalidArgument, "owner_pubkey %x is a "+
				"stake key of this node's wallet: a cold owner key must live "+
				"outside the node", req.OwnerPubKey)
		}
		reg, err = mainstake.BuildColdRegistration(b.params, req.Amount, lock, pub, owner, apiPublisherValue)
		if err != nil {
			return nil, api.Errorf(api.ErrInvalidArgument, "%w", err)
		}
		h := mainstake.OwnerKeyHash(owner)
		res.OwnerKeyHash = h[:]
	} else {
		reg, err = mainstake.BuildRegistration(b.params, req.Amount, lock, pub, apiPublisherValue)
		if err != nil {
			return nil, api.Errorf(api.ErrInvalidArgument, "%w", err)
		}
	}
	if req.PSBTOnly {
		res.PSBT, err = wallet.FundingPSBT(reg.TxOut)
		return res, err
	}
	tx, err := b.wallet.Fund(reg.TxOut, feeRate, apiStakeMinConf)
	if err != nil {
		return nil, api.Errorf(api.ErrFailedPrecondition, "%w", err)
	}
	if err := b.broadcastFunded(ctx, tx); err != nil {
		return nil, err
	}
	txid := tx.TxHash()
	res.TxID = &txid
	return res, nil
}

func (b *Adapter) ListStakes(_ context.Context, p api.Page) ([]api.Ticket, uint64, error) {
	if b.wallet == nil {
		return nil, 0, errNoWallet
	}
	tip, err := b.db.Tip()
	if err != nil {
		return nil, 0, err
	}
	ts, total, err := b.tickets(p, b.owns)
	if err != nil {
		return nil, 0, err
	}
	for i := range ts {
		if err := b.stakeState(&ts[i], tip.Height); err != nil {
			return nil, 0, err
		}
	}
	return ts, total, nil
}

// stakeState says where a stake of the wallet stands at the mainchain tip
// (the Ticket message's stake_state).
func (b *Adapter) stakeState(t *api.Ticket, tip int32) error {
	spend, known, err := b.wallet.StakeSpend(t.Stake)
	switch {
	case err != nil:
		return err
	case known && spend.Spent:
		// Whoever sent it: this node, or another holder of the key.
		t.StakeState, t.WithdrawnHeight = "withdrawn", spend.SpentHeight
		t.Withdrawal = &spend.SpentTxID
	case known:
		t.StakeState, t.Withdrawal = "withdrawing", &spend.Sent
	case int64(tip)+1 >= mainstake.FirstWithdrawalHeight(t.LockHeight):
		t.StakeState = "expired"
	default:
		t.StakeState = "locked"
	}
	return nil
}

// TopUpStake records a top-up of a ticket of this wallet's (docs/protocol.md
// §5): its next header transaction adds amount sat of wallet coins to its
// publisher output. Nothing moves now; a ticket that is not the wallet's,
// ended or expired is refused and nothing is recorded.
func (b *Adapter) TopUpStake(_ context.Context, ticket uint64, amount int64) (*api.TopUpResult, error) {
	if b.wallet == nil {
		return nil, errNoWallet
	}
	tip, err := b.db.Tip()
	if err != nil {
		return nil, err
	}
	var t *mainstake.Ticket
	err = b.db.View(func(r store.Reader) error {
		var err error
		t, err = mainstake.TicketByID(r, lottery.TicketID(ticket))
		return err
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil, api.Errorf(api.ErrNotFound, "no ticket %d", ticket)
	}
	if err != nil {
		return nil, err
	}
	if _, ok := b.wallet.OwnsStakeKey(t.PubKey.SerializeCompressed()); !ok {
		return nil, api.Errorf(api.ErrNotFound,
			"ticket %d is not one of this wallet's stakes: its stake key is another's, "+
				"so this node cannot sign its header transactions; nothing was recorded", t.ID)
	}
	if !t.Live() {
		return nil, api.Errorf(api.ErrFailedPrecondition,
			"ticket %d's publisher chain ended in mainchain block %d: it publishes no "+
				"more headers, so a top-up would never be spent", t.ID, t.End)
	}
	if int64(tip.Height) >= int64(t.LockHeight) {
		return nil, api.Errorf(api.ErrFailedPrecondition,
			"ticket %d's stake expired at height %d (mainchain tip %d): it wins no "+
				"more draws, so a top-up would never be spent", t.ID, t.LockHeight, tip.Height)
	}
	pending, err := b.wallet.AddTopUp(uint64(t.ID), amount)
	if errors.Is(err, wallet.ErrAmount) {
		return nil, api.Errorf(api.ErrInvalidArgument, "amount_sat: %v", err)
	}
	if err != nil {
		return nil, err
	}
	confirmed, err := b.wallet.Balance(1)
	if err != nil {
		return nil, err
	}
	log.Infof("Top-up of %d sat recorded for ticket %d (%d sat pending): its next "+
		"header transaction adds it to the publisher output", amount, t.ID, pending)
	return &api.TopUpResult{Pending: pending, PublisherValue: t.CurrentValue,
		Confirmed: confirmed}, nil
}
