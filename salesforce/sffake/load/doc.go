// Package load is sffake's load generator: it seeds an emulated org with
// the Enterprise Territory Management demo dataset of spec §7.3 and then
// applies realistic churn to it at a bounded rate, so that subscribers see
// the stream of change events a busy sales org produces.
//
// [Seed] writes, into a running [sffake.Server]: an active Territory2Model
// (FY26_Sales_Plan) and a planning one (FY27_Sales_Plan), the
// Territory2Types Geo and Named_Accounts, a hierarchy of 33 Territory2
// records (Global → AMER, EMEA, APAC → regions → districts, plus one
// named-accounts territory per geo), users with one to three
// UserTerritory2Association each, and accounts with realistic industries,
// revenue, head count and addresses, each in its geo territory through an
// ObjectTerritory2Association (AssociationCause Territory2AssignmentRule)
// and some also in a named-accounts territory (Territory2Manual).
// Territory_Key__c holds the id of the account's geo territory, its
// primary territory. sffake has no User object, so user ids (key prefix
// 005) are generated and referenced only.
//
// [World.Churn] then applies operations drawn from a weighted [Mix]:
// account edits, address changes, re-assignments between territories
// (one transaction deleting and creating ObjectTerritory2Association and
// updating Territory_Key__c), user moves, deletes and undeletes, bursts,
// multi-record transactions (one merged UPDATE event) and occasional GAP
// events; [World.Overflow] emits a GAP_OVERFLOW on demand. A token bucket
// on an injectable [sffake.Clock] bounds the rate.
//
// Everything is deterministic from the seed: the same seed and [Dataset]
// on fresh servers with the same clock produce the same records and, with
// the same [Churn], the same sequence of operations. Decisions come from a
// PCG generator and never from map iteration order or the time.
package load
