package federation

import (
	"bytes"
	"context"
	"fmt"
	"sync"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcutil/psbt"
	"github.com/btcsuite/btcd/chaincfg/chainhash"
	"github.com/btcsuite/btcd/wire"

	"github.com/mainstake/sidenode/chainparams"
	"github.com/mainstake/sidenode/p2p"
	"github.com/mainstake/sidenode/pegbox"
	"github.com/mainstake/sidenode/sideblock"
	"github.com/mainstake/sidenode/store"
	"github.com/mainstake/sidenode/wallet"
)

// Bounds of what the federation keeps from peers.
const (
	// maxPegPackets is how many signature packets the node keeps to
	// serve and relay, its own included; the oldest go first.
	maxPegPackets = 256

	// maxEarlyPackets is how many packets for payouts this node has not
	// built yet it keeps, for a member a block ahead of it.
	maxEarlyPackets = 64

	// scanWithdrawalBlocks is how many blocks with withdrawals one round
	// looks at, oldest first, to find the first unpaid one.
	scanWithdrawalBlocks = 64

	// maxAdoptLevels is how many fee bump levels above its own a member
	// looks for the spend the other members are signing.
	maxAdoptLevels = 8
)

// Announcer relays signature packets to peers; *p2p.Server is one.
type Announcer interface {
	Announce(items ...p2p.InvItem)
}

// Chain is the sidechain's best chain and its blocks.
type Chain interface {
	Tip() (hash chainhash.Hash, height int32, ok bool)
	Block(hash chainhash.Hash) (*sideblock.Block, *sideblock.BlockInfo, error)
}

// Pegbox is what the rounds ask the pegbox index beside its records.
type Pegbox interface {
	EpochOf(height int32) uint32
	FederationOfCoin(r store.Reader, c pegbox.Coin) (*pegbox.Federation, bool, error)
}

// Wallet holds this node's stake keys, which may be members' keys.
type Wallet interface {
	OwnsStakeKey(pub []byte) (wallet.KeyRef, bool)
	Keys() *wallet.Keyring
}

// Broadcaster sends the complete spends to the mainchain.
type Broadcaster interface {
	Broadcast(ctx context.Context, tx *wire.MsgTx) error
}

// Env lists the components the rounds use. Wallet may be nil (a node
// that is no member, and only relays), as may Chain in tests that only
// receive packets.
type Env struct {
	Params   *chainparams.Params
	DB       *store.DB
	Chain    Chain
	Pegbox   Pegbox
	Wallet   Wallet
	Follower Broadcaster
}

// Signer is this node's part in the pegbox federation. After every
// mainchain block, a member builds the payout of the oldest best-chain
// sideblock whose withdrawals are unpaid and may be paid (pegbox.
// PayoutAllowed), exactly as every other member builds it, signs it,
// sends its signatures to its peers as a PSBT, and broadcasts the payout
// once the signatures it gathered reach the threshold. One payout is in
// flight at a time: the next spends its change. Until the payout is mined,
// every block rebroadcasts it. Every node, member or not, relays the
// packets that spend the pegbox's coins.
type Signer struct {
	params   *chainparams.Params
	db       *store.DB
	chain    Chain
	peg      Pegbox
	wallet   Wallet // nil: not a member
	follower Broadcaster
	peers    Announcer // nil without the peer protocol

	kick chan struct{}

	mu      sync.Mutex
	job     *payoutJob                // the payout being signed or in flight
	packets map[chainhash.Hash][]byte // by SHA256d of the bytes
	order   []chainhash.Hash          // packets, oldest first
	early   []*psbt.Packet            // for payouts not built yet
}

// payoutJob is one pegbox spend, a payout or a rotation: its signing, and
// once complete the transaction. Its fields are guarded by Signer.mu.
type payoutJob struct {
	what    string         // "payout of sideblock …" or "rotation of …": the spend's purpose
	level   int            // fee bump level (pegbox.BumpFee)
	txid    chainhash.Hash // of the unsigned transaction
	inputs  []wire.OutPoint
	signing *pegbox.Signing
	signed  *wire.MsgTx // complete
	sentAt  int32       // the mainchain tip when it was complete
	since   int32       // the mainchain tip when this node signed it

	// fallback is the complete spend at the level below, rebroadcast
	// until this one is complete.
	fallback *wire.MsgTx
}

