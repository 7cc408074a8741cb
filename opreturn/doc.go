// Package opreturn encodes and parses the tagged OP_RETURN output that marks
// every protocol transaction on the mainchain (design reference §2).
//
// # Format
//
// The output script is OP_RETURN followed by exactly one data push, the
// payload:
//
//	magic "PMS" (3) | version 0x01 (1) | kind (1) | sidechain id (4) | body
//
// The sidechain id is big-endian and never zero. Integers in bodies are
// big-endian and fixed width; hashes are 32 bytes in Bitcoin's internal byte
// order (chainhash.Hash as it is, not reversed). Each kind has its own Go
// type and its own length:
//
//	kind  type          body                                          total
//	'S'   *Stake        lock height 4 | stake vout 1 | publisher vout 1 |
//	                    compressed pubkey 33                             48
//	                    ... | owner key hash 20 (cold-owner form)         68
//	'H'   *Header       hashPrevBlock 32 | hashMerkleRoot 32             73
//	'D'   *Deposit      deposit vout 1 | sidechain scriptPubKey 1..70  11..80
//	'W'   *Payout       sideblock hash 32                                41
//	'R'   *Rotation     federation epoch 4                               13
//	'N'   *Notarization block hash 32 | height 4 | season 2             47
//
// The payload is at most 80 bytes (MaxPayloadLen), so that every node relays
// the transaction under default policy.
//
// # Decisions
//
// Parse accepts exactly one encoding of each payload: the one Encode
// produces, which is the script txscript.NullDataScript builds. The push must
// therefore be the minimal push for the payload's length (OP_DATA_n up to 75
// bytes, OP_PUSHDATA1 for 76 to 80), and nothing may follow it. A script
// that Bitcoin policy would also accept but that pushes the payload another
// way (for example OP_PUSHDATA2 for a 48-byte payload) is not a protocol
// output (ErrNonCanonicalPush). This makes the map from payloads to scripts a
// bijection: any script that parses re-encodes to the same bytes, and there
// is no second form of a payload to confuse watchers or indexes with. Only
// the opcodes OP_0 to OP_PUSHDATA4 count as data pushes; OP_1NEGATE and OP_1
// to OP_16 do not (a one-byte payload is too short anyway).
//
// Encode and Parse apply the same rules, so a payload that Encode accepts
// always parses, and a payload that Parse returns always encodes.
//
// FindInTx applies the standardness rule of design reference §1: the
// transaction must have exactly one OP_RETURN output. Any output whose script
// begins with the OP_RETURN opcode counts, whether or not it is a well-formed
// data carrier, so that a transaction with a second, malformed OP_RETURN is
// not a protocol transaction.
//
// Kind-specific rules that need transaction context (vouts naming real
// outputs, lock heights, scripts) belong to the packages that own each kind:
// mainstake checks 'S' and 'H', pegbox 'D' and 'R', withdraw 'W', notarize
// 'N'. This package checks only what the payload alone can show: lengths,
// the pubkey of a stake, the sidechain id.
//
// # Errors
//
// Every failure is a *RuleError whose ErrorCode names the rule that failed.
// Per design reference §2 an output that does not parse is ignored by
// consensus code; callers tell "not ours" (ErrWrongSidechain) from "not a
// protocol output at all" by the code, never by the message.
//
// The package never logs: every outcome is returned to the caller.
package opreturn
