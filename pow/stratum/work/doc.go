// Package work is the pure share-work core of the Stratum V1 server and
// the pool: it turns a block template into a Stratum job, decodes a
// miner's mining.submit, checks a share and builds the block it makes.
//
// A Job is made from a Template (NewJob). The template's coinbase gets one
// push of Extranonce1Size+extranonce2 bytes appended to its signature
// script; the coinbase's serialization without witness is split around
// that push's data into Coinb1 and Coinb2, so that a miner builds the
// coinbase as Coinb1 | extranonce1 | extranonce2 | Coinb2. Branch is the
// coinbase's merkle branch. Job.Notify returns the params of mining.notify
// in the byte orders standard SHA-256d miners (cpuminer, cgminer,
// bfgminer) expect: the previous hash in internal byte order with each
// 4-byte word reversed, the branch hashes in internal byte order,
// version, nbits and ntime as 8 hex digits of the big-endian number.
//
// ParseSubmit decodes mining.submit's params into a Share. Job.Check
// rebuilds the coinbase, merkle root and header of a share, hashes the
// header with SHA-256d and compares it with the share target and the
// network target; refusals are RejectErrors carrying the standard Stratum
// codes (Code, 20 to 25). Job.Block builds the full block of a share that
// meets the network target. Seen refuses a job's duplicate shares with
// bounded memory.
//
// Difficulties follow the Stratum convention: difficulty 1 is the target
// 0x00000000ffff0000...0 (TargetFromDifficulty, DifficultyFromTarget).
//
// The package has no clock, no network and no logger: the server passes
// everything in.
package work
