/*
Package notary runs a node's part in the dPoW notarization rounds
(PROTOCOL §13.5): the round messages' relay over the peer protocol, and,
on a node whose wallet holds a notary key of the season in force, the
runner that drives a round.Notary.

# Relay

A Relay is the node's p2p.RoundHandler (every node of a network with
notaries has one, notary or not) and the runner's Transport. A round
message a peer sends is relayed only when it is one an honest node
passes on; what it costs the peer that delivered it is what that peer
could have checked itself before passing it on, since only the message's
signer, a notary, can be blamed for what the message says:

  - It decodes (round.Decode) and authenticates (Message.Verify: the
    season in force at its height, one of its notaries, a valid BIP340
    signature): otherwise the peer's ban score grows by the round
    package's score for the refusal (ErrMalformed, ErrForged: 100). A
    message of another version (ErrUnknownVersion) is dropped without
    cost.
  - An input set is signed by the leader of its attempt, which needs no
    round state (round.Leader): otherwise ErrNotLeader's score, 100.
  - Its round is near the node's own: its height within one interval
    below and two above the height the node's tip would notarize
    (notarize.TargetHeight). Another one is dropped without cost (a
    straggler, a peer on another tip, or a replay: no honest relayer is
    told apart from a replayer by the message alone) and not passed on.
  - One message per slot (round, attempt, signer and kind) is passed on:
    the first. A second, different message of a slot is a notary's
    conflict; it is dropped, and costs ErrConflicting's score (50) only
    to a peer that delivered both, which no honest relayer does.
  - A message the node already has (by hash) is dropped without cost.

A message that passes is kept (the last MaxKept, for peers' GetData),
handed to the local runner if there is one, and announced to the peers,
unless the runner refuses it with a non-zero ban score: then the signer
misbehaved (a bad input set, a bad transaction signature, a conflict the
relay could not see), which is logged with the notary's index and not
charged to the relayer, and the message goes no further.

# Runner

A Runner owns a round.Notary and drives it: it gives it the best
sidechain tip and the last notarization that counts at every change
(polled every PollInterval), polls it for timeouts, hands its messages to
the Transport and its finished notarizations to the mainchain backend
(btcd's sendrawtransaction, neutrino's broadcast) from its own
goroutine, and keeps its outputs split: every SplitInterval, when the
wallet holds fewer than SplitCount outputs of at least the round's input
value at MaxFeeRate, it broadcasts round.Split's transaction, and waits
for the wallet to see the split output spent before it splits again; it
does not split while a round is under way. Its UTXO source is the
backend's less the outputs spent by the transactions it sent (btcd's
gettxout does not see its mempool's spends), until the backend has them
spent or for a day.
*/
package notary
