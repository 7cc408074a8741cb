/*
Package lottery draws the ticket that may publish the next sidechain header
(protocol section 4): a stake-weighted draw over all tickets, seeded by the
mainchain block hash, in O(log n) per block.

# What the package owns

A Lottery holds, for one sidechain, the facts the draw depends on and
nothing else: every ticket's chain position, value and lock height (Add),
the heights at which publisher chains ended (End), and the mainchain height
the weights are computed at (Advance). It does not parse transactions,
validate stake registrations against the network's MinStakeValue or lock
range, or follow publisher chains; the mainstake package does that and
feeds the results in. The lottery checks only what its arithmetic and its
ordering rely on, and rejects anything else with a RuleError whose
ErrorCode tests and callers compare.

A TicketID is a ticket's index in chain order, (confirmation height,
transaction index in the block), counting from 0 over all tickets ever
confirmed on the current mainchain. The ticket index in mainstake numbers
tickets the same way, so both name a ticket by the same number.

# The draw

At tip height h, ticket t weighs

	weight(t, h) = value × (lock − h)   if conf + StakeMaturity − 1 ≤ h < lock
	                                     and its publisher chain has not
	                                     ended at or before h,
	             = 0                     otherwise.

After connecting mainchain block h with hash H:

	W = Σ weight(t, h); no winner if W = 0.
	r = SHA256("PMS/lottery" ‖ H ‖ sidechain id) mod W

with H the 32 hash bytes in internal order, the id 4 bytes big-endian, and
the digest read as a 256-bit big-endian integer. The winner is the first
ticket in chain order whose running sum of weights exceeds r: the ticket
whose range [start, start + weight) of running sums holds r. Zero-weight
tickets have empty ranges and never win.

# Bounds: why 128 bits are enough

A ticket's value is at most btcutil.MaxSatoshi = 2.1·10^15 < 2^51, and its
lock is below txscript.LockTimeThreshold = 5·10^8 < 2^29 (a CLTV argument
at or above it is a time). So value·lock < 2^80, and every weight is at
most that. A Lottery holds at most MaxTickets = 2^40 tickets, so

	A = Σ value·lock < 2^120,   B = Σ value < 2^91,   h·B ≤ A,

the last because every ticket in the sums has h < lock. Every total, every
Fenwick node (a partial sum of A or B) and every running weight sum is
therefore below 2^120 and fits a Uint128 exactly. The package computes in
Uint128 modulo 2^128: removing a ticket adds the two's complement of its
terms, and because every stored result is an exact sum below 2^128, the
wraparound of such intermediate steps cancels. A test checks the bound.

r mod W reduces a 256-bit number by a divisor of up to 128 bits. mod256
does it with math/bits: 128-by-64 divisions when W < 2^64, otherwise
Knuth's algorithm D with a normalized two-limb divisor. Tests compare it
with math/big on random and edge operands. The reduction's bias is below
W/2^256 < 2^-136.

# Data structures

For a ticket eligible at h, weight = value·lock − h·value. The lottery keeps
one Fenwick (binary indexed) tree over the tickets in chain order whose
nodes carry two sums, a = Σ value·lock and b = Σ value, over the tickets
that are eligible at the current height; an ineligible ticket contributes
(0, 0). The weight of the first k tickets at h is then a(k) − h·b(k), and
the two sums of a node sit in one cache line.

  - Draw is one descent from the largest power of two not above n: at each
    step, take the node if the prefix weight it reaches stays ≤ r. Prefix
    weights never decrease (every ticket in the tree weighs > 0), so the
    descent ends on the first ticket whose running sum exceeds r, with the
    sum before it: O(log n), no allocation. W is kept as running totals of
    a and b, so it costs O(1).
  - A ticket enters the tree (its terms added along the update path) when
    it becomes eligible and leaves it when it stops: O(log n).
  - Eligibility changes only at three heights per ticket: maturity
    (conf + StakeMaturity − 1), lock, and the end of its publisher chain.
    The tickets that mature between two heights are those confirmed in a
    range of heights, a run of consecutive ids found by binary search; a
    map from height to tickets lists the expiries and ends. Moving from
    height x to y recomputes, for each ticket that matures, expires or
    ends at a height in (min(x, y), max(x, y)], whether it is eligible at y,
    and adds it to or removes it from the tree: O(k log n) for k such
    tickets, whichever the direction and however many heights are skipped
    (a long jump walks the map instead of the heights). Recomputing, rather
    than applying an event's direction, makes each update idempotent, so
    the order of the events and of the calls does not matter.
  - Tickets are appended in chain order. Appending to a Fenwick tree is
    O(log n): the new node sums its children. The tree grows with the
    slice behind it (amortized doubling) and never needs a rebuild.

Invariant: after every call, a ticket is in the tree exactly when it is
eligible at Height(), and the lottery's state is a function of its inputs
(tickets, ends, height) alone. The tests check this node by node against a
tree built from scratch, after random sequences of calls.

# Use per block

Connecting mainchain block h with hash H: Add the block's new tickets in
block order, End every ticket whose publisher chain the block ended (at h),
then Advance(h) and Draw(H). Add and End may also come after Advance(h);
the result is the same.

# Reorgs and restarts

Rewind(h) undoes the blocks above h: it drops the tickets confirmed above h
(the tail in chain order: the tree is cut, the ids are freed), the ends
recorded above h (ends come in height order, so they are a tail of the end
log too) and their events, and moves the height back to h. Afterwards
the lottery is exactly as if it had never seen those blocks, so a reorg is
Rewind(fork height) followed by the new branch's blocks, and the cost is
O(k log n) for the k tickets and events involved. Rewind(Height()) drops
inputs staged for a block whose Advance never came, for example when
connecting it failed.

The lottery lives in memory only. On restart the node rebuilds it from its
persisted ticket index in O(n log n): New, Add every ticket, End every
ended publisher chain in height order, Advance(tip).

# Checking a draw

Prove returns a DrawProof: height, block hash, sidechain id, W, r, the
winner and its range [start, end). A third party with the ticket list and
the ended publisher chains checks it with DrawProof.Verify, which recomputes
the draw with NaiveDraw, the O(n) reference that evaluates the definition
directly. The property tests compare the lottery with NaiveDraw on random
inputs.

# Known limits

Tickets are kept after they expire, since their ids are positions in the
tree; memory grows by about 100 bytes per ticket ever confirmed. A Lottery
is not safe for concurrent use. Its log subsystem tag is LOTT.
*/
package lottery
