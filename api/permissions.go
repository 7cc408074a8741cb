package api

import (
	apiv1 "github.com/mainstake/sidenode/proto/sidenode/api/v1"
)

// Action is what a method does with its entity.
type Action string

// The actions. The read-only credential may call read methods; the admin
// credential may call every method.
const (
	// Read methods only report state.
	Read Action = "read"

	// Write methods change state or spend coins.
	Write Action = "write"
)

// Permission is the entity:action pair a method needs, as in lnd's
// permission map. The entity groups methods for the day credentials are
// scoped by entity; today only the action decides.
type Permission struct {
	Entity string
	Action Action
}

// String formats the permission as entity:action.
func (p Permission) String() string { return p.Entity + ":" + string(p.Action) }

// The entities.
const (
	entityInfo      = "info"
	entityMainchain = "mainchain"
	entityAddress   = "address"
	entityOnchain   = "onchain"
	entityStake     = "stake"
	entitySidechain = "sidechain"
	entitySideFunds = "sidefunds"
	entityPeg       = "peg"
	entityPeers     = "peers"
	entityNode      = "node"
	entitySeed      = "seed"
	entityMining    = "mining"
	entityPool      = "pool"
)

// permissions maps the full gRPC name of every method the server serves
// to the permission it needs. A method missing here is refused with
// PermissionDenied; TestPermissionsComplete fails on a method of the
// generated services that has no entry, and on an entry that names no
// method.
var permissions = map[string]Permission{
	apiv1.NodeService_GetInfo_FullMethodName:         {entityInfo, Read},
	apiv1.NodeService_GetStateHash_FullMethodName:    {entityInfo, Read},
	apiv1.NodeService_ListBans_FullMethodName:        {entityPeers, Read},
	apiv1.NodeService_BanPeer_FullMethodName:         {entityPeers, Write},
	apiv1.NodeService_UnbanPeer_FullMethodName:       {entityPeers, Write},
	apiv1.NodeService_ListAlarms_FullMethodName:      {entityInfo, Read},
	apiv1.NodeService_SubscribeAlarms_FullMethodName: {entityInfo, Read},

	apiv1.PegService_SubscribeDeposits_FullMethodName:              {entityPeg, Read},
	apiv1.WalletService_SubscribeWalletTransactions_FullMethodName: {entityOnchain, Read},
	apiv1.PegService_SubscribeWithdrawals_FullMethodName:           {entityPeg, Read},

	apiv1.OperatorService_StopDaemon_FullMethodName:     {entityNode, Write},
	apiv1.OperatorService_GetDebugLevel_FullMethodName:  {entityNode, Read},
	apiv1.OperatorService_SetDebugLevel_FullMethodName:  {entityNode, Write},
	apiv1.OperatorService_ListPeers_FullMethodName:      {entityPeers, Read},
	apiv1.OperatorService_ConnectPeer_FullMethodName:    {entityPeers, Write},
	apiv1.OperatorService_DisconnectPeer_FullMethodName: {entityPeers, Write},

	apiv1.MainchainService_ListTickets_FullMethodName:        {entityMainchain, Read},
	apiv1.MainchainService_GetWinner_FullMethodName:          {entityMainchain, Read},
	apiv1.MainchainService_GetPublication_FullMethodName:     {entityMainchain, Read},
	apiv1.MainchainService_ListPublications_FullMethodName:   {entityMainchain, Read},
	apiv1.MainchainService_ListMissedSlots_FullMethodName:    {entityMainchain, Read},
	apiv1.MainchainService_GetMainTransaction_FullMethodName: {entityMainchain, Read},

	apiv1.WalletService_NewAddress_FullMethodName:             {entityAddress, Write},
	apiv1.WalletService_GetBalance_FullMethodName:             {entityOnchain, Read},
	apiv1.WalletService_SendMain_FullMethodName:               {entityOnchain, Write},
	apiv1.WalletService_ListCoins_FullMethodName:              {entityOnchain, Read},
	apiv1.WalletService_ListWalletTransactions_FullMethodName: {entityOnchain, Read},
	apiv1.WalletService_GetWalletTransaction_FullMethodName:   {entityOnchain, Read},
	apiv1.WalletService_BumpFee_FullMethodName:                {entityOnchain, Write},
	// The seed and its passphrase are admin's alone: BackupSeed reads,
	// but what it reads is the wallet's secret.
	apiv1.WalletService_ChangePassphrase_FullMethodName:     {entitySeed, Write},
	apiv1.WalletService_BackupSeed_FullMethodName:           {entitySeed, Write},
	apiv1.WalletService_CreateWallet_FullMethodName:         {entitySeed, Write},
	apiv1.WalletService_UnlockWallet_FullMethodName:         {entitySeed, Write},
	apiv1.WalletService_CreateStake_FullMethodName:          {entityStake, Write},
	apiv1.WalletService_ListStakes_FullMethodName:           {entityStake, Read},
	apiv1.WalletService_WithdrawStake_FullMethodName:        {entityStake, Write},
	apiv1.WalletService_RenewStake_FullMethodName:           {entityStake, Write},
	apiv1.WalletService_TopUpStake_FullMethodName:           {entityStake, Write},
	apiv1.WalletService_GetSideAddress_FullMethodName:       {entityAddress, Read},
	apiv1.WalletService_GetSideBalance_FullMethodName:       {entitySideFunds, Read},
	apiv1.WalletService_SendSide_FullMethodName:             {entitySideFunds, Write},
	apiv1.WalletService_ListSideTransactions_FullMethodName: {entitySideFunds, Read},
	apiv1.WalletService_PegIn_FullMethodName:                {entityPeg, Write},
	apiv1.WalletService_PegOut_FullMethodName:               {entityPeg, Write},

	apiv1.PegService_GetPegInfo_FullMethodName:          {entityPeg, Read},
	apiv1.PegService_ListDeposits_FullMethodName:        {entityPeg, Read},
	apiv1.PegService_ListRefusedDeposits_FullMethodName: {entityPeg, Read},
	apiv1.PegService_ListPegboxCoins_FullMethodName:     {entityPeg, Read},
	apiv1.PegService_GetDeposit_FullMethodName:          {entityPeg, Read},
	apiv1.PegService_GetWithdrawal_FullMethodName:       {entityPeg, Read},
	apiv1.PegService_VerifyPayout_FullMethodName:        {entityPeg, Read},

	apiv1.SidechainService_GetBlock_FullMethodName:           {entitySidechain, Read},
	apiv1.SidechainService_GetTransaction_FullMethodName:     {entitySidechain, Read},
	apiv1.SidechainService_GetConfirmations_FullMethodName:   {entitySidechain, Read},
	apiv1.SidechainService_ListUnspent_FullMethodName:        {entitySidechain, Read},
	apiv1.SidechainService_GetAddressBalance_FullMethodName:  {entitySidechain, Read},
	apiv1.SidechainService_GetAddressHistory_FullMethodName:  {entitySidechain, Read},
	apiv1.SidechainService_SendRawTransaction_FullMethodName: {entitySidechain, Write},
	apiv1.SidechainService_EstimateFee_FullMethodName:        {entitySidechain, Read},

	apiv1.MiningService_GetBlockTemplate_FullMethodName: {entityMining, Read},
	apiv1.MiningService_SubmitBlock_FullMethodName:      {entityMining, Write},
	apiv1.MiningService_GetMiningInfo_FullMethodName:    {entityMining, Read},

	apiv1.PoolService_GetPoolStats_FullMethodName:    {entityPool, Read},
	apiv1.PoolService_ListPoolWorkers_FullMethodName: {entityPool, Read},
	apiv1.PoolService_ListPoolBlocks_FullMethodName:  {entityPool, Read},
	apiv1.PoolService_GetPoolAudit_FullMethodName:    {entityPool, Read},
	apiv1.PoolService_ListPoolPayouts_FullMethodName: {entityPool, Read},

	apiv1.SubscriptionService_SubscribeSideblocks_FullMethodName: {entitySidechain, Read},
	apiv1.SubscriptionService_SubscribeLottery_FullMethodName:    {entityMainchain, Read},
}

// Permissions returns a copy of the permission map: the full gRPC name of
// each method ("/sidenode.api.v1.WalletService/CreateStake") and the
// permission it needs.
func Permissions() map[string]Permission {
	out := make(map[string]Permission, len(permissions))
	for k, v := range permissions {
		out[k] = v
	}
	return out
}
