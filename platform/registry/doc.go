// Package registry is a client of the Confluent Schema Registry REST API,
// which Confluent's registry, Apicurio Registry (under /apis/ccompat/v7),
// Karapace and Redpanda serve alike, and the schema_registry settings every
// sfsync service shares.
//
// sfsync uses four calls: PUT /config/{subject} sets the subject's
// compatibility (BACKWARD), POST /subjects/{subject}/versions registers a
// schema and returns its id (the id of the schema already registered when
// it is the same), GET /schemas/ids/{id} returns the text of a schema by
// id, and GET /subjects for a health check. Subjects follow
// TopicNameStrategy: a topic's record values are under "<topic>-value"
// ([Subject]).
//
// A [Client] keeps no schemas: the envelope codec that uses it keeps the
// ones it compiled, by id, at most 256, least recently used first out
// (ids are immutable, and a topic has one schema per version in use). It
// sends HTTP basic authentication when
// [Settings] has a username, and trusts the certificate authorities of
// Settings.CAFile for an https URL. Its errors name the registry URL and
// the call, never the password; a schema or subject the registry does not
// have wraps [avroframe.ErrUnknownSchema], and a registry that cannot be
// reached or fails (5xx, 429) wraps [ErrUnavailable], which is worth a
// retry.
//
// The client is net/http over the documented API rather than a library:
// github.com/riferrei/srclient takes no context and caches without bound,
// and confluent-kafka-go's schemaregistry package links librdkafka
// through cgo.
package registry
