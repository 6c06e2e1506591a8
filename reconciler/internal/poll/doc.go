// Package poll keeps the objects a mapping marks `sync: poll` in step
// with Salesforce without change events, by polling their
// SystemModstamp.
//
// Every [Config.Interval] a [Poller] asks Salesforce (queryAll, so that
// records deleted since show with IsDeleted) for each polled object's
// records whose SystemModstamp is after the object's high-water mark,
// less [Config.Overlap]: a transaction stamps its records when it starts
// and they become visible when it commits, so a record may appear with a
// SystemModstamp earlier than records seen already. Each record found is
// published as a SNAPSHOT (live) or a DELETE (in the recycle bin) with
// the version {Commit: SystemModstamp in Unix microseconds, Seq: 0}, so
// that a later change of the record always wins. Records seen in the
// overlap window with an unchanged SystemModstamp are not published
// again, so a poll with no changes publishes nothing.
//
// The high-water mark (the greatest SystemModstamp published) is stored
// per object in the reconciler's table sfsync_reconciler_poll, created
// when missing, only after Kafka acknowledged the envelopes: a restart
// resumes where the last poll ended instead of reading everything again.
//
// Records removed even from the recycle bin (hard deletes, or emptied
// recycle bin) never show in a query. Every [Config.HardDeleteEvery]
// polls, the first one included, the Poller compares the ids of the
// object's live PostgreSQL rows with the ids of its live Salesforce
// records (reading PostgreSQL first, so that a record created meanwhile
// is not mistaken for a deleted one) and publishes a DELETE for every row
// Salesforce no longer has, with a version just above the row's newest
// version: it beats everything PostgreSQL holds, and any later change of
// the record (an undelete) beats it.
//
// The reconciler writes no rows: the consumer applies the envelopes.
package poll
