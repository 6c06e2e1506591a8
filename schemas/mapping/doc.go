// Package mapping reads the mapping file, the YAML file that says which
// Salesforce objects sfsync keeps in PostgreSQL and how: for each object its
// table, key field, partition key, Pub/Sub topic (or polling), Kafka topic,
// and for each field its change-event path, column and PostgreSQL type.
// An object may also be fed by a custom platform event instead of Change
// Data Capture; its [Event] then says which event fields carry the object
// name, the record ids, the change type, the changed fields and the values.
// Nothing in sfsync is specific to any object; everything comes from here.
//
// The format is described field by field, with defaults, in the module's
// README.md. A short example:
//
//	version: 1
//	objects:
//	  Account:
//	    partition_key: Territory_Key__c      # default: the key field
//	    fields:
//	      Id: varchar(18)                    # key field; default key is Id
//	      BillingCity: {source: BillingAddress.City, type: text}
//	      Territory_Key__c: {column: territory_key, type: varchar(18)}
//
// [Load] and [Parse] validate the whole file and report every problem at
// once, each as file:line:column: message, in a [*ValidationError] that
// wraps [ErrInvalid]; a mapping they return is complete (defaults filled
// in) and consistent. Names are held to safe identifier rules (see
// names.go), but code must still quote every identifier it puts in SQL.
package mapping
