// Package kafkaconf holds the Kafka connection settings every sfsync
// service shares, under the key kafka of its configuration: brokers,
// client id, TLS and SASL (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512, and AWS
// MSK IAM through SASL/OAUTHBEARER with tokens from
// github.com/aws/aws-msk-iam-sasl-signer-go), their checks, and the
// kafka-go [kafka.Dialer] and [kafka.Transport] they make.
//
// A service embeds [Conn] inline in its own kafka section, which adds
// its topics and tuning:
//
//	type Kafka struct {
//		kafkaconf.Conn `yaml:",inline"`
//		Group string `yaml:"group"`
//	}
//
// The SASL password is a [svcconfig.Secret]; mechanisms made from it
// print only their name.
package kafkaconf
