module github.com/sfsync/sfsync/schemas

go 1.26

require (
	github.com/goccy/go-yaml v1.19.2
	github.com/linkedin/goavro/v2 v2.15.0
)

require github.com/golang/snappy v0.0.1 // indirect
