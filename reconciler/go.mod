module github.com/sfsync/sfsync/reconciler

go 1.26.0

replace (
	github.com/sfsync/sfsync/integration => ../integration
	github.com/sfsync/sfsync/salesforce => ../salesforce
	github.com/sfsync/sfsync/schemas => ../schemas
)

require (
	github.com/segmentio/kafka-go v0.4.51
	github.com/sfsync/sfsync/salesforce v0.0.0
	github.com/sfsync/sfsync/schemas v0.0.0
)

require (
	github.com/goccy/go-yaml v1.19.2 // indirect
	github.com/golang-jwt/jwt/v5 v5.3.1 // indirect
	github.com/golang/snappy v0.0.1 // indirect
	github.com/google/uuid v1.6.0 // indirect
	github.com/klauspost/compress v1.15.9 // indirect
	github.com/linkedin/goavro/v2 v2.15.0 // indirect
	github.com/pierrec/lz4/v4 v4.1.15 // indirect
	golang.org/x/net v0.60.0 // indirect
	golang.org/x/sys v0.48.0 // indirect
	golang.org/x/text v0.42.0 // indirect
	google.golang.org/genproto/googleapis/rpc v0.0.0-20260817212433-ac3dfec99bb1 // indirect
	google.golang.org/grpc v1.85.0 // indirect
	google.golang.org/protobuf v1.36.12 // indirect
)
