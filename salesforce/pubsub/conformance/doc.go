// Package conformance is a test suite that any Salesforce event source —
// an org, sffake, another emulator — must pass to be used by sfsync: one
// scenario per behaviour of the Pub/Sub API contract (spec §8), run with
// sfsync's client and, where the client hides the wire, with the raw
// generated stubs. A source describes how to reach it with [Source] and
// what it can do with [Features] and the optional hook interfaces
// ([RecordWriter], [MergedWriter], [GapEmitter], [Retention],
// [TokenRevoker], [StreamFaults], [SchemaChanger],
// [AllocationExhauster], [Duplicator]); scenarios whose hooks are missing are skipped
// with a message naming what is missing, never counted as passed.
package conformance
