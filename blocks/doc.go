// Package blocks builds the residual blocks of ResNet on a graph.Builder: the basic block (two
// 3×3 convolutions) of ResNet-18 and 34, and the bottleneck block (1×1, 3×3, 1×1 with expansion
// 4) of ResNet-50, 101 and 152. A projection shortcut (1×1 convolution, with normalization by
// default) replaces the identity wherever a block changes the stride or the width.
//
// The normalization layer comes from the caller through Builder.Norm, so this package does not
// depend on the BatchNorm op of the root package. Parameter names follow torchvision
// ("layer2.0.conv1.weight", "layer2.0.downsample.1.bias"), so weights move between the two.
package blocks
