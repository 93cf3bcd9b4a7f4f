module github.com/resnetgo/resnet

go 1.26.8

require (
	github.com/pkg/errors v0.9.1
	golang.org/x/sys v0.50.0
	gonum.org/v1/gonum v0.11.0
)
