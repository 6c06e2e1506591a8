module github.com/sfsync/sfsync/schemas

go 1.26
