// Package checkpointstore tests the checkpoint store of
// [github.com/sfsync/sfsync/platform/checkpointstore] against a Kafka
// broker that the harness provides: saving, loading, tombstones, the
// compacted topic's settings and the refusal of corrupt records. It holds
// tests only; the platform module cannot run them itself, as the harness's
// module requires the platform module.
package checkpointstore