// New returns the signing rounds over env's components.
func New(env Env) *Signer {
	return &Signer{
		params: env.Params, db: env.DB, chain: env.Chain, peg: env.Pegbox,
		wallet: env.Wallet, follower: env.Follower,
		kick:    make(chan struct{}, 1),
		packets: make(map[chainhash.Hash][]byte),
	}
}

// SetPeers sets the peers that signature packets are relayed to; set it
// before Run.
func (f *Signer) SetPeers(a Announcer) { f.peers = a }

// BlockCommitted asks the federation loop for a round: a mainchain
// block's batch is on disk.
func (f *Signer) BlockCommitted() {
	select {
	case f.kick <- struct{}{}:
	default:
	}
}

// Run does a round after every mainchain block until ctx is done.
func (f *Signer) Run(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-f.kick:
		}
		if err := f.round(ctx); err != nil {
			log.Warnf("Federation: %v", err)
		}
	}
}

// plan is what a round decided to sign.
type plan struct {
	what  string
	level int
	tx    *wire.MsgTx
	coins []pegbox.Coin      // the pegbox coins the spend was built from
	fed   *pegbox.Federation // the federation whose coins it spends
	key   *btcec.PrivateKey  // this node's key in fed
}

// round is one pass of the federation after a mainchain block.
//
// A complete spend that stays unconfirmed for PegBumpInterval blocks is
// replaced by the same spend one bump level up (pegbox.BumpFee), built
// from the same coins plus any it needs. The members that completed it
// did so when the threshold's last signature reached them, within moments
// of each other, so they count the interval from the same block and build
// the same replacement.
func (f *Signer) round(ctx context.Context) error {
	f.mu.Lock()
	job := f.job
	f.mu.Unlock()

	// A spend whose coins are gone was mined, or lost to another spend.
	if job != nil {
		settled, err := f.settled(job)
		if err != nil {
			return err
		}
		if settled {
			log.Infof("Federation: the coins of the %s (%v) are spent on the mainchain",
				job.what, job.txid)
			f.mu.Lock()
			if f.job == job {
				f.job = nil
			}
			f.mu.Unlock()
			job = nil
		}
	}
	var tip int32
	if err := f.db.View(func(r store.Reader) error {
		t, err := r.Tip()
		tip = t.Height
		return err
	}); err != nil {
		return err
	}
	levelOf := func(what string) int {
		switch {
		case job == nil || job.what != what:
			return 0
		case job.signed != nil && tip-job.sentAt >= f.params.PegBumpInterval:
			return job.level + 1
		}
		return job.level
	}

	p, err := f.plan(levelOf)
	if err != nil {
		return err
	}
	if p != nil {
		if q, err := f.adopt(p); err != nil {
			return err
		} else if q != nil {
			p = q
		}
	}
	rebroadcast := func(tx *wire.MsgTx) {
		if tx == nil {
			return
		}
		if err := f.follower.Broadcast(ctx, tx); err != nil {
			log.Warnf("Rebroadcast of the %s (%v): %v", job.what, tx.TxHash(), err)
		}
	}
	var fallback *wire.MsgTx
	if job != nil {
		fallback = job.signed
		if fallback == nil {
			fallback = job.fallback
		}
		switch {
		case p != nil && p.tx.TxHash() == job.txid:
			if job.signed != nil {
				rebroadcast(job.signed)
				return nil
			}
			rebroadcast(job.fallback)
			return f.tryComplete(ctx, tip)

		case job.signed != nil && (p == nil || p.what != job.what || p.level <= job.level):
			// One spend in flight at a time: it is rebroadcast until its
			// coins are spent, and replaced only by itself a bump level
			// up. (A rotation that found another old coin meanwhile moves
			// it with the next one.)
			rebroadcast(job.signed)
			return nil

		case job.signed != nil:
			log.Infof("Federation: the %s waits unconfirmed since block %d; "+
				"bumping its fee (level %d)", job.what, job.sentAt, p.level)
		}
		if p == nil || p.what != job.what {
			fallback = nil
		}
	}
	if p == nil {
		return nil
	}
	txid := p.tx.TxHash()

	signing, err := pegbox.NewSigning(p.tx, p.coins, p.fed, f.params.Main)
	if err != nil {
		return err
	}
	packet, err := signing.Sign(p.key)
	if err != nil {
		return err
	}
	var raw bytes.Buffer
	if err := packet.Serialize(&raw); err != nil {
		return err
	}
	inputs := make([]wire.OutPoint, len(p.tx.TxIn))
	for i, in := range p.tx.TxIn {
		inputs[i] = in.PreviousOutPoint
	}
	f.mu.Lock()
	f.job = &payoutJob{what: p.what, level: p.level, txid: txid, inputs: inputs,
		signing: signing, fallback: fallback, since: tip}
	early := f.early
	f.early = nil
	f.mu.Unlock()
	log.Infof("Federation: signed the %s, %v (fee bump level %d; %d of %d "+
		"signatures needed)", p.what, txid, p.level, p.fed.Threshold, len(p.fed.Keys))
	f.keep(raw.Bytes(), true)
	for _, pk := range early {
		f.addPacket(pk)
	}
	return f.tryComplete(ctx, tip)
}

