module github.com/resnetgo/resnet

go 1.26.8
