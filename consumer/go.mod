module github.com/sfsync/sfsync/consumer

go 1.26.0

replace (
	github.com/sfsync/sfsync/integration => ../integration
	github.com/sfsync/sfsync/schemas => ../schemas
)

require (
	github.com/sfsync/sfsync/schemas v0.0.0
	pgregory.net/rapid v1.3.0
)

require (
	github.com/goccy/go-yaml v1.19.2 // indirect
	github.com/golang/snappy v0.0.1 // indirect
	github.com/linkedin/goavro/v2 v2.15.0 // indirect
)