// adopt returns the plan of p's spend at the higher fee bump level that
// the other members are signing, or nil. A member that was offline while
// the others bumped a spend starts again at level 0; the signatures they
// sent meanwhile wait among the early packets. When the packets for one
// transaction that spends p's first coin carry Threshold−1 members'
// signatures, and p's spend at a level up to maxAdoptLevels higher is
// that very transaction, this member signs it too, and completes it. It
// takes Threshold−1 members to move it, as many as could complete any
// spend with it: fewer cannot make it pay a higher fee.
func (f *Signer) adopt(p *plan) (*plan, error) {
	first := p.tx.TxIn[0].PreviousOutPoint
	txid := p.tx.TxHash()
	signers := make(map[chainhash.Hash]map[string]bool)
	f.mu.Lock()
	for _, pk := range f.early {
		tx := pk.UnsignedTx
		if h := tx.TxHash(); h != txid && len(tx.TxIn) > 0 && tx.TxIn[0].PreviousOutPoint == first {
			if signers[h] == nil {
				signers[h] = make(map[string]bool)
			}
			for _, ps := range pk.Inputs[0].PartialSigs {
				signers[h][string(ps.PubKey)] = true
			}
		}
	}
	f.mu.Unlock()
	for h, keys := range signers {
		if len(keys) < p.fed.Threshold-1 {
			continue
		}
		for level := p.level + 1; level <= p.level+maxAdoptLevels; level++ {
			q, err := f.plan(func(what string) int {
				if what == p.what {
					return level
				}
				return 0
			})
			if err != nil || q == nil || q.what != p.what {
				return nil, err
			}
			if q.tx.TxHash() == h {
				log.Infof("Federation: the other members bumped the %s to level %d; "+
					"signing it there", p.what, q.level)
				return q, nil
			}
		}
	}
	return nil, nil
}

// settled tells whether a coin job spends is no longer the pegbox's.
func (f *Signer) settled(job *payoutJob) (bool, error) {
	var gone bool
	err := f.db.View(func(r store.Reader) error {
		for _, op := range job.inputs {
			_, ok, err := pegbox.CoinAt(r, op)
			if err != nil {
				return err
			}
			if !ok {
				gone = true
				return nil
			}
		}
		return nil
	})
	return gone, err
}

