module github.com/sfsync/sfsync/integration

go 1.26
