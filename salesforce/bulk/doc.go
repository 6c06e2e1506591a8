// Package bulk reads large query results through Salesforce Bulk API 2.0
// query jobs (spec §5.3), for backfills and reconciliation.
//
// [New] builds a [Client] on a [rest.Client], whose credentials, retries
// and error typing it shares: failures are [*rest.Error] values
// (errors.Is with [rest.ErrInvalidJobState], [rest.ErrQueryLocator]…) and
// [rest.IsRetryable] decides what is retried.
//
// [Client.Query] creates a job, polls it until JobComplete (a Failed or
// Aborted job ends in a [*JobError]), then returns [Rows], which streams
// the CSV result pages row by row, following Sforce-Locator until it is
// "null". Every page's header row is recognised and skipped; columns keep
// the SELECT order; an empty field reads as null ([Row.Get]). After the
// last page the job is deleted unless [Options.KeepJob] is set.
//
// Reads are resumable: [Rows.JobID] and [Rows.NextLocator], saved when
// [Rows.EndOfPage] reports the last row of a page, let [Client.Resume]
// continue a half-read job after a crash, without seeing a row twice.
//
// A [Client] is safe for concurrent use; a [Rows] is not.
package bulk