// plan returns the spend this node should sign now, or nil. A rotation
// comes first: while coins of an earlier pegbox can be moved to the
// current one, no payout is signed, by this node or any other.
//
// levelOf gives the fee bump level of a spend by its purpose.
func (f *Signer) plan(levelOf func(what string) int) (*plan, error) {
	if f.wallet == nil {
		return nil, nil
	}
	var out *plan
	err := f.db.View(func(r store.Reader) error {
		tip, err := r.Tip()
		if err != nil {
			return err
		}
		epoch := f.peg.EpochOf(tip.Height + 1)
		cur, ok, err := pegbox.FederationAt(r, epoch)
		if err != nil || !ok {
			return err
		}
		coins, err := pegbox.Coins(r)
		if err != nil {
			return err
		}
		rot, due, err := f.planRotation(r, cur, coins, levelOf)
		if err != nil || due {
			out = rot
			return err
		}
		out, err = f.planPayout(r, tip.Height, cur, coins, levelOf)
		return err
	})
	return out, err
}

// memberKey returns this node's private key in fed, or nil.
func (f *Signer) memberKey(fed *pegbox.Federation) (*btcec.PrivateKey, error) {
	for _, k := range fed.Keys {
		if ref, ok := f.wallet.OwnsStakeKey(k.SerializeCompressed()); ok {
			return f.wallet.Keys().PrivKey(ref)
		}
	}
	return nil, nil
}

// planRotation finds the oldest coins of an earlier pegbox that a
// rotation can move to cur's pegbox. due tells whether there are any;
// the plan is nil when this node has no key in the federation that holds
// them, which others then rotate.
func (f *Signer) planRotation(r store.Reader, cur *pegbox.Federation,
	coins []pegbox.Coin, levelOf func(string) int) (p *plan, due bool, err error) {

	curScript, err := cur.PkScript(f.params.Main)
	if err != nil {
		return nil, false, err
	}
	tried := make(map[string]bool)
	for _, c := range coins {
		if bytes.Equal(c.PkScript, curScript) || tried[string(c.PkScript)] {
			continue
		}
		tried[string(c.PkScript)] = true
		from, ok, err := f.peg.FederationOfCoin(r, c)
		if err != nil {
			return nil, false, err
		}
		if !ok {
			log.Debugf("Federation: no federation holds coin %v", c.OutPoint)
			continue
		}
		what := fmt.Sprintf("rotation of the epoch %d pegbox to epoch %d", from.Epoch, cur.Epoch)
		level := levelOf(what)
		rot, err := pegbox.BuildRotation(f.params, coins, from, cur, level)
		if pegbox.IsErrorCode(err, pegbox.ErrNothingToRotate) {
			continue
		}
		if err != nil {
			return nil, false, err
		}
		key, err := f.memberKey(from)
		if err != nil || key == nil {
			return nil, true, err
		}
		return &plan{what: what, level: level, tx: rot.Tx, coins: rot.Coins,
			fed: from, key: key}, true, nil
	}
	return nil, false, nil
}

