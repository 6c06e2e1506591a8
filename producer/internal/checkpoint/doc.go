// Package checkpoint decides which Salesforce replay id the producer may
// store for a subscription: the newest position such that it and every
// earlier event have been acknowledged by Kafka. Storing anything newer
// could lose events across a crash; storing anything older only repeats
// them, which the consumer's version guards make harmless.
package checkpoint
