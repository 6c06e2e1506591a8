package connect

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"strings"

	"github.com/segmentio/kafka-go"
)

// KafkaPermanent reports whether a Kafka error is one that waiting cannot
// fix, so that the consumer stops with it rather than retrying: refused
// credentials or certificates, missing rights, and configuration Kafka
// rejects. Every other error (a broker down or restarting, a connection
// reset, a timeout, a leader moving) is transient: the consumer waits
// and retries, not ready meanwhile.
func KafkaPermanent(err error) bool {
	if err == nil {
		return false
	}
	var ke kafka.Error
	if errors.As(err, &ke) {
		switch ke {
		case kafka.SASLAuthenticationFailed, // wrong user or password
			kafka.UnsupportedSASLMechanism, kafka.IllegalSASLState, // the broker speaks another SASL
			kafka.TopicAuthorizationFailed, kafka.GroupAuthorizationFailed, // ACLs lack a right
			kafka.ClusterAuthorizationFailed,
			kafka.InvalidReplicationFactor, kafka.InvalidPartitionNumber, // topic creation refused
			kafka.InvalidTopic, kafka.InvalidConfiguration, kafka.PolicyViolation:
			return true
		}
		return false
	}
	// The broker's certificate is refused: not signed by a trusted CA,
	// for another host, or expired.
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	var verify *tls.CertificateVerificationError
	if errors.As(err, &unknownCA) || errors.As(err, &hostname) || errors.As(err, &invalid) || errors.As(err, &verify) {
		return true
	}
	// Some kafka-go paths flatten errors to text: keep the causes above
	// recognisable there too.
	msg := err.Error()
	for _, s := range []string{"x509: ", "SASL Authentication Failed", "tls: bad certificate", "tls: unknown certificate authority"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