// planPayout returns the payout of the oldest best-chain sideblock whose
// withdrawals are unpaid, if this node is a member of cur and the payout
// may be made now; payouts go in sideblock order.
func (f *Signer) planPayout(r store.Reader, tip int32, cur *pegbox.Federation,
	all []pegbox.Coin, levelOf func(string) int) (*plan, error) {

	key, err := f.memberKey(cur)
	if err != nil || key == nil {
		return nil, err // not a member this epoch
	}
	_, sideTip, ok := f.chain.Tip()
	if !ok {
		return nil, nil
	}
	blocks, err := sideblock.WithdrawalBlocks(r, 0, scanWithdrawalBlocks)
	if err != nil {
		return nil, err
	}
	for _, wb := range blocks {
		if _, paid, err := pegbox.PayoutOf(r, wb.Hash); err != nil || paid {
			if err != nil {
				return nil, err
			}
			continue
		}
		// The oldest unpaid block: pay it, or wait.
		block, info, err := f.chain.Block(wb.Hash)
		if err != nil {
			return nil, err
		}
		if info == nil || !info.OnBestChain {
			return nil, nil
		}
		ws := sideblock.BlockWithdrawals(block.Transactions)
		var amount, budgets int64
		for i := range ws {
			amount += ws[i].Amount()
			budgets += ws[i].Value - ws[i].Amount()
		}
		paid, err := pegbox.PaidSince(r, tip-f.params.PegRatePeriod, tip)
		if err != nil {
			return nil, err
		}
		err = pegbox.PayoutAllowed(f.params, sideTip-wb.Height+1,
			tip-info.PubHeight+1, paid, amount)
		if err != nil {
			log.Debugf("Federation: payout of sideblock %v waits: %v", wb.Hash, err)
			return nil, nil
		}
		what := fmt.Sprintf("payout of sideblock %v", wb.Hash)
		level := levelOf(what)

		pkScript, err := cur.PkScript(f.params.Main)
		if err != nil {
			return nil, err
		}
		var coins []pegbox.Coin
		for _, c := range all {
			if bytes.Equal(c.PkScript, pkScript) {
				coins = append(coins, c)
			}
		}
		tx, level, err := pegbox.Bumped(f.params, cur, level, budgets,
			func(extra int64) (*wire.MsgTx, error) {
				return pegbox.BuildPayout(wb.Hash, ws, coins, pkScript,
					f.params.SidechainID, f.params.DustLimit, extra)
			})
		if err != nil {
			return nil, fmt.Errorf("payout of sideblock %v: %w", wb.Hash, err)
		}
		return &plan{what: what, level: level, tx: tx, coins: coins, fed: cur, key: key}, nil
	}
	return nil, nil
}

// tryComplete broadcasts the spend once its signatures reach the
// threshold, with the mainchain at tip.
func (f *Signer) tryComplete(ctx context.Context, tip int32) error {
	f.mu.Lock()
	job := f.job
	if job == nil || job.signed != nil {
		f.mu.Unlock()
		return nil
	}
	tx, ok, err := job.signing.Complete()
	if err != nil || !ok {
		f.mu.Unlock()
		return err
	}
	job.signed = tx
	job.sentAt = tip
	job.fallback = nil
	// The signing is guarded by f.mu: addPacket may add to it while we
	// broadcast.
	signers := job.signing.Signers()
	f.mu.Unlock()
	log.Infof("Federation: %s, %v, has %d signatures; broadcasting",
		job.what, tx.TxHash(), signers)
	return f.follower.Broadcast(ctx, tx)
}

// keep stores a packet to serve and relay, dropping the oldest beyond
// maxPegPackets, and announces it.
func (f *Signer) keep(raw []byte, announce bool) {
	hash := chainhash.DoubleHashH(raw)
	f.mu.Lock()
	if _, ok := f.packets[hash]; ok {
		f.mu.Unlock()
		return
	}
	f.packets[hash] = raw
	f.order = append(f.order, hash)
	for len(f.order) > maxPegPackets {
		delete(f.packets, f.order[0])
		f.order = f.order[1:]
	}
	f.mu.Unlock()
	if announce && f.peers != nil {
		f.peers.Announce(p2p.PegItem(hash))
	}
}

// Round is the signing round this node takes part in, while it waits for
// signatures: its spend, the mainchain tip when this node signed it, the
// signatures needed and had, and the members whose signatures have not
// arrived (compressed keys).
type Round struct {
	What      string
	TxID      chainhash.Hash
	Since     int32
	Threshold int
	Signers   int
	Silent    [][]byte
}

// OpenRound returns the round that waits for signatures; false when none
// does (no spend, or the spend is complete).
func (f *Signer) OpenRound() (Round, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	job := f.job
	if job == nil || job.signed != nil {
		return Round{}, false
	}
	return Round{What: job.what, TxID: job.txid, Since: job.since,
		Threshold: job.signing.Threshold(), Signers: job.signing.Signers(),
		Silent: job.signing.Silent()}, true
}

var _ p2p.PegHandler = (*Signer)(nil)

