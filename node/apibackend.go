package node

import (
	"context"
	"errors"

	"github.com/btcsuite/btcd/chaincfg/chainhash"

	"github.com/mainstake/sidenode/api"
	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/lottery"
	"github.com/mainstake/sidenode/mainstake"
	"github.com/mainstake/sidenode/mainwatch"
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

// apiBackend serves the API from the node's state.
type apiBackend struct {
	cfg      *Config
	params   *chainparams.Params
	db       *store.DB
	index    *mainstake.Index
	wallet   *wallet.Wallet // nil without a wallet
	follower *mainwatch.Follower
	proto    *protocol
	chain    *storeChain // its events serve the subscriptions
}

var _ api.Backend = (*apiBackend)(nil)

func (b *apiBackend) Info(ctx context.Context) (*api.Info, error) {
	st := b.follower.Status()
	info := &api.Info{
		Version:     Version,
		Network:     b.cfg.Network,
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
	if st.Source.Best.Hash == (chainhash.Hash{}) {
		info.Mainchain.Progress = 0 // the backend has reported nothing yet
	}
	if b.proto.peers != nil {
		info.SidechainPeers = b.proto.peers.ConnectedCount()
	}
	var tickets []*mainstake.Ticket
	err := b.db.View(func(r store.Reader) error {
		var err error
		tickets, err = mainstake.Tickets(r)
		return err
	})
	if err != nil {
		return nil, err
	}
	if hash, height, ok := b.proto.chain.Tip(); ok {
		info.Sidechain.TipHash = &hash
		info.Sidechain.TipHeight = uint64(height)
	}
	stats := b.proto.Stats()
	info.Wins, info.Publications, info.Misses = stats.Won, stats.Included, stats.Missed
	info.HeadersBroadcast, info.MissReasons = stats.Published, stats.MissReasons
	info.NumTickets = uint64(len(tickets))
	for _, t := range tickets {
		if b.owns(t) {
			info.OwnTickets = append(info.OwnTickets, uint64(t.ID))
		}
	}
	// The state hash after the mainchain tip shown: the store's
	// commitment to all mainchain-derived state.
	if st.Tip.Height >= 0 {
		id, sum, err := b.db.StateHash(st.Tip.Height)
		if err != nil || id.Hash != st.Tip.Hash {
			// The store moved on since the follower's status.
			_, sum, err = StateHash(b.db)
		}
		if err != nil {
			return nil, err
		}
		info.StateHash = sum
	}
	return info, nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func (b *apiBackend) owns(t *mainstake.Ticket) bool {
	if b.wallet == nil {
		return false
	}
	_, ok := b.wallet.OwnsStakeKey(t.PubKey.SerializeCompressed())
	return ok
}

func (b *apiBackend) apiTicket(t *mainstake.Ticket) api.Ticket {
	w := b.index.Weight(t.ID)
	return api.Ticket{
		ID:         uint64(t.ID),
		TxID:       t.TxHash,
		Stake:      t.Stake,
		Value:      t.Value,
		LockHeight: t.LockHeight,
		ConfHeight: t.ConfHeight,
		PubKey:     t.PubKey.SerializeCompressed(),
		EndHeight:  t.End,
		Publisher:  t.Current,
		Weight:     api.Weight{Hi: w.Hi, Lo: w.Lo},
	}
}

// tickets pages through the tickets that keep selects (all with nil).
func (b *apiBackend) tickets(p api.Page, keep func(*mainstake.Ticket) bool) ([]api.Ticket, uint64, error) {
	var all []*mainstake.Ticket
	err := b.db.View(func(r store.Reader) error {
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
		out[i] = b.apiTicket(t)
	}
	return out, uint64(len(all)), nil
}

func (b *apiBackend) Tickets(_ context.Context, p api.Page) ([]api.Ticket, uint64, error) {
	return b.tickets(p, nil)
}

func (b *apiBackend) Winner(_ context.Context, height int32) (*api.Winner, error) {
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

func (b *apiBackend) Publication(_ context.Context, height int32) (*api.Publication, error) {
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

func (b *apiBackend) NewAddress(context.Context) (string, error) {
	if b.wallet == nil {
		return "", errNoWallet
	}
	addr, err := b.wallet.NewAddress(wallet.Receive)
	if err != nil {
		return "", err
	}
	return addr.EncodeAddress(), nil
}

func (b *apiBackend) Balance(_ context.Context, minConf int32) (*api.Balance, error) {
	if b.wallet == nil {
		return nil, errNoWallet
	}
	total, err := b.wallet.Balance(0)
	if err != nil {
		return nil, err
	}
	spendable, err := b.wallet.Balance(minConf)
	if err != nil {
		return nil, err
	}
	return &api.Balance{Total: total, Spendable: spendable}, nil
}

func (b *apiBackend) CreateStake(ctx context.Context, req api.StakeRequest) (*api.StakeResult, error) {
	if b.wallet == nil {
		return nil, errNoWallet
	}
	tip, err := b.db.Tip()
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
	reg, err := mainstake.BuildRegistration(b.params, req.Amount, lock, pub, apiPublisherValue)
	if err != nil {
		return nil, api.Errorf(api.ErrInvalidArgument, "%w", err)
	}
	res := &api.StakeResult{LockHeight: lock, PubKey: pub.SerializeCompressed()}
	if req.PSBTOnly {
		res.PSBT, err = wallet.FundingPSBT(reg.TxOut)
		return res, err
	}
	feeRate := req.FeeRate
	if feeRate == 0 {
		feeRate = apiDefaultFeeRate
	}
	tx, err := b.wallet.Fund(reg.TxOut, feeRate, apiStakeMinConf)
	if err != nil {
		return nil, api.Errorf(api.ErrFailedPrecondition, "%w", err)
	}
	if err := b.follower.Broadcast(ctx, tx); err != nil {
		b.wallet.Release(tx)
		return nil, api.Errorf(api.ErrUnavailable, "broadcast: %w", err)
	}
	txid := tx.TxHash()
	res.TxID = &txid
	return res, nil
}

func (b *apiBackend) ListStakes(_ context.Context, p api.Page) ([]api.Ticket, uint64, error) {
	if b.wallet == nil {
		return nil, 0, errNoWallet
	}
	return b.tickets(p, b.owns)
}

func (b *apiBackend) WithdrawStake(ctx context.Context, req api.WithdrawRequest) (chainhash.Hash, error) {
	if b.wallet == nil {
		return chainhash.Hash{}, errNoWallet
	}
	tip, err := b.db.Tip()
	if err != nil {
		return chainhash.Hash{}, err
	}
	var t *mainstake.Ticket
	err = b.db.View(func(r store.Reader) error {
		if !req.ByOutPoint {
			var err error
			t, err = mainstake.TicketByID(r, lottery.TicketID(req.TicketID))
			return err
		}
		ts, err := mainstake.Tickets(r)
		for _, c := range ts {
			if c.Stake == req.Stake {
				t = c
			}
		}
		return err
	})
	if errors.Is(err, store.ErrNotFound) || (err == nil && t == nil) {
		return chainhash.Hash{}, api.Errorf(api.ErrNotFound, "no such ticket")
	}
	if err != nil {
		return chainhash.Hash{}, err
	}
	priv, ok := b.wallet.StakeKeyFor(t.PubKey)
	if !ok {
		return chainhash.Hash{}, api.Errorf(api.ErrNotFound,
			"ticket %d is not one of this wallet's stakes", t.ID)
	}
	if !mainstake.StakeSpendable(t, tip.Height) {
		return chainhash.Hash{}, api.Errorf(api.ErrFailedPrecondition,
			"ticket %d's stake is locked until height %d: its withdrawal can be "+
				"mined from block %d on (mainchain tip %d)", t.ID, t.LockHeight,
			mainstake.FirstWithdrawalHeight(t.LockHeight), tip.Height)
	}
	dest, err := b.wallet.PayoutScript(req.Destination)
	if errors.Is(err, wallet.ErrBadAddress) {
		return chainhash.Hash{}, api.Errorf(api.ErrInvalidArgument, "destination: %w", err)
	}
	if err != nil {
		return chainhash.Hash{}, err
	}
	feeRate := req.FeeRate
	if feeRate == 0 {
		feeRate = apiDefaultFeeRate
	}
	tx, err := mainstake.BuildStakeWithdrawal(t, dest, feeRate, priv)
	if err != nil {
		return chainhash.Hash{}, api.Errorf(api.ErrInvalidArgument, "%w", err)
	}
	if err := b.follower.Broadcast(ctx, tx); err != nil {
		return chainhash.Hash{}, api.Errorf(api.ErrUnavailable, "broadcast: %w", err)
	}
	return tx.TxHash(), nil
}
