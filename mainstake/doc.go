// Package mainstake turns the mainchain into the sidechain's stake: it owns
// stake registrations, the ticket index and the publisher chains.
//
// A stake registration is a standard Bitcoin transaction with the `S`
// OP_RETURN. The package parses its payload, rebuilds the CLTV witness script
// from the lock height and pubkey, and accepts the registration only when the
// stake output is the P2WSH of that script, the publisher output pays the
// owner's key and the registry output pays the sidechain's unspendable
// registry script. Each accepted registration becomes a ticket.
//
// The ticket index keeps tickets in chain order (confirmation height, then
// position in the block). That order is append-only as blocks connect, and a
// block that disconnects removes exactly the tickets it added. The index also
// records, by height, when each ticket matures and when it expires, so that
// the lottery package can update its trees with only the tickets that change
// at a given height.
//
// A publisher chain is the sequence of outpoints that a ticket's header
// transactions spend and create. The package follows each chain: a
// well-formed `H` transaction moves the chain to its new publisher output,
// while any other spend of the current publisher outpoint ends the chain and
// makes the ticket ineligible.
//
// This package is a placeholder. Its types, validation rules and tests come
// with the issue that implements section 3 and the ticket side of section 5
// of the protocol. Its log subsystem tag is STAK.
package mainstake
