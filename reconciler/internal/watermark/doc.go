// Package watermark is the engine under the reconciler's workers that
// make passes over the mapped objects and remember, per object, how far
// they got: the compactor (package compact), which follows PostgreSQL by
// _sf_synced_at, and the poller (package poll), which follows Salesforce
// by SystemModstamp.
//
// A [Table] keeps one watermark per key (an object, or an object and a
// topic) in a PostgreSQL table it creates on first use. A [Mark] is what
// a worker remembers of one key between passes: the watermark, loaded
// from the table once, and the records published within the overlap
// before it, so that a pass that reads again from the watermark less the
// overlap does not publish them twice. [Table.Advance] stores a watermark
// that moved forward and updates the Mark.
//
// [Pass] runs one pass over the objects, counting and logging each
// object that failed without stopping the others; [Every] repeats a pass
// at an interval until its context ends.
package watermark