// HavePegSignatures implements p2p.PegHandler.
func (f *Signer) HavePegSignatures(hash chainhash.Hash) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.packets[hash]
	return ok
}

// PegSignatures implements p2p.PegHandler.
func (f *Signer) PegSignatures(hash chainhash.Hash) ([]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	raw, ok := f.packets[hash]
	return raw, ok
}

// ReceivePegSignatures implements p2p.PegHandler: it takes a packet from
// a peer. A packet whose inputs all spend
// coins of one pegbox, and whose signatures all verify for its own
// transaction by members of the federation that holds those coins, is
// kept and relayed, and its signatures go to the spend this node signs
// when it is the same transaction; the federation loop broadcasts the
// spend when they complete it. A packet that spends anything else is
// ignored. It returns a *p2p.MisbehaviorError when the packet is the
// peer's fault: it does not parse, or carries a signature that does not
// verify or is not a member's. Such a packet is neither kept nor relayed,
// so that no honest node passes it on and takes the blame.
func (f *Signer) ReceivePegSignatures(_ p2p.PeerID, raw []byte) error {
	p, err := psbt.NewFromRawBytes(bytes.NewReader(raw), false)
	if err != nil {
		return &p2p.MisbehaviorError{Score: pegMisbehaviorScore,
			Reason: fmt.Sprintf("peg signatures do not parse: %v", err)}
	}
	var (
		coins []pegbox.Coin
		fed   *pegbox.Federation
	)
	err = f.db.View(func(r store.Reader) error {
		for _, in := range p.UnsignedTx.TxIn {
			c, ok, err := pegbox.CoinAt(r, in.PreviousOutPoint)
			if err != nil || !ok {
				return err
			}
			coins = append(coins, *c)
		}
		if len(coins) == 0 || len(coins) != len(p.UnsignedTx.TxIn) {
			return nil
		}
		var err error
		fed, _, err = f.peg.FederationOfCoin(r, coins[0])
		return err
	})
	if err != nil {
		// Our own trouble, not the peer's: no ban score, but the error
		// is returned, for the log.
		return fmt.Errorf("peg signatures: %w", err)
	}
	var check *pegbox.Signing
	if fed != nil {
		check, err = pegbox.NewSigning(p.UnsignedTx, coins, fed, f.params.Main)
	}
	if fed == nil || err != nil {
		log.Debugf("Federation: ignored signatures of %v, which spends no coins "+
			"of one pegbox", p.UnsignedTx.TxHash())
		return nil
	}
	n, err := check.Add(p)
	if err != nil {
		return &p2p.MisbehaviorError{Score: pegMisbehaviorScore,
			Reason: fmt.Sprintf("peg signatures: %v", err)}
	}
	if n == 0 {
		return nil // nothing to pass on
	}
	f.keep(append([]byte(nil), raw...), true)
	if err := f.addPacket(p); err != nil {
		return &p2p.MisbehaviorError{Score: pegMisbehaviorScore,
			Reason: fmt.Sprintf("peg signatures: %v", err)}
	}
	f.BlockCommitted() // a round completes and broadcasts the spend
	return nil
}

// pegMisbehaviorScore is the ban score of a peg signature packet that does
// not parse or carries signatures that do not verify.
const pegMisbehaviorScore = 20

// addPacket adds a packet's signatures to the current payout, or keeps it
// for a payout this node has not built yet.
func (f *Signer) addPacket(p *psbt.Packet) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	job := f.job
	if job == nil || job.txid != p.UnsignedTx.TxHash() {
		f.early = append(f.early, p)
		if len(f.early) > maxEarlyPackets {
			f.early = f.early[1:]
		}
		return nil
	}
	n, err := job.signing.Add(p)
	if err != nil {
		if pegbox.IsErrorCode(err, pegbox.ErrOtherSpend) {
			return nil
		}
		return err
	}
	if n > 0 {
		log.Infof("Federation: %d new signatures of payout %v (%d signers)", n,
			job.txid, job.signing.Signers())
	}
	return nil
}
