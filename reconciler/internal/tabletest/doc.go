// Package tabletest creates mapped tables in the reconciler's tests as
// the consumer creates them: [Create] makes the mapped columns, the key
// as primary key, and the bookkeeping columns of schemas/tablelayout, so
// that the reconciler's workers meet the layout they meet in production.
package tabletest
