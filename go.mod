module github.com/resnetgo/resnet

go 1.26.8

require (
	github.com/pkg/errors v0.9.1
	golang.org/x/image v0.48.0
)
